"""Cards of fresh questions: the endless drill (random layers torch accepts, a streak) and the
review of due skills. Answers are parsed and checked like any exercise; a miss shows the worked
solution."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tutor.course.answers import AnswerError, check
from tutor.course.progress import DrillRecord
from tutor.labs.drill import Question, question
from tutor.labs.review import review_question
from tutor.widgets.prose import Prose
from tutor.widgets.text import Plain
from tutor.widgets.verdict import show_verdict


class QuestionCard(Vertical):
    """One fresh question at a time (``next_question``, run in a worker). An answer is checked; a
    miss shows the worked solution, after which the question no longer counts; Ctrl+N asks
    another (one not answered is skipped). What an answer means is the subclass's: ``answered``
    and ``skipped``."""

    BINDINGS = [Binding("ctrl+n", "next", "New question", tooltip="Ask another question (a skip ends the streak)")]

    DEFAULT_CSS = """
    QuestionCard { height: auto; border: round $accent; border-title-color: $accent; padding: 0 1; margin: 1 0; }
    QuestionCard Markdown { margin: 0; padding: 0; }
    QuestionCard #drill-feedback, QuestionCard #drill-solution { height: auto; }
    QuestionCard #drill-feedback.-wrong { color: $error; }
    QuestionCard #drill-feedback.-correct { color: $success; }
    """

    COUNTED = "counted"  # what happens to an answer that counts (the drill scores it)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.question: Question | None = None
        self.answered = False  # the question on screen has been answered (right, or missed)
        self.asked = 0

    # --- for subclasses ---------------------------------------------------------------------
    def next_question(self) -> Question | None:
        """The next question (a worker thread: torch), or None when there is none to ask."""
        raise NotImplementedError

    def on_answer(self, correct: bool) -> str:
        """Count an answer; returns what to add to the feedback (a score)."""
        return ""

    def on_skip(self) -> str:
        """Count a skip; returns what to say."""
        return ""

    def finished(self) -> str:
        """What to say when ``next_question`` has nothing more."""
        return "No more questions."

    # --- asking and checking -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Prose("Preparing a question…", id="drill-prompt")
        yield Input(placeholder="your answer, then Enter", max_length=200, id="answer")
        yield Plain(id="drill-feedback")
        yield Plain(id="drill-solution")

    def on_mount(self) -> None:
        self.call_after_refresh(self._ask)

    def action_next(self) -> None:
        """Another question; one left unanswered counts as skipped."""
        said = self.on_skip() if self.question is not None and not self.answered else ""
        self._say(said, "wrong" if said else "")
        self.query_one("#drill-solution", Plain).update("")
        self._ask()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _ask(self) -> Question | None:
        return self.next_question()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "drill" or event.state != WorkerState.SUCCESS:
            return
        self.question, self.answered = event.worker.result, False
        if self.question is None:
            self.query_one("#drill-prompt", Prose).update(self.finished())
            answer = self.query_one("#answer", Input)
            if answer.has_focus:
                self.screen.focus_next()  # not a hidden box: keys would go nowhere
            answer.display = False
            return
        self.asked += 1
        self.query_one("#drill-prompt", Prose).update(f"**{self.asked}.** {self.question.prompt}")
        self.query_one("#answer", Input).value = ""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.question is None:
            return
        try:
            verdict = check(self.question.expected, event.value)
        except AnswerError as error:
            self._say(str(error), "wrong")
            return
        mark, state = ("✓", "correct") if verdict.correct else ("✗", "wrong")
        if self.answered:  # the solution is on screen: checked, not counted
            self._say(f"{mark} {verdict.message}   (the solution was shown: not {self.COUNTED}; Ctrl+N: next)", state)
            return
        self.answered = True
        score = self.on_answer(verdict.correct)
        if verdict.correct:
            self._ask()
        else:
            self.query_one("#drill-solution", Plain).update(
                "Worked solution:\n" + self.question.expected.solution + "\n(Ctrl+N: another question)")
        self._say(f"{mark} {verdict.message}" + (f"\n{score}" if score else ""), state)

    def _say(self, text: str, state: str) -> None:
        feedback = self.query_one("#drill-feedback", Plain)
        feedback.update(text)
        show_verdict(feedback, self.query_one("#answer", Input), state)


class DrillCard(QuestionCard):
    """The endless drill: a right answer scores and brings the next; a miss or a skip ends the
    streak. Every change of the score is reported up as ``DrillCard.Scored``, with the skill and
    the result of an answer, so that progress keeps both."""

    COUNTED = "scored"

    HELP = """
