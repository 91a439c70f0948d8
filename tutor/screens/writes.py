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

from collections.abc import Iterator
from functools import lru_cache

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.segment import Segment
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip

Codes = tuple[tuple[str, ...], str, str]  # a style's SGR codes: attributes, foreground, background
_COLOR_CODES = {**dict.fromkeys(("38", "39", *map(str, range(30, 38)), *map(str, range(90, 98))), 1),
                **dict.fromkeys(("48", "49", *map(str, range(40, 48)), *map(str, range(100, 108))), 2)}


def taken_apart(codes: str) -> Codes:
    """SGR codes (``1;3;38;5;231;48;5;17``, as Textual's ``Strip.render_ansi`` makes them) as
    attributes, foreground and background, each colour with its parameters."""
    parts: list = [[], "", ""]
    params = codes.split(";") if codes else []
    while params:
        code = params.pop(0)
        where = _COLOR_CODES.get(code, 0)
        if code in ("38", "48"):  # 5;n or 2;r;g;b follow
            taken = 2 if params[0] == "5" else 4
            code, params = ";".join([code, *params[:taken]]), params[taken:]
        if where:
            parts[where] = code
        else:
            parts[0].append(code)
    return tuple(parts[0]), parts[1], parts[2]


@lru_cache(maxsize=1 << 16)  # a heat map switches between a few hundred pairs of styles, thousands of times a frame
def change(now: str, then: str) -> str:
    """The SGR sequence that takes the terminal from the style with codes ``now`` to ``then``
    ("" for none): only what differs, or a reset and all of ``then`` when something is
    switched off."""
    (old_flags, old_color, old_background), (flags, color, background) = taken_apart(now), taken_apart(then)
    if not set(old_flags) <= set(flags) or (old_color and not color) or (old_background and not background):
        codes = ("0", *flags, color, background)
    else:
        codes = (*(flag for flag in flags if flag not in old_flags), color if color != old_color else "",
                 background if background != old_background else "")
    return f"\x1b[{';'.join(code for code in codes if code)}m"


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

    def draw(self, strip: Strip, start: int = 0, end: int | None = None) -> None:
        """The cells ``start`` to ``end`` of ``strip`` (all of them by default), as
        ``strip.crop(start, end)`` holds them, without making that strip: a frame writes a
        few cells of many rows, and each strip made costs its seven caches."""
        append = self.parts.append
        for text, style, _ in strip if start == 0 and end is None else _cells(strip, start, end):
            if style is not None and style._link:  # a link wraps its text in its own sequences
                self._set("")
                append(Strip.render_style(style, text, self.system))
                continue
            # A style keeps its codes once made (Textual's cache, on the style): no lookup here.
            codes = "" if style is None else (style._ansi if style._ansi is not None else Strip.render_ansi(style, self.system))
            self._set(codes)
            append(text)

    def _set(self, codes: str) -> None:
        if codes != self.codes:
            self.parts.append(change(self.codes, codes))
            self.codes = codes

    def written(self) -> str:
        self._set("")
        return "".join(self.parts)


def _cells(strip: Strip, start: int, end: int) -> Iterator[Segment]:
    """The segments of ``strip`` between cells ``start`` and ``end``, cut where they cross."""
    position = 0
    for segment in strip:
        if position >= end or end <= start:
            return
        after = position + cell_len(segment.text)
        if after > start:
            if position < start:
                segment, position = segment.split_cells(start - position)[1], start
            if after > end:
                segment = segment.split_cells(end - position)[0]
            yield segment
        position = after


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
                pen.draw(strip, start - x, min(end, x2) - x)
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
