"""Fresh review questions, one skill at a time: each from a random layer or lab that torch accepts,
its answer, worked solution and catalogue of mistakes computed as a lesson's exercise's are."""

from __future__ import annotations

import random

from tutor.course.model import (
    AnswerSpec,
    ConvLabSpec,
    GradientLabSpec,
    KernelOverride,
    PoolLabSpec,
    UnfoldLabSpec,
)
from tutor.engine.spec import (
    ConvSpec,
    FlattenSpec,
    LinearSpec,
    PoolSpec,
    ReluSpec,
    TransposedSpec,
)
from tutor.labs.drill import Question, random_layer
from tutor.labs.expected import expected, field_answer, in_features_answer
from tutor.numbers import format_number

FACTORS = (-2, -1, -0.5, 0.5, 1, 2)  # kernel values a learner multiplies in their head


def _rows(values) -> str:
    return "[" + ", ".join("[" + ", ".join(format_number(float(v)) for v in row) + "]" for row in values) + "]"


def _kernel(rng: random.Random, k: int) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(rng.choice(FACTORS) for _ in range(k)) for _ in range(k))


def output_shape(rng: random.Random) -> Question:
    spec, shape = random_layer(rng, side=32)
    prompt = f"`{spec.call()}` on an input of shape `{list(shape)}`: what is the output's shape?"
    return Question(prompt, expected(AnswerSpec("output_shape", layer=spec, input_shape=shape), {}),
                    "output-shape", spec, shape)


def parameters(rng: random.Random) -> Question:
    spec, _ = random_layer(rng)
    return Question(f"How many learnable parameters does `{spec.call()}` have?",
                    expected(AnswerSpec("parameter_count", layer=spec), {}), "parameters", spec)


def value_by_hand(rng: random.Random) -> Question:
    """A cell of a 2x2 kernel over ``arange(9)`` as 3x3: four products to add."""
    kernel = _kernel(rng, 2)
    lab = ConvLabSpec("review", (1, 1, 3, 3), "arange", ConvSpec(1, 1, 2), 0, (KernelOverride(0, 0, kernel),))
    row, col = rng.randrange(2), rng.randrange(2)
    prompt = (f"`a = torch.arange(9.).reshape(1, 1, 3, 3)` and `nn.Conv2d(1, 1, 2, bias=False)` with the kernel "
              f"`{_rows(kernel)}`: what is `output[0, 0, {row}, {col}]`?")
    answer = AnswerSpec("output_value", lab="review", index=(0, 0, row, col))
    return Question(prompt, expected(answer, {"review": lab}), "value-by-hand")


def pooling(rng: random.Random) -> Question:
    """A cell of 2x2 max or average pooling over a 4x4 grid of small numbers."""
    values = tuple(tuple(float(rng.randint(0, 9)) for _ in range(4)) for _ in range(4))
    spec = PoolSpec(rng.choice(("max", "avg")), 2)
    lab = PoolLabSpec("review", spec, values=(values,))
    row, col = rng.randrange(2), rng.randrange(2)
    prompt = f"`{spec.call()}` over the 4×4 input `{_rows(values)}`: what is `output[0, 0, {row}, {col}]`?"
    answer = AnswerSpec("output_value", lab="review", index=(0, 0, row, col))
    return Question(prompt, expected(answer, {"review": lab}), "pooling")


def im2col(rng: random.Random) -> Question:
    spec, shape = random_layer(rng, side=8)
    spec = ConvSpec(spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride, 0, spec.dilation)
    while True:
        try:
            lab = UnfoldLabSpec("review", shape, "zeros", spec, 0)
            answer = expected(AnswerSpec("unfold_shape", lab="review"), {"review": lab})
            break
        except ValueError:  # the kernel does not fit without padding: a larger input
            shape = (1, shape[1], shape[2] + 2, shape[3] + 2)
    prompt = (f"`F.unfold(a, kernel_size={spec.kernel_size}, stride={spec.stride}, dilation={spec.dilation})` for "
              f"`a` of shape `{list(shape)}`: what is the result's shape?")
    return Question(prompt, answer, "im2col", spec, shape)


