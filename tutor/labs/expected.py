"""What an exercise's answer is, computed by the lab sessions and the engine, with its worked
solution and the wrong answers that reveal a known mistake. A value in a lab is explained by the
same session a lab page steps through: the solution and the step-through cannot disagree."""

from __future__ import annotations

from math import prod

from tutor.course.answers import Expected
from tutor.course.model import (
    AnswerSpec,
    ConvLabSpec,
    GradientLabSpec,
    LabSpec,
    NetworkLabSpec,
    PoolLabSpec,
    TrainingLabSpec,
)
from tutor.engine.spec import (
    ConvSpec,
    FlattenSpec,
    LayerSpec,
    LinearSpec,
    PoolSpec,
    TransposedSpec,
)
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
        if isinstance(labs.get(answer.lab), NetworkLabSpec):
            return _network(answer, labs[answer.lab])
        if answer.quantity == "parameter_count":
            return _parameter_count(answer.layer)
        if answer.quantity == "output_padding":
            return _output_padding(answer.layer, answer.input_shape)
        if answer.lab is None:
            return _output_shape(answer.layer, answer.input_shape)
        lab = labs.get(answer.lab)
        if lab is None:
            raise QuantityError(f"no lab named {answer.lab!r}")
        layer = lab.layer if isinstance(lab, ConvLabSpec) else getattr(lab, "pool", None)
        if answer.quantity == "kernels_stay_equal":
            return _kernels_stay_equal(lab, answer.init, answer.steps)
        if answer.quantity in BACKWARD:
            return BACKWARD[answer.quantity](lab, answer)
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
    channels = (f"channels become out_channels = {out[1]}" if isinstance(spec, (ConvSpec, TransposedSpec))
                else f"channels stay {out[1]}: pooling works on each channel on its own")
    solution = (
        f"{spec.call()} applied to an input of shape {shape_text(shape)}:\n"
        f"- batch stays {shape[0]};\n- {channels};\n"
        f"- height: {height}\n- width: {width}\n"
        f"so the output has shape {shape_text(out)} (torch.Size({shape_text(out)}))."
    )
    if isinstance(spec, TransposedSpec):
        from tutor.labs.backward_mistakes import transposed_shape_mistakes

        return Expected("shape", tuple(out), solution, transposed_shape_mistakes(spec, shape, tuple(out)))
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
    if isinstance(spec, TransposedSpec):
        return _transposed_parameters(spec, shapes, total)
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


def _transposed_parameters(spec: TransposedSpec, shapes: dict, total: int) -> Expected:
    from tutor.labs.backward_mistakes import transposed_parameter_mistakes

    weight = shapes["weight"]
    lines = [f"{spec.call()} has:", f"- weight {shape_text(weight)}: in × out × k × k (in first, the reverse of "
             f"Conv2d's) = {' × '.join(map(str, weight))} = {prod(weight)}"]
    if "bias" in shapes:
        lines.append(f"- bias {shape_text(shapes['bias'])}: one per output channel; total {total}")
    return Expected("integer", total, "\n".join(lines), transposed_parameter_mistakes(spec, total))


# --- the backward lesson: convolution as a matrix, gradients, transposed --------------------------
def _output_padding(conv: ConvSpec, shape: tuple[int, ...]) -> Expected:
    """The output_padding that makes the ConvTranspose2d of ``conv``'s settings give ``shape``'s
    sides back from ``conv``'s output: tried in torch, each value it allows."""
    from tutor.engine import layers
    from tutor.labs.backward_mistakes import output_padding_mistakes

    small = layers.output_shape(conv, shape)
    tried = []
    for extra in range(max(conv.stride, conv.dilation)):
        undo = TransposedSpec(conv.out_channels, conv.in_channels, conv.kernel_size, conv.stride, conv.pads[0],
                              extra, conv.dilation)
        back = layers.output_shape(undo, small)
        tried.append(f"- output_padding={extra}: {shape_text(back)}")
        if back[2:] == shape[2:]:
            solution = "\n".join([f"{conv.call()} turns {shape_text(shape)} into {shape_text(small)}. Back, with "
                                  f"the same kernel, stride, padding and dilation:", *tried,
                                  f"so output_padding={extra}: the stride maps several sizes to one, and "
                                  "output_padding says which to give back."])
            return Expected("integer", extra, solution, output_padding_mistakes(extra, conv.stride))
    raise QuantityError(f"no output_padding gives {shape_text(shape)} back (asymmetric padding or a width that "
                        "differs from the height)")


