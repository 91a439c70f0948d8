"""An exercise: a question, an answer box, feedback that fits the mistake, hints and a reveal.

The expected answer is computed by the engine (in a worker: it needs torch) from the lesson's
description; the learner's text is parsed, never evaluated. The card starts from the learner's
saved record and reports every change up as ``ExerciseCard.Changed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from tutor.course.answers import AnswerError, Expected, check
from tutor.course.model import Exercise, LabSpec
from tutor.course.progress import ExerciseRecord
from tutor.labs.expected import expected
from tutor.widgets.prose import Prose
from tutor.widgets.sight import out_of_sight
from tutor.widgets.text import Plain
from tutor.widgets.verdict import show_verdict

PLACEHOLDERS = {
    "shape": "a shape, e.g. [1, 2, 4, 4] or 1x2x4x4 — then Enter",
    "number": "a number, e.g. -1.5 — then Enter",
    "integer": "a whole number, e.g. 42 — then Enter",
    "choice": "the letter of your choice — then Enter",
}
TITLES = {"unanswered": "Exercise", "wrong": "Exercise: not yet", "correct": "Exercise: solved ✓",
          "revealed": "Exercise: solution revealed"}


class ExerciseCard(Vertical):
    """One checked question; ``status`` is unanswered, wrong, correct or revealed."""

    HELP = """
