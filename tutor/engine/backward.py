"""Convolution as a matrix, run backwards, and transposed: ``F.unfold`` columns, the layer's
matrix C, gradients by autograd and the same gradients written out term by term, and
``nn.ConvTranspose2d`` as each input cell scattering a scaled kernel. Every number from torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from tutor.engine.conv import _loaded_module
from tutor.engine.layers import build, run
from tutor.engine.spec import ConvSpec, TransposedSpec


def _tensor(values) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values, dtype=np.float32))


# --- the forward pass as a matrix product ------------------------------------------------------
def unfold(spec: ConvSpec, x: np.ndarray) -> np.ndarray:
    """``F.unfold(x, ...)[0]``: one column per output position, holding its window, channel by
    channel, row by row: [in_channels × k × k, out_height × out_width]."""
    (before, _), k = spec.pads, spec.kernel_size
    return F.unfold(_tensor(x), k, dilation=spec.dilation, padding=before, stride=spec.stride)[0].numpy()


def flipped(weight: np.ndarray) -> np.ndarray:
    """Each kernel turned 180°, top to bottom and left to right: ``torch.flip(w, (2, 3))``."""
    return flipped_along(weight, 2, 3)


def flipped_along(weight: np.ndarray, *dims: int) -> np.ndarray:
    """``torch.flip(w, dims)``: 2 turns kernels top to bottom, 3 left to right."""
    return torch.flip(_tensor(weight), dims).numpy()


def matmul(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``rows @ columns`` in torch's float32."""
    return (_tensor(rows) @ _tensor(columns)).numpy()


def conv_matrix(spec: ConvSpec, input_shape: tuple[int, ...], weight: np.ndarray) -> np.ndarray:
    """The matrix C with ``conv(x).flatten() == C @ x.flatten()`` (no bias): column j is the layer
    run on the j-th one-hot input, so C is what torch computes, not a formula's copy of it."""
    _, channels, height, width = input_shape
    n = channels * height * width
    basis = torch.eye(n).reshape(n, channels, height, width)
    module = _loaded_module(ConvSpec(**{**vars(spec), "bias": False}), weight, None)
    with torch.no_grad():
        return run(module, basis).reshape(n, -1).T.contiguous().numpy()


# --- backwards -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gradients:
    """What ``y = conv(x); y.backward(dy)`` leaves in ``.grad``."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None


def gradients(spec: ConvSpec, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
              upstream: np.ndarray) -> Gradients:
    """Autograd's gradients of a loss whose gradient with respect to the output is ``upstream``."""
    module = _loaded_module(spec, weight, bias)
    inputs = _tensor(x).requires_grad_(True)
    run(module, inputs).backward(_tensor(upstream))
    bias_grad = module.bias.grad.numpy() if module.bias is not None else None
    return Gradients(inputs.grad.numpy(), module.weight.grad.numpy(), bias_grad)


def transposed_gradient(spec: ConvSpec, weight: np.ndarray, upstream: np.ndarray, input_shape) -> np.ndarray:
    """``F.conv_transpose2d(dL/dy, weight)`` with the layer's stride, padding, dilation and groups,
    and the output_padding that gives the input's size back: the input's gradient (tested)."""
    (before, _), s, d, k = spec.pads, spec.stride, spec.dilation, spec.kernel_size
    height = (upstream.shape[2] - 1) * s - 2 * before + d * (k - 1) + 1
    extra = input_shape[2] - height, input_shape[3] - ((upstream.shape[3] - 1) * s - 2 * before + d * (k - 1) + 1)
    return F.conv_transpose2d(_tensor(upstream), _tensor(weight), stride=s, padding=before, output_padding=extra,
                              groups=spec.groups, dilation=d).numpy()


@dataclass(frozen=True)
class Term:
    """One product of a gradient cell's sum: an upstream gradient times a kernel or input value,
    and where each factor sits (``other`` is a kernel cell (u, v), or an input cell, which may be
    padding)."""

    out_channel: int
    row: int  # the upstream gradient's cell
    col: int
    other: tuple[int, int]
    upstream: float
    factor: float
    padding: bool = False


@dataclass(frozen=True)
class GradientCell:
    """One cell of a gradient, as a sum of products, with the total torch adds up."""

    terms: tuple[Term, ...]
    total: float


def _summed(terms: list[Term]) -> GradientCell:
    products = _tensor([t.upstream for t in terms]) * _tensor([t.factor for t in terms])
    return GradientCell(tuple(terms), float(products.sum()) if terms else 0.0)