def _unfold_shape(lab: ConvLabSpec, answer: AnswerSpec) -> Expected:
    from tutor.labs.backward_mistakes import unfold_shape_mistakes
    from tutor.labs.matrix import UnfoldSession, unfold_call

    session = UnfoldSession(lab)
    value = (1, *session.columns.shape)
    k, channels = lab.layer.kernel_size, lab.input_shape[1]
    out_size = session.output.shape[2:]
    solution = (f"{unfold_call(lab.layer)} on a of shape {shape_text(lab.input_shape)}: one column per window, "
                f"[batch, in_channels × k × k, windows]:\n- a column holds {channels} × {k} × {k} = {value[1]} numbers;\n"
                f"- there are {out_size[0]} × {out_size[1]} = {value[2]} windows, one per output cell;\n"
                f"so {shape_text(value)}.")
    return Expected("shape", value, solution, unfold_shape_mistakes(value, channels, k, out_size),
                    axes="[batch, numbers in a window, windows]")


def _gradient_shape(lab: ConvLabSpec, answer: AnswerSpec) -> Expected:
    from tutor.engine import layers
    from tutor.labs.backward_mistakes import gradient_shape_mistakes

    shapes = {"input": lab.input_shape, "output": layers.output_shape(lab.layer, lab.input_shape),
              **{name: shape for name, shape in layers.parameter_shapes(lab.layer).items()}}
    if answer.of not in shapes:
        raise QuantityError(f"the lab's layer has no {answer.of}")
    value = tuple(shapes[answer.of])
    names = {"input": "a", "weight": "c.weight", "bias": "c.bias"}
    solution = (f"{names[answer.of]}.grad holds one number for each number of {names[answer.of]}: its shape is "
                f"{names[answer.of]}'s, {shape_text(value)}. (dL/dy has the output's shape, "
                f"{shape_text(shapes['output'])}.)")
    axes = {"weight": "[out_channels, in_channels, kernel height, kernel width]", "bias": "[out_channels]"}
    return Expected("shape", value, solution, gradient_shape_mistakes(answer.of, value, shapes),
                    axes=axes.get(answer.of))


def _gradient_value(lab: GradientLabSpec, answer: AnswerSpec) -> Expected:
    from tutor.labs.backward_mistakes import (
        input_gradient_mistakes,
        weight_gradient_mistakes,
    )
    from tutor.labs.gradient import TARGETS, GradientSession

    session = GradientSession(lab)
    index = answer.index or ()
    if answer.of == "input":
        _, c, i, j = _checked_index(index, session.conv.x.shape)
        cell = (c, i, j)
    else:
        session.reconfigure("target", TARGETS[1])
        outs, ins, k, _ = session.conv.weight.shape
        if len(index) != 4 or index[0] >= outs or index[1] >= ins or max(index[2:]) >= k:
            raise QuantityError(f"index {list(index)} is outside c.weight of shape {[outs, ins, k, k]}")
        cell = (index[0] * ins + index[1], index[2], index[3])
    step = session.explain(cell)
    solution = "\n".join([f"dL/dy all ones (as for loss = c(a).sum()); {session.step_header(step)[0]}:", *step.lines])
    if answer.of == "input":
        mistakes = input_gradient_mistakes(session, cell, step.detail, step.value)
    else:
        kernel = float(session.conv.weight[tuple(index)])
        mistakes = weight_gradient_mistakes(session, step.detail, step.value, kernel)
    return Expected("number", step.value, solution, mistakes)


