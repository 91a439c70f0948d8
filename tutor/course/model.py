"""What a lesson is, once its file has been read and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tutor.engine.spec import (
    ConvSpec,
    LayerSpec,
    NetLayerSpec,
    PoolSpec,
    TransposedSpec,
)

# What a lab page can show; the lesson picks a subset per page (a lab shows those it has).
NETWORK_PARTS = ("ledger", "sharing", "field", "training", "canvas")  # what a network lab's pages show
MATRIX_PARTS = ("columns", "matrix", "upstream", "gradients", "scatter", "overlap")  # backward's labs
LAB_PARTS = ("input", "kernels", "settings", "output", "steps", "gradient", *NETWORK_PARTS, *MATRIX_PARTS)
DEFAULT_PARTS = ("input", "kernels", "output", "steps")
# What an exercise can ask, and the kind of answer each expects.
QUANTITIES = {"output_shape": "shape", "output_value": "number", "parameter_count": "integer",
              "kernels_stay_equal": "choice", "in_features": "integer", "receptive_field": "integer",
              "unfold_shape": "shape", "gradient_value": "number", "gradient_shape": "shape",
              "flipped_value": "number", "output_padding": "integer"}
GRADIENT_OF = ("input", "weight", "bias")  # which gradient an exercise asks about
Image = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class KernelOverride:
    """A kernel set by hand, as the notebook sets ``c.weight.data[out, in]``."""

    out: int
    into: int
    values: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class ConvPreset:
    """A named input shape and layer that a playground can jump to."""

    name: str
    input_shape: tuple[int, int, int, int]
    layer: ConvSpec


@dataclass(frozen=True)
class ConvLabSpec:
    """An input tensor and an ``nn.Conv2d`` whose weights come from a seed, then overrides."""

    id: str
    input_shape: tuple[int, int, int, int]
    input_fill: str
    layer: ConvSpec
    seed: int
    kernels: tuple[KernelOverride, ...] = ()
    presets: tuple[ConvPreset, ...] = ()


@dataclass(frozen=True)
class UnfoldLabSpec(ConvLabSpec):
    """A conv2d lab shown as a matrix product: ``F.unfold``'s columns, the weight's rows, the
    layer's matrix C, and the kernel as stored or flipped."""


@dataclass(frozen=True)
class GradientLabSpec(ConvLabSpec):
    """A conv2d lab run backwards from an upstream gradient (ones to start with)."""


@dataclass(frozen=True)
class TransposedLabSpec:
    """An input ([channels][rows][cols]) and an ``nn.ConvTranspose2d`` whose weights come from a
    seed, then overrides (``out`` and ``into`` as in a conv lab: the weight is [in, out, k, k])."""

    id: str
    values: tuple[tuple[tuple[float, ...], ...], ...]
    layer: TransposedSpec
    seed: int = 0
    kernels: tuple[KernelOverride, ...] = ()


@dataclass(frozen=True)
class PoolLabSpec:
    """A pooling layer over either given values ([channels][rows][cols]) or a conv lab's output."""

    id: str
    pool: PoolSpec
    values: tuple[tuple[tuple[float, ...], ...], ...] | None = None
    source: ConvLabSpec | None = None


@dataclass(frozen=True)
class FeatureLabSpec:
    """One grayscale image convolved by several output channels, each from a preset kernel."""

    id: str
    image: Image
    presets: tuple[str, ...]  # one per output channel


@dataclass(frozen=True)
class TrainingLabSpec:
    """Conv2d(1, 3, 3) -> ReLU -> Conv2d(3, 1, 1) trained by SGD to the image's edge map."""

    id: str
    image: Image
    seed: int
    lr: float
    init: str = "equal"


@dataclass(frozen=True)
class NetworkLabSpec:
    """A small CNN (``layers``, as ``nn.Sequential`` runs them) on a data set of labelled images,
    trained with ``torch.optim.<optimizer>`` on batches of ``batch_size``. ``data`` is the data
    file the lesson's ``dataset`` names (found when the lesson is read, read when the lab opens)."""

    id: str
    dataset: str
    data: Path
    layers: tuple[NetLayerSpec, ...]
    seed: int = 0
    batch_size: int = 32
    lr: float = 0.01
    optimizer: str = "Adam"
    epochs: int = 10  # what the shown code runs; the lab trains until paused


LabSpec = ConvLabSpec | PoolLabSpec | FeatureLabSpec | TrainingLabSpec | NetworkLabSpec | TransposedLabSpec


@dataclass(frozen=True)
class Choice:
    key: str
    text: str
    value: bool


@dataclass(frozen=True)
class AnswerSpec:
    """What the engine computes for an exercise's expected answer: from a lab of the lesson,
    or from a layer and an input shape given in the exercise."""

    quantity: str
    lab: str | None = None
    index: tuple[int, ...] | None = None
    layer: LayerSpec | None = None
    input_shape: tuple[int, ...] | None = None
    init: str | None = None
    steps: int | None = None
    net_index: int | None = None  # a network lab's layer, as net[i] names it
    of: str | None = None  # which gradient: "input", "weight" or "bias" (GRADIENT_OF)

    @property
    def kind(self) -> str:
        return QUANTITIES[self.quantity]


@dataclass(frozen=True)
class Exercise:
    id: str
    prompt: str
    answer: AnswerSpec
    hints: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()  # for a multiple-choice answer


@dataclass(frozen=True)
class Page:
    title: str
    body: str = ""
    lab: str | None = None
    show: tuple[str, ...] = DEFAULT_PARTS
    exercises: tuple[Exercise, ...] = ()
    drill: int | None = None  # the seed of an endless drill on this page


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    order: int
    pages: tuple[Page, ...]
    labs: dict[str, LabSpec] = field(default_factory=dict)
    path: Path | None = None
