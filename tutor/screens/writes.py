"""What a frame writes to the terminal: the dirty spans and nothing else, each style once.

Textual writes each dirty span from the start of the widget it lies in: a window moving along
a wide grid rewrote the row up to it, twice (the cell it left and the cell it reached). The
partial update here writes the spans alone.

Textual also wraps every segment in its own style and a reset (``ESC[1;3mtext ESC[0m``), so a
row of twelve grid cells in two styles carried twelve pairs of codes; over SSH that is most of
the bytes. The ``Pen`` here writes only what changes from one segment to the next: nothing
between equal neighbours, the new background alone between two heat-coloured cells; a reset
only when an attribute or a colour is switched off. A frame ends reset, as Textual's do.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import SGR_STYLES, Strip

Codes = tuple[tuple[str, ...], str, str]  # a style's SGR codes: attributes, foreground, background
RESET: Codes = ((), "", "")


@lru_cache(maxsize=4096)
def codes_of(style: Style | None, system: ColorSystem) -> Codes:
    """The SGR codes of ``style``, as Textual's ``Strip.render_ansi`` makes them, kept apart."""
    if style is None:
        return RESET
    attributes = style._attributes & style._set_attributes
    flags = tuple(SGR_STYLES[bit] for bit in range(attributes.bit_length()) if attributes & (1 << bit))
    color, background = style._color, style._bgcolor
    return (flags, ";".join(color.downgrade(system).get_ansi_codes()) if color else "",
            ";".join(background.downgrade(system).get_ansi_codes(False)) if background else "")


def change(now: Codes, then: Codes) -> str:
    """The SGR sequence that takes the terminal from style ``now`` to ``then``: only what
    differs, or a reset and all of ``then`` when something is switched off."""
    flags, color, background = then
    switched_off = not set(now[0]) <= set(flags) or (now[1] and not color) or (now[2] and not background)
    if switched_off:
        codes = ("0", *flags, color, background)
    else:
        codes = (*(flag for flag in flags if flag not in now[0]), color if color != now[1] else "",
                 background if background != now[2] else "")
    return f"\x1b[{';'.join(code for code in codes if code)}m"


class Pen:
    """Text and cursor moves for a terminal, with a style code only where the style changes."""

    def __init__(self, console: Console) -> None:
        self.system = console._color_system or ColorSystem.TRUECOLOR
        self.codes = RESET  # the style the terminal has now (reset, as every frame leaves it)
        self.parts: list[str] = []

    def move_to(self, x: int, y: int) -> None:
        self.parts.append(Control.move_to(x, y).segment.text)

    def newline(self) -> None:
        self.parts.append("\n")

    def draw(self, strip: Strip) -> None:
        append = self.parts.append
        for text, style, _ in strip:
            if style is not None and style._link:  # a link wraps its text in its own sequences
                self._set(RESET)
                append(Strip.render_style(style, text, self.system))
                continue
            self._set(codes_of(style, self.system))
            append(text)

    def _set(self, codes: Codes) -> None:
        if codes != self.codes:
            self.parts.append(change(self.codes, codes))
            self.codes = codes

    def written(self) -> str:
        self._set(RESET)
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
