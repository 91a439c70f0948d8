"""What an exercise's answer is, computed by the lab sessions and the engine, with its worked
solution and the wrong answers that reveal a known mistake. A value in a lab is explained by the
same session a lab page steps through: the solution and the step-through cannot disagree."""

from __future__ import annotations

from math import prod

from tutor.course.answers import Expected
from tutor.course.model import (
    AnswerSpec,
    ConvLabSpec,
    LabSpec,
    PoolLabSpec,
    TrainingLabSpec,
)
from tutor.engine.spec import ConvSpec, LayerSpec, PoolSpec
from tutor.labs.explain import shape_text, side_formula
from tutor.labs.mistakes import (
    conv_value_mistakes,
    parameter_mistakes,
    pool_value_mistakes,
    prediction_mistakes,
    shape_mistakes,
)
from tutor.numbers import format_number


class QuantityError(ValueError):
    """An exercise whose answer cannot be computed from what the lesson gives."""


def lab_input_shape(lab: LabSpec) -> tuple[int, ...]:
    """The shape of the tensor the lab's layer receives."""
    if isinstance(lab, ConvLabSpec):
        return lab.input_shape
    if lab.source is None:
        return (1, len(lab.values), len(lab.values[0]), len(lab.values[0][0]))
    from tutor.engine import layers

    return layers.output_shape(lab.source.layer, lab.source.input_shape)


def expected(answer: AnswerSpec, labs: dict[str, LabSpec]) -> Expected:
    """The expected answer: computed now, by torch, from the lesson's lab or layer."""
    from tutor.engine.layers import LayerError

    try:
        if answer.quantity == "parameter_count":
            return _parameter_count(answer.layer)
        if answer.lab is None:
            return _output_shape(answer.layer, answer.input_shape)
        lab = labs.get(answer.lab)
        if lab is None:
            raise QuantityError(f"no lab named {answer.lab!r}")
        layer = lab.layer if isinstance(lab, ConvLabSpec) else getattr(lab, "pool", None)
        if answer.quantity == "kernels_stay_equal":
            return _kernels_stay_equal(lab, answer.init, answer.steps)
        if answer.quantity == "output_shape":
            return _output_shape(layer, lab_input_shape(lab))
        if isinstance(lab, ConvLabSpec):
            return _conv_value(lab, answer.index or ())
        return _pool_value(lab, answer.index or ())
    except LayerError as error:
        raise QuantityError(str(error)) from None


def _output_shape(spec: LayerSpec, shape: tuple[int, ...]) -> Expected:
    from tutor.engine import layers

    out = layers.output_shape(spec, shape)
    height, _ = side_formula(spec, shape[2])
    width, _ = side_formula(spec, shape[3])
    channels = (f"channels become out_channels = {out[1]}" if isinstance(spec, ConvSpec)
                else f"channels stay {out[1]}: pooling works on each channel on its own")
    solution = (
        f"{spec.call()} applied to an input of shape {shape_text(shape)}:\n"
        f"- batch stays {shape[0]};\n- {channels};\n"
        f"- height: {height}\n- width: {width}\n"
        f"so the output has shape {shape_text(out)} (torch.Size({shape_text(out)}))."
    )
    return Expected("shape", tuple(out), solution, shape_mistakes(spec, shape, tuple(out)))


def _conv_value(lab: ConvLabSpec, index: tuple[int, ...]) -> Expected:
    from tutor.labs.conv import ConvSession

    session = ConvSession(lab)
    _, o, r, c = _checked_index(index, session.output.shape)
    step = session.explain((o, r, c))
    solution = "\n".join(
        [f"output{list(index)}: multiply each input channel's window by its kernel, add up, then sum the channels.",
         *step.lines, *_sliced(session.layer, o, r, c), f"torch gives {format_number(step.value)}."])
    return Expected("number", step.value, solution, conv_value_mistakes(session, (o, r, c), step))


