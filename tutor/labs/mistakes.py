"""The catalogue of misconceptions: for every kind of answer (shapes, values, counts, predictions),
the mistakes learners make, each with the wrong answer it leads to, worked out from the exercise
itself (so a teacher's lesson gets them too), and a message that names the mistake and says what
to do instead.

A wrong value that is a slip of arithmetic (a side formula done without its + 1) is worked out
here from the formula; a wrong value that needs a layer run (a flipped kernel, a window one
place off) comes from torch, through the same engine the lab uses. Order matters: the first
mistake that gives the learner's answer names it, so the most specific come first."""

from __future__ import annotations

from dataclasses import replace
from math import ceil, floor

from tutor.course.answers import Mistake, close_enough
from tutor.engine.spec import ConvSpec, LayerSpec, PoolSpec
from tutor.labs.explain import shape_text, side_question, side_value
from tutor.numbers import format_number


def kept(correct, mistakes: list[Mistake]) -> tuple[Mistake, ...]:
    """The mistakes that give a wrong answer (a number within the checking tolerance of the right
    one is right). Two that give the same one are told together: the answer alone cannot say
    which was made."""
    by_wrong: dict[object, Mistake] = {}
    for mistake in mistakes:
        if mistake.wrong == correct or (isinstance(correct, float) and close_enough(float(mistake.wrong), correct)):
            continue
        if (first := by_wrong.get(mistake.wrong)) is None:
            by_wrong[mistake.wrong] = mistake
        else:
            by_wrong[mistake.wrong] = Mistake(f"{first.name} or {mistake.name}", mistake.wrong,
                                              f"{first.message} Or: {mistake.message}")
    return tuple(by_wrong.values())


# --- output shapes ---------------------------------------------------------------------------
def _sides(spec: LayerSpec, shape: tuple[int, ...], *, stride=None, pads=None, dilation=None,
           rounding=floor) -> tuple[int, int]:
    """Both output sides by the formula, with one of its terms changed as a mistake changes it."""
    if isinstance(spec, ConvSpec):
        s, (before, after), d = spec.stride, spec.pads, spec.dilation
    else:
        s, (before, after), d = spec.step, (spec.padding, spec.padding), 1
    before, after = pads or (before, after)
    return tuple(side_value(size, spec.kernel_size, stride or s, before, after, dilation or d, rounding)
                 for size in shape[2:])


def _other_rounding(spec: LayerSpec, shape: tuple[int, ...]) -> tuple[int, int] | None:
    """The sides rounded the other way: for pooling, torch's own with ceil_mode flipped (it also
    drops a last window that would start in the padding); for a convolution, by the formula."""
    if isinstance(spec, ConvSpec):
        return _sides(spec, shape, rounding=ceil)
    from tutor.engine.layers import LayerError, output_shape

    try:
        return output_shape(replace(spec, ceil_mode=not spec.ceil_mode), shape)[2:]
    except LayerError:
        return None


