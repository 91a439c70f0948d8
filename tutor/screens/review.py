"""Skills and review: every skill's mastery and next review, then fresh questions for the skills
due today. Opened by ``cnn-tutor review`` or from the lesson list."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from tutor.course.mastery import SkillState
from tutor.course.skills import SKILLS
from tutor.labs.review import GENERATORS
from tutor.widgets.drill import ReviewCard
from tutor.widgets.text import Plain


def skills_table(states: dict[str, SkillState], today: date) -> str:
    """One line a skill: its level, its answers, and when it is next reviewed."""
    lines = [f"{'skill':<26} {'level':<10} {'right':>5} {'helped':>6} {'missed':>6}   next review"]
    for skill, title in SKILLS.items():
        state = states.get(skill, SkillState())
        if state.box == 0 and not state.missed:
            when = "after its first answer"
        elif skill not in GENERATORS:
            when = "in its lesson's exercises"
        elif state.is_due(today):
            when = "due today"
        else:
            when = state.due
        lines.append(f"{title:<26} {state.level:<10} {state.right:>5} {state.helped:>6} {state.missed:>6}   {when}")
    return "\n".join(lines)


class ReviewScreen(Screen):
    """The skills, then a card of fresh questions for those due (Esc: the lesson list)."""

    help_title = "skills and review"

    BINDINGS = [Binding("escape", "lessons", "Lessons", tooltip="Back to the lesson list")]

    DEFAULT_CSS = """
    ReviewScreen #skills { height: auto; margin: 1 1 0 1; }
    ReviewScreen #review-intro { height: auto; margin: 1 1 0 1; }
    """

    def __init__(self, due: list[str], seed: int | None = None) -> None:
        super().__init__()
        self.due = [skill for skill in due if skill in GENERATORS]
        self.seed = seed

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="page"):
            yield Plain(id="skills")
            yield Plain("Fresh questions for the skills due today: a right answer without help moves a skill up "
                        "and its next review further off (1, 3, 7, 16, 35 days); a miss moves it down and asks "
                        "again tomorrow.", id="review-intro")
            yield ReviewCard(self.due, self.seed if self.seed is not None else date.today().toordinal())
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "cnn-tutor", "Skills and review"
        self._show_skills()
        self.query_one("#answer").focus()

    def _show_skills(self) -> None:
        self.query_one("#skills", Plain).update(skills_table(self.app.progress.skills(), self.app.today()))

    @on(ReviewCard.Answered)
    def _answered(self, event: ReviewCard.Answered) -> None:
        self.app.review_answered(event.skill, event.result)
        self._show_skills()

    def action_lessons(self) -> None:
        self.app.show_lessons()
