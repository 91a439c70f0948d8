"""An endless drill: questions from random layers torch accepts, a streak, a worked solution
on a miss. Answers are parsed and checked like any exercise."""

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
from tutor.widgets.prose import Prose
from tutor.widgets.text import Plain


class DrillCard(Vertical):
    """One question at a time. A right answer scores and brings the next; a wrong one ends the
    streak and shows the worked solution, after which that question no longer scores; Ctrl+N on
    a question not yet answered is a skip, and ends the streak too. Every change of the score is
    reported up as ``DrillCard.Scored``, so that progress keeps it."""

    HELP = """
### Drill
Type the answer and press **Enter**. **Ctrl+N** asks a new question (skipping one you have not
answered ends the streak). After a miss, the worked solution is shown and that question no
longer scores.
"""

    BINDINGS = [Binding("ctrl+n", "next", "New question", tooltip="Ask another question (a skip ends the streak)")]

    DEFAULT_CSS = """
    DrillCard { height: auto; border: round $accent; border-title-color: $accent; padding: 0 1; margin: 1 0; }
    DrillCard Markdown { margin: 0; padding: 0; }
    DrillCard #drill-feedback, DrillCard #drill-solution { height: auto; }
    DrillCard #drill-feedback.-wrong { color: $error; }
    DrillCard #drill-feedback.-correct { color: $success; }
    """

    @dataclass
    class Scored(Message):
        """The drill's record changed (an answer, a miss or a skip)."""

        record: DrillRecord

    def __init__(self, seed: int, record: DrillRecord | None = None) -> None:
        super().__init__(id="drill")
        self.record = replace(record) if record else DrillRecord()  # its own copy: the app keeps progress
        self.rng = random.Random(f"{seed}-{self.record.asked}")  # a restart goes on to new questions
        self.question: Question | None = None
        self.answered = False  # the question on screen has been answered (right, or missed)
        self.asked = 0
        self._title()

    @property
    def streak(self) -> int:
        return self.record.streak

    @property
    def best(self) -> int:
        return self.record.best

    def compose(self) -> ComposeResult:
        yield Prose("Preparing a question…", id="drill-prompt")
        yield Input(placeholder="your answer, then Enter", max_length=200, id="answer")
        yield Plain(id="drill-feedback")
        yield Plain(id="drill-solution")

    def on_mount(self) -> None:
        self.call_after_refresh(self._ask)

    def action_next(self) -> None:
        """Another question; one left unanswered counts as skipped."""
        skipped = self.question is not None and not self.answered
        if skipped:
            self.record.skipped += 1
            self.record.streak = 0
            self._scored()
        self._say(f"Skipped: the streak starts again.\n{self._score()}" if skipped else "", "wrong" if skipped else "")
        self.query_one("#drill-solution", Plain).update("")
        self._ask()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _ask(self) -> Question:
        return question(self.rng)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "drill" and event.state == WorkerState.SUCCESS:
            self.question, self.answered = event.worker.result, False
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
        mark = "✓" if verdict.correct else "✗"
        if self.answered:  # the solution is on screen: checked, not scored
            self._say(f"{mark} {verdict.message}   (the solution was shown: not scored; Ctrl+N: next)",
                      "correct" if verdict.correct else "wrong")
            return
        self.answered = True
        if verdict.correct:
            self.record.right += 1
            self.record.streak += 1
            self.record.best = max(self.record.best, self.record.streak)
            self._ask()
        else:
            self.record.missed += 1
            self.record.streak = 0
            self.query_one("#drill-solution", Plain).update(
                "Worked solution:\n" + self.question.expected.solution + "\n(Ctrl+N: another question)")
        self._scored()
        self._say(f"{mark} {verdict.message}\n{self._score()}", "correct" if verdict.correct else "wrong")

    def _scored(self) -> None:
        self._title()
        self.post_message(self.Scored(self.record))

    def _score(self) -> str:
        return f"streak {self.record.streak} · best {self.record.best}"

    def _title(self) -> None:
        self.border_title = f"Drill: {self._score()}" if self.record.asked else "Drill"

    def _say(self, text: str, state: str) -> None:
        feedback = self.query_one("#drill-feedback", Plain)
        feedback.update(text)
        feedback.set_class(state == "wrong", "-wrong")
        feedback.set_class(state == "correct", "-correct")