### Drill
Type the answer and press **Enter**. **Ctrl+N** asks a new question (skipping one you have not
answered ends the streak). After a miss, the worked solution is shown and that question no
longer scores.
"""

    @dataclass
    class Scored(Message):
        """The drill's record changed (an answer, a miss or a skip); ``answer`` is the skill and
        the result of an answer ("right" or "missed"), None for a skip."""

        record: DrillRecord
        answer: tuple[str, str] | None = None

    def __init__(self, seed: int, record: DrillRecord | None = None) -> None:
        super().__init__(id="drill")
        self.record = replace(record) if record else DrillRecord()  # its own copy: the app keeps progress
        self.rng = random.Random(f"{seed}-{self.record.asked}")  # a restart goes on to new questions
        self._title()

    @property
    def streak(self) -> int:
        return self.record.streak

    @property
    def best(self) -> int:
        return self.record.best

    def next_question(self) -> Question:
        return question(self.rng)

    def on_answer(self, correct: bool) -> str:
        if correct:
            self.record.right += 1
            self.record.streak += 1
            self.record.best = max(self.record.best, self.record.streak)
        else:
            self.record.missed += 1
            self.record.streak = 0
        self._scored((self.question.skill, "right" if correct else "missed"))
        return self._score()

    def on_skip(self) -> str:
        self.record.skipped += 1
        self.record.streak = 0
        self._scored(None)
        return f"Skipped: the streak starts again.\n{self._score()}"

    def _scored(self, answer: tuple[str, str] | None) -> None:
        self._title()
        self.post_message(self.Scored(self.record, answer))

    def _score(self) -> str:
        return f"streak {self.record.streak} · best {self.record.best}"

    def _title(self) -> None:
        self.border_title = f"Drill: {self._score()}" if self.record.asked else "Drill"


class ReviewCard(QuestionCard):
    """Fresh questions for the skills that are due, one each, in the order given. Each answer is
    reported up as ``ReviewCard.Answered``; a skip asks the same skill again later."""

    HELP = """
### Review
The skills due today, one fresh question each. Type the answer and press **Enter**. A miss shows
the worked solution; the skill is asked again tomorrow. **Ctrl+N** skips to the next question.
"""

    @dataclass
    class Answered(Message):
        skill: str
        result: str  # "right" or "missed"

    def __init__(self, skills: list[str], seed: int | str) -> None:
        super().__init__(id="review")
        self.queue = list(skills)
        self.total = len(skills)
        self.rng = random.Random(seed)
        self.next_review: str | None = None  # the day of the next review, said when none is left today
        self._title()

    def _title(self) -> None:
        done = self.total - len(self.queue) - (self.question is not None and not self.answered)
        self.border_title = (f"Review: {done} of {self.total} due skill{'s' if self.total != 1 else ''} done"
                             if self.total else "Review")

    def next_question(self) -> Question | None:
        return review_question(self.queue.pop(0), self.rng) if self.queue else None

    def on_answer(self, correct: bool) -> str:
        self.post_message(self.Answered(self.question.skill, "right" if correct else "missed"))
        self._title()
        return f"{self.total - len(self.queue)} of {self.total} reviewed"

    def on_skip(self) -> str:
        self.queue.append(self.question.skill)  # asked again at the end
        return "Skipped: asked again at the end."

    def finished(self) -> str:
        done = (f"All {self.total} due skill{'s' if self.total != 1 else ''} reviewed." if self.total
                else "Nothing is due for review today.")
        after = f" The next review is on {self.next_review}." if self.next_review else ""
        return f"{done}{after} Esc: back to the lessons."
