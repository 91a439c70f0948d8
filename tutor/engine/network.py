"""A whole small CNN as torch builds it: each layer's output shape and parameters, the fully
connected net of the same sizes, and the input pixels a cell can see, found by autograd."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from tutor.engine import layers
from tutor.engine.spec import ConvSpec, LinearSpec, NetLayerSpec, PoolSpec, ReluSpec


@dataclass(frozen=True)
class LedgerRow:
    """One layer of the net: the code that builds it, what comes out for the given input, and
    its learnable numbers, as torch reports them."""

    index: int
    spec: NetLayerSpec
    call: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: int


def resolved(specs: tuple[NetLayerSpec, ...], input_shape: tuple[int, ...]) -> tuple[NetLayerSpec, ...]:
    """The layers with every Linear's ``in_features`` filled in from the shape that reaches it
    (torch runs the layers before it on zeros); a given one that does not match is torch's error."""
    done: list[NetLayerSpec] = []
    shape = input_shape
    for spec in specs:
        if isinstance(spec, LinearSpec) and spec.in_features is None:
            spec = replace(spec, in_features=shape[-1])
        done.append(spec)
        shape = layers.output_shape(spec, shape)
    return tuple(done)


def ledger(specs: tuple[NetLayerSpec, ...], input_shape: tuple[int, ...]) -> list[LedgerRow]:
    """Row by row, the shapes a batch of ``input_shape`` takes through the net, and each
    layer's parameter count: ``sum(p.numel() for p in layer.parameters())``."""
    rows, shape = [], input_shape
    for index, spec in enumerate(resolved(specs, input_shape)):
        out = layers.output_shape(spec, shape)
        rows.append(LedgerRow(index, spec, spec.call(), shape, out, layers.parameter_count(spec)))
        shape = out
    return rows


def dense_parameters(row: LedgerRow) -> int:
    """The parameters of a fully connected layer with the same input and output sizes as
    ``row``'s layer (one sample: the batch is not a size of the layer), counted by torch on the
    meta device: ``nn.Linear(inputs, outputs)``. A layer without parameters keeps none."""
    if row.parameters == 0:
        return 0
    inputs, outputs = math.prod(row.input_shape[1:]), math.prod(row.output_shape[1:])
    with torch.device("meta"):
        return sum(p.numel() for p in nn.Linear(inputs, outputs).parameters())


def build(specs: tuple[NetLayerSpec, ...], input_shape: tuple[int, ...], seed: int) -> nn.Sequential:
    """The net as ``nn.Sequential``, initialised by torch under ``seed`` (the global generator is
    left as it was)."""
    specs = resolved(specs, input_shape)  # before seeding: finding a shape builds layers too
    with layers.seeded(seed):
        return nn.Sequential(*(layers.build(spec) for spec in specs))


def layer_outputs(net: nn.Sequential, image: np.ndarray) -> list[np.ndarray]:
    """Each layer's output for one [H, W] image (the batch dimension dropped)."""
    outputs = []
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(image, dtype=np.float32))[None, None]
        for layer in net:
            x = layer(x)
            outputs.append(x[0].numpy().copy())
    return outputs


# --- receptive field -------------------------------------------------------------------------
def _geometric_twin(spec: NetLayerSpec) -> nn.Module:
    """A layer with ``spec``'s windows but nothing that picks among them: a conv of ones without
    bias, an average pool for any pool, no ReLU. Its input gradient is non-zero on exactly the
    pixels a window reaches, whatever the weights and the image."""
    if isinstance(spec, ConvSpec):
        conv = layers.build(replace(spec, bias=False))
        with torch.no_grad():
            conv.weight.fill_(1.0)
        return conv
    if isinstance(spec, PoolSpec):
        return layers.build(replace(spec, kind="avg"))
    if isinstance(spec, ReluSpec):
        return nn.Identity()
    raise ValueError(f"{spec.call()} has no windows: every output of it sees the whole input")


def receptive_field(specs: tuple[NetLayerSpec, ...], input_shape: tuple[int, ...], upto: int,
                    cell: tuple[int, int, int]) -> np.ndarray:
    """Which input pixels output ``cell`` (channel, row, col) of layer ``upto`` depends on: where
    the gradient of that cell with respect to the input is non-zero. [H, W] of bools."""
    twin = nn.Sequential(*(_geometric_twin(spec) for spec in specs[:upto + 1]))
    x = torch.ones((1, *input_shape[1:]), requires_grad=True)
    channel, row, col = cell
    twin(x)[0, channel, row, col].backward()
    return (x.grad[0].abs().sum(dim=0) > 0).numpy()


@dataclass(frozen=True)
class Field:
    """The formula's view of a receptive field: its side, the distance between the fields of
    neighbouring cells (the jump), and where the field of cell (0, 0) starts (negative: in the
    padding)."""

    size: int
    jump: int
    start: int

    def box(self, row: int, col: int, height: int, width: int) -> tuple[range, range]:
        """Rows and columns of the input the field of (row, col) covers, clipped to the image."""
        top, left = self.start + row * self.jump, self.start + col * self.jump
        return (range(max(top, 0), min(top + self.size, height)),
                range(max(left, 0), min(left + self.size, width)))


def field_formula(specs: tuple[NetLayerSpec, ...], upto: int) -> list[Field]:
    """Layer by layer up to ``upto``: size_l = size_{l-1} + (k_l - 1) × dilation_l × jump_{l-1},
    jump_l = jump_{l-1} × stride_l, start_l = start_{l-1} - padding_l × jump_{l-1}."""
    field, fields = Field(1, 1, 0), []
    for spec in specs[:upto + 1]:
        if isinstance(spec, (ConvSpec, PoolSpec)):
            dilation = spec.dilation if isinstance(spec, ConvSpec) else 1
            stride = spec.stride if isinstance(spec, ConvSpec) else spec.step
            before = spec.pads[0] if isinstance(spec, ConvSpec) else spec.padding
            field = Field(field.size + (spec.kernel_size - 1) * dilation * field.jump,
                          field.jump * stride, field.start - before * field.jump)
        elif not isinstance(spec, ReluSpec):
            raise ValueError(f"{spec.call()} has no windows: every output of it sees the whole input")
        fields.append(field)
    return fields


def has_windows(spec: NetLayerSpec) -> bool:
    return isinstance(spec, (ConvSpec, PoolSpec, ReluSpec))

