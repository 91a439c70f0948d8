"""Pooling through the real ``nn.MaxPool2d`` / ``nn.AvgPool2d``: outputs, the winning index
PyTorch returns, each window written out, and where the gradient flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tutor.engine.layers import build, run
from tutor.engine.spec import PoolSpec


@dataclass(frozen=True)
class PoolTap:
    """A cell of the input inside the window."""

    row: int
    col: int
    value: float


@dataclass(frozen=True)
class PoolCell:
    """One output cell of pooling, written out from torch's own results."""

    channel: int
    row: int
    col: int
    taps: tuple[PoolTap, ...]
    padding_taps: tuple[tuple[int, int], ...]  # window cells on the padding ring
    value: float  # torch's output
    winner: tuple[int, int] | None = None  # max: from the indices torch returns
    total: float | None = None  # avg: the window's sum
    divisor: int | None = None  # avg: what torch divides by


def pool_forward(spec: PoolSpec, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The pooled output and, for max pooling, the flat input index of each winner."""
    tensor = torch.from_numpy(np.asarray(x, dtype=np.float32))
    module = build(spec)
    if spec.kind == "max":
        module.return_indices = True
        with torch.no_grad():
            out, indices = run(module, tensor)
        return out.numpy(), indices.numpy()
    with torch.no_grad():
        return run(module, tensor).numpy(), None


def input_gradient(spec: PoolSpec, x: np.ndarray) -> np.ndarray:
    """``x.grad`` after ``module(x).sum().backward()``: where the gradient flows."""
    tensor = torch.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    run(build(spec), tensor).sum().backward()
    return tensor.grad.numpy()


def _span(start: int, kernel: int, size: int, padding: int) -> range:
    """The window's positions along one side: inside the padded input, as torch bounds them."""
    return range(start, min(start + kernel, size + padding))


def pool_cell(spec: PoolSpec, x: np.ndarray, out: np.ndarray, indices: np.ndarray | None,
              channel: int, row: int, col: int) -> PoolCell:
    """Output cell ``[0, channel, row, col]``: its window, and how torch got its value."""
    height, width = x.shape[2], x.shape[3]
    rows = _span(row * spec.step - spec.padding, spec.kernel_size, height, spec.padding)
    cols = _span(col * spec.step - spec.padding, spec.kernel_size, width, spec.padding)
    plane = torch.from_numpy(np.asarray(x[0, channel], dtype=np.float32))
    inside = [(r, c) for r in rows for c in cols if 0 <= r < height and 0 <= c < width]
    padding = tuple((r, c) for r in rows for c in cols if not (0 <= r < height and 0 <= c < width))
    taps = tuple(PoolTap(r, c, float(plane[r, c])) for r, c in inside)
    value = float(out[0, channel, row, col])
    if spec.kind == "max":
        flat = int(indices[0, channel, row, col])
        return PoolCell(channel, row, col, taps, padding, value, winner=(flat // width, flat % width))
    window = plane[max(rows.start, 0):min(rows.stop, height), max(cols.start, 0):min(cols.stop, width)]
    # count_include_pad=True (torch's default): padding cells count in the divisor, as zeros
    return PoolCell(channel, row, col, taps, padding, value, total=float(window.sum()),
                    divisor=len(rows) * len(cols))
