"""One widget for every 2-D slice of a tensor: numbers, heat shading, a window, a cursor, edits.

Numbers are always written, so the grid reads without colour: window cells are also marked
‹like this› (bold, underlined), marked cells (a max-pooling winner) «like this», cells no window
reaches ✗like this (struck through), the cursor [like this] (reversed). An optional ring of
padding cells is drawn around the values, dimmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tutor.labs.session import Address
from tutor.numbers import (
    MAX_CHARS,
    NumberError,
    column_format,
    fixed,
    format_number,
    parse_number,
)
from tutor.widgets.rows_cache import RowsBetweenSides
from tutor.widgets.sight import out_of_sight
from tutor.widgets.text import plain

# A cell holds at most this much: the grid is for reading, not for big numbers.
CELL_LIMIT = 9999.0
_EDIT_STARTERS = set("0123456789.-+")
_MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
BURST_SECONDS = 0.05  # keys this close behind one the grid passed on belong to the same paste
SHADES = " ░▒▓█"  # a heat map without colour: denser means larger in magnitude

Grid = tuple[tuple[float, ...], ...]
NOTHING: frozenset = frozenset()  # no cells: no window, nothing marked


@lru_cache(maxsize=32)
def _parsed(color: str) -> Color:
    """A theme colour, parsed once rather than once a cell on every repaint."""
    return Color.parse(color)


VIEW_CELLS = 18  # cells a side on screen at most (the playground's 12 + 2x3 padding); a larger
# grid moves its view, and only the view is drawn
HEAT_LEVELS = 48  # shades of the heat colour: more than the eye tells apart


def heat_style(value: float, scale: float, base: Color, theme) -> Style:
    """The heat colour behind a value: the theme's primary hue for a positive, its error hue for
    a negative, stronger as |value| nears ``scale``."""
    hue = theme.primary if value >= 0 else (theme.error or theme.primary)
    level = round(min(abs(value) / scale, 1.0) * HEAT_LEVELS) if scale else 0
    return _heat_style(base, hue, level)


def shade_text(value: float, scale: float) -> str:
    """Two characters whose density shows |value| against ``scale`` (a '-' first when negative),
    so that a heat map reads without colour."""
    level = min(int(abs(value) / scale * (len(SHADES) - 1) + 0.5), len(SHADES) - 1) if scale else 0
    return ("-" if value < 0 and level else SHADES[level]) + SHADES[level]


class HeatPainting:
    """The style, background and theme a widget's heat colours are worked out from: once per
    change of style, not per line (each is a walk up the DOM)."""

    _paint: tuple | None = None

    def _painting(self) -> tuple:
        if self._paint is None:
            self._paint = (self.rich_style, self.background_colors[1], self.app.current_theme)
        return self._paint

    def notify_style_update(self) -> None:
        self._paint = None
        super().notify_style_update()


@lru_cache(maxsize=1024)
def _heat_style(base: Color, hue: str, level: int) -> Style:
    """The background of a cell at ``level`` of ``HEAT_LEVELS``, and a text colour that reads on it:
    made once per shade, not once per cell drawn."""
    shade = base.blend(_parsed(hue), 0.12 + 0.6 * level / HEAT_LEVELS)
    return Style(bgcolor=shade.rich_color, color=shade.get_contrast_text(1.0).rich_color)


def as_grid(values: Sequence[Sequence[float]]) -> Grid:
    """A 2-D array (numpy or lists) as plain floats, the form the grid keeps."""
    if hasattr(values, "tolist"):
        values = values.tolist()  # numpy: one conversion, not one per number
    return tuple(tuple(float(v) for v in row) for row in values)


class TensorGrid(HeatPainting, Widget, can_focus=True):
    """A matrix of numbers with a cell cursor; optionally editable."""

    HELP = """
### Tensor grid
- **Arrows** move the cell cursor.
- On an editable grid, type a number (**0-9 . -**) or press **Enter**, then **Enter** to
  commit or **Esc** to cancel. **Backspace** deletes.
