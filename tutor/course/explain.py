"""Arithmetic written out in words and symbols, from numbers the engine computed."""

from __future__ import annotations

from tutor.engine.spec import ConvSpec
from tutor.numbers import format_number, format_term


def channel_line(terms) -> str:
    """``0×0.1 + 1×0.2 + 4×(-0.4) + 5×(-0.5) = -3.9`` for one input channel's window."""
    products = " + ".join(f"{format_term(t.x)}×{format_term(t.w)}" for t in terms.taps)
    return f"{products} = {format_number(terms.subtotal)}"


def unrolled_lines(unrolled) -> list[str]:
    """One line per input channel, then the bias and the sum."""
    lines = [f"in {t.in_channel}:  {channel_line(t)}" for t in unrolled.channels]
    parts = [format_term(t.subtotal) for t in unrolled.channels]
    if unrolled.bias is not None:
        parts.append(f"{format_term(unrolled.bias)} (bias)")
    lines.append(f"sum:   {' + '.join(parts)} = {format_number(unrolled.total)}")
    return lines


def side_formula(spec: ConvSpec, size: int) -> tuple[str, int]:
    """How one spatial side shrinks or grows: the formula from the ``nn.Conv2d`` docs, filled in.

    Returns the text and its value; tests hold the value to torch's own output shape.
    """
    k, s, p, d = spec.kernel_size, spec.stride, spec.padding, spec.dilation
    value = (size + 2 * p - d * (k - 1) - 1) // s + 1
    text = f"floor(({size} + 2×{p} - {d}×({k} - 1) - 1) / {s}) + 1 = {value}"
    return text, value
