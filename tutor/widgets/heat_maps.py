"""Many small heat maps drawn as one widget: a network's kernels, its maps of a digit, every
layer's activations. Each map is a title over two characters a cell (density shows |value|,
a '-' a negative, the heat colour behind), on its own scale or on one shared by all; the maps
wrap onto more bands when the width runs out. One widget rather than one grid a map: a line of the screen is drawn once
for every map it crosses (17 maps as grids took about 35 ms to repaint; here, a few)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tutor.numbers import format_number
from tutor.text import clean
from tutor.widgets.tensor_grid import (
    Grid,
    HeatPainting,
    as_grid,
    heat_style,
    shade_text,
)

GAP = 2  # columns between two maps
HINT = "(Tab here, then the arrows: the value of a cell)"


def shape(grid: Grid) -> tuple[int, int]:
    return len(grid), len(grid[0]) if grid else 0


class HeatMaps(HeatPainting, Widget, can_focus=True):
    """Titled heat maps in bands, one cursor among them. The line under the cursor's band names
    the value under the cursor; without the focus, the line under the last band is a hint."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Cell up", show=False),
        Binding("down", "move(1, 0)", "Cell down", show=False),
        Binding("left", "move(0, -1)", "Cell left", show=False),
        Binding("right", "move(0, 1)", "Cell right", show=False),
    ]

    COMPONENT_CLASSES = {"heat-maps--title", "heat-maps--cursor"}

    DEFAULT_CSS = """
    HeatMaps { width: 1fr; height: auto; }
    HeatMaps > .heat-maps--title { color: $text-muted; }
    HeatMaps:focus > .heat-maps--title { color: $accent; }
    HeatMaps > .heat-maps--cursor { text-style: reverse bold; }
    """

    cursor: reactive[tuple[int, int, int]] = reactive((0, 0, 0))  # (map, row, col)

    def __init__(self, titles: Sequence[str], *, names: Sequence[str] | None = None, one_scale: bool = False,
                 flat: bool = False, id: str | None = None, classes: str | None = None) -> None:
        """``names``: what the value line calls each map (its title if not given), indexed
        ``name[row, col]``, or ``name[i]`` when ``flat`` (a vector drawn in rows).
        ``one_scale``: every map shaded against the largest value of all (else its own)."""
        super().__init__(id=id, classes=classes)
        self.titles = [clean(title) for title in titles]
        self.names = [clean(name) for name in (names or titles)]
        self.one_scale, self.flat = one_scale, flat
        self.maps: list[Grid] = [() for _ in self.titles]
        self._scales = [0.0] * len(self.titles)
        self._bands_for: tuple | None = None  # (width, shapes) the bands were laid out for
        self._bands: list[tuple[int, int, list[tuple[int, int]]]] = []
        self._looks: tuple | None = None  # the titles' and the cursor's, once per change of style

    def show(self, maps: Sequence) -> None:
        """New values, a 2-D array (numpy or lists) a title; a layout pass only when a shape
        changed."""
        new = [as_grid(values) for values in maps]
        reshaped = [shape(m) for m in new] != [shape(m) for m in self.maps]
        scales = [max((abs(v) for row in m for v in row), default=0.0) for m in new]
        self.maps, self._scales = new, [max(scales, default=0.0)] * len(new) if self.one_scale else scales
        self.cursor = self.validate_cursor(self.cursor)
        self.refresh(layout=reshaped)

    # --- layout ------------------------------------------------------------------------------
    def _tile_width(self, index: int) -> int:
        return max(2 * shape(self.maps[index])[1], cell_len(self.titles[index]), 1)

    def bands(self, width: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
        """(top line, height, [(map, left column)]) of each band, for ``width`` columns."""
        key = (width, [shape(m) for m in self.maps])
        if key != self._bands_for:
            self._bands_for, self._bands = key, []
            top, current, left = 0, [], 0
            for index in range(len(self.maps)):
                if current and left + self._tile_width(index) > width:
                    top = self._close_band(top, current)
                    current, left = [], 0
                current.append((index, left))
                left += self._tile_width(index) + GAP
            if current:
                self._close_band(top, current)
        return self._bands

    def _close_band(self, top: int, tiles: list[tuple[int, int]]) -> int:
        height = 1 + max(shape(self.maps[index])[0] for index, _ in tiles)  # the titles, then the rows
        self._bands.append((top, height, tiles))
        return top + height + 1  # a blank line between bands

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        bands = self.bands(width)
        return (bands[-1][0] + bands[-1][1] if bands else 0) + 1  # and the value line

    # --- the cursor ----------------------------------------------------------------------------
    def validate_cursor(self, cursor: tuple[int, int, int]) -> tuple[int, int, int]:
        index = min(max(cursor[0], 0), max(len(self.maps) - 1, 0))
        rows, cols = shape(self.maps[index]) if self.maps else (0, 0)
        return index, min(max(cursor[1], 0), max(rows - 1, 0)), min(max(cursor[2], 0), max(cols - 1, 0))

    def action_move(self, rows: int, cols: int) -> None:
        """Up and down within a map; left and right on into the map beside it."""
        index, row, col = self.cursor
        col += cols
        if col < 0 and index > 0:
            index, col = index - 1, shape(self.maps[index - 1])[1] - 1
        elif col >= shape(self.maps[index])[1] and index < len(self.maps) - 1:
            index, col = index + 1, 0
        self.cursor = (index, row + rows, col)

    def watch_cursor(self) -> None:
        self.refresh()
        if self.has_focus:
            self._keep_in_view(self._band_of(self.cursor[0]))

    def _band_of(self, index: int) -> tuple[int, int, list]:
        return next((band for band in self.bands(self.size.width) if any(i == index for i, _ in band[2])),
                    (0, 0, []))

    def _keep_in_view(self, band: tuple[int, int, list]) -> None:
        """Scroll the page so that the cursor's band and the value under it are on screen."""
        page = next((node for node in self.ancestors if isinstance(node, Widget) and node.allow_vertical_scroll), None)
        if page is not None and self.region:
            top, height, _ = band
            y = self.region.y - page.content_region.y + round(page.scroll_y) + top
            page.scroll_to_region(Region(0, y, 1, height + 1), animate=False, immediate=True)

    def on_focus(self) -> None:
        self.refresh()
        self.call_after_refresh(lambda: self._keep_in_view(self._band_of(self.cursor[0])))

    def on_blur(self) -> None:
        self.refresh()

    def value_line(self) -> tuple[int, str]:
        """(line, text): the value under the cursor, under its band; or the hint, under the last."""
        index, row, col = self.cursor
        bands = self.bands(self.size.width)
        if not self.has_focus or not self.maps or not self.maps[index]:
            return (bands[-1][0] + bands[-1][1] if bands else 0), HINT
        top, height, _ = self._band_of(index)
        at = f"[{row * shape(self.maps[index])[1] + col}]" if self.flat else f"[{row}, {col}]"
        return top + height, f"{self.names[index]}{at} = {format_number(self.maps[index][row][col])}"

    # --- drawing ---------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._looks = None
        super().notify_style_update()

    def _title_and_cursor(self) -> tuple:
        if self._looks is None:
            self._looks = tuple(self.get_component_rich_style(f"heat-maps--{name}") for name in ("title", "cursor"))
        return self._looks

    def render_line(self, y: int) -> Strip:
        style, base, theme = self._painting()
        width = self.size.width
        bands = self.bands(width)
        line, text = self.value_line()
        if y == line:
            segments = [Segment(text, self._title_and_cursor()[0])]
        else:
            segments = next((self._band_line(tiles, y - top, base, theme)
                             for top, height, tiles in bands if top <= y < top + height), [])
        return Strip(segments).crop(0, width).extend_cell_length(width, style)

    def _band_line(self, tiles, row: int, base, theme) -> list[Segment]:
        """Line ``row`` of a band: the titles (row 0), else row ``row - 1`` of each map."""
        title_style, cursor_style = self._title_and_cursor()
        cursor_style = cursor_style if self.has_focus else None
        segments, at = [], 0
        for index, left in tiles:
            segments.append(Segment(" " * (left - at)))
            values, scale, width = self.maps[index], self._scales[index], self._tile_width(index)
            if row == 0:
                segments.append(Segment(self.titles[index].ljust(width), title_style))
            elif row - 1 < len(values):
                for col, value in enumerate(values[row - 1]):
                    cell = heat_style(value, scale, base, theme)
                    if cursor_style is not None and self.cursor == (index, row - 1, col):
                        cell += cursor_style
                    segments.append(Segment(shade_text(value, scale), cell))
                segments.append(Segment(" " * (width - 2 * len(values[0]))))
            else:
                segments.append(Segment(" " * width))
            at = left + width
        return segments
