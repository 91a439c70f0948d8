"""Convolution through the real ``nn.Conv2d``, and the same sum unrolled term by term."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutor.engine.layers import build, run, seeded
from tutor.engine.spec import ConvSpec


class Tap(NamedTuple):
    """One term of the unrolled sum: input value times kernel value. A named tuple, not a frozen
    dataclass: a 16-channel 9x9 sum has 1,296 of them a step, and a frozen dataclass takes
    4 µs to make (5 ms a step), a tuple 0.3."""

    in_channel: int
    row: int  # input coordinates; outside the input means a padding cell
    col: int
    x: float
    w: float
    padding: bool = False  # the tap lands on a padding cell: x is 0


@dataclass(frozen=True)
class ChannelTerms:
    """The terms one input channel contributes to an output cell, and their subtotal. Its taps
    are made when asked for: a screen writes out a few channels of a 16-channel sum."""

    in_channel: int
    kernel_index: int  # which in-slot of the weight holds the kernel
    values: list  # the window, [k][k], from torch
    weights: list  # the kernel, [k][k], from torch
    spots: tuple  # (row, col, i, j, outside) for each tap: where it lands in the input
    subtotal: float

    @cached_property
    def taps(self) -> tuple[Tap, ...]:
        values, weights = self.values, self.weights
        return tuple(Tap(self.in_channel, r, c, values[i][j], weights[i][j], outside)
                     for r, c, i, j, outside in self.spots)


@dataclass(frozen=True)
class Unrolled:
    """One output cell written out: per input channel subtotals, the bias, the sum."""

    out_channel: int
    row: int
    col: int
    channels: tuple[ChannelTerms, ...]
    bias: float | None
    total: float


def make_input(shape: tuple[int, ...], fill: str = "arange", seed: int = 0) -> np.ndarray:
    """An input tensor as the notebook makes it: ``arange(n).reshape(shape).float()``."""
    count = int(np.prod(shape))
    if fill == "arange":
        tensor = torch.arange(count).reshape(shape).float()
    elif fill == "zeros":
        tensor = torch.zeros(shape)
    elif fill == "randn":
        tensor = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    else:
        raise ValueError(f"unknown fill {fill!r}")
    return tensor.numpy()


def initial_weights(spec: ConvSpec, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The weight (and bias) ``nn.Conv2d`` initialises itself with under ``manual_seed(seed)``."""
    with seeded(seed):
        module = build(spec)
    weight = module.weight.detach().numpy().copy()
    bias = module.bias.detach().numpy().copy() if module.bias is not None else None
    return weight, bias


def _loaded_module(spec: ConvSpec, weight: np.ndarray, bias: np.ndarray | None) -> nn.Conv2d:
    module = build(spec)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.asarray(weight, dtype=np.float32)))
        if module.bias is not None:
            if bias is None:
                module.bias.zero_()
            else:
                module.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float32)))
    return module


def conv_forward(
    spec: ConvSpec, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
) -> np.ndarray:
    """The output of the real ``nn.Conv2d`` with these weights copied into its parameters."""
    module = _loaded_module(spec, weight, bias)
    with torch.no_grad():
        out = run(module, torch.from_numpy(np.asarray(x, dtype=np.float32)))
    return out.numpy()


def unroll(
    spec: ConvSpec,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out_channel: int,
    row: int,
    col: int,
) -> Unrolled:
    """Output cell ``[0, out_channel, row, col]`` as the sum of its window's products.

    The products and sums are torch float32 operations, the same arithmetic the module does,
    though in its own order: they agree to float32 precision (tested against ``conv_forward``).
    """
    (p, after), s, d, k = spec.pads, spec.stride, spec.dilation, spec.kernel_size
    padded = F.pad(torch.from_numpy(np.asarray(x, dtype=np.float32)), (p, after, p, after))
    w = torch.from_numpy(np.asarray(weight, dtype=np.float32))
    per_group_in = spec.in_channels // spec.groups
    group = out_channel // (spec.out_channels // spec.groups)
    top, left, first = row * s, col * s, group * per_group_in
    # Every input channel of the group at once: [in per group, k, k] windows and kernels.
    windows = padded[0, first : first + per_group_in, top : top + d * (k - 1) + 1 : d, left : left + d * (k - 1) + 1 : d]
    kernels = w[out_channel]
    subtotals = (windows * kernels).sum(dim=(1, 2))
    total = subtotals.sum()
    values, weights, sums = windows.tolist(), kernels.tolist(), subtotals.tolist()  # one conversion each
    height, width = x.shape[2:]
    # Where each tap lands in the input (the same cells in every input channel), worked out once.
    spots = tuple((r, c, i, j, not (0 <= r < height and 0 <= c < width))
                  for i in range(k) for j in range(k) for r, c in [(top + i * d - p, left + j * d - p)])
    channels = tuple(ChannelTerms(first + slot, slot, values[slot], weights[slot], spots, sums[slot])
                     for slot in range(per_group_in))
    bias_value = None
    if spec.bias:
        b = torch.tensor(0.0) if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float32))[out_channel]
        total = total + b
        bias_value = float(b)
    return Unrolled(out_channel, row, col, channels, bias_value, float(total))

