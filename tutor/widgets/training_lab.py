"""The training lab: ``Conv2d(1, 3, 3) -> ReLU -> Conv2d(3, 1, 1)`` trained by SGD, live, from
equal or random starting weights. Training runs in a worker thread; keys keep working."""

from __future__ import annotations

import time

from textual import on, work
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Sparkline
from textual.worker import get_current_worker

from tutor.course.labs import trainer
from tutor.course.model import TrainingLab as TrainingLabSpec
from tutor.numbers import format_number
from tutor.widgets.lab import Lab, address
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
STEPS_PER_FRAME = 5
FRAME_SECONDS = 1 / 20
MAX_STEPS = 5000


class TrainingLab(Lab):
    """Live SGD on a tiny net; ``s`` steps once, Space runs or pauses, ``r`` starts again."""

    HELP = """
### Training lab
**s** trains one step, **Space** runs or pauses, **r** starts again. **Tab** to *init* or *lr*
and press **← / →** to change them (a new init starts again; a new rate applies at once).
"""

    DEFAULT_CSS = """
    TrainingLab #loss { height: 3; margin: 0 0 1 0; }
    TrainingLab #train-status { margin-top: 1; text-style: bold; }
    """

    class Trained(Message):
        """A worker took some steps: here is the state after them."""

        def __init__(self, snapshot, finished: bool) -> None:
            super().__init__()
            self.snapshot, self.finished = snapshot, finished

    def __init__(self, spec: TrainingLabSpec, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(show, id=id)
        self.spec = spec
        self.init, self.lr = spec.init, spec.lr
        self.trainer = self.snapshot = self.target = None

    def build(self):
        from tutor.engine import symmetry

        run = trainer(self.spec)
        return run, run.snapshot(), symmetry.edge_magnitude(run.x[0, 0].numpy())

    def adopt(self, state) -> None:
        self.trainer, self.snapshot, self.target = state

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.snapshot.kernels.shape

    @property
    def stepping(self) -> bool:
        return False  # this lab's Space runs training, not a window

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("play", "train_step"):
            return True if self.ready else None
        return super().check_action(action, parameters)

    def parts(self):
        snap = self.snapshot
        yield Horizontal(Stepper("init", ("equal", "random"), self.init, id="set-init"),
                         Stepper("lr", RATES, self.lr, id="set-lr"), classes="lab-row settings")
        yield Plain(id="train-status")
        yield Sparkline([], id="loss")
        hidden = range(len(snap.kernels))
        yield Plain("Hidden kernels: hidden.weight[:, 0]", classes="lab-heading")
        yield Horizontal(*(TensorGrid(snap.kernels[i], label=f"kernel {i}", id=f"w-{i}-0") for i in hidden),
                         classes="lab-row")
        yield Plain("Their gradients in the last step: hidden.weight.grad[:, 0]", classes="lab-heading")
        yield Horizontal(*(TensorGrid(snap.gradients[i], label=f"grad {i}", id=f"g-{i}") for i in hidden),
                         classes="lab-row")
        yield Plain("The target (the digit's edges) and what the net draws now", classes="lab-heading")
        yield Horizontal(TensorGrid(self.target, compact=True, label="target", id="target"),
                         TensorGrid(snap.output, compact=True, label="net output", id="y-0"), classes="lab-row")

    def intro(self) -> str:
        return "Conv2d(1, 3, 3, padding=1) → ReLU → Conv2d(3, 1, 1), SGD on the mean squared error."

    # --- training -----------------------------------------------------------------------------
    def action_train_step(self) -> None:
        if self.ready:
            self.playing = False
            self._show(self.trainer.step())

    def watch_playing(self, playing: bool) -> None:
        if playing and self.ready:
            self._run()
        elif self.ready:
            self._show(self.snapshot)  # the status line drops "running"

    @work(thread=True, exclusive=True, group="train")
    def _run(self) -> None:
        """Train in chunks while playing; each chunk's result goes to the screen as a message."""
        worker, run = get_current_worker(), self.trainer
        while self.playing and not worker.is_cancelled:
            snapshot = run.step(STEPS_PER_FRAME)
            finished = snapshot.step >= MAX_STEPS
            self.post_message(self.Trained(snapshot, finished))
            if finished:
                return
            time.sleep(FRAME_SECONDS)

    @on(Trained)
    def _trained(self, event: Trained) -> None:
        if self.playing or event.finished:
            self._show(event.snapshot)
        if event.finished:
            self.playing = False
            self.say(f"Stopped after {MAX_STEPS} steps: r starts again.")

    def _restart(self) -> None:
        self.playing = False
        self.trainer = trainer(self.spec, init=self.init, lr=self.lr)
        self._show(self.trainer.snapshot())

    def reset(self) -> None:
        self._restart()
        self.say(f"Started again from {self.init} weights.")

    @on(Stepper.Changed)
    def _setting_changed(self, event: Stepper.Changed) -> None:
        event.stop()
        if event.stepper.id == "set-init":
            self.init = event.value
            self.reset()
        else:
            self.lr = event.value
            self.trainer.set_lr(self.lr)
            self.say(f"Learning rate {self.lr}: SGD goes on with it.")

    def refresh_views(self) -> None:
        self._show(self.snapshot)

    def _show(self, snap) -> None:
        self.snapshot = snap
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            if kind == "w":
                grid.values = snap.kernels[index[0]].tolist()
            elif kind == "g":
                grid.values = snap.gradients[index[0]].tolist()
            elif kind == "y":
                grid.values = snap.output.tolist()
        self.query_one("#loss", Sparkline).data = list(snap.losses[-200:])
        loss = format_number(snap.losses[-1]) if snap.losses else "–"
        same = "yes" if snap.gradients_identical else "no"
        self.query_one("#train-status", Plain).update(
            f"step {snap.step} · loss {loss} · distinct hidden kernels: {snap.distinct_kernels} of "
            f"{len(snap.kernels)} · gradients identical this step: {same if snap.step else '–'}"
            f"{' · running' if self.playing else ''}")
