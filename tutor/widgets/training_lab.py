"""The training lab's view (a ``TrainingSession``): ``Conv2d(1, 3, 3) -> ReLU -> Conv2d(3, 1, 1)``
trained by SGD, live, from equal or random starting weights. Training runs in a worker thread;
keys keep working."""

from __future__ import annotations

from textual import on
from textual.widgets import Sparkline

from tutor.labs.session import Address
from tutor.numbers import format_number
from tutor.widgets.flow import Flow
from tutor.widgets.live_training import LiveTrainingView
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
STEPS_PER_FRAME = 5
MAX_STEPS = 5000
CHART_STEPS = 200  # the loss chart shows the last 200 steps


class TrainingLabView(LiveTrainingView):
    """Live SGD on a tiny net; ``s`` steps once, Space runs or pauses, ``r`` starts again."""

    HELP = """
### Training lab
**s** trains one step, **Space** runs or pauses, **r** starts again. **Tab** to *init* or *lr*
and press **← / →** to change them (a new init starts again; a new rate applies at once).
"""

    KEY_HELP = {"play": "Run or pause training", "reset": "Start training again from the chosen weights"}

    DEFAULT_CSS = """
    TrainingLabView #loss { height: 3; }
    TrainingLabView #loss-scale { color: $text-muted; margin: 0 0 1 0; }
    TrainingLabView #train-status { margin-top: 1; text-style: bold; }
    """

    def make_session(self):
        from tutor.labs.training import TrainingSession

        return TrainingSession(self.spec)

    @property
    def stepping(self) -> bool:
        return False  # this lab's Space runs training, not a window

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("play", "train_step"):
            return True if self.ready else None
        return super().check_action(action, parameters)

    def parts(self):
        s = self.session
        yield Flow(Stepper("init", ("equal", "random"), s.init, id="set-init"),
                   Stepper("lr", RATES, s.lr, id="set-lr"), classes="lab-row settings")
        yield Plain(id="train-status")
        yield Sparkline([], id="loss")
        yield Plain(id="loss-scale")
        yield Plain("Hidden kernels: hidden.weight[:, 0]", classes="lab-heading")
        yield self._row("w", "kernel")
        yield Plain("Their gradients in the last step: hidden.weight.grad[:, 0]", classes="lab-heading")
        yield self._row("g", "grad")
        yield Plain("The target (the digit's edges) and what the net draws now", classes="lab-heading")
        yield Flow(TensorGrid(s.target, compact=True, label="target", address=Address("target"), id="target"),
                   TensorGrid(s.snapshot.output, compact=True, label="net output", address=Address("y", (0,))),
                   classes="lab-row")

    def _row(self, tensor: str, label: str) -> Flow:
        # hidden.weight[i, 0] is kernel i; its gradient is shown as g-i
        addresses = [Address(tensor, (i, 0) if tensor == "w" else (i,)) for i in self.session.hidden]
        return Flow(*(TensorGrid(self.session.slice(a), label=f"{label} {a.index[0]}", address=a)
                      for a in addresses), classes="lab-row")

    def intro(self) -> str:
        return "Conv2d(1, 3, 3, padding=1) → ReLU → Conv2d(3, 1, 1), SGD on the mean squared error."

    # --- training -----------------------------------------------------------------------------
    def action_train_step(self) -> None:
        if self.ready:
            self.playing = False
            self._show(self.session.step())

    def watch_playing(self, playing: bool) -> None:
        if playing and self.ready:
            self.start_training()
        elif self.ready:
            self._show(self.session.snapshot)  # the status line drops "running"

    def train_chunk(self):
        snapshot = self.session.step(STEPS_PER_FRAME)
        return snapshot, snapshot.step >= MAX_STEPS

    def show_trained(self, snapshot) -> None:
        self._show(snapshot)

    def show_current(self) -> None:
        self._show(self.session.trainer.snapshot())

    def finished_text(self) -> str:
        return f"Stopped after {MAX_STEPS} steps: r starts again."

    def _warn(self, diverging: bool) -> None:
        """While the loss grows, say so with its numbers as they are now; say once when it no
        longer does."""
        losses = self.session.snapshot.losses
        if diverging:
            self.say(f"The loss is growing ({format_number(losses[0])} at the start, {format_number(losses[-1])} "
                     f"now): lr {self.session.lr} is too large, each step overshoots. Lower lr, or r to start again.",
                     error=True)
        elif getattr(self, "_warned", False):
            self.say("The loss is below where it started again.")
        self._warned = diverging

    def reset(self) -> None:
        self.playing = False
        self.session.restart()
        self._show(self.session.snapshot)
        self.say(f"Started again from {self.session.init} weights.")

    @on(Stepper.Changed)
    def _setting_changed(self, event: Stepper.Changed) -> None:
        event.stop()
        if self.asked(event) is None:
            return
        if event.stepper.id == "set-init":
            self.playing = False
            self.session.restart(event.value)
            self._show(self.session.snapshot)
            self.say(f"Started again from {self.session.init} weights.")
        else:
            self.session.set_lr(event.value)
            self.say(f"Learning rate {event.value}: SGD goes on with it.")

    def refresh_views(self) -> None:
        self._show(self.session.snapshot)

    def _show(self, snap) -> None:
        self.session.snapshot = snap
        self.update_grids(a for a in self.grids if a.tensor != "target")
        self.query_one("#loss", Sparkline).data = list(snap.losses[-CHART_STEPS:])
        self.query_one("#loss-scale", Plain).update(self.session.loss_scale(CHART_STEPS))
        self._warn(self.session.diverging)
        loss = format_number(snap.losses[-1]) if snap.losses else "–"
        same = "yes" if snap.gradients_identical else "no"
        self.query_one("#train-status", Plain).update(
            f"step {snap.step} · loss {loss} · distinct hidden kernels: {snap.distinct_kernels} of "
            f"{len(snap.kernels)} · gradients identical this step: {same if snap.step else '–'}"
            f"{' · running' if self.playing else ''}")
