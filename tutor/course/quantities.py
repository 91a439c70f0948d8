"""What an exercise's answer is, computed by the engine, with its worked solution and the
wrong answers that reveal a known mistake."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from tutor.course.explain import side_formula, unrolled_lines
from tutor.course.labs import conv_tensors
from tutor.course.model import AnswerSpec, ConvLab
from tutor.numbers import format_number


class QuantityError(ValueError):
    """An exercise whose answer cannot be computed from what the lesson gives."""


@dataclass(frozen=True)
class Expected:
    kind: str  # "shape", "number" or "integer"
    value: tuple[int, ...] | float | int
    solution: str
    mistakes: tuple[tuple[object, str], ...] = ()


def expected(answer: AnswerSpec, labs: dict[str, ConvLab]) -> Expected:
    """The expected answer: computed now, by torch, from the lesson's lab or layer."""
    if answer.quantity == "parameter_count":
        return _parameter_count(answer)
    lab = labs.get(answer.lab or "")
    if lab is None:
        raise QuantityError(f"no lab named {answer.lab!r}")
    if answer.quantity == "output_shape":
        return _output_shape(lab)
    return _output_value(lab, answer.index or ())


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _output_shape(lab: ConvLab) -> Expected:
    from tutor.engine import conv

    spec, shape = lab.layer, lab.input_shape
    try:
        out = conv.output_shape(spec, shape)
    except RuntimeError as error:
        raise QuantityError(f"torch rejects this lab: {error}") from None
    height, _ = side_formula(spec, shape[2])
    width, _ = side_formula(spec, shape[3])
    solution = (
        f"{spec.call()} applied to an input of shape {_shape_text(shape)}:\n"
        f"- batch stays {shape[0]};\n"
        f"- channels become out_channels = {out[1]};\n"
        f"- height: {height}\n- width: {width}\n"
        f"so the output has shape {_shape_text(out)} (torch.Size({_shape_text(out)}))."
    )
    mistakes = (
        (spec.weight_shape, f"{_shape_text(spec.weight_shape)} is the shape of the layer's weight, "
         "[out_channels, in_channels, kernel, kernel]. The output is [batch, channels, height, width]."),
        (tuple(shape), f"{_shape_text(shape)} is the input's shape: the layer changes the channels, "
         "and a kernel without padding cannot start at every position."),
        ((out[1], out[2], out[3]), "Close, but PyTorch keeps the batch axis: four numbers, "
         "[batch, channels, height, width]."),
        ((out[0], out[2], out[3], out[1]), "Those are the right numbers in the wrong order: PyTorch "
         "puts channels before height and width."),
    )
    return Expected("shape", tuple(out), solution, mistakes)


def _output_value(lab: ConvLab, index: tuple[int, ...]) -> Expected:
    from tutor.engine import conv

    tensors = conv_tensors(lab)
    out = conv.conv_forward(tensors.spec, tensors.x, tensors.weight, tensors.bias)
    if len(index) != 4 or index[0] != 0 or any(i >= n for i, n in zip(index, out.shape)):
        raise QuantityError(f"index {list(index)} is outside the output of shape {list(out.shape)}")
    _, o, r, c = index
    unrolled = conv.unroll(tensors.spec, tensors.x, tensors.weight, tensors.bias, o, r, c)
    where = f"output[{', '.join(str(i) for i in index)}]"
    solution = "\n".join(
        [f"{where}: multiply each input channel's window by its kernel, add up, then sum the channels."]
        + unrolled_lines(unrolled)
        + [f"torch gives {format_number(float(out[0, o, r, c]))}."]
    )
    mistakes = tuple(
        (terms.subtotal, f"{format_number(terms.subtotal)} is only input channel {terms.in_channel}'s part: "
         "an output cell adds up the products of every input channel.")
        for terms in unrolled.channels
    ) if len(unrolled.channels) > 1 else ()
    return Expected("number", float(out[0, o, r, c]), solution, mistakes)


def _parameter_count(answer: AnswerSpec) -> Expected:
    from tutor.engine import conv

    spec = answer.layer
    shapes = conv.parameter_shapes(spec)
    total = sum(prod(shape) for shape in shapes.values())
    assert total == conv.parameter_count(spec)
    weight = shapes["weight"]
    lines = [f"{spec.call()} has:",
             f"- weight {_shape_text(weight)}: out × in × k × k = {' × '.join(map(str, weight))} = {prod(weight)}"]
    if "bias" in shapes:
        lines.append(f"- bias {_shape_text(shapes['bias'])}: one per output channel = {prod(shapes['bias'])}")
    lines.append(f"total: {' + '.join(str(prod(s)) for s in shapes.values())} = {total}")
    out, per_in, k, _ = weight
    mistakes = [(out * per_in * k, "Each kernel is k × k: count both sides of the kernel.")]
    if "bias" in shapes:
        mistakes += [
            (prod(weight), f"That counts the weights only. With bias=True each output channel also has "
             f"one bias: + {out}."),
            (prod(weight) + per_in, "The bias belongs to the output channels, one each, not to the inputs."),
            (out * k * k + out, "Each output channel has one kernel per input channel: multiply by in_channels."),
        ]
    return Expected("integer", total, "\n".join(lines), tuple(mistakes))
