"""How an answer's verdict is shown, the same on an exercise card and a drill or review card."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input


def show_verdict(feedback: Widget, answer: Input, state: str) -> None:
    """Colour the verdict (``wrong``, ``correct``, or neither). After a wrong one the answer
    stays in its box, selected: typing replaces it, an arrow key or End edits it."""
    feedback.set_class(state == "wrong", "-wrong")
    feedback.set_class(state == "correct", "-correct")
    if state == "wrong":
        answer.select_all()
