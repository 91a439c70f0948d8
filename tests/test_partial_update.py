"""The tutor's screens repaint only what changed (tutor/screens/base.py): once a key's frames are
drawn, the terminal must show exactly what a full repaint would. A virtual terminal here applies
the bytes every frame writes and is compared, cell by cell, with Textual's full render of the
same screen."""

import random
import re

import pytest
from conftest import goto_page, settle, tab_to, write_conv_lesson
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate
from textual._styles_cache import StylesCache
from textual.app import App
from textual.geometry import Region
from textual.strip import Strip

from tutor.screens.base import DirtyOnlyCompositor, needed
from tutor.screens.writes import FullUpdate, SpansUpdate, _cells
from tutor.widgets.tensor_grid import TensorGrid

ESCAPE = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")
OFF = {"22": {"1", "2"}, "23": {"3"}, "24": {"4"}, "25": {"5", "6"}, "27": {"7"}, "28": {"8"}, "29": {"9"}}


def apply_sgr(style: tuple, codes: str) -> tuple:
    """The terminal's style (attributes, foreground, background) after ``ESC[codes m``, as a
    terminal reads it: one code at a time, a colour taking its parameters with it."""
    flags, color, background = set(style[0]), style[1], style[2]
    params = codes.split(";") if codes else ["0"]
    while params:
        code = params.pop(0)
        if code in ("", "0"):
            flags, color, background = set(), "", ""
        elif code in ("38", "48"):
            taken = 2 if params[0] == "5" else 4
            value = ";".join([code, *params[:taken]])
            del params[:taken]
            color, background = (value, background) if code == "38" else (color, value)
        elif code in ("39", "49"):
            color, background = ("", background) if code == "39" else (color, "")
        elif code in OFF:
            flags -= OFF[code]
        elif 30 <= int(code) <= 37 or 90 <= int(code) <= 97:
            color = code
        elif 40 <= int(code) <= 47 or 100 <= int(code) <= 107:
            background = code
        else:
            flags.add(code)
    return frozenset(flags), color, background


