"""The tensors a lab starts from, built by the engine from the lesson's description."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.course.model import ConvLab, Lab, PoolLab, TrainingLab
from tutor.engine.spec import ConvSpec


@dataclass
class ConvTensors:
    """A convolution lab's state: numpy arrays the engine made (input, weight, optional bias)."""

    spec: ConvSpec
    x: Any
    weight: Any
    bias: Any | None

    def copy(self) -> ConvTensors:
        bias = None if self.bias is None else self.bias.copy()
        return ConvTensors(self.spec, self.x.copy(), self.weight.copy(), bias)


def conv_tensors(lab: ConvLab) -> ConvTensors:
    """The lab as the lesson defines it: seeded ``nn.Conv2d`` weights, then the hand-set kernels."""
    from tutor.engine import (
        conv,  # torch: only once a lab or an answer is really needed
    )

    x = conv.make_input(lab.input_shape, lab.input_fill, lab.seed)
    weight, bias = conv.initial_weights(lab.layer, lab.seed)
    for kernel in lab.kernels:
        weight[kernel.out, kernel.into] = kernel.values
    return ConvTensors(lab.layer, x, weight, bias)


def pool_input(lab: PoolLab):
    """The tensor a pooling lab pools: its given values, or its source conv lab's output."""
    if lab.source is None:
        import numpy as np

        return np.array(lab.values, dtype=np.float32)[None]
    from tutor.engine import conv

    t = conv_tensors(lab.source)
    return conv.conv_forward(t.spec, t.x, t.weight, t.bias)


def lab_input_shape(lab: Lab) -> tuple[int, ...]:
    """The shape of the tensor the lab's layer receives."""
    if isinstance(lab, ConvLab):
        return lab.input_shape
    if lab.source is None:
        return (1, len(lab.values), len(lab.values[0]), len(lab.values[0][0]))
    from tutor.engine import layers

    return layers.output_shape(lab.source.layer, lab.source.input_shape)


def trainer(lab: TrainingLab, init: str | None = None, lr: float | None = None):
    """A fresh ``Trainer`` for the lab: its image, its edge-magnitude target, its seed."""
    import numpy as np

    from tutor.engine import symmetry

    image = np.array(lab.image, dtype=np.float32)
    return symmetry.Trainer(image, symmetry.edge_magnitude(image), init or lab.init, lab.seed, lr or lab.lr)
