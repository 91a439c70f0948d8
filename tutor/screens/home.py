"""The lesson list: title and one-line summary of each lesson; broken files are named, not hidden."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tutor.course.loader import LessonError
from tutor.course.model import Lesson


class HomeScreen(Screen):
    """Choose a lesson."""

    BINDINGS = [
        Binding("enter", "open", "Open lesson", show=True),
    ]

    def __init__(self, lessons: list[Lesson], errors: list[LessonError]) -> None:
        super().__init__()
        self.lessons = lessons
        self.errors = errors

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Learn how convolutional networks compute. Every number comes from PyTorch; every "
            "exercise is checked. Choose a lesson with the arrows and press Enter.",
            id="intro",
        )
        options = [Option(self._prompt(lesson), id=lesson.id) for lesson in self.lessons]
        options += [Option(Text(f"⚠ {problem}", style="bold"), disabled=True)
                    for error in self.errors for problem in error.problems]
        yield OptionList(*options, id="lessons")
        yield Footer()

    @staticmethod
    def _prompt(lesson: Lesson) -> Text:
        text = Text(lesson.title, style="bold")
        text.append(f"\n{lesson.summary}", style="dim")
        return text

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if not self.lessons:
            self.query_one("#intro", Static).update("No lessons could be loaded from this folder.")

    def action_open(self) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is not None:
            option_list.action_select()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_lesson(event.option.id)