def gradients(rng: random.Random) -> Question:
    """A cell of a.grad for a 2x2 kernel over a 3x3 input, with dL/dy all ones."""
    kernel = _kernel(rng, 2)
    lab = GradientLabSpec("review", (1, 1, 3, 3), "arange", ConvSpec(1, 1, 2), 0, (KernelOverride(0, 0, kernel),))
    row, col = rng.randrange(3), rng.randrange(3)
    prompt = (f"`nn.Conv2d(1, 1, 2, bias=False)` with the kernel `{_rows(kernel)}` on a `[1, 1, 3, 3]` input, and "
              f"dL/dy all ones (`c(a).sum().backward()`): what is `a.grad[0, 0, {row}, {col}]`?")
    answer = AnswerSpec("gradient_value", lab="review", index=(0, 0, row, col), of="input")
    return Question(prompt, expected(answer, {"review": lab}), "gradients")


def transposed(rng: random.Random) -> Question:
    from tutor.engine.layers import LayerError, output_shape

    while True:
        spec = TransposedSpec(rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 3),
                              rng.randint(0, 2), 0, rng.choice((1, 1, 2)), bias=False)
        spec = TransposedSpec(**{**vars(spec), "output_padding": rng.randrange(max(spec.stride, spec.dilation))})
        shape = (1, spec.in_channels, rng.randint(1, 16), rng.randint(1, 16))
        try:
            output_shape(spec, shape)
        except LayerError:
            continue
        prompt = f"`{spec.call()}` on an input of shape `{list(shape)}`: what is the output's shape?"
        return Question(prompt, expected(AnswerSpec("output_shape", layer=spec, input_shape=shape), {}),
                        "transposed", spec, shape)


def _small_net(rng: random.Random) -> tuple[tuple, tuple[int, ...], list]:
    """Conv -> ReLU -> MaxPool, once or twice, then Flatten -> Linear: random sizes torch accepts
    (tried by torch: the net's ledger)."""
    from tutor.engine import network
    from tutor.engine.layers import LayerError

    while True:
        channels, layers_ = 1, []
        for _ in range(rng.randint(1, 2)):
            out, k = rng.choice((4, 6, 8, 16)), rng.choice((3, 5))
            layers_ += [ConvSpec(channels, out, k, padding=rng.choice((0, k // 2))), ReluSpec(), PoolSpec("max", 2)]
            channels = out
        side = rng.choice((12, 16, 20, 28, 32))
        specs, shape = (*layers_, FlattenSpec(), LinearSpec(None, 10)), (rng.choice((8, 16, 32, 64)), 1, side, side)
        try:
            return specs, shape, network.ledger(specs, shape)
        except LayerError:
            continue


def _net_text(specs) -> str:
    return " → ".join(spec.call() for spec in specs)


def flatten(rng: random.Random) -> Question:
    from tutor.engine import network

    specs, shape, rows = _small_net(rng)
    prompt = (f"`{_net_text(specs[:-1])}` → `nn.Linear(?, 10)` on a batch of shape `{list(shape)}`: what is the "
              "Linear's `in_features`?")
    return Question(prompt, in_features_answer(rows, network.resolved(specs, shape)), "flatten", specs, shape)


def receptive_field(rng: random.Random) -> Question:
    from tutor.engine import network

    specs, shape, rows = _small_net(rng)
    resolved = network.resolved(specs, shape)
    last = max(i for i, spec in enumerate(specs) if isinstance(spec, (ConvSpec, PoolSpec)))
    index = rng.choice([i for i, spec in enumerate(specs[:last + 1]) if isinstance(spec, (ConvSpec, PoolSpec))][1:] or [0])
    prompt = (f"In `{_net_text(specs[:index + 1])}`, how many input pixels a side does one cell of the last layer "
              "see (its receptive field, away from the border)?")
    return Question(prompt, field_answer(resolved, shape, rows, index), "receptive-field", specs, shape)


# The skills a review can ask fresh questions about; symmetry is practised in its lesson.
GENERATORS = {"output-shape": output_shape, "parameters": parameters, "value-by-hand": value_by_hand,
              "pooling": pooling, "im2col": im2col, "gradients": gradients, "transposed": transposed,
              "flatten": flatten, "receptive-field": receptive_field}


def review_question(skill: str, rng: random.Random) -> Question:
    return GENERATORS[skill](rng)
