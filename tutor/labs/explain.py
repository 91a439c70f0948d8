"""Arithmetic written out in words and symbols, from numbers the engine computed."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from math import ceil, floor

from tutor.engine.spec import ConvSpec, LayerSpec, PoolSpec, TransposedSpec
from tutor.numbers import fixed, format_number, format_term


def shape_text(shape) -> str:
    """``[1, 3, 3, 3]``: a shape as PyTorch prints the inside of ``torch.Size``."""
    return "[" + ", ".join(str(n) for n in shape) + "]"


def channel_line(terms, max_terms: int | None = None, decimals: tuple[int, int, int] = (0, 0, 0)) -> str:
    """``0×0.1 + 1×0.2 + 4×(-0.4) + 5×(-0.5) = -3.9`` for one input channel's window; past
    ``max_terms`` products, the rest are counted, not written (a 9×9 kernel has 81). Taps on
    padding cells multiply a 0: they are counted, not written. ``decimals``: the input's, the
    kernel's and the result's, as their grids write them."""
    inside = [t for t in terms.taps if not t.padding]
    padding = len(terms.taps) - len(inside)
    taps = inside if max_terms is None else inside[:max_terms]
    xs = [_factor(t.x, decimals[0]) for t in taps]
    ws = [_factor(t.w, decimals[1]) for t in taps]
    parts = [f"{x}×{w}" for (x, _), (w, _) in zip(xs, ws)]
    if len(taps) < len(inside):
        parts.append(f"… ({len(inside) - len(taps)} more)")
    if padding:
        parts.append(f"0 ({padding} padding cell{'s' if padding > 1 else ''})")
    shown = sum((x * w for (_, x), (_, w) in zip(xs, ws)), Decimal(0))
    sign = "=" if len(taps) < len(inside) else equals(shown, terms.subtotal)  # unwritten terms: not checkable
    return f"{' + '.join(parts)} {sign} {fixed(terms.subtotal, decimals[2])}"


@lru_cache(maxsize=8192)
def _factor(value: float, decimals: int) -> tuple[str, Decimal]:
    """A factor as the sum writes it, and as the screen shows it: made once, not once for each
    window that reaches its cell (a 5x5 window reaches a cell 25 times)."""
    return format_term(value, decimals), printed(value)


LABEL = re.compile(r"[^:]{1,12}:\s+")  # ``in 0:  `` or ``sum:   ``: the rest of a line is aligned after it
WORDS = re.compile(r"\s+|\S+")  # words and the runs of spaces between them
LONG_SPACES = re.compile(r"\s{3,}")
TERM_MARKS = re.compile(r"[()\[\]]| (?=[+=≈] )")  # brackets, and the space before an operator


def wrapped(line: str, width: int) -> list[str]:
    """A line of arithmetic broken to lines of at most ``width`` characters: between its terms
    (each continuation starts with its ``+``, ``=`` or ``≈``), indented to where the terms begin
    (after a label like ``in 0:``). Where whole terms, or that indent, would take a row more
    than breaking at any space and indenting by two, the fewest rows win (a row counts at
    80x24); whole terms come before the alignment. Broken here, not by the screen, it reads as
    one sum, and the box is as tall as its lines."""
    if width <= 0 or len(line) <= width:
        return [line]
    label = LABEL.match(line)
    indents = [len(label.group()), 2] if label and len(label.group()) <= width // 3 else [2]
    terms = _terms(line)
    first = _by_terms(terms, width, indents[0])
    if len(first) <= _fewest_rows(line, width):
        return first  # no other way can beat it: they need not be tried
    ways = [first, *(_by_terms(terms, width, indent) for indent in indents[1:]),
            *(_by_words(line, width, indent) for indent in indents)]
    return min(ways, key=len)  # the first of the shortest: whole terms, then aligned, where they cost nothing


def _fewest_rows(line: str, width: int) -> int:
    """Rows that no way of breaking ``line`` can go below: a continuation is indented by 2 or
    more and drops the run of spaces it breaks at, so only runs of 3 or more shorten the text."""
    if width <= 4:
        return 0  # rows may be wider than the width: no bound
    slack = sum(len(run) - 2 for run in LONG_SPACES.findall(line))
    return -(-(len(line) - slack) // width)


def _by_words(line: str, width: int, indent: int) -> list[str]:
    """Broken at spaces, as ``textwrap.wrap`` does (a run of spaces inside a row is kept; a word
    longer than a row is cut), continuations indented by ``indent``."""
    chunks = WORDS.findall(line)[::-1]
    rows: list[str] = []
    while chunks:
        lead = " " * indent if rows else ""
        room = width - len(lead)
        if rows and not chunks[-1].strip():
            chunks.pop()
        row, used = [], 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            row.append(chunks.pop())
        if chunks and len(chunks[-1]) > room:  # a word longer than a row: as much as fits here
            cut = room - used if room >= 1 else 1
            row.append(chunks[-1][:cut])
            chunks[-1] = chunks[-1][cut:]
        if row and not row[-1].strip():
            row.pop()
        if row:
            rows.append(lead + "".join(row))
    return rows or [line]


def _by_terms(terms: list[str], width: int, indent: int) -> list[str]:
    """Whole terms a line; a term longer than a line is broken at its spaces."""
    rows = [""]
    for term in terms:
        if not rows[-1] or len(rows[-1]) + 1 + len(term) <= width:
            rows[-1] = f"{rows[-1]} {term}" if rows[-1] else term
        else:
            rows.append(" " * indent + term)
    return [part for row in rows for part in (_by_words(row, width, indent) if len(row) > width else [row])]


def _terms(line: str) -> list[str]:
    """``line`` cut before each `` + ``, `` = `` and `` ≈ `` outside brackets: its terms. Only
    the brackets and the operators are visited, not every character (a step wraps a few sums)."""
    terms, depth, start = [], 0, 0
    for match in TERM_MARKS.finditer(line):
        mark = match.group()
        if mark in "([":
            depth += 1
        elif mark in ")]":
            depth -= depth > 0
        elif not depth:
            terms.append(line[start:match.start()])
            start = match.start() + 1
    return [*terms, line[start:]]


def printed(value: float) -> Decimal:
    """A number exactly as the screen shows it."""
    return Decimal(format_number(value))


def equals(shown: Decimal, value: float) -> str:
    """``=`` when the numbers on screen, worked out by hand, give ``value`` as shown; ``≈`` when
    they do not (the factors are rounded to four decimals, and torch adds in float32)."""
    return "=" if format_number(float(shown)) == format_number(value) else "≈"


def unrolled_lines(unrolled, max_terms: int | None = None, written=None, decimals=None,
                   output_decimals: int = 0) -> list[str]:
    """One line per input channel written out term by term (those numbered in ``written``, if
    given: all else), one for the channels that are not, then the bias and the sum.
    ``decimals(terms)``: the decimals the grids write a channel's input and kernel with;
    ``output_decimals``: the output map's, for the subtotals, the bias and the total."""
    shown = [t for t in unrolled.channels if written is None or t.in_channel in written]
    alone = len(unrolled.channels) == 1 and unrolled.bias is None  # its subtotal is the output
    # Subtotals, the bias and the total are written as the output map writes its numbers.
    lines = [f"in {t.in_channel}:  {channel_line(t, max_terms, (*(decimals(t) if decimals else (0, 0)), output_decimals))}"
             for t in shown]
    if len(shown) < len(unrolled.channels):
        rest = [t.in_channel for t in unrolled.channels if t.in_channel not in written]
        lines.append(f"in {spans(rest)}:  {len(rest)} more input channel{'s' if len(rest) > 1 else ''}, "
                     f"each a window times its kernel: {'their subtotals are' if len(rest) > 1 else 'its subtotal is'} "
                     "in the sum")
    if alone:
        return lines  # the one channel's total is the output: no sum to write
    values = [t.subtotal for t in unrolled.channels]
    parts = [format_term(v, output_decimals) for v in values]
    if unrolled.bias is not None:
        values.append(unrolled.bias)
        parts.append(f"{format_term(unrolled.bias, output_decimals)} (bias)")
    shown = sum((printed(v) for v in values), Decimal(0))
    lines.append(f"sum:   {' + '.join(parts)} {equals(shown, unrolled.total)} {fixed(unrolled.total, output_decimals)}")
    return lines