def shape_mistakes(spec: LayerSpec, shape: tuple[int, ...], out: tuple[int, ...]) -> tuple[Mistake, ...]:
    n, c, h, w = shape
    _, o, ho, wo = out
    height = side_question(spec, h)
    conv = isinstance(spec, ConvSpec)
    stride = spec.stride if conv else spec.step
    (before, after) = spec.pads if conv else (spec.padding, spec.padding)
    with_sides = (lambda sides: (n, o, *sides))
    mistakes = []
    if conv:
        mistakes += [
            Mistake("weight shape given", spec.weight_shape,
                    f"{shape_text(spec.weight_shape)} is the shape of the layer's weight, [out_channels, "
                    "in_channels / groups, kernel, kernel]. The output is [batch, channels, height, width]."),
            Mistake("channels unchanged", (n, c, ho, wo),
                    f"The sides are right; the channels are not. A Conv2d makes one map per output channel: "
                    f"out_channels = {o}, whatever the input had ({c})."),
        ]
    new_channels = f"The channels become out_channels = {o}, and the" if conv and c != o else "The"
    if (h, w) != (ho, wo):  # else the input's shape is the channels-unchanged mistake
        mistakes.append(Mistake("input shape given", tuple(shape),
                                f"{shape_text(shape)} is the input's shape. {new_channels} sides follow the "
                                f"formula: height {height}"))
    if stride > 1 and (before or after):
        same = ("padding that keeps the size at stride 1 does not at stride "
                f"{stride}: the window moves {stride} cells at a time")
    else:
        same = f"a window can start only where it fits inside the {'padded ' if before or after else ''}input"
    if conv:  # a pooling layer keeps the channels: its sides unchanged are the input's shape
        mistakes.append(Mistake("sides unchanged", with_sides((h, w)),
                                f"The channels are right, but the sides do not stay {h}×{w}: {same}. Height: {height}"))
    mistakes += [
        Mistake("batch dropped", (o, ho, wo),
                "Close, but PyTorch keeps the batch axis: four numbers, [batch, channels, height, width]."),
        Mistake("channels last", (n, ho, wo, o),
                "Those are the right numbers in the wrong order: PyTorch puts channels before height "
                "and width, [batch, channels, height, width]."),
        Mistake("+1 forgotten", with_sides(side - 1 for side in _sides(spec, shape)),  # floored, then no + 1
                f"Each side is one short: the formula ends in + 1, for the window at position 0. Height: {height}"),
    ]
    ceil_mode = not conv and spec.ceil_mode
    if (other := _other_rounding(spec, shape)) is not None:
        mistakes.append(Mistake("floor and ceil swapped", with_sides(other),
                                f"That rounds the division the wrong way: with ceil_mode={ceil_mode} torch rounds "
                                f"{'up (ceil)' if ceil_mode else 'down (floor)'}: a window that would run past the "
                                f"edge {'still counts' if ceil_mode else 'is left out'}."))
    if stride > 1:
        default = "" if conv or spec.stride is not None else f" (a pooling layer's stride defaults to kernel_size = {stride})"
        mistakes.append(Mistake("stride ignored", with_sides(_sides(spec, shape, stride=1)),
                                f"That is the size at stride 1. With stride {stride}{default} the window moves "
                                f"{stride} cells at a time: divide by the stride, then + 1. Height: {height}"))
    if before or after:
        mistakes.append(Mistake("padding ignored", with_sides(_sides(spec, shape, pads=(0, 0))),
                                f"That leaves out the padding: {before} cell(s) are added before and {after} after "
                                f"each side. Height: {height}"))
        mistakes.append(Mistake("padding on one side", with_sides(_sides(spec, shape, pads=(before, 0))),
                                f"Padding goes on both sides of the input: {before} before and {after} after, "
                                f"so the side grows by {before + after}. Height: {height}"))
    if conv and spec.dilation > 1:
        span = spec.dilation * (spec.kernel_size - 1) + 1
        mistakes.append(Mistake("dilation ignored", with_sides(_sides(spec, shape, dilation=1)),
                                f"That is the size without dilation. With dilation={spec.dilation} the "
                                f"{spec.kernel_size}×{spec.kernel_size} kernel's taps are {spec.dilation} cells "
                                f"apart: the window spans {span} cells, d×(k - 1) + 1. Height: {height}"))
    return kept(tuple(out), [m for m in mistakes if min(m.wrong) >= 0])  # a side below 0 is no answer


