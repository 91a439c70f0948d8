"""Endless questions: random layers that torch accepts, asked as shape or parameter questions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tutor.course.answers import Expected
from tutor.course.model import AnswerSpec
from tutor.engine.spec import ConvSpec
from tutor.labs.expected import expected


@dataclass(frozen=True)
class Question:
    """A fresh question: its prompt (Markdown), its answer computed by torch, the skill it
    practises (``course.skills``), and the layer and input it was made from, if any."""

    prompt: str
    expected: Expected
    skill: str
    layer: object = None
    input_shape: tuple[int, ...] | None = None


def random_layer(rng: random.Random, side: int = 9) -> tuple[ConvSpec, tuple[int, int, int, int]]:
    """A random ``nn.Conv2d`` and input shape that torch accepts (checked by torch)."""
    from tutor.engine.layers import LayerError, output_shape

    while True:
        groups = rng.choice([1, 1, 1, 2, 3])
        spec = ConvSpec(
            in_channels=groups * rng.randint(1, 2),
            out_channels=groups * rng.randint(1, 2),
            kernel_size=rng.randint(1, 4),
            stride=rng.randint(1, 3),
            padding=rng.choice([0, 0, 1, 2, "same", "valid"]),
            dilation=rng.randint(1, 3),
            groups=groups,
            bias=rng.random() < 0.5,
        )
        shape = (1, spec.in_channels, rng.randint(1, side), rng.randint(1, side))
        try:
            output_shape(spec, shape)
        except LayerError:
            continue
        return spec, shape


def question(rng: random.Random) -> Question:
    """The next drill question, its answer computed by torch."""
    spec, shape = random_layer(rng, side=32)
    if rng.random() < 0.5:
        prompt = f"`{spec.call()}` on an input of shape `{list(shape)}`: what is the output's shape?"
        answer, skill = AnswerSpec("output_shape", layer=spec, input_shape=shape), "output-shape"
    else:
        prompt = f"How many learnable parameters does `{spec.call()}` have?"
        answer, skill = AnswerSpec("parameter_count", layer=spec), "parameters"
    return Question(prompt, expected(answer, {}), skill, spec, shape)