def _sliced(layer: ConvSpec, o: int, r: int, c: int) -> list[str]:
    """The cell as the notebook computes it, by slicing the window out of ``a`` (a layer without
    padding, dilation or groups: its window is a plain slice)."""
    if max(layer.pads) or layer.dilation > 1 or layer.groups > 1:
        return []
    k, s = layer.kernel_size, layer.stride
    bias = f" + c.bias[{o}]" if layer.bias else ""
    return [f"In PyTorch: (a[0, :, {r * s}:{r * s + k}, {c * s}:{c * s + k}] * c.weight[{o}]).sum(){bias}"]


def _pool_value(lab: PoolLabSpec, index: tuple[int, ...]) -> Expected:
    from tutor.labs.pool import PoolSession

    session = PoolSession(lab)
    _, c, r, q = _checked_index(index, session.out.shape)
    step = session.explain((c, r, q))
    solution = "\n".join([f"output{list(index)} of {lab.pool.call()}:", *step.lines])
    return Expected("number", step.value, solution, pool_value_mistakes(session, (c, r, q), step))


def _checked_index(index: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(index) != 4 or index[0] != 0 or any(i >= n for i, n in zip(index, shape)):
        raise QuantityError(f"index {list(index)} is outside the output of shape {list(shape)}")
    return index


def _parameter_count(spec: LayerSpec) -> Expected:
    from tutor.engine import layers

    shapes = layers.parameter_shapes(spec)
    total = sum(prod(shape) for shape in shapes.values())
    if isinstance(spec, PoolSpec):
        does = "compares" if spec.kind == "max" else "averages"
        solution = (f"{spec.call()} has no weight and no bias: it only {does} the numbers "
                    f"in each window. sum(p.numel() for p in layer.parameters()) = {total}.")
        return Expected("integer", total, solution, parameter_mistakes(spec, total))
    weight = shapes["weight"]
    out, per_in, k, _ = weight
    groups = (f" (groups={spec.groups}: each output channel sees in_channels / groups = "
              f"{spec.in_channels} / {spec.groups} = {per_in} input channels)" if spec.groups > 1 else "")
    lines = [f"{spec.call()} has:",
             f"- weight {shape_text(weight)}: out × in{'/groups' if groups else ''} × k × k = {' × '.join(map(str, weight))} = "
             f"{prod(weight)}{groups}"]
    if "bias" in shapes:
        lines.append(f"- bias {shape_text(shapes['bias'])}: one per output channel = {prod(shapes['bias'])}"
                     " (bias=True is torch's default)")
    if len(shapes) > 1:  # a weight alone: its count is the total
        lines.append(f"total: {' + '.join(str(prod(s)) for s in shapes.values())} = {total}")
    return Expected("integer", total, "\n".join(lines), parameter_mistakes(spec, total))


def _kernels_stay_equal(lab: TrainingLabSpec, init: str, steps: int) -> Expected:
    """Train for real and report whether the hidden kernels were still one kernel at the end."""
    from tutor.engine.symmetry import SAME
    from tutor.labs.training import trainer

    run = trainer(lab, init=init)
    identical_steps = 0
    for _ in range(steps):
        snapshot = run.step()
        identical_steps += snapshot.gradients_identical
    kernels = snapshot.kernels
    spread = float(abs(kernels - kernels[0]).max())
    stays = snapshot.distinct_kernels == 1
    solution = (
        f"torch's run: {steps} SGD steps from {init} weights (seed {lab.seed}, lr {lab.lr}).\n"
        f"- distinct hidden kernels at the end: {snapshot.distinct_kernels} of {len(kernels)} "
        f"(largest difference between them {spread:.1e}; kernels within {SAME:g} count as one);\n"
        f"- the three kernels' gradients were identical at {identical_steps} of {steps} steps;\n"
        f"- loss {format_number(snapshot.losses[0])} → {format_number(snapshot.losses[-1])}.\n"
        + ("Equal kernels get equal gradients, so every update keeps them equal: the layer has "
           "three copies of one feature." if stays else
           "The kernels started different, got different gradients, and went on to learn different features.")
    )
    return Expected("choice", stays, solution,
                    prediction_mistakes(stays, steps, init, snapshot.distinct_kernels, len(kernels), identical_steps))