def input_gradient_cell(spec: ConvSpec, weight: np.ndarray, upstream: np.ndarray, channel: int,
                        row: int, col: int) -> GradientCell:
    """``x.grad[0, channel, row, col]``: every output cell whose window covered this input cell
    passes back its gradient times the kernel value that met the cell there. Read the other way
    round, the kernel turned 180° slides over the upstream gradient (a full convolution)."""
    (before, _), s, d, k = spec.pads, spec.stride, spec.dilation, spec.kernel_size
    _, outs, rows, cols = upstream.shape
    per_group = spec.out_channels // spec.groups
    group = channel // (spec.in_channels // spec.groups)
    slot = channel - group * (spec.in_channels // spec.groups)
    terms = []
    for o in range(group * per_group, (group + 1) * per_group):
        for u in range(k):
            for v in range(k):
                r, q = row + before - u * d, col + before - v * d
                if r % s or q % s or not (0 <= r // s < rows and 0 <= q // s < cols):
                    continue
                terms.append(Term(o, r // s, q // s, (u, v), float(upstream[0, o, r // s, q // s]),
                                  float(weight[o, slot, u, v])))
    return _summed(terms)


def weight_gradient_cell(spec: ConvSpec, x: np.ndarray, upstream: np.ndarray, out: int, slot: int,
                         u: int, v: int) -> GradientCell:
    """``weight.grad[out, slot, u, v]``: the kernel cell met one input cell in every window, so its
    gradient is those input cells times the upstream gradient of their window's output cell (the
    input correlated with the upstream gradient)."""
    (before, _), s, d = spec.pads, spec.stride, spec.dilation
    _, _, height, width = x.shape
    _, _, rows, cols = upstream.shape
    channel = out // (spec.out_channels // spec.groups) * (spec.in_channels // spec.groups) + slot
    terms = []
    for r in range(rows):
        for q in range(cols):
            i, j = r * s + u * d - before, q * s + v * d - before
            inside = 0 <= i < height and 0 <= j < width
            terms.append(Term(out, r, q, (i, j), float(upstream[0, out, r, q]),
                              float(x[0, channel, i, j]) if inside else 0.0, not inside))
    return _summed(terms)


# --- transposed convolution ------------------------------------------------------------------------
def transposed_forward(spec: TransposedSpec, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The output of the real ``nn.ConvTranspose2d`` with this weight (no bias)."""
    module = build(TransposedSpec(**{**vars(spec), "bias": False}))
    with torch.no_grad():
        module.weight.copy_(_tensor(weight))
        return run(module, _tensor(x)).numpy()


def transposed_weights(spec: TransposedSpec, seed: int) -> np.ndarray:
    """The weight ``nn.ConvTranspose2d`` initialises itself with under ``manual_seed(seed)``."""
    from tutor.engine.layers import seeded

    with seeded(seed):
        return build(spec).weight.detach().numpy().copy()


def scattered(spec: TransposedSpec, channel: int, row: int, col: int, out_size: tuple[int, int]) -> dict:
    """Where input cell (row, col) writes: kernel cell (u, v) -> output cell (r, q), for the
    cells inside the output (padding crops the rest). Output channels all get the same cells."""
    s, d, p = spec.stride, spec.dilation, spec.padding
    height, width = out_size
    cells = {}
    for u in range(spec.kernel_size):
        for v in range(spec.kernel_size):
            r, q = row * s + u * d - p, col * s + v * d - p
            if 0 <= r < height and 0 <= q < width:
                cells[(u, v)] = (r, q)
    return cells


def scatter_sum(spec: TransposedSpec, x: np.ndarray, weight: np.ndarray, cells: int) -> np.ndarray:
    """The output after the first ``cells`` input cells (in raster order over channels, rows,
    columns) have each added their value times their kernels: after all of them, what
    ``nn.ConvTranspose2d`` gives (tested)."""
    _, channels, height, width = x.shape
    s, d, p, k = spec.stride, spec.dilation, spec.padding, spec.kernel_size
    full = ((height - 1) * s + d * (k - 1) + 1 + spec.output_padding, (width - 1) * s + d * (k - 1) + 1 + spec.output_padding)
    canvas = torch.zeros(spec.out_channels, *full)
    xs, ws = _tensor(x)[0], _tensor(weight)
    span = d * (k - 1) + 1
    for position in range(min(cells, channels * height * width)):
        c, i, j = position // (height * width), position // width % height, position % width
        canvas[:, i * s : i * s + span : d, j * s : j * s + span : d] += xs[c, i, j] * ws[c]
    out_height, out_width = full[0] - 2 * p, full[1] - 2 * p
    return canvas[None, :, p : p + out_height, p : p + out_width].numpy()


def overlap_counts(spec: TransposedSpec, input_size: tuple[int, int]) -> np.ndarray:
    """How many (input cell, kernel cell) pairs write each output cell: ``nn.ConvTranspose2d`` of
    ones with a kernel of ones. Uneven counts, when the stride does not divide the kernel's span,
    are the checkerboard pattern of transposed convolutions."""
    one = TransposedSpec(1, 1, spec.kernel_size, spec.stride, spec.padding, spec.output_padding, spec.dilation)
    k = spec.kernel_size
    return transposed_forward(one, np.ones((1, 1, *input_size), np.float32), np.ones((1, 1, k, k), np.float32))[0, 0]