def spans(numbers: list[int]) -> str:
    """``0-2, 4-15``: ascending whole numbers as runs."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def side_formula(spec: LayerSpec, size: int) -> tuple[str, int]:
    """How one spatial side shrinks or grows: the formula from torch's docs, filled in.

    Returns the text and its value; tests hold the value to torch's own output shape.
    """
    expression, result, value = _side_parts(spec, size)
    return f"{expression} = {result}", value


def side_question(spec: LayerSpec, size: int) -> str:
    """The formula filled in, its result left to the learner: ``4 - 2 + 1 = ?``."""
    return f"{_side_parts(spec, size)[0]} = ?"


def side_value(size: int, kernel: int, stride: int, before: int, after: int, dilation: int = 1,
               rounding=floor) -> int:
    """``floor((size + before + after - dilation×(kernel - 1) - 1) / stride) + 1``, as torch's docs
    give it (a pooling window is a kernel of dilation 1)."""
    return rounding((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1


def _side_parts(spec: LayerSpec, size: int) -> tuple[str, str, int]:
    """The formula's expression, what it comes to (with a note), and its value."""
    if isinstance(spec, PoolSpec):
        return _pool_side(spec, size)
    if isinstance(spec, TransposedSpec):
        return (f"({size} - 1)×{spec.stride} - 2×{spec.padding} + {spec.dilation}×({spec.kernel_size} - 1) + "
                f"{spec.output_padding} + 1", str(spec.side(size)), spec.side(size))
    k, s, d = spec.kernel_size, spec.stride, spec.dilation
    before, after = spec.pads
    value = side_value(size, k, s, before, after, d)
    if (s, before, after, d) == (1, 0, 0, 1):  # no stride, padding or dilation yet: the plain count
        return f"{size} - {k} + 1", f"{value} (the positions a {k}-cell window fits in)", value
    padded = f"2×{before}" if before == after else f"{before} + {after}"
    span = size + before + after - d * (k - 1) - 1
    note = f"  ({span}/{s} = {span / s:g}, rounded down)" if span % s else ""
    return f"floor(({size} + {padded} - {d}×({k} - 1) - 1) / {s}) + 1", f"{value}{note}", value


