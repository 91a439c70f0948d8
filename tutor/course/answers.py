"""Read a learner's answer and check it against the engine's expected value.

Answers are parsed, never evaluated: a shape is a list of integers however it is spelled
(``[1, 3, 3, 3]``, ``(1,3,3,3)``, ``1x3x3x3``, ``torch.Size([1, 3, 3, 3])``), a number is a
finite float, a count is a whole number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.course.model import Choice
from tutor.numbers import NumberError, format_number, parse_number, shown

MAX_ANSWER_CHARS = 64
_SIZE = re.compile(r"^torch\.size\s*\((.*)\)$", re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(r"\s*(?:,|x|×|\*)\s*|\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Mistake:
    """A known misconception: its name, the wrong answer it leads to, and what to say."""

    name: str
    wrong: object
    message: str


@dataclass(frozen=True)
class Expected:
    """An exercise's answer as the engine computed it, its worked solution, and the wrong
    answers (with what to say) that reveal a known mistake."""

    kind: str  # "shape", "number", "integer" or "choice"
    value: tuple[int, ...] | float | int | bool
    solution: str
    mistakes: tuple[Mistake, ...] = ()
    axes: str | None = None  # a shape's axes by name; None: [batch, channels, height, width] for four


class AnswerError(ValueError):
    """An answer that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str
    mistake: str | None = None  # the catalogued mistake the answer reveals, if one does


def parse_shape(text: str) -> tuple[int, ...]:
    typed = text = text.strip()
    if match := _SIZE.match(text):
        text = match.group(1).strip()
    while len(text) >= 2 and text[0] + text[-1] in ("[]", "()"):
        text = text[1:-1].strip()
    parts = _SEPARATORS.split(text.removesuffix(",").rstrip())  # (2,): Python's way to write one size
    if len(parts) > 1 and "" in parts:  # 1x3x3x3x, 1,,3: a separator with no size after it
        raise AnswerError(f"{shown(typed)} has a separator with no size beside it: e.g. [1, 2, 4, 4] or 1x2x4x4.")
    if not text or len(parts) > 8 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        raise AnswerError(f"{shown(typed)} is not a shape: write sizes in order, e.g. [1, 2, 4, 4] or 1x2x4x4.")
    return tuple(int(p) for p in parts)


def parse_integer(text: str) -> int:
    value = parse_number(text)
    if abs(value) >= 2 ** 53:  # beyond this a float cannot hold every whole number: 1e20 is no count
        raise AnswerError(f"{shown(text.strip())} is too large for a count.")
    if value != int(value):
        raise AnswerError(f"{shown(text.strip())} is not a whole number: a count has no fraction.")
    return int(value)


def close_enough(answer: float, target: float) -> bool:
    # Two decimals are enough: the tolerance covers rounding to 0.01 (and float32 noise).
    return abs(answer - target) <= 0.0051 + 1e-4 * abs(target)


def _parse(kind: str, text: str):
    if not text.strip():
        raise AnswerError("Nothing was typed: type your answer, then press Enter.")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"That answer is {len(text)} characters long; an answer needs at most {MAX_ANSWER_CHARS}.")
    try:
        if kind == "shape":
            return parse_shape(text)
        value = parse_number(text)
        return parse_integer(text) if kind == "integer" else value
    except NumberError as error:
        raise AnswerError(str(error)) from None


def parse_choice(text: str, choices: tuple[Choice, ...]) -> Choice:
    key = text.strip().strip("()[]").rstrip(").").strip().lower()
    for choice in choices:
        if choice.key == key:
            return choice
    keys = ", ".join(choice.key for choice in choices)
    raise AnswerError(f"{shown(text.strip())} is not one of the choices: type its letter ({keys}).")


def check(expected: Expected, text: str, choices=()) -> Verdict:
    """Right or wrong, with a message; ``AnswerError`` if ``text`` cannot be read at all. A wrong
    answer that a catalogued mistake explains is answered by that mistake's message."""
    if expected.kind == "choice":
        if not text.strip():
            raise AnswerError("Nothing was typed: type the letter of your choice, then press Enter.")
        choice = parse_choice(text, choices)
        if choice.value == expected.value:
            return Verdict(True, f"Correct: ({choice.key}) {choice.text}")
        answer, matches, shown_answer = choice.value, (lambda a, b: a == b), f"({choice.key})"
    else:
        answer = _parse(expected.kind, text)
        matches = (lambda a, b: close_enough(a, float(b))) if expected.kind == "number" else (lambda a, b: a == b)
        if matches(answer, expected.value):
            return Verdict(True, f"Correct: {_show(expected.value)}.")
        shown_answer = _show(answer)
    for mistake in expected.mistakes:
        if matches(answer, mistake.wrong):
            return Verdict(False, mistake.message, mistake.name)
    if expected.kind == "shape" and len(answer) != len(expected.value):
        names = expected.axes or ("[batch, channels, height, width]" if len(expected.value) == 4 else "")
        return Verdict(False, f"The answer has {len(expected.value)} axes{', ' + names if names else ''}; "
                       f"yours has {len(answer)}.", "axes")
    if expected.kind == "number" and abs(answer - float(expected.value)) <= 0.06 + 0.01 * abs(float(expected.value)):
        return Verdict(False, f"{shown_answer} is close, but not within two decimals: keep every digit of the "
                       "products and sums, and round only the result.", "rounded too early")
    return Verdict(False, f"{shown_answer} is not it.")


def _show(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return format_number(value) if isinstance(value, float) else str(value)