### Exercise
Type your answer and press **Enter**. **Ctrl+T** shows the next hint, **Ctrl+R** reveals the
worked solution. Shapes may be written `[1, 3, 3, 3]`, `(1,3,3,3)`, `1x3x3x3` or
`torch.Size([1, 3, 3, 3])`. In the answer box **?** is typed like any character: **F1** opens
this help from there.
"""

    BINDINGS = [
        Binding("ctrl+t", "hint", "Hint", tooltip="Show the next hint"),
        Binding("ctrl+r", "reveal", "Reveal", tooltip="Show the worked solution"),
    ]

    DEFAULT_CSS = """
    ExerciseCard {
        height: auto;
        border: round $secondary;
        border-title-color: $secondary;
        padding: 0 1;
        margin: 1 0;
    }
    ExerciseCard.-correct { border: round $success; border-title-color: $success; }
    ExerciseCard.-revealed { border: round $warning; border-title-color: $warning; }
    ExerciseCard Markdown { margin: 0; padding: 0; }
    ExerciseCard #feedback, ExerciseCard #hints, ExerciseCard #solution { height: auto; }
    ExerciseCard #feedback.-wrong { color: $error; }
    ExerciseCard #feedback.-stale { color: $text-muted; }
    ExerciseCard #feedback.-correct { color: $success; text-style: bold; }
    ExerciseCard #hints { color: $text-muted; }
    ExerciseCard #solution { margin-top: 1; }
    """

    status: reactive[str] = reactive("unanswered", init=False)
    hints_shown: reactive[int] = reactive(0, init=False)

    @dataclass
    class Changed(Message):
        """The learner answered (``attempted``), took a hint or revealed the solution. Progress
        counts only go up: the record adds the attempt and keeps the furthest hint."""

        card: ExerciseCard
        attempted: bool = False

        @property
        def control(self) -> ExerciseCard:
            return self.card

    def __init__(self, exercise: Exercise, labs: dict[str, LabSpec], record: ExerciseRecord | None = None) -> None:
        super().__init__(id=f"exercise-{exercise.id}")
        self.exercise = exercise
        self.labs = labs
        self.expected: Expected | None = None
        record = record or ExerciseRecord()
        self.attempts, self.solved, self.revealed = record.attempts, record.solved, record.revealed
        self._pending: str | None = None  # an answer given before torch had loaded
        self._answered: str | None = None  # the text the verdict shown is about
        self._verdict = ""
        self.set_reactive(ExerciseCard.hints_shown, min(record.hints, len(exercise.hints)))

    def compose(self) -> ComposeResult:
        options = "".join(f"\n- **({c.key})** {c.text}" for c in self.exercise.choices)
        yield Prose(self.exercise.prompt + ("\n" + options if options else ""))
        yield Input(placeholder=PLACEHOLDERS[self.exercise.answer.kind], max_length=200, id="answer")
        yield Plain(id="feedback")
        yield Plain(id="hints")
        yield Plain(id="solution")

    def on_mount(self) -> None:
        self._put("feedback", "")
        self._put("solution", "")
        self.watch_hints_shown(self.hints_shown)
        self.status = "revealed" if self.revealed else "correct" if self.solved else "unanswered"
        self.watch_status(self.status)
        self.call_after_refresh(self._compute)

    # --- the expected answer -----------------------------------------------------------------
    @work(thread=True, group="expected", exit_on_error=False)
    def _compute(self) -> Expected:
        return expected(self.exercise.answer, self.labs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The answer arrives as a message: if the page was turned meanwhile, it is dropped."""
        if event.worker.group != "expected":
            return
        if event.state == WorkerState.SUCCESS:
            self.expected = event.worker.result
            if self.solved or self.revealed:
                self._show_solution()
            if self._pending is not None:
                self._submit(self._pending)
        elif event.state == WorkerState.ERROR:
            self._feedback(f"This exercise cannot be checked: {event.worker.error}", "wrong")

    # --- answering ---------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit(event.value)

    def _submit(self, text: str) -> None:
        if self.expected is None:
            self._pending = text
            self._feedback("Checking as soon as PyTorch has loaded…", "")
            return
        self._pending, self._answered = None, text
        try:
            verdict = check(self.expected, text, self.exercise.choices)
        except AnswerError as error:
            self._feedback(str(error), "wrong")  # unreadable: not counted as an attempt
            return
        if self.solved:  # practice after the solve: checked, but the record is complete
            state = "correct" if verdict.correct else "wrong"
            self._feedback(f"{'✓' if verdict.correct else '✗'} {verdict.message}  (already solved: not counted)", state)
            return
        self.attempts += 1
        if verdict.correct:
            self.solved = True
            self._feedback(f"✓ {verdict.message}", "correct")
            self._show_solution()
            self.status = "revealed" if self.revealed else "correct"
        else:
            message = verdict.message if verdict.mistake else f"{verdict.message} {self._next_hint()}"
            self._feedback(f"✗ {message}  (attempt {self.attempts})", "wrong")
            if self.status == "unanswered":
                self.status = "wrong"
        self.post_message(self.Changed(self, attempted=True))

    def _next_hint(self) -> str:
        """A wrong answer that no known mistake explains gets the next hint, not a bare "no"."""
        if self.hints_shown < len(self.exercise.hints):
            self.hints_shown += 1
            return f"Hint {self.hints_shown} is below."
        return "Try again, or Ctrl+R for the worked solution." if not self.revealed else "The solution is below."

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """Typing into a box the page does not show (a page opens at its top, its first box
        focused) brings the box into view: the learner sees what they type."""
        if event.input.has_focus and out_of_sight(event.input):
            event.input.scroll_visible(animate=False)

    @on(Input.Changed)
    def _retyping(self, event: Input.Changed) -> None:
        """The verdict shown is about the answer checked: once the box says something else, it says so."""
        feedback = self.query_one("#feedback", Plain)
        stale = self._answered is not None and event.value != self._answered
        if feedback.has_class("-wrong") and self._verdict:
            feedback.update(f"(your last answer) {self._verdict}" if stale else self._verdict)
            feedback.set_class(stale, "-stale")

    def action_hint(self) -> None:
        hints = self.exercise.hints
        if not hints:
            self._put("hints", "This exercise has no hints: Ctrl+R reveals the solution.")
        elif self.hints_shown < len(hints):
            self.hints_shown += 1
            self.post_message(self.Changed(self))
            self.call_after_refresh(self.query_one("#hints").scroll_visible)  # the new hint, laid out
        else:
            self.notify("That was the last hint: Ctrl+R reveals the worked solution.")

    def action_reveal(self) -> None:
        if self.expected is None:
            self._feedback("The solution is being computed; try again in a moment.", "")
            return
        if not self.revealed and not self.solved:
            self.revealed = True
            self.status = "revealed"
            self.post_message(self.Changed(self))
        self._show_solution()
        solution = self.query_one("#solution", Plain)
        self.call_after_refresh(solution.scroll_visible, top=True)  # its start, not only its heading

    # --- drawing -------------------------------------------------------------------------------
    def _put(self, part: str, text: str) -> Plain:
        """Write ``text`` into a part of the card; an empty part takes no room."""
        static = self.query_one(f"#{part}", Plain)
        static.update(text)
        static.display = bool(text)
        return static

    def _feedback(self, text: str, state: str) -> None:
        self._verdict = text
        feedback = self._put("feedback", text)
        feedback.remove_class("-stale")
        show_verdict(feedback, self.query_one("#answer", Input), state)
        self.call_after_refresh(self.scroll_visible)  # the verdict appears below the box: show it

    def _show_solution(self) -> None:
        self._put("solution", "Worked solution:\n" + self.expected.solution)

    def watch_hints_shown(self, shown: int) -> None:
        lines = [f"Hint {i + 1}: {hint}" for i, hint in enumerate(self.exercise.hints[:shown])]
        self._put("hints", "\n".join(lines))

    def watch_status(self, status: str) -> None:
        self.set_class(status == "correct", "-correct")
        self.set_class(status == "revealed", "-revealed")
        self.border_title = TITLES[status]