def _flipped_value(lab: ConvLabSpec, answer: AnswerSpec) -> Expected:
    from tutor.engine import backward, conv
    from tutor.labs.backward_mistakes import flipped_value_mistakes
    from tutor.labs.matrix import KERNEL, UnfoldSession

    session = UnfoldSession(lab)
    session.reconfigure("kernel", KERNEL[1])
    _, o, r, q = _checked_index(answer.index or (), session.output.shape)
    step = session.explain((o, r, q))
    stored = session.conv.weight
    run = (lambda weight: float(conv.conv_forward(lab.layer, session.x, weight, session.conv.bias)[0, o, r, q]))
    values = {"stored": float(session.conv.output[0, o, r, q]), "rows": run(backward.flipped_along(stored, 2)),
              "columns": run(backward.flipped_along(stored, 3)), "transposed": run(stored.swapaxes(2, 3).copy())}
    solution = "\n".join(["The kernels turned 180° (c.weight.flip(2, 3)), then the same sum:", *step.lines])
    subtotals = {terms.in_channel: terms.subtotal for terms in step.detail.channels}
    return Expected("number", step.value, solution, flipped_value_mistakes(values, subtotals, step.value))


BACKWARD = {"unfold_shape": _unfold_shape, "gradient_shape": _gradient_shape, "gradient_value": _gradient_value,
            "flipped_value": _flipped_value}


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


# --- a whole net ---------------------------------------------------------------------------------
def _network(answer: AnswerSpec, lab: NetworkLabSpec) -> Expected:
    """A row of the net's ledger (its output shape or parameters), the whole net's parameters,
    the Linear's in_features, or a layer's receptive field: from the lab's session."""
    from tutor.labs.network import NetworkSession

    session = NetworkSession(lab)
    try:
        row = session.row(answer.net_index) if answer.net_index is not None else None
    except IndexError as error:
        raise QuantityError(str(error)) from None
    if answer.quantity == "output_shape" and row is not None:
        return _row_shape(row, session.rows)
    if answer.quantity == "parameter_count":
        return _row_parameters(row) if row is not None else _net_parameters(session)
    if answer.quantity == "in_features":
        return in_features_answer(session.rows, session.specs)
    if answer.quantity == "receptive_field" and row is not None:
        return field_answer(session.specs, session.input_shape, session.rows, row.index)
    raise QuantityError(f"{answer.quantity} of a network lab needs net_index")


def _row_shape(row, rows) -> Expected:
    from tutor.labs.network_mistakes import row_shape_mistakes

    if isinstance(row.spec, (ConvSpec, PoolSpec)):
        done = _output_shape(row.spec, row.input_shape)
        return Expected("shape", done.value, f"net[{row.index}]: {done.solution}", row_shape_mistakes(row, rows))
    shape, out = row.input_shape, row.output_shape
    if isinstance(row.spec, FlattenSpec):
        how = (f"nn.Flatten() keeps dim 0, the batch ({shape[0]}), and makes one vector of the rest: "
               f"{' × '.join(map(str, shape[1:]))} = {out[1]}.")
    elif isinstance(row.spec, LinearSpec):
        how = (f"{row.spec.call()} turns the last dim, {shape[-1]} numbers, into {out[-1]}: one output per "
               "row of its weight, for each image of the batch.")
    else:
        how = "nn.ReLU() works on each number on its own, max(0, x): the shape stays."
    solution = f"net[{row.index}] takes {shape_text(shape)}. {how}\nSo: {shape_text(out)}."
    return Expected("shape", tuple(out), solution, row_shape_mistakes(row, rows))


