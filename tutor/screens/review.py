"""Skills and review: every skill's mastery and next review, then fresh questions for the skills
due today. Opened by ``cnn-tutor review`` or from the lesson list."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header

from tutor.course.mastery import SkillState
from tutor.course.skills import SKILLS
from tutor.labs.review import GENERATORS
from tutor.screens.base import TutorScreen
from tutor.widgets.drill import ReviewCard
from tutor.widgets.page import Page
from tutor.widgets.text import Plain


def skills_table(states: dict[str, SkillState], today: date) -> str:
    """One line a skill: its level, its answers, and when it is next reviewed."""
    lines = [f"{'skill':<26} {'level':<10} {'right':>5} {'helped':>6} {'missed':>6}   next review"]
    for skill, title in SKILLS.items():
        state = states.get(skill, SkillState())
        if state.box == 0:
            when = "not yet"
        elif skill not in GENERATORS:
            when = "in its lesson"
        elif state.is_due(today):
            when = "due today"
        else:
            when = state.due
        lines.append(f"{title:<26} {state.level:<10} {state.right:>5} {state.helped:>6} {state.missed:>6}   {when}")
    return "\n".join(lines)


class ReviewScreen(TutorScreen):
    """The skills, then a card of fresh questions for those due (Esc: the lesson list)."""

    help_title = "skills and review"

    BINDINGS = [Binding("escape", "lessons", "Lessons", tooltip="Back to the lesson list")]

    DEFAULT_CSS = """
    ReviewScreen #skills { height: auto; margin: 1 1 0 1; }
    ReviewScreen #review-intro { height: auto; margin: 1 1 0 1; }
    """

    def __init__(self, due: list[str]) -> None:
        super().__init__()
        self.due = [skill for skill in due if skill in GENERATORS]

    def compose(self) -> ComposeResult:
        yield Header()
        with Page(id="page"):
            yield Plain(id="skills")
            yield Plain("Fresh questions for the skills due today: a right answer without help moves a skill up "
                        "and its next review further off (1, 3, 7, 16, 35 days); one after a hint or a revealed "
                        "solution (helped) keeps its level; a miss moves it down. Either asks again tomorrow.",
                        id="review-intro")
            # Seeded by the day and the answers so far: a review opened again asks new questions.
            yield ReviewCard(self.due, f"{self.app.today()}-{len(self.app.progress.history)}")
        yield Footer()

    def on_mount(self) -> None:
        self.title, self.sub_title = "cnn-tutor", "Skills and review"
        self._show_skills()
        card = self.query_one(ReviewCard)
        card.next_review = self._next_review()
        (card.query_one("#answer") if self.due else self.query_one("#page")).focus(scroll_visible=False)

    def _next_review(self) -> str | None:
        """The day of the next review after today, if any skill waits for one."""
        days = [state.due for skill, state in self.app.progress.skills().items()
                if skill in GENERATORS and state.box and state.due and state.due > self.app.today().isoformat()]
        return min(days, default=None)

    def _show_skills(self) -> None:
        self.query_one("#skills", Plain).update(skills_table(self.app.progress.skills(), self.app.today()))

    @on(ReviewCard.Answered)
    def _answered(self, event: ReviewCard.Answered) -> None:
        self.app.review_answered(event.skill, event.result)
        self._show_skills()
        card = self.query_one(ReviewCard)
        card.next_review = self._next_review()
        card.scroll_visible(animate=False)  # the verdict, even if the learner scrolled up to the table

    def action_lessons(self) -> None:
        self.app.show_lessons()
