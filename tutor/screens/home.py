"""The lesson list: title, one-line summary and the learner's completion of each lesson; broken
lesson files are named, not hidden."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tutor.course.loader import LessonError
from tutor.course.model import Lesson
from tutor.course.progress import completion
from tutor.screens.base import TutorScreen
from tutor.widgets.text import plain


class HomeScreen(TutorScreen):
    """Choose a lesson with the arrows and Enter."""

    help_title = "the lesson list"

    BINDINGS = [Binding("v", "review", "Skills & review", tooltip="Your skills, and fresh questions for those due")]

    def __init__(self, lessons: list[Lesson], errors: list[LessonError], highlight: str | None = None) -> None:
        super().__init__()
        self.lessons = lessons
        self.errors = errors
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        yield Header()
        intro = ("Learn how convolutional networks compute. Every number comes from PyTorch; every "
                 "exercise is checked. Choose a lesson with the arrows and press Enter."
                 if self.lessons else "No lessons could be loaded from this folder.")
        yield Static(intro, id="intro")
        yield Static(plain(self._skills_line(), "italic"), id="skills-line")
        yield OptionList(id="lessons")
        yield Footer()

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.add_options([Option(self._prompt(lesson), id=lesson.id) for lesson in self.lessons])
        option_list.add_options([Option(plain(f"⚠ {problem}", "bold"), disabled=True)
                                 for error in self.errors for problem in error.problems])
        if self.lessons:
            ids = [lesson.id for lesson in self.lessons]
            option_list.highlighted = ids.index(self.highlight) if self.highlight in ids else 0
        option_list.focus()

    def _prompt(self, lesson: Lesson):
        done = completion(lesson, self.app.progress.lessons.get(lesson.id))
        return (plain(lesson.title, "bold", multiline=False)
                + plain(f"   {done.describe()}", "bold green" if done.finished else "italic")
                + plain("\n") + plain(lesson.summary, "dim", multiline=False))

    def _skills_line(self) -> str:
        """``Skills: 1 mastered, 2 familiar · 2 due for review (v)``."""
        from tutor.course.mastery import LEVELS, due

        states = self.app.progress.skills()
        counts = [f"{sum(s.level == level for s in states.values())} {level}" for level in reversed(LEVELS[1:])]
        waiting = len(due(states, self.app.today()))
        return (f"Skills: {', '.join(counts)} · {waiting} due for review (v)" if states
                else "Skills: none practised yet · v: skills and review")

    def action_review(self) -> None:
        self.app.open_review()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_lesson(event.option.id, None)  # where the learner left it
