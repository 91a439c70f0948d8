"""What a lesson is, once its file has been read and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tutor.engine.spec import ConvSpec

# What a lab page can show; the lesson picks a subset per page.
LAB_PARTS = ("input", "kernels", "output", "steps")
# What an exercise can ask, and the kind of answer each expects.
QUANTITIES = {"output_shape": "shape", "output_value": "number", "parameter_count": "integer"}


@dataclass(frozen=True)
class KernelOverride:
    """A kernel set by hand, as the notebook sets ``c.weight.data[out, in]``."""

    out: int
    into: int
    values: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class ConvLab:
    """An input tensor and an ``nn.Conv2d`` whose weights come from a seed, then overrides."""

    id: str
    input_shape: tuple[int, int, int, int]
    input_fill: str
    layer: ConvSpec
    seed: int
    kernels: tuple[KernelOverride, ...] = ()


@dataclass(frozen=True)
class AnswerSpec:
    """What the engine computes for an exercise's expected answer."""

    quantity: str
    lab: str | None = None
    index: tuple[int, ...] | None = None
    layer: ConvSpec | None = None

    @property
    def kind(self) -> str:
        return QUANTITIES[self.quantity]


@dataclass(frozen=True)
class Exercise:
    id: str
    prompt: str
    answer: AnswerSpec
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    title: str
    body: str = ""
    lab: str | None = None
    show: tuple[str, ...] = LAB_PARTS
    exercises: tuple[Exercise, ...] = ()


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    order: int
    pages: tuple[Page, ...]
    labs: dict[str, ConvLab] = field(default_factory=dict)
    path: Path | None = None
