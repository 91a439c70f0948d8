"""The misconception catalogue of the backward lesson: transposed output shapes, unfolded columns,
gradients' shapes and cells, flipped kernels and output_padding. Each wrong answer is worked out
from the exercise (a run of torch where it needs one), with a message that names the mistake."""

from __future__ import annotations

from dataclasses import replace

from tutor.course.answers import Mistake
from tutor.engine.spec import TransposedSpec
from tutor.labs.explain import shape_text, side_question
from tutor.labs.mistakes import kept
from tutor.numbers import format_number


# --- shapes -------------------------------------------------------------------------------------
def transposed_shape_mistakes(spec: TransposedSpec, shape: tuple[int, ...], out: tuple[int, ...]) -> tuple[Mistake, ...]:
    n, c, h, w = shape
    o = out[1]
    height = side_question(spec, h)
    sides = (lambda **changes: (n, o, *(replace(spec, **changes).side(size) for size in (h, w))))
    k, s, d, p = spec.kernel_size, spec.stride, spec.dilation, spec.padding
    conv_side = (lambda size: (size + 2 * p - d * (k - 1) - 1) // s + 1)
    mistakes = [
        Mistake("Conv2d's formula used", (n, o, conv_side(h), conv_side(w)),
                f"That is what a Conv2d with these settings gives: it shrinks. A transposed convolution grows: each "
                f"input cell scatters a kernel, stride cells apart. Height: {height}"),
        Mistake("size times stride", (n, o, h * s, w * s),
                f"Not quite the input times the stride: the copies of the kernel start (H - 1) × stride apart, "
                f"then the kernel's own span is added. Height: {height}"),
        Mistake("(H - 1) written H", (n, o, spec.side(h) + s, spec.side(w) + s),
                f"The first input cell's kernel starts at 0: the last starts (H - 1) × stride later, not H × stride. "
                f"Height: {height}"),
        Mistake("padding added", (n, o, spec.side(h) + 4 * p, spec.side(w) + 4 * p),
                f"In a transposed convolution, padding crops the output: - 2 × padding. Height: {height}"),
        Mistake("channels unchanged", (n, c, *out[2:]),
                f"The sides are right; a ConvTranspose2d gives out_channels = {o} maps, whatever the input had."),
        Mistake("weight shape given", spec.weight_shape,
                f"{shape_text(spec.weight_shape)} is the weight's shape ([in, out, k, k] for a transposed "
                "convolution). The output is [batch, channels, height, width]."),
        Mistake("batch dropped", tuple(out[1:]),
                "Close, but PyTorch keeps the batch axis: [batch, channels, height, width]."),
    ]
    if spec.output_padding:
        mistakes.append(Mistake("output_padding forgotten", sides(output_padding=0),
                                f"That leaves out output_padding={spec.output_padding}: it adds rows at the bottom "
                                f"and columns at the right. Height: {height}"))
    if d > 1:
        mistakes.append(Mistake("dilation ignored", sides(dilation=1),
                                f"With dilation={d} the kernel spans d × (k - 1) + 1 = {d * (k - 1) + 1} cells. "
                                f"Height: {height}"))
    return kept(tuple(out), [m for m in mistakes if min(m.wrong) >= 0])


def transposed_parameter_mistakes(spec: TransposedSpec, total: int) -> tuple[Mistake, ...]:
    i, o, k = spec.in_channels, spec.out_channels, spec.kernel_size
    weights = i * o * k * k
    mistakes = [Mistake("bias per input channel", weights + i,
                        f"The bias belongs to the output channels, one each: + {o}, not + {i}.")]
    mistakes.append(Mistake("bias forgotten", weights, f"With bias=True each output channel has one bias: + {o}.")
                    if spec.bias else Mistake("bias counted", weights + o, "This layer has bias=False: no bias."))
    mistakes.append(Mistake("kernel not squared", i * o * k + (o if spec.bias else 0),
                            f"Each kernel is {k} × {k}: count both sides."))
    return kept(total, mistakes)


def unfold_shape_mistakes(value: tuple[int, ...], channels: int, k: int, out_size: tuple[int, int]) -> tuple[Mistake, ...]:
    n, rows, columns = value
    return kept(value, [
        Mistake("columns and rows swapped", (n, columns, rows),
                "F.unfold stands each window up as a column: [batch, numbers in a window, windows], not the "
                "windows first."),
        Mistake("channels forgotten", (n, k * k, columns),
                f"A column holds the window of every input channel: {channels} × {k} × {k} = {rows} numbers."),
        Mistake("batch dropped", (rows, columns), "F.unfold keeps the batch axis first."),
        Mistake("windows not flattened", (n, rows, *out_size),
                f"F.unfold lists the windows in one axis: {out_size[0]} × {out_size[1]} = {columns} columns."),
    ])


def gradient_shape_mistakes(of: str, value: tuple[int, ...], shapes: dict[str, tuple[int, ...]]) -> tuple[Mistake, ...]:
    """``shapes``: the input's, the weight's, the bias's and the output's."""
    names = {"input": "a", "weight": "c.weight", "bias": "c.bias"}
    mistakes = [Mistake("the output's shape", shapes["output"],
                        f"That is the shape of the output and of dL/dy. {names[of]}.grad has the shape of {names[of]}: "
                        "one gradient for each number it holds.")]
    mistakes += [Mistake(f"the {other}'s shape", shapes[other],
                         f"That is {names[other]}'s shape. A gradient has the shape of what it is the gradient of: "
                         f"{names[of]}.")
                 for other in ("input", "weight", "bias") if other != of and shapes.get(other)]
    return kept(value, mistakes)


# --- gradient cells --------------------------------------------------------------------------------
def input_gradient_mistakes(session, cell: tuple[int, int, int], found, value: float) -> tuple[Mistake, ...]:
    """``session``: the lab's ``GradientSession``; ``found``: the cell's terms."""
    from tutor.engine import backward

    c, i, j = cell
    layer, weight = session.layer, session.conv.weight
    mistakes = []
    unflipped = backward.input_gradient_cell(layer, backward.flipped(weight), session.upstream, c, i, j)
    mistakes.append(Mistake("kernel not flipped", unflipped.total,
                            "That slides the kernel over dL/dy as it is stored. Going back, the kernel is turned "
                            "180°: the window whose top-left cell is this input cell used kernel[0, 0] on it, the "
                            "window one row and column up used kernel[1, 1], and so on."))
    if len(found.terms) > 1:
        first = found.terms[0]
        mistakes.append(Mistake("one window only", first.upstream * first.factor,
                                f"That is one window's share. a[0, {c}, {i}, {j}] was covered by {len(found.terms)} "
                                "windows: each sends back its dL/dy times the kernel value that met the cell. Add them all."))
    if i < session.conv.output.shape[2] and j < session.conv.output.shape[3]:
        forward = float(session.conv.output[0, c % session.conv.output.shape[1], i, j])
        mistakes.append(Mistake("forward value", forward,
                                "That is the layer's output at that place, from the forward pass. The gradient "
                                "flows the other way: dL/dy times the kernel values."))
    return kept(value, mistakes)


def weight_gradient_mistakes(session, found, value: float, kernel_value: float) -> tuple[Mistake, ...]:
    upstream_sum = sum(term.upstream for term in found.terms)
    mistakes = [
        Mistake("windows counted", upstream_sum,
                f"{format_number(upstream_sum)} adds up dL/dy alone. Each window's dL/dy multiplies the input cell "
                "this kernel cell met in that window."),
        Mistake("the weight itself", kernel_value,
                "That is the kernel's value. Its gradient is what the loss does when the value changes: "
                "the input cells it met, times dL/dy."),
    ]
    if len(found.terms) > 1:
        first = found.terms[0]
        mistakes.append(Mistake("one window only", first.upstream * first.factor,
                                f"That is the first window's share: the kernel cell met an input cell in each of the "
                                f"{len(found.terms)} windows. Add them all."))
    return kept(value, mistakes)


# --- flipped kernels and output_padding ----------------------------------------------------------
def flipped_value_mistakes(values: dict[str, float], subtotals: dict[int, float], value: float) -> tuple[Mistake, ...]:
    """``values``: the output cell with the kernel as stored, flipped top to bottom only, left to
    right only, and transposed (each run by torch); ``subtotals``: each input channel's part."""
    alone = [Mistake("one input channel only", part,
                     f"{format_number(part)} is only input channel {channel}'s part: add every input channel's "
                     "window times its flipped kernel.") for channel, part in subtotals.items()] if len(subtotals) > 1 else []
    return kept(value, [*alone,
        Mistake("not flipped", values["stored"],
                "That is nn.Conv2d's value, with the kernel as stored. Flipped, kernel[0, 0] multiplies the window's "
                "bottom-right cell."),
        Mistake("rows only", values["rows"], "That flips the kernel top to bottom only: turn it left to right too."),
        Mistake("columns only", values["columns"], "That flips the kernel left to right only: turn it top to bottom too."),
        Mistake("transposed", values["transposed"],
                "That mirrors the kernel across its diagonal. A flip turns it 180°: kernel[i, j] becomes "
                "kernel[k - 1 - i, k - 1 - j]."),
    ])


def output_padding_mistakes(value: int, stride: int) -> tuple[Mistake, ...]:
    mistakes = [Mistake("none needed", 0, "Without output_padding the transposed convolution gives back the "
                        "smallest size that the Conv2d maps to this one, not the size it started from."),
                Mistake("negative", -1, "output_padding adds rows and columns: it is 0 or more."),
                *(Mistake("as large as the stride", wrong, f"output_padding must be smaller than the stride ({stride}): a "
                          f"Conv2d of stride {stride} maps at most {stride} sizes to one, so there are no more to pick "
                          "from (torch refuses it).") for wrong in (stride, stride + 1))]
    if stride - 1 != value:
        mistakes.append(Mistake("stride - 1", stride - 1,
                                "output_padding is not always stride - 1: it is the difference between the size "
                                "you want and what the formula gives without it."))
    return kept(value, mistakes)