# --- parameter counts --------------------------------------------------------------------------
def parameter_mistakes(spec: LayerSpec, total: int) -> tuple[Mistake, ...]:
    if isinstance(spec, PoolSpec):
        window = spec.kernel_size ** 2
        return kept(total, [Mistake("window counted as weights", window,
                                    f"The {spec.kernel_size}×{spec.kernel_size} window is not a kernel of weights: "
                                    "pooling only compares or averages, it has nothing to learn.")])
    o, c, k, g = spec.out_channels, spec.in_channels, spec.kernel_size, spec.groups
    per = c // g
    bias = o if spec.bias else 0
    weights = o * per * k * k
    sees = (f"in_channels / groups = {c} / {g} = {per} input channels" if g > 1 else f"in_channels = {c} input channels")
    mistakes = []
    if g > 1:
        mistakes.append(Mistake("groups ignored", o * c * k * k + bias,
                                f"That ignores groups={g}: each output channel sees only its group's {sees}, "
                                f"so a weight has {o} × {per} × {k} × {k} = {weights} numbers."))
    if spec.bias:
        mistakes += [Mistake("bias forgotten", weights,
                             f"That counts the weights only. With bias=True (torch's default) each output "
                             f"channel also has one bias: + {o}."),
                     Mistake("bias per input channel", weights + c,
                             f"The bias belongs to the output channels, one each: + {o}, not + {c}.")]
    else:
        mistakes.append(Mistake("bias counted", weights + o,
                                "This layer has bias=False: there is no bias to count, only the weight."))
    mistakes += [
        Mistake("input channels forgotten", o * k * k + bias,
                f"Each output channel has one {k}×{k} kernel for each of the {sees} it sees: multiply by {per}."),
        Mistake("kernel not squared", o * per * k + bias,
                f"Each kernel is {k} × {k}: count both sides of the kernel."),
        Mistake("output channels forgotten", per * k * k + (1 if spec.bias else 0),
                f"That is one output channel's share: there are out_channels = {o}, each with its own kernels"
                + (" and bias." if spec.bias else ".")),
        Mistake("in and out swapped", c * (o // g) * k * k + (c if spec.bias else 0),
                f"in_channels and out_channels are swapped: the weight is [out, in / groups, k, k] = "
                f"[{o}, {per}, {k}, {k}], and the bias has one per output channel."),
    ]
    return kept(total, mistakes)


# --- one output value of a convolution ----------------------------------------------------------
def conv_value_mistakes(session, cell: tuple[int, int, int], step) -> tuple[Mistake, ...]:
    """``session`` is the lab's ``ConvSession``, ``step`` its explanation of ``cell``."""
    from tutor.engine.conv import conv_forward
    from tutor.engine.layers import LayerError

    o, r, c = cell
    unrolled = step.detail
    layer, x, weight, bias = session.layer, session.x, session.weight, session.bias

    def run(spec=layer, w=weight) -> float | None:
        """Output cell (r, c) of the layer run with the mistake (None where torch refuses it)."""
        try:
            out = conv_forward(spec, x, w, bias)
        except LayerError:
            return None
        return float(out[0, o, r, c]) if r < out.shape[2] and c < out.shape[3] else None

    mistakes = []
    if len(unrolled.channels) > 1:
        mistakes += [Mistake("one input channel only", terms.subtotal,
                             f"{format_number(terms.subtotal)} is only input channel {terms.in_channel}'s part: "
                             "an output cell adds up the products of every input channel it sees.")
                     for terms in unrolled.channels]
    if unrolled.bias:
        mistakes.append(Mistake("bias forgotten", unrolled.total - unrolled.bias,
                                f"That leaves out the bias: add c.bias[{o}] = {format_number(unrolled.bias)} "
                                "after the products."))
    mistakes.append(Mistake("kernel flipped", run(w=weight[..., ::-1, ::-1].copy()),
                            "That is a true convolution, with the kernel flipped. PyTorch's Conv2d does not flip it: "
                            "kernel[0, 0] multiplies the window's top-left cell (cross-correlation)."))
    mistakes.append(Mistake("kernel transposed", run(w=weight.swapaxes(-1, -2).copy()),
                            "That pairs the kernel's rows with the window's columns: kernel[i, j] multiplies "
                            "the window's cell in row i, column j."))
    if layer.stride > 1:
        mistakes.append(Mistake("stride ignored", run(spec=replace(layer, stride=1)),
                                f"That window starts at row {r}, column {c} of the padded input: with stride "
                                f"{layer.stride} the window of output cell ({r}, {c}) starts at row "
                                f"{r * layer.stride}, column {c * layer.stride}."))
    if max(layer.pads):
        mistakes.append(Mistake("padding ignored", run(spec=replace(layer, padding=0)),
                                "That window leaves out the padding: it starts on the padding ring, so its "
                                "top-left cell is a 0 outside the input."))
    s = layer.stride
    where = (f"input row {r}, column {c}" if s == 1 and not max(layer.pads) else
             f"row {r} × {s} = {r * s}, column {c} × {s} = {c * s} of the padded input")
    rows, cols = session.output.shape[2:]
    for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        if 0 <= r + dr < rows and 0 <= c + dc < cols:
            mistakes.append(Mistake("window at the wrong place", float(session.output[0, o, r + dr, c + dc]),
                                    f"That is output[0, {o}, {r + dr}, {c + dc}]: the window one place off. "
                                    f"Output cell ({r}, {c}) uses the window whose top-left cell is at {where}."))
    return kept(step.value, [m for m in mistakes if m.wrong is not None])


# --- one output value of pooling ------------------------------------------------------------------
def pool_value_mistakes(session, cell: tuple[int, int, int], step) -> tuple[Mistake, ...]:
    """``session`` is the lab's ``PoolSession``, ``step`` its explanation of ``cell``."""
    ch, r, c = cell
    window = step.detail
    values = [t.value for t in window.taps]
    mistakes = []
    if session.pool.kind == "max":
        mistakes += [Mistake("average for max", sum(values) / len(values),
                             "That is the window's average: MaxPool2d keeps the largest value."),
                     Mistake("smallest", min(values), "That is the window's smallest value: MaxPool2d keeps the largest."),
                     Mistake("sum", sum(values), "That is the window's sum: MaxPool2d keeps the largest value.")]
        if window.padding_taps:
            mistakes.append(Mistake("padding counted in a max", max([*values, 0.0]),
                                    "That counts the padding as 0. MaxPool2d pads with -inf: a padding cell never wins."))
    else:
        mistakes += [Mistake("max for average", max(values), "That is the window's largest value: AvgPool2d takes the mean."),
                     Mistake("sum not divided", window.total,
                             f"That is the window's sum: divide it by the {window.divisor} cells."),]
        if window.padding_taps:
            mistakes.append(Mistake("padding left out of the divisor", window.total / len(values),
                                    f"torch counts the padding zeros too (count_include_pad=True): divide by "
                                    f"{window.divisor}, not {len(values)}."))
    rows, cols = session.out.shape[2:]
    for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        if 0 <= r + dr < rows and 0 <= c + dc < cols:
            mistakes.append(Mistake("window at the wrong place", float(session.out[0, ch, r + dr, c + dc]),
                                    f"That is output[0, {ch}, {r + dr}, {c + dc}]: the window one place off. Output "
                                    f"cell ({r}, {c}) pools the window whose top-left cell is at row {r} × {session.pool.step} = "
                                    f"{r * session.pool.step}, column {c} × {session.pool.step} = {c * session.pool.step}."))
    return kept(step.value, mistakes)



# --- a prediction about training ------------------------------------------------------------------
def prediction_mistakes(stays: bool, steps: int, init: str, distinct: int, kernels: int,
                        identical_steps: int) -> tuple[Mistake, ...]:
    """The wrong prediction, answered from torch's own run: what happened, and why."""
    became = "still one kernel" if stays else f"{distinct} different kernels"
    evidence = (f"torch's run: after {steps} steps from {init} weights, the {kernels} hidden kernels are "
                f"{became}, and their gradients were identical at {identical_steps} of {steps} steps.")
    why = ("Equal kernels get equal gradients, so no update can make them differ." if stays else
           "Kernels that start different get different gradients, so they drift further apart.")
    return (Mistake("prediction against the run", not stays, f"{evidence} {why}"),)
