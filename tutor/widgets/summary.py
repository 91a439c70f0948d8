"""The last page of a lesson: what the learner did, exercise by exercise."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tutor.course.model import Lesson
from tutor.course.progress import LessonRecord, completion
from tutor.text import clean


def question(prompt: str, limit: int = 60) -> str:
    """An exercise named by its question, as the learner read it: Markdown's backticks and stars
    dropped, one line, cut at ``limit`` characters."""
    text = " ".join(prompt.replace("`", "").replace("**", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class LessonSummary(Static):
    """A table of the lesson's exercises: solved or not, attempts, hints used, revealed; under it,
    the drill's score."""

    DEFAULT_CSS = """
    LessonSummary { height: auto; margin: 1 0; }
    """

    def __init__(self, lesson: Lesson, record: LessonRecord) -> None:
        self.table = self._render_summary(lesson, record)
        super().__init__(self.table, id="summary")

    @staticmethod
    def _render_summary(lesson: Lesson, record: LessonRecord) -> Table:
        done = completion(lesson, record)
        table = Table(title=Text(clean(f"{lesson.title}: {done.describe()}")), box=box.SIMPLE_HEAD, expand=True,
                      title_justify="left", title_style="bold")
        for column in ("page", "question", "result", "attempts", "hints"):
            table.add_column(column)
        for number, page in enumerate(lesson.pages, start=1):
            for exercise in page.exercises:
                result = record.exercises.get(exercise.id)
                if result is None or not (result.solved or result.revealed or result.attempts):
                    state = "not tried"
                elif result.solved:
                    state = "✓ solved" + (" (after the reveal)" if result.revealed else "")
                else:
                    state = "revealed" if result.revealed else "✗ not yet"
                cells = (number, question(exercise.prompt), state, result.attempts if result else 0,
                         f"{result.hints if result else 0} of {len(exercise.hints)}")
                table.add_row(*(Text(clean(cell)) for cell in cells))  # Rich would read a str as markup
        drill = record.drill
        if any(page.drill is not None for page in lesson.pages):
            table.caption = Text(f"Drill: {drill.asked} asked, {drill.right} right, {drill.missed} missed, "
                                 f"{drill.skipped} skipped · streak {drill.streak} · best {drill.best}"
                                 if drill.asked else "Drill: not tried yet")
            table.caption_justify = "left"
        return table
