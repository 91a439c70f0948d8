"""Shown instead of a squashed layout when the terminal is too small to use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 50, 15


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmallScreen(Screen):
    """Says how big the terminal must be; the app takes it away when the terminal grows."""

    BINDINGS = [Binding("q", "app.quit", "Quit")]

    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen Static { width: auto; max-width: 100%; height: auto; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.show(self.app.size.width, self.app.size.height)

    def show(self, width: int, height: int) -> None:
        self.query_one(Static).update(
            f"cnn-tutor needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nThis terminal is {width}×{height}.\n"
            "Make it bigger (q quits).")
