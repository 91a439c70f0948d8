"""An endless drill: questions from random layers torch accepts, a streak, a worked solution
on a miss. Answers are parsed and checked like any exercise."""

from __future__ import annotations

import random

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tutor.course.answers import AnswerError, check
from tutor.labs.drill import Question, question
from tutor.widgets.prose import Prose
from tutor.widgets.text import Plain


class DrillCard(Vertical):
    """One question at a time; a right answer brings the next, a miss shows the solution."""

    HELP = """
### Drill
Type the answer and press **Enter**. **Ctrl+N** asks a new question.
"""

    BINDINGS = [Binding("ctrl+n", "next", "New question", tooltip="Ask another question")]

    DEFAULT_CSS = """
    DrillCard { height: auto; border: round $accent; border-title-color: $accent; padding: 0 1; margin: 1 0; }
    DrillCard Markdown { margin: 0; padding: 0; }
    DrillCard #drill-feedback, DrillCard #drill-solution { height: auto; }
    DrillCard #drill-feedback.-wrong { color: $error; }
    DrillCard #drill-feedback.-correct { color: $success; }
    """

    def __init__(self, seed: int) -> None:
        super().__init__(id="drill")
        self.rng = random.Random(seed)
        self.question: Question | None = None
        self.streak = self.best = self.asked = 0
        self.border_title = "Drill"

    def compose(self) -> ComposeResult:
        yield Prose("Preparing a question…", id="drill-prompt")
        yield Input(placeholder="your answer, then Enter", max_length=200, id="answer")
        yield Plain(id="drill-feedback")
        yield Plain(id="drill-solution")

    def on_mount(self) -> None:
        self.call_after_refresh(self.action_next)

    def action_next(self) -> None:
        """Another question; what was said about the last one goes with it."""
        for part in ("#drill-feedback", "#drill-solution"):
            self.query_one(part, Plain).update("")
        self._ask()

    @work(thread=True, exclusive=True, group="drill", exit_on_error=False)
    def _ask(self) -> Question:
        return question(self.rng)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "drill" and event.state == WorkerState.SUCCESS:
            self.question = event.worker.result
            self.asked += 1
            self.query_one("#drill-prompt", Prose).update(f"**{self.asked}.** {self.question.prompt}")
            self.query_one("#answer", Input).value = ""

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.question is None:
            return
        feedback = self.query_one("#drill-feedback", Plain)
        try:
            verdict = check(self.question.expected, event.value)
        except AnswerError as error:
            feedback.update(str(error))
            feedback.set_class(True, "-wrong")
            return
        solution = self.query_one("#drill-solution", Plain)
        if verdict.correct:
            self.streak += 1
            self.best = max(self.best, self.streak)
            solution.update("")
            self._ask()
        else:
            self.streak = 0
            solution.update("Worked solution:\n" + self.question.expected.solution + "\n(Ctrl+N: another question)")
        feedback.update(f"{'✓' if verdict.correct else '✗'} {verdict.message}   streak {self.streak} · best {self.best}")
        feedback.set_class(not verdict.correct, "-wrong")
        feedback.set_class(verdict.correct, "-correct")
        self.border_title = f"Drill: streak {self.streak} · best {self.best}"