def _row_parameters(row) -> Expected:
    from tutor.labs.network_mistakes import row_parameter_mistakes

    if isinstance(row.spec, (ConvSpec, PoolSpec)):
        done = _parameter_count(row.spec)
        return Expected("integer", done.value, f"net[{row.index}]: {done.solution}", row_parameter_mistakes(row))
    if isinstance(row.spec, LinearSpec):
        i, o = row.spec.in_features, row.spec.out_features
        bias = f" + bias [{o}] = {i * o} + {o}" if row.spec.bias else ""
        solution = f"net[{row.index}] = {row.spec.call()}: weight [{o}, {i}] = {i} × {o}{bias} = {row.parameters}."
    else:
        solution = f"net[{row.index}] = {row.spec.call()} has nothing to learn: 0 parameters."
    return Expected("integer", row.parameters, solution, row_parameter_mistakes(row))


def _net_parameters(session) -> Expected:
    from tutor.labs.network_mistakes import net_parameter_mistakes

    rows, dense = session.rows, session.dense_parameters()
    total = session.total_parameters()
    counted = [f"- net[{row.index}] {row.call}: {row.parameters}" for row in rows if row.parameters]
    solution = "\n".join(["sum(p.numel() for p in net.parameters()), layer by layer:", *counted,
                          f"total: {' + '.join(str(row.parameters) for row in rows if row.parameters)} = {total}",
                          f"A fully connected net of the same sizes would need {sum(dense):,}."])
    return Expected("integer", total, solution, net_parameter_mistakes(rows, dense, total))


def in_features_answer(rows, specs) -> Expected:
    """The first Linear's in_features of a net with this ledger (``rows``) and these layers."""
    from tutor.labs.network_mistakes import in_features_mistakes

    flatten = next(row for row in rows if isinstance(row.spec, FlattenSpec))
    n, c, h, w = flatten.input_shape
    value = flatten.output_shape[1]  # what torch's Flatten gives
    solution = (f"Flatten (net[{flatten.index}]) receives {shape_text(flatten.input_shape)} and gives "
                f"[{n}, {c} × {h} × {w}] = [{n}, {value}]: each image is one vector of {value} numbers, "
                f"so the Linear is nn.Linear({value}, ...). The batch ({n}) is never part of in_features.")
    return Expected("integer", value, solution, in_features_mistakes(rows, specs, value))


def field_answer(specs, input_shape: tuple[int, ...], rows, net_index: int) -> Expected:
    """The side of a cell's receptive field at layer ``net_index`` by the formula, shown beside
    autograd's for the middle cell."""
    from tutor.engine.network import field_formula, receptive_field
    from tutor.labs.network_mistakes import field_mistakes

    fields = field_formula(specs, net_index)
    lines = ["size = size before + (k - 1) × jump before;  jump = jump before × stride  (start: size 1, jump 1)"]
    size, jump = 1, 1
    for spec, field in zip(specs[:net_index + 1], fields):
        if isinstance(spec, (ConvSpec, PoolSpec)):
            lines.append(f"- {spec.call()}: {size} + ({spec.kernel_size} - 1) × {jump} = {field.size}, "
                         f"jump {jump} × {field.jump // jump} = {field.jump}")
        size, jump = field.size, field.jump
    value = fields[-1].size
    _, _, height, width = rows[net_index].output_shape
    middle = (0, height // 2, width // 2)
    mask = receptive_field(specs, input_shape, net_index, middle)
    height, width = mask.any(axis=1).sum(), mask.any(axis=0).sum()
    lines.append(f"A cell of net[{net_index}] sees {value} × {value} input pixels, fewer at the border, where part "
                 f"of its field is padding. Autograd, for cell [0, 0, {middle[1]}, {middle[2]}]: the gradient with "
                 f"respect to the input is non-zero on a block of {height} × {width} pixels"
                 f"{'' if height == width == value else ' (cut by the image: ' + str(mask.shape[0]) + ' pixels a side)'}.")
    return Expected("integer", value, "\n".join(lines), field_mistakes(specs, net_index, value))
