"""Reading numbers a learner types and writing numbers for the screen.

Shared by the grids (cell edits) and the exercises (answers): text is parsed, never evaluated.
"""

from __future__ import annotations

import math
import re

MAX_CHARS = 32
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)  # ASCII digits only
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


class NumberError(ValueError):
    """Text that is not a usable number; the message says why, in plain words."""


def shown(text: str, limit: int = 16) -> str:
    """Text quoted for a message: printable, short, and safe to put on screen."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(clean if len(clean) <= limit else clean[:limit] + "…")


def parse_number(text: str, limit: float | None = None) -> float:
    """A finite float from ``text``, or a ``NumberError`` that says what is wrong."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus is still a minus
    if not text:
        raise NumberError("Nothing was typed: type a number, e.g. 0.5 or -2.")
    if len(text) > MAX_CHARS:
        raise NumberError(f"That is {len(text)} characters long: a number needs at most {MAX_CHARS}.")
    if text.lower() in _NOT_FINITE:
        raise NumberError(f"{shown(text)} is not a finite number: type an ordinary number.")
    if not _NUMBER.fullmatch(text):
        raise NumberError(f"{shown(text)} is not a number: use digits, '.', '-' (e.g. -0.45).")
    value = float(text)
    if not math.isfinite(value):
        raise NumberError(f"{shown(text)} is too large: it overflows to infinity.")
    if limit is not None and abs(value) > limit:
        raise NumberError(f"{shown(text)} is out of range: keep values within ±{format_number(limit)}.")
    return value + 0.0  # turns -0.0 into 0.0


def format_number(value: float, places: int = 4) -> str:
    """``value`` rounded to ``places`` decimals, without trailing zeros or a minus on zero."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_term(value: float, decimals: int = 0) -> str:
    """A factor inside written-out arithmetic: negatives in brackets, as in ``4×(-0.4)``; with
    ``decimals``, written as the grid it comes from writes it (``0.0260`` beside ``-0.1247``)."""
    text = fixed(value, decimals)
    return f"({text})" if text.startswith("-") else text


def fixed(value: float, decimals: int) -> str:
    """``format_number(value)`` written with exactly ``decimals`` decimals, so that a column of
    numbers lines up: ``-0.1540`` beside ``-0.2397``, not ``-0.154``."""
    text = format_number(value)
    if decimals <= 0 or not math.isfinite(value):
        return text
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(decimals, '0')}"


def column_format(values) -> tuple[int, int]:
    """(width, decimals) of a 2-D array written with ``fixed``: the decimals are the most that
    ``format_number`` keeps for any of them. Worked out with numpy for all values at once:
    formatting each of 65,536 numbers takes ~100 ms."""
    import numpy as np

    signed = np.asarray(values, dtype=np.float64)
    if signed.size == 0:
        return 1, 0
    shifted = np.abs(signed) * 1e4  # the four decimals format_number keeps
    scaled = np.round(shifted)
    whole, fraction = scaled // 10_000, (scaled % 10_000).astype(np.int64)
    trailing = (fraction % 10 == 0).astype(int) + (fraction % 100 == 0) + (fraction % 1000 == 0)
    decimals = int(np.where(fraction == 0, 0, 4 - trailing).max())
    digits = np.where(whole < 1, 1, np.floor(np.log10(np.maximum(whole, 1))) + 1)
    sign = (signed < 0) & (scaled > 0)
    # A value a hair from a rounding boundary may round the other way in exact decimal: format it.
    close = [float(v) for v in signed[np.abs(shifted - np.floor(shifted) - 0.5) < 1e-6]]
    decimals = max([decimals, *(len(format_number(v).partition(".")[2]) for v in close)])
    width = int((sign + digits).max()) + (decimals + 1 if decimals else 0)
    return max([width, *(len(fixed(v, decimals)) for v in close)]), decimals
