"""A setting chosen from a short list with the keyboard: ← / → (or - / +) step through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tutor.widgets.text import plain


class Stepper(Widget, can_focus=True):
    """``label ◂ value ▸`` (``◀ ▶`` when focused). The learner's changes are posted as
    ``Changed``; the owner may put the old value back (by setting ``value``) when it refuses
    the new one."""

    HELP = """
### Setting
**←** / **→** (or **-** / **+**) choose the previous or next value.
"""

    BINDINGS = [
        Binding("left,minus", "change(-1)", "Less", tooltip="Previous value of this setting"),
        Binding("right,plus,equals_sign", "change(1)", "More", tooltip="Next value of this setting"),
    ]

    DEFAULT_CSS = """
    Stepper { width: auto; height: 1; padding: 0 1; background: $boost; }
    Stepper:focus { background: $accent; color: $text; text-style: bold; }
    """

    value: reactive[Any] = reactive(None)

    @dataclass
    class Changed(Message):
        """The learner stepped the setting ``delta`` choices on, from ``previous`` to ``value``:
        the owner may step from the value it really uses (keys in a burst outrun it)."""

        stepper: Stepper
        value: Any
        previous: Any
        delta: int

        @property
        def control(self) -> Stepper:
            return self.stepper

    def __init__(self, label: str, choices: Sequence[Any], value: Any, *, names: Sequence[str] | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.choices = list(choices)
        self.names = list(names) if names else [str(choice) for choice in self.choices]
        self.set_reactive(Stepper.value, self.validate_value(value))

    def validate_value(self, value: Any) -> Any:
        """A value that is not among the choices (a lesson's 16x16 input, its lr 0.05) joins
        them in order, so the setting shows and steps from the value really in use."""
        if value not in self.choices:
            numbers = [i for i, c in enumerate(self.choices) if _number(c) and _number(value) and c > value]
            at = numbers[0] if numbers else len(self.choices)
            self.choices.insert(at, value)
            self.names.insert(at, str(value))
        return value

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """As wide as its widest value: the setting never changes width (the row does not jump
        under the learner's eyes) and no value is cut."""
        return len(self.label) + max(map(len, self.names)) + 5

    def render(self):
        index = self.choices.index(self.value)
        left, right = ("◀", "▶") if self.has_focus else ("◂", "▸")  # focus shown without colour too
        return plain(f"{self.label} {left} {self.names[index]} {right}", multiline=False)

    def action_change(self, delta: int) -> None:
        """Step to the previous or next choice, and say so. At an end the key is still said (with
        the value unchanged): the owner may be stepping from another value than the one shown,
        which keys in a burst (an ``r`` before this one) have not yet caught up with."""
        previous, self.value = self.value, self.step_from(self.value, delta)
        self.post_message(self.Changed(self, self.value, previous, delta))

    def step_from(self, value: Any, delta: int) -> Any:
        """The choice ``delta`` steps on from ``value``, stopping at either end of the list."""
        index = self.choices.index(value) + delta
        return self.choices[min(max(index, 0), len(self.choices) - 1)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