"""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Cell up", show=False),
        Binding("down", "move(1, 0)", "Cell down", show=False),
        Binding("left", "move(0, -1)", "Cell left", show=False),
        Binding("right", "move(0, 1)", "Cell right", show=False),
        Binding("enter", "edit", "Edit cell", tooltip="Type a value, Enter to commit, Esc to cancel"),
    ]

    COMPONENT_CLASSES = {"tensor-grid--cursor", "tensor-grid--window", "tensor-grid--mark",
                         "tensor-grid--edit", "tensor-grid--padding", "tensor-grid--dropped"}

    DEFAULT_CSS = """
    TensorGrid {
        width: auto;
        height: auto;
        border: round $panel-lighten-2;
        padding: 0;
    }
    TensorGrid:focus { border: round $accent; }
    TensorGrid > .tensor-grid--cursor { text-style: reverse bold; }
    TensorGrid > .tensor-grid--window { background: $accent-darken-2; color: $text; text-style: bold underline; }
    TensorGrid > .tensor-grid--mark { background: $success-darken-1; color: $text; text-style: bold; }
    TensorGrid > .tensor-grid--edit { background: $warning; color: $text; text-style: bold; }
    TensorGrid > .tensor-grid--padding { color: $text-muted; text-style: dim italic; }
    TensorGrid > .tensor-grid--dropped { color: $text-muted; text-style: strike; }
    """

    values: reactive[Grid] = reactive(())  # a new size asks for a layout in watch_values
    # Highlights repaint only the rows they change (see _refresh_rows): a step redraws little.
    window: reactive[frozenset[tuple[int, int]]] = reactive(frozenset(), repaint=False)  # may include padding
    marked: reactive[frozenset[tuple[int, int]]] = reactive(frozenset(), repaint=False)
    dropped: reactive[frozenset[tuple[int, int]]] = reactive(frozenset(), repaint=False)  # no window reaches
    pad: reactive[int] = reactive(0, layout=True)  # rings of padding cells drawn around the values
    pad_after: reactive[int | None] = reactive(None, layout=True)  # below and right, if not ``pad``: 'same', even k
    pad_text: reactive[str] = reactive("0", layout=True)
    cursor: reactive[tuple[int, int]] = reactive((0, 0), repaint=False)
    editing: reactive[str | None] = reactive(None, repaint=False)
    # The first row and column (padding included) in view: a grid larger than ``limit`` (rows,
    # cols; at most VIEW_CELLS a side) shows that many, and moves to keep the window and the
    # cursor in sight. A lab lowers the limit to fit its grids on the screen.
    view: reactive[tuple[int, int]] = reactive((0, 0), repaint=False)  # the cells alone, see watch_view
    limit: reactive[tuple[int, int]] = reactive((VIEW_CELLS, VIEW_CELLS), layout=True)

    @dataclass
    class CellEdited(Message):
        """The learner committed a valid new value to a cell."""

        grid: TensorGrid
        row: int
        col: int
        value: float

        @property
        def control(self) -> TensorGrid:
            return self.grid

    @dataclass
    class EditRejected(Message):
        """The learner typed something that is not a usable value; the cell kept its value."""

        grid: TensorGrid
        reason: str

        @property
        def control(self) -> TensorGrid:
            return self.grid

    @dataclass
    class CursorMoved(Message):
        """The learner moved the cell cursor (not a lab pointing it at a cell); a newer move
        replaces one not yet handled (held arrows)."""

        grid: TensorGrid
        row: int
        col: int

        @property
        def control(self) -> TensorGrid:
            return self.grid

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TensorGrid.CursorMoved) and message.grid is self.grid

    def __init__(
        self,
        values: Sequence[Sequence[float]] = (),
        *,
        editable: bool = False,
        compact: bool = False,
        label: str = "",
        address: Address | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id or (str(address) if address else None), classes=classes)
        self.address = address  # which slice of which tensor this grid shows
        self.editable = editable
        self.compact = compact  # a heat map: two shade characters a cell; the cursor's value below
        self.border_title = plain(label, multiline=False)
        self._held_width = 0  # the cells keep at least this width (see watch_values)
        self._released = False  # the next values may narrow the cells (see release_width)
        self._highlights: dict[str, Style] | None = None
        self._styles_cache = RowsBetweenSides()  # a row of cells is drawn without a pass through every style
        self.set_reactive(TensorGrid.values, as_grid(values))
        self._measure()

    # --- geometry -------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def cols(self) -> int:
        return len(self.values[0]) if self.values else 0

    @property
    def cell_width(self) -> int:
        return max(self._natural, self._held_width)

    def _measure(self) -> None:
        """The widest number, the decimals every number is written with (one number of decimals a
        grid, so that columns line up) and the largest magnitude: once per new values, not per
        cell drawn (a 64x64 grid would format its 4,096 numbers for every one of them)."""
        self._number_width, self._decimals = column_format(self.values) if self.values and not self.compact else (1, 0)
        self._scale = max((abs(v) for row in self.values for v in row), default=0.0)
        self._forget_cells()
        self._shape()

    def _shape(self) -> None:
        """Sizes read on every step and row drawn, worked out when what they depend on changes
        (the values, the padding, the limit): a reactive read costs a microsecond, and a step
        asked for them about fifty times a grid."""
        rows, cols = self.rows + self.pad + self.after, self.cols + self.pad + self.after
        self._full_size = (rows, cols)
        self._view_size = (rows, cols) if self.compact else (min(rows, self.limit[0]), min(cols, self.limit[1]))
        self._natural = self._natural_width()

    def _forget_cells(self) -> None:
        """Drawn cells are kept (see render_line) until what they show changes: the values, their
        width or decimals, the padding's text, the style."""
        self._drawn: dict[tuple, Segment] = {}
        self._rows: dict[tuple, tuple[list[Segment], int]] = {}  # rows with no highlight (see render_line)
        self._drawn_for: tuple = ()  # the cell width and the paint the cells were drawn with

    def _natural_width(self) -> int:
        if self.compact:
            return 2  # two shade characters
        text = max(self._number_width, len(self.pad_text) if self.pad or self.after else 0)
        return max(text, 3) + 2  # a space (or bracket) either side

    @property
    def after(self) -> int:
        """Rings of padding below and to the right (torch pads the odd one there for 'same')."""
        return self.pad if self.pad_after is None else self.pad_after

    @property
    def full_size(self) -> tuple[int, int]:
        """(rows, cols) of cells, padding included."""
        return self._full_size

    @property
    def view_size(self) -> tuple[int, int]:
        """(rows, cols) of cells on screen, padding included: all of them, up to ``limit`` (a heat
        map shows all: two characters a cell)."""
        return self._view_size

    @property
    def outer_width(self) -> int:
        """Columns the grid takes on screen, its border included (known before it is mounted)."""
        return self.get_content_width(Size(0, 0), Size(0, 0)) + 2

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(self.view_size[1] * self.cell_width, len(self.border_title or "") + 4)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.view_size[0]

    def validate_view(self, view: tuple[int, int]) -> tuple[int, int]:
        (rows, cols), (all_rows, all_cols) = self.view_size, self.full_size
        return min(max(view[0], 0), all_rows - rows), min(max(view[1], 0), all_cols - cols)

    def follow(self, cells) -> None:
        """Move the view, if need be, so that ``cells`` (row, col) are in it: by a page, with the
        cells at the edge they came in by, so that stepping on moves it again only a page later."""
        if not cells:
            return
        rows, cols = self.view_size
        top, left = self.view
        pad, (in_rows, in_cols) = self.pad, zip(*cells)
        low_r, high_r, low_c, high_c = min(in_rows) + pad, max(in_rows) + pad, min(in_cols) + pad, max(in_cols) + pad
        if low_r < top or high_r >= top + rows:
            top = high_r - rows + 1 if low_r < top else low_r
        if low_c < left or high_c >= left + cols:
            left = high_c - cols + 1 if low_c < left else low_c
        if (top, left) != self.view:  # most steps stay in view: no reactive set, no validation
            self.view = (top, left)

    def watch_view(self) -> None:
        """A moved view changes every cell on screen, but not the border: the cells and the
        part of the bottom border that says which cells are shown are all that is written."""
        self._show_view()
        self._repaint(self.content_size.region)

    def _show_view(self) -> None:
        """Say under the grid which rows and columns are in view, if not all of them."""
        (rows, cols), (all_rows, all_cols) = self.view_size, self.full_size
        if (rows, cols) == (all_rows, all_cols):
            if not self.compact:  # a heat map's subtitle is its cursor's value
                self._set_subtitle("")
            return
        top, left = self.view[0] - self.pad, self.view[1] - self.pad
        cut = []  # only the sides cut, so that it fits under a narrow grid
        if rows < all_rows:
            cut.append(("rows", max(top, 0), min(top + rows, self.rows) - 1, self.rows))
        if cols < all_cols:
            cut.append(("cols", max(left, 0), min(left + cols, self.cols) - 1, self.cols))
        forms = (", ".join(f"{side} {first}-{last} of {n}" for side, first, last, n in cut),  # rows 0-1 of 5
                 ", ".join(f"{side} {first}-{last}/{n}" for side, first, last, n in cut),  # rows 0-1/5
                 " ".join(f"{side[0]}{first}-{last}/{n}" for side, first, last, n in cut))  # r0-1/5
        fitting = [form for form in forms if len(form) + 6 <= self.outer_width]  # corners, rules, spaces: 6
        self._set_subtitle(fitting[0] if fitting else forms[-1])

    def _set_subtitle(self, text: str) -> None:
        """Put ``text`` in the bottom border, repainting that row alone: Textual's setter
        repaints the whole grid, border and all (a view moving along a large grid, a heat map's
        cursor moving, rewrote every cell)."""
        subtitle, old = plain(text, multiline=False), self._border_subtitle
        if subtitle.plain == (old.plain if old else ""):
            return
        self._border_subtitle = subtitle  # where Textual's border_subtitle setter keeps it
        width, height = self.outer_size
        span = width  # at the right (the default), the text, a space either side, a rule, a corner
        if self.styles.border_subtitle_align == "right":
            span = min(width, max(subtitle.cell_length, old.cell_length if old else 0) + 4)
        self._repaint(Region(width - span, height - 1, span, 1).translate(-self.content_offset))

    def release_width(self) -> None:
        """Let the next values narrow the cells: after a reset, not while the learner edits."""
        self._released = True

    # --- reactive updates ------------------------------------------------------------------
    def validate_values(self, values: Sequence[Sequence[float]]) -> Grid:
        return as_grid(values)

    def validate_cursor(self, cursor: tuple[int, int]) -> tuple[int, int]:
        row, col = cursor
        return (min(max(row, 0), max(self.rows - 1, 0)), min(max(col, 0), max(self.cols - 1, 0)))

    def watch_values(self, old: Grid, new: Grid) -> None:
        # New values of the same shape never narrow the cells (the page does not jump as the
        # learner edits) and so ask for a layout pass, which costs more than the repaint, only
        # when a value needs wider cells.
        old_width = self.cell_width  # measured before these values
        self._measure()
        same_shape = (len(old), len(old[0]) if old else 0) == (len(new), self.cols)
        self._held_width = old_width if same_shape and not self._released else 0
        self._released = False
        if not same_shape or self.cell_width != old_width:
            self.refresh(layout=True)
        self.cursor = self.validate_cursor(self.cursor)
        self._fit_view()
        self._show_cursor_value()

    def watch_pad(self) -> None:
        self._fit_view()

    def watch_pad_after(self) -> None:
        self._fit_view()

    def validate_limit(self, limit: tuple[int, int]) -> tuple[int, int]:
        return (min(max(limit[0], 1), VIEW_CELLS), min(max(limit[1], 1), VIEW_CELLS))

    def watch_limit(self) -> None:
        self._fit_view()
        self.follow(self.window)

    def on_mount(self) -> None:
        self._fit_view()

    def _fit_view(self) -> None:
        """Keep the view inside the grid after its shape or padding changed."""
        self._shape()
        self.set_reactive(TensorGrid.view, self.validate_view(self.view))
        self._show_view()

    def watch_cursor(self, old: tuple[int, int], cursor: tuple[int, int]) -> None:
        self.follow({cursor})
        self._show_cursor_value()
        self._refresh_cells({old, cursor})

    def _refresh_cells(self, cells) -> None:
        """Repaint just ``cells`` (row, col; padding cells included): a window moved one column
        rewrites two cells a row, not the rows. Regions given to ``refresh`` are relative to the
        content area (inside the border)."""
        width, pad = self.cell_width, self.pad
        (top, left), (rows, cols) = self.view, self.view_size
        regions = [Region((col + pad - left) * width, row + pad - top, width, 1) for row, col in cells
                   if 0 <= row + pad - top < rows and 0 <= col + pad - left < cols]
        if regions:
            self._repaint(*regions)

    def _repaint(self, *regions: Region) -> None:
        """Repaint ``regions`` (relative to the content area, inside the border). Below the fold
        they are only marked, to be drawn when the grid scrolls into view: a refresh would cost
        three messages, for nothing."""
        hidden = out_of_sight(self)
        if hidden:
            offset = self.content_offset
            self._styles_cache.set_dirty(*(region.translate(offset) for region in regions))
        elif hidden is not None:  # None: on its way out (a resize rebuilt the lab), nothing to draw
            self.refresh(*regions)

    def _show_cursor_value(self) -> None:
        """A heat map hides its numbers: the exact value under the cursor goes under the grid."""
        if self.compact and self.values:
            row, col = self.cursor
            value = f"[{row}, {col}] = {format_number(self.values[row][col])}"
            self._set_subtitle(value if self.has_focus else "")

    def on_focus(self) -> None:
        self.cursor = self._in_view(self.cursor)  # Enter edits the cell the learner sees marked
        self.refresh()

    def watch_has_focus(self, focused: bool) -> None:
        """Show or hide a heat map's value here, not in ``on_focus``: that runs before Textual
        has changed ``has_focus``, and the map focused showed nothing, the one left its value."""
        super().watch_has_focus(focused)
        self._show_cursor_value()

    def _in_view(self, cell: tuple[int, int]) -> tuple[int, int]:
        """The cell of the view nearest to ``cell`` (padding is not a cell)."""
        (top, left), (rows, cols), pad = self.view, self.view_size, self.pad
        row = min(max(cell[0], top - pad), top - pad + rows - 1)
        col = min(max(cell[1], left - pad), left - pad + cols - 1)
        return self.validate_cursor((row, col))

    def on_blur(self) -> None:
        self.editing = None
        self.refresh()

    # --- actions and keys ------------------------------------------------------------------
    def action_move(self, rows: int, cols: int) -> None:
        if self.editing is None:
            row, col = self.cursor
            self.cursor = self.validate_cursor((row + rows, col + cols))
            self.post_message(self.CursorMoved(self, *self.cursor))

    def action_edit(self) -> None:
        if self.editable and self.editing is None:
            self.editing = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit" and not self.editable:
            return None  # shown greyed, not hidden: the learner learns the grid is read-only
        return True

    async def on_key(self, event: events.Key) -> None:
        """While editing, the grid takes every key; otherwise a digit starts an edit, unless it
        comes in the same burst as a key the grid does not take (``[`` of a pasted ``[1,3,2,2]``):
        that one went on to the page, and so do the keys right behind it."""
        if self.editing is None:
            if event.is_printable and event.character not in _EDIT_STARTERS:
                self._passed_at = event.time
            if event.time - getattr(self, "_passed_at", -1.0) < BURST_SECONDS:
                return
            if event.key in _MOVES:  # here too, not by binding: an arrow then Enter, typed fast, edits
                self.action_move(*_MOVES[event.key])  # the cell the arrow moved to
                event.stop()
                event.prevent_default()
            elif self.editable and (event.character in _EDIT_STARTERS or event.key == "enter"):
                # Here, not by the Enter binding (kept for the footer and the help): a binding
                # acts after the key has gone up to the app, behind keys typed right after it.
                self.editing = "" if event.key == "enter" else event.character
                event.stop()
                event.prevent_default()
            return
        event.stop()
        event.prevent_default()
        if event.key == "enter":
            self._commit(self.editing)
        elif event.key == "escape":
            self.editing = None
        elif event.key == "backspace":
            self.editing = self.editing[:-1]
        elif event.character and event.is_printable and len(self.editing) <= MAX_CHARS * 4:
            self.editing += event.character

    def on_paste(self, event: events.Paste) -> None:
        if self.editable:
            event.stop()
            printable = "".join(ch for ch in event.text if ch.isprintable())  # no escapes reach the screen
            self.editing = ((self.editing or "") + printable)[: MAX_CHARS * 4 + 1]

    def _commit(self, text: str) -> None:
        try:
            value = parse_number(text, limit=CELL_LIMIT)
        except NumberError as error:
            self.editing = None
            self.post_message(self.EditRejected(self, f"{error} The cell keeps its value."))
            return
        row, col = self.cursor
        if value == self.values[row][col]:
            self.editing = None  # nothing will change: repaint the cell now
        else:  # the owner answers by setting new values, which repaints the grid: one frame, not two
            self.set_reactive(TensorGrid.editing, None)
        self.post_message(self.CellEdited(self, *self.cursor, value))

    # --- drawing -----------------------------------------------------------------------------
    def watch_editing(self, editing: str | None) -> None:
        self._refresh_cells({self.cursor})
        self._show_typed(editing)

    def _show_typed(self, editing: str | None) -> None:
        """Text typed past the cell's width is shown whole under the grid (the cell shows its
        end: ``12.75`` in a 4-character cell reads ``75▏``); the grid's own note returns after."""
        if editing is not None and len(editing) >= self.cell_width - 2:
            room = max(self.outer_width - 6, 2)  # corners, rules and spaces: 6
            fits = [text for text in (f"typing {editing}", editing) if len(text) <= room]
            self._set_subtitle(fits[0] if fits else "…" + editing[1 - room:])
        else:
            self._show_view()
            self._show_cursor_value()

    def watch_window(self, old: frozenset, new: frozenset) -> None:
        self.follow(new)
        self._refresh_cells(old ^ new)

    def watch_marked(self, old: frozenset, new: frozenset) -> None:
        self._refresh_cells(old ^ new)

    def watch_dropped(self, old: frozenset, new: frozenset) -> None:
        self._refresh_cells(old ^ new)

    def _highlight_styles(self) -> dict[str, Style]:
        """The highlight styles, looked up once until the theme or the CSS changes."""
        if self._highlights is None:
            self._highlights = {name: self.get_component_rich_style(f"tensor-grid--{name}", partial=name != "padding")
                            for name in ("cursor", "window", "mark", "edit", "padding", "dropped")}
        return self._highlights

    def notify_style_update(self) -> None:
        self._highlights = None
        self._styles_cache.forget_sides()
        self._forget_cells()
        super().notify_style_update()

    def watch_pad_text(self) -> None:
        self._forget_cells()
        self._shape()

    def render_line(self, y: int) -> Strip:
        (top, left), (rows, cols) = self.view, self.view_size
        if y >= rows:
            return Strip.blank(self.size.width, self._painting()[0])
        if self._drawn_for != (self.cell_width, self._styles_cache.cell_paint):
            self._forget_cells()
            self._drawn_for = (self.cell_width, self._styles_cache.cell_paint)
        # A step changes a few cells of a row: the row without highlights is kept, and only its
        # highlighted cells are looked up (each drawn once for each way it can look).
        row, first = y + top - self.pad, left - self.pad
        segments, used = self._plain_row(row, first, cols)
        # Read once a row: a reactive read costs about a microsecond.
        lit = _Lit(self.window, self.marked, self.dropped, self.cursor if self.has_focus else None, self.editing)
        columns = self._lit_columns(row, lit)
        if columns:
            segments = segments.copy()
            for col in columns:
                if first <= col < first + cols:
                    segments[col - first] = self._cell(row, col, lit)
        width = self.size.width
        if used < width:
            segments = [*segments, Segment(" " * (width - used), self._painting()[0])]
        return Strip(segments, max(used, width))

    def _plain_row(self, row: int, first: int, cols: int) -> tuple[list[Segment], int]:
        """The row's cells in view, none highlighted, and their width (every character a grid
        writes is one cell wide)."""
        key = (row, first, cols)
        kept = self._rows.get(key)
        if kept is None:
            line = self._line(row, UNLIT)  # one for the row: new values redraw every cell
            segments = [self._cell(row, col, UNLIT, line) for col in range(first, first + cols)]
            kept = self._rows[key] = (segments, sum(len(segment.text) for segment in segments))
        return kept

    def _lit_columns(self, row: int, lit: _Lit) -> set[int]:
        """The columns of ``row`` that look other than plain: in the window, marked, dropped, or
        the cursor (a heat map shows only its cursor)."""
        columns = set() if self.compact else {col for cells in lit[:3] for col in _by_row(cells).get(row, ())}
        if lit.cursor is not None and lit.cursor[0] == row:
            columns.add(lit.cursor[1])
        return columns

    def _cell(self, row: int, col: int, lit: _Lit, line: _Line | None = None) -> Segment:
        """Cell (row, col) as it looks with the highlights ``lit``: drawn once for each look."""
        cell = (row, col)
        editing = cell == lit.cursor and lit.editing is not None  # changes with each key: never kept
        key = (cell, cell in lit.window, cell in lit.marked, cell in lit.dropped, cell == lit.cursor)
        segment = None if editing else self._drawn.get(key)
        if segment is None:
            line = line or self._line(row, lit)
            segment = self._styles_cache.cell((line.shade if self.compact else line.cell)(col))
            if not editing:
                self._drawn[key] = segment
        return segment

    def _line(self, row: int, lit: _Lit) -> _Line:
        _, base, theme = self._painting()
        return _Line(values=self.values, row=row, rows=self.rows, cols=self.cols, scale=self._scale,
                     decimals=self._decimals, base=base, theme=theme, lit=lit, pad_text=self.pad_text,
                     width=self.cell_width - 2, styles=self._highlight_styles())