def parameter_formula(spec: ConvSpec) -> tuple[str, int]:
    """out × in/groups × k × k weights, plus one bias per output channel; tests hold the value to
    ``sum(p.numel() for p in module.parameters())``."""
    k, per_group = spec.kernel_size, spec.in_channels // spec.groups
    weights = spec.out_channels * per_group * k * k
    text = f"weight {spec.out_channels} × {spec.in_channels}/{spec.groups} × {k} × {k} = {weights}"
    total = weights + (spec.out_channels if spec.bias else 0)
    if spec.bias:
        text += f", + bias {spec.out_channels} = {total}"
    return text, total


def _pool_side(spec: PoolSpec, size: int) -> tuple[str, str, int]:
    k, s, p = spec.kernel_size, spec.step, spec.padding
    rounding = ceil if spec.ceil_mode else floor
    value = side_value(size, k, s, p, p, rounding=rounding)
    expression = f"{rounding.__name__}(({size} + 2×{p} - {k}) / {s}) + 1"
    if spec.ceil_mode and (value - 1) * s >= size + p:  # torch drops a last window starting in the padding
        return expression, f"{value}, minus the last window, which would start in the padding: {value - 1}", value - 1
    return expression, str(value), value


def pool_lines(spec: PoolSpec, cell, decimals: tuple[int, int] = (0, 0)) -> list[str]:
    """A pooling window written out: its values, then the max (and where) or the mean.
    ``decimals``: the input's and the output's, as their grids write them. The max is an input
    cell, and is written as the window writes it."""
    values = [fixed(t.value, decimals[0]) for t in cell.taps]
    if spec.kind == "max":
        pad = f" and {len(cell.padding_taps)} padding cell(s) of -inf, which never win" if cell.padding_taps else ""
        row, col = cell.winner
        return [f"window: {', '.join(values)}{pad}",
                f"max = {fixed(cell.value, decimals[0])}, at input row {row}, column {col} (the index torch returns)"]
    terms = values + ["0"] * len(cell.padding_taps)
    total = equals(sum((Decimal(v) for v in values), Decimal(0)), cell.total)
    pad = f" ({len(cell.padding_taps)} padding zero(s) count too)" if cell.padding_taps else ""
    mean = "=" if printed(cell.total) / cell.divisor == printed(cell.value) else "≈"  # 13 / 9 ≈ 1.4444
    return [f"({' + '.join(terms)}) / {cell.divisor} {total} {fixed(cell.total, decimals[0])} / {cell.divisor}"
            f" {mean} {fixed(cell.value, decimals[1])}{pad}"]
