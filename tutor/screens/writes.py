"""What a frame writes to the terminal: the dirty spans and nothing else, each style once.

Textual writes each dirty span from the start of the widget it lies in: a window moving along
a wide grid rewrote the row up to it, twice (the cell it left and the cell it reached). The
partial update here writes the spans alone.

Textual also wraps every segment in its own style and a reset (``ESC[1;3mtext ESC[0m``), so a
row of twelve grid cells in two styles carried twelve pairs of codes; over SSH that is most of
the bytes. The ``Pen`` here sets a style only when it changes, resetting and setting in one
sequence; equal neighbours share it. A frame ends reset, as Textual's do.
"""

from __future__ import annotations

from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip


class Pen:
    """Text and cursor moves for a terminal, with a style code only where the style changes."""

    def __init__(self, console: Console) -> None:
        self.system = console._color_system or ColorSystem.TRUECOLOR
        self.codes = ""  # the style the terminal has now ("": reset, as every frame leaves it)
        self.parts: list[str] = []

    def move_to(self, x: int, y: int) -> None:
        self.parts.append(Control.move_to(x, y).segment.text)

    def newline(self) -> None:
        self.parts.append("\n")

    def draw(self, strip: Strip) -> None:
        append = self.parts.append
        for text, style, _ in strip:
            if style is not None and style._link:  # a link wraps its text in its own sequences
                self._set("")
                append(Strip.render_style(style, text, self.system))
                continue
            codes = "" if style is None else (style._ansi if style._ansi is not None else Strip.render_ansi(style, self.system))
            self._set(codes)
            append(text)

    def _set(self, codes: str) -> None:
        if codes != self.codes:
            self.parts.append(f"\x1b[0;{codes}m" if codes else "\x1b[0m")
            self.codes = codes

    def written(self) -> str:
        self._set("")
        return "".join(self.parts)


class SpansUpdate(ChopsUpdate):
    """A partial update that writes each dirty span and no more."""

    def render_segments(self, console: Console) -> str:
        pen = Pen(console)
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items()):
                if strip is None or x >= x2 or end <= x1:
                    continue
                start = max(x, x1)
                pen.move_to(start, y)
                pen.draw(strip.crop(start - x, min(end, x2) - x))
            if y != last_y:
                pen.newline()
        return pen.written()


class FullUpdate(LayoutUpdate):
    """Textual's full update, written with the pen."""

    def render_segments(self, console: Console) -> str:
        pen = Pen(console)
        x, last_y = self.region.x, self.region.y + len(self.strips) - 1
        for y, line in enumerate(self.strips, self.region.y):
            pen.move_to(x, y)
            for strip in line:
                pen.draw(strip)
            if y != last_y:
                pen.newline()
        return pen.written()
