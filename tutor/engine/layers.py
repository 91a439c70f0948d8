"""Any layer the lessons describe, built as the real torch module: its output shape and its
learnable parameters, as PyTorch itself reports them."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from tutor.engine.spec import (
    ConvSpec,
    FlattenSpec,
    LinearSpec,
    NetLayerSpec,
    PoolSpec,
    ReluSpec,
    TransposedSpec,
)

# The tensors are tiny: one thread answers faster than a pool that must wake up.
torch.set_num_threads(1)
# torch warns that padding="same" with an even kernel copies the input: true, and harmless here.
warnings.filterwarnings("ignore", message="Using padding='same'", category=UserWarning)


# Modules draw their initial weights from torch's one global generator. Workers build modules at
# the same time (a lab's seeded weights, an exercise's shapes): every build holds this lock, so a
# seeded build is never interleaved with another thread's draws.
_GENERATOR = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Modules built inside draw from ``manual_seed(seed)``; the global generator is left as it was."""
    with _GENERATOR, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class LayerError(ValueError):
    """Settings torch rejects, with its reason in plain words."""


def build(spec: NetLayerSpec) -> nn.Module:
    """The real module ``spec`` describes (a conv is initialised from torch's global generator).
    A Linear's ``in_features`` must be known here (see ``network.resolved``)."""
    with _GENERATOR:
        return _build(spec)


def _build(spec: NetLayerSpec) -> nn.Module:
    if isinstance(spec, ReluSpec):
        return nn.ReLU()
    if isinstance(spec, FlattenSpec):
        return nn.Flatten()
    if isinstance(spec, LinearSpec):
        return _checked(nn.Linear, spec.in_features, spec.out_features, bias=spec.bias)
    if isinstance(spec, PoolSpec):
        module = nn.MaxPool2d if spec.kind == "max" else nn.AvgPool2d
        return module(spec.kernel_size, stride=spec.stride, padding=spec.padding, ceil_mode=spec.ceil_mode)
    if isinstance(spec, TransposedSpec):
        return _checked(nn.ConvTranspose2d, spec.in_channels, spec.out_channels, spec.kernel_size,
                        stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
                        dilation=spec.dilation, bias=spec.bias)
    if isinstance(spec, ConvSpec):
        return _checked(nn.Conv2d,
            spec.in_channels,
            spec.out_channels,
            spec.kernel_size,
            stride=spec.stride,
            padding=spec.padding,
            dilation=spec.dilation,
            groups=spec.groups,
            bias=spec.bias,
        )
    raise TypeError(f"not a layer description: {spec!r}")


def _checked(module, *args, **kwargs) -> nn.Module:
    """Build a module; torch's refusal of its arguments becomes a ``LayerError``."""
    try:
        return module(*args, **kwargs)
    except (RuntimeError, ValueError) as error:
        raise LayerError(plain_words(str(error))) from None


def run(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module(x)``, with torch's refusals turned into a ``LayerError`` that explains them."""
    try:
        return module(x)
    except (RuntimeError, ValueError) as error:
        raise LayerError(plain_words(str(error))) from None


def plain_words(message: str) -> str:
    """torch's message, first line only, with a plain-words lead where we know the cause."""
    first = message.strip().splitlines()[0] if message.strip() else "torch refused these settings"
    known = {
        "pad should be at most half": "Padding may be at most half the kernel size.",
        "Output size is too small": "The kernel does not fit: the (padded) input is smaller than the kernel.",
        "Kernel size can't be greater than actual input size": "The kernel is larger than the (padded) input.",
        "must be divisible by groups": "in_channels and out_channels must both be divisible by groups.",
        "output padding must be smaller than either stride or dilation": "output_padding must be smaller than "
        "the stride or the dilation: it only picks between output sizes that the stride makes possible.",
        "padding='same' is not supported for strided": "padding='same' needs stride 1: with a larger "
        "stride the output cannot keep the input's size.",
    }
    for clue, words in known.items():
        if clue in first:
            return f"{words} (torch: {first})"
    return f"torch refused these settings: {first}"


REAL_RUN_LIMIT = 1 << 20  # input elements up to which the shape comes from a real forward


def output_shape(spec: NetLayerSpec, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape, found by running the module on zeros of that shape. A large input runs
    on the meta device (shapes only, no memory); a small one for real, because torch's meta
    convolution imports sympy (+35 MB, ~0.5 s) for what a forward of a few KiB answers."""
    device = "cpu" if math.prod(input_shape) <= REAL_RUN_LIMIT else "meta"
    with torch.device(device), torch.no_grad():
        return tuple(run(build(spec), torch.zeros(input_shape)).shape)


def parameter_shapes(spec: NetLayerSpec) -> dict[str, tuple[int, ...]]:
    """Each learnable tensor of the module by name (none for pooling)."""
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        return {name: tuple(p.shape) for name, p in build(spec).named_parameters()}


def parameter_count(spec: NetLayerSpec) -> int:
    """``sum(p.numel() for p in module.parameters())``, as PyTorch counts it."""
    with torch.device("meta"):
        return sum(p.numel() for p in build(spec).parameters())