class _Lit(NamedTuple):
    """What a grid highlights: its window, marked and dropped cells, its cursor (when it has the
    focus) and the text being typed in the cursor's cell."""

    window: frozenset
    marked: frozenset
    dropped: frozenset
    cursor: tuple[int, int] | None
    editing: str | None


UNLIT = _Lit(NOTHING, NOTHING, NOTHING, None, None)


@lru_cache(maxsize=64)
def _by_row(cells: frozenset) -> dict[int, tuple[int, ...]]:
    """The columns of ``cells`` (row, col) in each row: a window, looked up once a row drawn."""
    rows: dict[int, list[int]] = {}
    for row, col in cells:
        rows.setdefault(row, []).append(col)
    return {row: tuple(cols) for row, cols in rows.items()}


@dataclass(slots=True)
class _Line:
    """One grid row being drawn, with what its cells need."""

    values: Grid
    row: int
    rows: int
    cols: int
    scale: float
    decimals: int
    base: Color
    theme: object
    lit: _Lit
    pad_text: str
    width: int
    styles: dict

    def heat(self, value: float) -> Style:
        return heat_style(value, self.scale, self.base, self.theme)

    def shade(self, col: int) -> Segment:
        """A heat-map cell (see ``shade_text``); the cursor cell is reversed."""
        value = self.values[self.row][col]
        text, style = shade_text(value, self.scale), self.heat(value)
        if (self.row, col) == self.lit.cursor:
            style += self.styles["cursor"]
        return Segment(text, style)

    def cell(self, col: int) -> Segment:
        row, styles, width, lit = self.row, self.styles, self.width, self.lit
        inside = 0 <= row < self.rows and 0 <= col < self.cols
        if inside:
            value = self.values[row][col]
            style, text = self.heat(value), fixed(value, self.decimals)
        else:
            style, text = styles["padding"], self.pad_text
        left, right = " ", " "
        at_cursor = inside and (row, col) == lit.cursor
        if (row, col) in lit.dropped:
            style, left = style + styles["dropped"], "✗"
        if (row, col) in lit.window:
            style, left, right = style + styles["window"], "‹", "›"
        if (row, col) in lit.marked:
            style, left, right = style + styles["mark"], "«", "»"
        if at_cursor and lit.editing is not None:
            text = (lit.editing + "▏")[-width:].ljust(width)
            style, left, right = styles["edit"], "[", "]"
        elif at_cursor:
            style, left, right = style + styles["cursor"], "[", "]"
        return Segment(left + text.rjust(width) + right, style)
