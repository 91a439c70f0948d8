"""A training lab's session: ``Conv2d(1, 3, 3) -> ReLU -> Conv2d(3, 1, 1)`` trained by SGD to the
image's edge map, from equal or random starting weights (real autograd)."""

from __future__ import annotations

import math

import numpy as np

from tutor.course.model import TrainingLabSpec
from tutor.engine import symmetry
from tutor.labs.session import Address
from tutor.numbers import format_number


def trainer(spec: TrainingLabSpec, init: str | None = None, lr: float | None = None) -> symmetry.Trainer:
    """A fresh ``Trainer`` for the lab: its image, its edge-magnitude target, its seed."""
    image = np.array(spec.image, dtype=np.float32)
    return symmetry.Trainer(image, symmetry.edge_magnitude(image), init or spec.init, spec.seed, lr or spec.lr)


class TrainingSession:
    """The trainer, its last ``snapshot``, and the ``target`` it learns. Stepping is thread-safe:
    a worker may train while the screen reads snapshots."""

    def __init__(self, spec: TrainingLabSpec) -> None:
        self.spec = spec
        self.init, self.lr = spec.init, spec.lr
        self.restart()
        self.target = symmetry.edge_magnitude(self.trainer.x[0, 0].numpy())

    def restart(self, init: str | None = None) -> None:
        self.init = init or self.init
        self.trainer = trainer(self.spec, init=self.init, lr=self.lr)
        self.snapshot = self.trainer.snapshot()

    def set_lr(self, lr: float) -> None:
        self.lr = lr
        self.trainer.set_lr(lr)

    def step(self, count: int = 1) -> symmetry.Snapshot:
        return self.trainer.step(count)

    @property
    def diverging(self) -> bool:
        """SGD is making the loss worse than where it started (or has overflowed): the rate is too
        large, and each step overshoots."""
        losses = self.snapshot.losses
        return len(losses) > 5 and (not math.isfinite(losses[-1]) or losses[-1] > losses[0])

    def loss_scale(self, shown: int) -> str:
        """What the loss chart's top and bottom stand for, over its last ``shown`` steps."""
        losses = self.snapshot.losses[-shown:]
        if not losses:
            return "loss: no step yet"
        first = self.snapshot.step - len(losses) + 1
        return (f"loss, steps {first}-{self.snapshot.step}: top {format_number(max(losses))}, "
                f"bottom {format_number(min(losses))}")

    @property
    def hidden(self) -> range:
        return range(len(self.snapshot.kernels))

    def slice(self, address: Address) -> np.ndarray:
        snap = self.snapshot
        if address.tensor == "target":
            return self.target
        if address.tensor == "y":
            return snap.output
        return {"w": snap.kernels, "g": snap.gradients}[address.tensor][address.index[0]]