class VirtualTerminal:
    """Cells of (character, SGR style) written by cursor moves, SGR codes and text."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells = [[(" ", (frozenset(), "", ""))] * width for _ in range(height)]
        self.touched: set[int] = set()  # rows written to, since the owner last cleared it

    def write(self, data: str) -> None:
        x = y = 0
        style, position = (frozenset(), "", ""), 0
        for match in [*ESCAPE.finditer(data), None]:
            end = match.start() if match else len(data)
            for char in data[position:end]:
                if char in "\r\n":
                    x = 0 if char == "\r" else x
                    y += char == "\n"
                elif 0 <= y < self.height and 0 <= x < self.width:
                    self.cells[y][x] = (char, style)
                    self.touched.add(y)
                    x += 1
            if match is None:
                self.style = style  # what the next write starts from
                break
            codes, command = match.groups()
            if command == "H":
                row, col = (codes or "1;1").split(";")
                y, x = int(row) - 1, int(col) - 1
            elif command == "m":
                style = apply_sgr(style, codes)
            position = match.end()

    def rows(self) -> list[str]:
        return ["".join(char for char, _ in row) for row in self.cells]


def watch_frames(app) -> VirtualTerminal:
    """A virtual terminal that every update the app displays is applied to, as a real one is."""
    terminal = VirtualTerminal(*app.size)
    terminal.partial_frames = 0
    display = app._display

    def displayed(screen, update) -> None:
        display(screen, update)
        if update is not None:
            terminal.write(update.render_segments(app.console))
            terminal.partial_frames += isinstance(update, ChopsUpdate)

    app._display = displayed
    return terminal


def pending(screen) -> bool:
    """Whether the screen has a repaint or a layout still to draw."""
    # A repaint a widget asked for reaches the screen as an Update message: while it is in
    # flight, neither the widget nor the screen says so, and comparing then raced the frame.
    return bool(screen._dirty_widgets or screen._layout_required or screen._compositor._dirty_regions
                or not screen._message_queue.empty()
                or any(widget._repaint_required for widget in screen.walk_children()))


async def compare_when_drawn(app, pilot, terminal, mismatches: list, key: str) -> bool:
    """Once the screen has drawn all it had to (a frame may leave a repaint Textual itself only
    asks for during it, a scrollbar's, to the next), the terminal must show what a full repaint
    of the screen shows. Whether it was compared."""
    for _ in range(50):
        await pilot.pause(0.01)
        if not pending(app.screen):
            break
    else:
        return False
    compositor = app.screen._compositor
    if not isinstance(compositor, DirtyOnlyCompositor):
        return False
    expected = VirtualTerminal(*app.size)
    full = compositor.render_full_update()  # written by Textual's own writer, not the tutor's pen
    expected.write(LayoutUpdate(full.strips, full.region).render_segments(app.console))
    if expected.cells != terminal.cells:
        mismatches.append((key, terminal.rows(), expected.rows(), [
            y for y, (seen, full) in enumerate(zip(terminal.cells, expected.cells)) if seen != full]))
    return True


async def step_and_check(app, pilot, terminal, mismatches: list, keys) -> int:
    """Press the keys; after each, compare the terminal with a full repaint. How many compared."""
    compared = 0
    for key in keys:
        await pilot.press(key)
        compared += await compare_when_drawn(app, pilot, terminal, mismatches, key)
    return compared


def described(mismatches: list) -> str:
    key, seen, full, rows = mismatches[0]
    return f"after {key!r}, rows {rows} differ (text or style):\n" + "\n".join(
        f"row {y}: seen {seen[y]!r}\n        full {full[y]!r}" for y in rows[:6])


async def start_watching(app, pilot) -> VirtualTerminal:
    terminal = watch_frames(app)
    app.screen.refresh()  # the first frame seen is a full one
    await pilot.pause(0.05)
    return terminal


@pytest.mark.parametrize("lesson,page", [("convolution", 3), ("pooling", 1), ("backward", 0), ("backward", 4)])
async def test_every_frame_shows_what_a_full_repaint_shows(make_app, lesson, page):
    app = make_app(lesson)
    mismatches: list = []
    async with app.run_test(size=(100, 36)) as pilot:
        await goto_page(app, pilot, page)
        terminal = await start_watching(app, pilot)
        keys = ["n"] * 12 + ["p"] * 3 + ["tab", "right", "down"] + ["n"] * 4 + ["question_mark", "escape", "n", "n"]
        compared = await step_and_check(app, pilot, terminal, mismatches, keys)
        assert terminal.partial_frames >= 10, "the steps were drawn as partial updates"
        assert compared >= len(keys) - 2
    assert not mismatches, described(mismatches)


async def test_an_edit_and_a_resize_leave_nothing_stale(make_app):
    app = make_app("convolution")
    mismatches: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        await tab_to(app, pilot, "x-1")
        terminal = await start_watching(app, pilot)
        await step_and_check(app, pilot, terminal, mismatches, ["7", "enter", "n", "n", "right", "9", "9", "enter"])
        assert not mismatches, described(mismatches)
        await pilot.resize_terminal(90, 30)  # a new terminal size: its first frame is a full one
        await settle(app, pilot)
        terminal = await start_watching(app, pilot)
        assert await step_and_check(app, pilot, terminal, mismatches, ["n", "n", "p"]) == 3
        assert terminal.partial_frames >= 3
    assert not mismatches, described(mismatches)


async def test_a_grid_stepped_out_of_view_shows_its_window_once_back_in_view(make_app):
    """A grid out of view is not repainted on a step, only marked: when it comes back into view
    it must show the step's window and cursor as a render from nothing does, not the rows it
    last drew."""
    from tutor.widgets.tensor_grid import TensorGrid

    app = make_app("pooling")
    mismatches: list = []
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 2)
        terminal = await start_watching(app, pilot)
        await step_and_check(app, pilot, terminal, mismatches, ["n", "n"])  # the map is drawn, in view
        pooled = app.screen.query_one("#y-0", TensorGrid)
        await tab_to(app, pilot, "x-0")  # the input's top: the map goes out of view
        assert not app.screen.can_view_partial(pooled)
        drawn = pooled.cursor
        await pilot.press("n")  # the step moves the map's cursor, then scrolls the stage back
        await settle(app, pilot)
        assert app.screen.can_view_partial(pooled) and pooled.cursor != drawn
        for widget in app.screen.walk_children():  # the reference is drawn from nothing, no row kept
            widget._styles_cache.clear()
        assert await compare_when_drawn(app, pilot, terminal, mismatches, "n")
    assert not mismatches, described(mismatches)


async def test_a_view_moving_along_a_large_grid_writes_its_cells_not_its_border(make_app, tmp_path):
    """Stepping along a 20x20 input at 80x24, the grid's view moves a page at a time: each
    frame must still show what a full repaint shows, and a move rewrites the cells and the
    'rows .. cols ..' text under them, never the top border."""
    from tutor.widgets.tensor_grid import TensorGrid

    write_conv_lesson(tmp_path, "large", [1, 1, 20, 20], "in_channels = 1, out_channels = 1, kernel_size = 3")
    app = make_app("large", folder=tmp_path)
    mismatches: list = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        grid = app.screen.query_one("#x-0", TensorGrid)
        terminal = await start_watching(app, pilot)
        moves = 0
        for _ in range(24):
            view, subtitle = grid.view, grid.border_subtitle
            terminal.touched.clear()
            assert await step_and_check(app, pilot, terminal, mismatches, ["n"]) == 1
            if grid.view != view:
                moves += 1
                top, bottom = grid.region.y, grid.region.bottom - 1
                assert top not in terminal.touched and set(range(top + 1, bottom)) <= terminal.touched
                assert grid.border_subtitle != subtitle and bottom in terminal.touched
        assert moves >= 2
    assert not mismatches, described(mismatches)


def test_a_text_repaints_the_part_of_each_line_that_changed():
    """``Lines`` repaints, of each changed line, the cells from its first change to its last:
    written over the old screen, they must give the new one (wide characters included)."""
    from rich.cells import cell_len

    from tutor.widgets.text import changed_spans

    rng = random.Random(3)
    pieces = ["0.25", " + ", "(-1.5)", "×", "≈", "漢", " ", "= ", "x"]

    def line() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12)))

    def cells(text: str, width: int) -> list[str]:
        shown = [c for char in text for c in [char] + [""] * (cell_len(char) - 1)]
        return shown + [" "] * (width - len(shown))

    changed = 0
    for _ in range(2000):
        old = [line() for _ in range(3)]
        new = [text if rng.random() < 0.3 else (line() if rng.random() < 0.5 else text.replace("5", "7", 1))
               for text in old]
        width = max(map(cell_len, old + new))
        screen = [cells(text, width) for text in old]
        for span in changed_spans(old, new):
            screen[span.y][span.x:span.right] = cells(new[span.y], width)[span.x:span.right]
            changed += span.width
        assert screen == [cells(text, width) for text in new], (old, new)
    assert changed < 2000 * 3 * 10  # parts of lines, not whole lines


def test_spans_are_written_from_where_they_start():
    """Textual writes a span from the start of its chop (the widget's left edge); the tutor's
    update writes the span alone, and the terminal ends up the same."""
    cells = [Segment(f"{n:>4} ", Style(bold=n % 2 == 0)) for n in range(10)]
    chops = [{0: Strip(cells)}]
    spans = [(0, 10, 15), (0, 30, 35)]
    ours = SpansUpdate(chops, spans, [[50]]).render_segments(Console())
    theirs = ChopsUpdate(chops, spans, [[50]]).render_segments(Console())
    assert len(ours) < len(theirs) / 2
    before = VirtualTerminal(50, 1)
    after_ours, after_theirs = VirtualTerminal(50, 1), VirtualTerminal(50, 1)
    for terminal in (after_ours, after_theirs):
        terminal.cells = [row[:] for row in before.cells]
    after_ours.write(ours)
    after_theirs.write(theirs)
    # Textual's also rewrote the cells left of the spans with what they already were.
    written = {x for _, x1, x2 in spans for x in range(x1, x2)}
    assert [after_ours.cells[0][x] for x in sorted(written)] == [after_theirs.cells[0][x] for x in sorted(written)]
    assert all(after_ours.cells[0][x] == before.cells[0][x] for x in range(50) if x not in written)


@pytest.mark.parametrize("theme, ansi_color", [("textual-dark", False), ("textual-light", False), ("nord", True)])
async def test_a_grid_draws_its_rows_as_textual_draws_them(theme, ansi_color):
    """A grid keeps its rows and cells, and puts its cells through the ANSI colour filter once
    (tutor/widgets/rows_cache.py): each row must be what Textual's own drawing, every filter
    applied to every row, gives. Padding (dim), a window, a mark, a dropped cell, the cursor."""

    class OneGrid(App):
        def compose(self):
            yield TensorGrid([[1.5, -2.0, 0.25], [0.0, 3.0, -1.0]], editable=True, label="x")

    app = OneGrid(ansi_color=ansi_color)  # ANSI colours as they are: the filter is off
    async with app.run_test(size=(60, 12)) as pilot:
        app.theme = theme
        grid = app.query_one(TensorGrid)
        grid.pad, grid.window, grid.marked, grid.dropped = 1, frozenset({(0, 0), (0, 1), (-1, 0)}), frozenset({(1, 1)}), frozenset({(1, 2)})
        grid.focus()
        await pilot.press("right", "down")
        await pilot.pause()
        region = Region(0, 0, *grid.outer_size)
        ours, kept = grid.render_lines(region), grid._styles_cache
        grid._styles_cache = TextualsDrawing()
        theirs = grid.render_lines(region)
        grid._styles_cache = kept
        assert [list(strip) for strip in theirs] == [list(strip) for strip in ours]


class TextualsDrawing(StylesCache):
    """Textual's drawing of every row, every filter applied to it; the grid's cells as it makes them."""

    cell_paint = (None, None)

    def cell(self, segment):
        return segment

    def forget_sides(self) -> None:
        pass


def test_the_pen_draws_a_part_of_a_strip_as_the_strip_cropped_there():
    """The pen writes a span of a strip without cropping it into a new one: the same segments,
    wide characters cut where Textual cuts them."""
    rng = random.Random(3)
    words = ["ab", "c", "全角", "× ", "défg", "‹ 1.5›", "😀x", " "]
    styles = [None, Style(bold=True), Style(color="red")]
    for _ in range(500):
        strip = Strip([Segment(rng.choice(words), rng.choice(styles)) for _ in range(rng.randint(0, 6))])
        start = rng.randint(0, strip.cell_length + 1)
        end = rng.randint(start, strip.cell_length + 2)
        assert list(_cells(strip, start, end)) == list(strip.crop(start, end)), (strip, start, end)


def shown_by(written: str, width: int) -> list:
    """The cells ``written`` shows, and the style it leaves the terminal in."""
    terminal = VirtualTerminal(width, 1)
    terminal.write(written)
    return [*terminal.cells, terminal.style]


def test_the_pen_writes_only_what_changes_and_leaves_the_terminal_reset():
    """Textual wraps every segment in its style and a reset; the pen writes what changes from
    one segment to the next. The terminal shows the same cells."""
    bold, dim = Style(bold=True), Style(dim=True, color="red")
    heat = [Style(color="#ffffff", bgcolor=shade) for shade in ("#000080", "#800000")]
    strip = Strip([Segment("ab", bold), Segment("cd", bold), Segment("ef", None), Segment("gh", dim),
                   Segment("ij", dim), Segment("kl", bold), Segment("mn", heat[0]), Segment("op", heat[1])])
    console = Console(color_system="256")
    ours = FullUpdate([[strip]], Region(0, 0, 16, 1)).render_segments(console)
    theirs = LayoutUpdate([[strip]], Region(0, 0, 16, 1)).render_segments(console)
    # bold; a reset; dim and red; a reset and bold; a reset and the first heat colour; then
    # the second background alone, and the reset that ends the frame
    assert ours == ("\x1b[1;1H\x1b[1mabcd\x1b[0mef\x1b[2;31mghij\x1b[0;1mkl\x1b[0;38;5;231;48;5;18mmn"
                    "\x1b[48;5;88mop\x1b[0m")
    assert shown_by(ours, 16) == shown_by(theirs, 16)


@pytest.mark.parametrize("system", ["256", "truecolor", "standard"])
def test_the_pen_shows_what_textual_shows_for_any_run_of_styles(system):
    """Seeded runs of styles, with attributes and colours switched on and off in every order."""
    rng = random.Random(7)
    colors = [None, "default", "red", "bright_cyan", "#102030", "#ffffff", "#ff8000", "color(200)"]

    def any_style() -> Style | None:
        if rng.random() < 0.1:
            return None
        flags = {name: True for name in ("bold", "dim", "italic", "underline", "reverse", "strike") if rng.random() < 0.3}
        return Style(color=rng.choice(colors), bgcolor=rng.choice(colors), **flags)

    console = Console(color_system=system)
    for _ in range(300):
        strip = Strip([Segment(chr(97 + n), any_style()) for n in range(12)])
        ours = FullUpdate([[strip]], Region(0, 0, 12, 1)).render_segments(console)
        theirs = LayoutUpdate([[strip]], Region(0, 0, 12, 1)).render_segments(console)
        assert shown_by(ours, 12) == shown_by(theirs, 12), (ours, theirs)
        assert len(ours) <= len(theirs)


def test_only_widgets_under_a_dirty_region_are_rendered():
    """A page (the parent) under a grid (the child) that changed is not needed; a sibling that
    overlaps the dirty region is; one elsewhere is not. Rows are narrowed to the regions."""

    class Node:
        def __init__(self, name, parent=None):
            self.name, self._parent = name, parent

        @property
        def ancestors(self):
            node, found = self._parent, []
            while node is not None:
                found.append(node)
                node = node._parent
            return found

    screen = Node("screen")
    page, grid, other, overlay = Node("page", screen), Node("grid"), Node("other"), Node("overlay", screen)
    grid._parent = other._parent = page
    widgets = {  # render order: front first
        overlay: (Region(20, 5, 10, 3), Region(0, 0, 80, 24)),
        grid: (Region(0, 2, 30, 6), Region(0, 1, 80, 22)),
        other: (Region(40, 2, 30, 6), Region(0, 1, 80, 22)),
        page: (Region(0, 1, 80, 22), Region(0, 0, 80, 24)),
        screen: (Region(0, 0, 80, 24), Region(0, 0, 80, 24)),
    }
    kept = needed(widgets, {grid}, {Region(22, 6, 5, 1), Region(2, 3, 5, 1)})
    assert list(kept) == [overlay, grid]
    assert kept[grid][1] == Region(0, 3, 30, 4)  # rows 3 to 6, the grid's full width
    # A region no widget that asked to repaint holds (a scroll): Textual's own update.
    assert needed(widgets, {grid}, {Region(50, 3, 5, 1)}) is None
    assert isinstance(DirtyOnlyCompositor(), Compositor)


async def test_an_arithmetic_below_the_fold_is_written_when_it_comes_into_view(make_app, tmp_path, monkeypatch):
    """In a 28x28 lab at 120x40 the arithmetic's box is below the fold while the learner steps:
    a step leaves its text to be made when the box is drawn (breaking the sums into lines is
    most of a step's own cost), and the box, scrolled into view, shows the last step's sum as a
    full repaint does."""
    from tutor.widgets.lab import LabView
    from tutor.widgets.sight import out_of_sight
    from tutor.widgets.text import Lines

    made = []
    arithmetic = LabView.arithmetic
    monkeypatch.setattr(LabView, "arithmetic", lambda lab, step, box: made.append(step.cell) or arithmetic(lab, step, box))
    write_conv_lesson(tmp_path, "big", [1, 3, 28, 28], "in_channels = 3, out_channels = 8, kernel_size = 5, padding = 2")
    app = make_app("big", folder=tmp_path)
    mismatches: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        box, lab = app.screen.query_one("#steps", Lines), app.screen.query_one(LabView)
        terminal = await start_watching(app, pilot)
        made.clear()
        assert await step_and_check(app, pilot, terminal, mismatches, ["n"] * 6) == 6
        assert out_of_sight(box) and made == []
        await pilot.press("end")  # the page scrolls to its end: the box comes into view
        assert await compare_when_drawn(app, pilot, terminal, mismatches, "end")
        assert not out_of_sight(box) and made == [lab.step]
        o, r, c = lab.step
        assert f"output[0, {o}, {r}, {c}] = {lab.session.output[0, o, r, c].item():.4f}" in "\n".join(terminal.rows())
        assert await step_and_check(app, pilot, terminal, mismatches, ["n"]) == 1  # in view: made at once
        assert made[-1] == lab.step
    assert not mismatches, described(mismatches)
