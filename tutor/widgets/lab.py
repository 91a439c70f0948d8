"""What every lab view shares: a status line, its session built off the UI thread, the grids
found by address, and stepping a window through the output cells (n / p / Space, bound by the
lesson screen). The session holds the state and does the maths; the view only shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive, var
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from tutor.labs.explain import wrapped
from tutor.labs.session import Address, Cell, Explained, clamp, flat, unflat
from tutor.widgets.flow import Flow, columns_that_fit
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import NOTHING, TensorGrid
from tutor.widgets.text import Lines, Plain, plain

STEP_KEYS = ": n / p / Space"  # the keys a step's header names, where it has room
LOOKAHEAD = 3  # input columns a view shows beyond the window when it can: it moves every 4 steps, not each


def _lines(grids: list[TensorGrid]) -> int:
    """Lines of a Flow that the grids take (0 for none)."""
    if not grids:
        return 0
    flow = grids[0].parent
    columns = flow.styles.grid_size_columns if isinstance(flow, Flow) else len(grids)
    return -(-len(grids) // max(columns, 1))


def _line_of(grid: TensorGrid) -> list[TensorGrid]:
    """The grids on the same line of the grid's Flow as it (itself included)."""
    flow = grid.parent
    if not isinstance(flow, Flow):
        return [grid]
    children = [child for child in flow.children if child.display]
    if grid not in children:
        return [grid]
    columns = max(flow.styles.grid_size_columns or 1, 1)
    start = children.index(grid) // columns * columns
    return [child for child in children[start:start + columns] if isinstance(child, TensorGrid)]


def _footprint(static: Plain | Lines, text: str) -> tuple[int, ...]:
    """The rows ``text`` takes in ``static``, wrapped at its width as Textual wraps it (at word
    boundaries: more rows than characters / width); and its widest row, which matters only to a
    widget as wide as its text (``width: auto``). ``Lines`` never wraps."""
    width = static.content_size.width
    rows = [len(line) for line in text.splitlines() or [""]]
    if isinstance(static, Lines) or not width or max(rows) <= width:  # a line a row
        height = len(rows)
    else:
        height = plain(text).get_height(static.styles, width)
    return (height, max(rows)) if static.styles.width is not None and static.styles.width.is_auto else (height,)


def set_text(static: Plain, text: str) -> None:
    """Update a text, asking for a layout pass only when the text's footprint changes: a
    layout of the whole page costs more than the repaint, and a key press must fit a frame.
    The last footprint is kept with the width it was measured at: one wrap a change."""
    measured = (static.content_size.width, _footprint(static, text))
    same = getattr(static, "_tutor_footprint", None) == measured
    static._tutor_footprint = measured
    static.update(text, layout=not same)


class LabView(Vertical):
    """Base of the lab views. A subclass makes its session in ``make_session`` (a worker thread:
    torch), lays it out in ``parts``, and shows the selected output cell in ``show_step``."""

    DEFAULT_CSS = """
    LabView { height: auto; }
    LabView .lab-heading { margin-top: 1; text-style: bold; }
    LabView .lab-group, LabView .lab-panel { width: auto; height: auto; }
    LabView .lab-panel > Plain { width: auto; }
    LabView #kernels, LabView #channel { grid-gutter: 0 2; }
    LabView .settings { grid-gutter: 0 1; }
    LabView #lab-status { height: auto; min-height: 1; }
    LabView #lab-body { height: auto; }
    LabView #lab-status.-error { color: $error; text-style: bold; }
    LabView #steps { height: auto; padding: 0 1; background: $boost; }
    """

    PLAY_SECONDS = 0.8
    KEY_HELP: dict[str, str] = {}  # what a lesson key does in this lab, where it differs (see the help)

    step: var[Cell] = var((0, 0, 0))
    playing: reactive[bool] = reactive(False)

    @dataclass
    class CodeRequested(Message):
        """The learner asked for the PyTorch code that rebuilds the lab (the app shows it)."""

        code: str
        stem: str

    def __init__(self, spec, show: tuple[str, ...], *, prose: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self.show = show
        self.prose = prose  # the page's text above the lab
        self.session: Any = None
        self.ready = False
        self.grids: dict[Address, TensorGrid] = {}
        self._lit: set[Address] = set()  # grids that show a window or a mark now
        self.stepped = False  # the learner has stepped: the page keeps the stage in view
        self.reading = False  # a refusal is on the status line: the page keeps it in view
        self._stage_parts: tuple[Widget | None, ...] = (None, None, None)
        self._page: Widget | None = None
        # The arithmetic's box keeps the rows of its longest sum (see reserve_rows), and the width
        # and settings they were measured for.
        self._steps: Lines | None = None
        self._steps_rows, self._steps_measured = 0, None
        self._rebuilding = asyncio.Lock()  # settings, a reset and a relayout all rebuild the body

    def in_turn(self, job: Callable[[], Awaitable[None]], group: str) -> None:
        """Run ``job`` in a worker, after any rebuild under way: one at a time, and never cancelled
        halfway (an exclusive worker cancelled in the middle of ``mount_all`` left a dead widget
        on the page, and the next pause waited for it for ever)."""
        async def in_its_turn() -> None:
            async with self._rebuilding:
                await job()

        self.run_worker(in_its_turn, group=group)

    # --- for subclasses -----------------------------------------------------------------------
    def make_session(self) -> Any:
        """The lab's session (runs in a worker thread)."""
        raise NotImplementedError

    def parts(self):
        """The widgets of the lab, once its session is ready."""
        raise NotImplementedError

    def intro(self) -> str:
        return ""

    def computed_by(self, name: str, call: str) -> str:
        """The line that names the layer, unless the page's text above has just shown it."""
        if call in self.prose:
            return f"Every number below is computed by {name}, the layer above."
        return f"{name} = {call}: every number below is computed by it."

    @property
    def stepping(self) -> bool:
        return "steps" in self.show and "output" in self.show

    def explain(self, cell: Cell) -> Explained:
        return self.session.explain(cell)

    def step_header(self, step: Explained) -> str:
        raise NotImplementedError

    def refresh_views(self) -> None:
        """Bring every part up to date with the session (after it is built, or has changed)."""
        self.update_grids(self.grids)
        self.show_step()

    def reset(self) -> None:
        """Restore the lesson's values."""

    async def restore(self) -> None:
        """Restore the lesson's values, new grids included (a lab whose shapes change awaits them)."""
        self.reset()

    def asked(self, event: Stepper.Changed) -> tuple[Any, Any] | None:
        """The value a setting's key asks for and the one it steps from: the key's step counted
        from the value the session computes with. A key pressed in a burst, before the lab caught
        up (or after an ``r`` not yet carried out), steps from there, not from what the setting
        showed. None when there is nothing to change (a key at an end of the list): the settings
        are shown as they are."""
        stepper, name = event.stepper, (event.stepper.id or "").removeprefix("set-")
        now = self.setting_values().get(name, event.previous)
        value, now = (stepper.step_from(now, event.delta), now) if now in stepper.choices else (event.value, event.previous)
        if value == now:
            self.show_settings()
            return None
        return value, now

    def setting_values(self) -> dict:
        """What the session computes with, by setting name (a setting's id is ``set-`` and it)."""
        return self.session.settings() if hasattr(self.session, "settings") else {}

    def show_settings(self) -> None:
        """Every setting shows the value the session computes with. After each change, taken or
        refused: within a burst of keys a change's ``previous`` may already be stale."""
        values = self.setting_values()
        for stepper in self.query(Stepper).results(Stepper):
            name = (stepper.id or "").removeprefix("set-")
            if name in values and stepper.value != values[name]:
                stepper.set_reactive(Stepper.value, stepper.validate_value(values[name]))
                stepper.refresh()
        if self.reserve_rows():  # new settings, new sums (max pooling's two rows, average's one)
            self.call_after_refresh(self.fit)

    def window_span(self) -> int:
        """Cells a side that one window covers in the input (a dilated kernel's, gaps included)."""
        return 1

    def output_grids(self) -> list[TensorGrid]:
        """The grids below the input that give up rows when the stage is taller than the page (they
        share one row of the page's Flow layout): the output maps."""
        return [grid for address, grid in self.grids.items() if address.tensor == "y"]

    def step_shape(self) -> Cell:
        """(channels, rows, cols) of the cells stepped through: the output's, in most labs."""
        return self.session.output_shape

    def stepped_tensor(self) -> str:
        """The tensor whose cells are stepped through (its grid's cursor follows the step)."""
        return "y"

    def cell_at(self, address: Address, row: int, col: int) -> Cell | None:
        """The step a cursor on this grid picks, if it is a grid of the tensor stepped through."""
        return (address.index[0], row, col) if address.tensor == self.stepped_tensor() else None

    # --- building -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Plain("Loading PyTorch…", id="lab-status")

    def on_mount(self) -> None:
        self._player = self.set_interval(self.PLAY_SECONDS, self._tick, pause=True)
        self.call_after_refresh(self._load)  # paint "Loading" first: the import holds the GIL

    @work(thread=True, exclusive=True, group="lab-load", exit_on_error=False)
    def _load(self) -> Any:
        return self.make_session()

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The session is delivered as a message: if the page was turned meanwhile, it is dropped."""
        if event.worker.group != "lab-load":
            return
        if event.state == WorkerState.SUCCESS:
            await self._ready(event.worker.result)
        elif event.state == WorkerState.ERROR:  # torch rejected the lab: say so instead of crashing
            self.say(f"This lab cannot be built: {event.worker.error}", True)

    async def _ready(self, session: Any) -> None:
        self.session = session
        await self.mount_all(list(self.parts()))
        self.find_grids()
        self.ready = True
        self.say(self.intro())
        self.refresh_views()
        self.screen.refresh_bindings()
        self.call_after_refresh(self.fit)

    # --- fitting the screen ---------------------------------------------------------------------
    def on_resize(self) -> None:
        if self.ready:
            self.fit()

    def fit(self, passes: int = 8) -> None:
        """Crop the grids (their view follows the window) so that the input channels share a
        line of the page, no grid is wider than the page, and the stage, from the input's heading
        to the arithmetic, fits the page's height. Runs when the lab's size changes, and again
        after a change of its own or until the page is laid out (8 passes at most), measuring the
        page each time."""
        if self._rebuilding.locked():  # grids coming and going: fitted once they are all there
            self.call_after_refresh(self.fit, passes)
            return
        inputs = list(self.query("#inputs > TensorGrid").results(TensorGrid))
        if not inputs or not self.stepping or not self.screen.is_current:
            return  # covered (the terminal is too small): fitted again when the screen resumes
        span, width = self.window_span(), self.size.width
        outputs = self.output_grids()
        if any(grid.outer_size.height != grid.view_size[0] + 2 for grid in (*inputs, *outputs)):
            if passes > 1:  # the page is not laid out for these grids yet: measure it when it is
                self.call_after_refresh(self.fit, passes - 1)
            return
        if self.reserve_rows() and passes > 1:  # the arithmetic's box grew: measure it when laid out
            self.call_after_refresh(self.fit, passes - 1)
            return
        heading = self.query_one("#input-heading").display
        in_rows, out_rows = self._rows_that_fit(inputs, outputs, span)
        share = self._input_width(inputs, in_rows)
        limits = [(grid, (in_rows, max(span, (share - 2) // grid.cell_width))) for grid in inputs]
        limits += [(grid, (out_rows, (width - 2) // grid.cell_width)) for grid in outputs]
        changed = [grid for grid, limit in limits if grid.limit != grid.validate_limit(limit)]
        for grid, limit in limits:
            grid.limit = limit
        for flow in self.query(Flow):
            flow.reflow()
        if (changed or heading != self.query_one("#input-heading").display) and passes > 1:
            self.call_after_refresh(self.fit, passes - 1)
        elif self.stepped:
            self.call_after_refresh(self.show_stage)  # the stage moved or grew under the learner's step

    def _input_width(self, inputs: list[TensorGrid], in_rows: int) -> int:
        """Columns each input grid may take: the page's width when whole grids, wrapped onto more
        lines, still leave the stage on the page (the point of a page may be its last column);
        else a share of a line (see below)."""
        gap, width = inputs[0].parent.styles.grid_gutter_vertical, self.size.width
        whole = [grid.full_size[1] * grid.cell_width + 2 for grid in inputs]
        lines_now, lines_whole = _lines(inputs), -(-len(inputs) // columns_that_fit(whole, width, gap))
        overflow = self._overflow()
        if all(w <= width for w in whole) and overflow + (lines_whole - lines_now) * (in_rows + 2) <= 0:
            return width
        # A share of one line that shows no more than the window makes the view move with every
        # step, and every number on it (a repaint of the whole grid a key). Then fewer channels
        # a line, down to one, each showing the window and more, if the stage still fits the
        # page that way or does not fit it anyway.
        one_line = (width - gap * (len(inputs) - 1)) // len(inputs)
        span, cell = self.window_span(), inputs[0].cell_width
        if (one_line - 2) // cell > span:
            return one_line
        for per_line in range(len(inputs) - 1, 0, -1):
            share = (width - gap * (per_line - 1)) // per_line
            if share >= (span + LOOKAHEAD) * cell + 2:
                taller = (-(-len(inputs) // per_line) - lines_now) * (in_rows + 2)
                return share if overflow > 0 or overflow + taller <= 0 else one_line
        return one_line

    def _rows_that_fit(self, inputs: list[TensorGrid], outputs: list[TensorGrid], span: int) -> tuple[int, int]:
        """Rows of the input's and the map's views that make the stage as tall as the page: the
        input keeps all it can (down to its window), the map what is left (down to the cell's row).
        The input's heading gives its row up last, when the windows still do not fit without it."""
        input_lines, output_lines = _lines(inputs), _lines(outputs)
        in_rows, out_rows = inputs[0].view_size[0], outputs[0].view_size[0] if outputs else 0
        beside = [grid.view_size[0] for grid in _line_of(outputs[0]) if grid is not outputs[0]] if outputs else []
        least_out = max([1, *beside]) if outputs else 0  # map rows as tall as a kernel beside it cost nothing
        heading = self.query_one("#input-heading")
        budget = in_rows * input_lines + out_rows * output_lines - self._overflow() + heading.display
        heading.display = budget > span * input_lines + least_out * output_lines
        budget -= heading.display
        in_rows = min(max(span, (budget - least_out * output_lines) // input_lines), inputs[0].full_size[0])
        out_rows = max(least_out, (budget - in_rows * input_lines) // output_lines) if outputs else 1
        return in_rows, out_rows

    def _stage(self) -> list[Widget]:
        """The stage's first part shown (the input's heading, or the input when the heading gave
        its row up) and its last, the arithmetic."""
        heading, inputs, steps = self._stage_parts
        top = heading if heading is not None and heading.display else inputs
        return [top, steps] if top is not None and steps is not None else []

    def _overflow(self) -> int:
        """Rows by which the stage is taller than the page (negative: rows to spare)."""
        parts = self._stage()
        page = self._page
        if not parts or page is None or not page.size.height:
            return 0
        return parts[-1].region.bottom - parts[0].region.y - page.scrollable_content_region.height

    def show_stage(self) -> None:
        """Scroll the page the least that puts the stage, from the input's heading to the
        arithmetic, on screen: stepping never leaves the learner to scroll for the window or its
        sum. A stage taller than the page shows from its top (the input's window), unless the
        learner scrolled down to the arithmetic: then that stays, to be read at each step."""
        parts, page = self._stage(), self._page
        if self.reading:
            self.show_status()
            return
        if not parts or page is None:
            return
        scroll, rows = round(page.scroll_y), page.scrollable_content_region.height
        top = parts[0].region.y - page.scrollable_content_region.y + scroll
        arithmetic = top + parts[-1].region.y - parts[0].region.y
        bottom = top + parts[-1].region.bottom - parts[0].region.y
        if bottom - top <= rows:  # it fits
            y = min(max(scroll, bottom - rows), top)
        elif scroll + rows > arithmetic:  # the learner reads the arithmetic
            y = min(max(scroll, top), bottom - rows)
        else:
            y = top
        page.scroll_to(y=y, animate=False, immediate=True)

    def find_grids(self) -> None:
        """Index the mounted grids by the slice they show, and find the arithmetic's box (after the
        parts change): a step looks nothing up in the page."""
        self.grids = {grid.address: grid for grid in self.query(TensorGrid) if grid.address is not None}
        self._lit &= set(self.grids)
        steps = next(iter(self.query("#steps").results(Lines)), None)
        if steps is not self._steps:  # a new box: its rows are measured when it is laid out
            self._steps, self._steps_rows, self._steps_measured = steps, 0, None
        # The stage's parts and the page that scrolls it, looked up once: a step scrolls to them.
        self._stage_parts = tuple(next(iter(self.query(part)), None) for part in ("#input-heading", "#inputs", "#steps"))
        self._page = next(iter(self.screen.query("#page")), None)

    def update_grids(self, addresses) -> None:
        """New values for the grids showing ``addresses`` (those not on the page are skipped).
        A grid whose numbers grew wider may no longer fit its line: the rows flow again."""
        widths = [(grid, grid.outer_width) for grid in self.grids.values()]
        for address in addresses:
            if (grid := self.grids.get(address)) is not None:
                grid.values = self.session.slice(address)
        if any(grid.outer_width != width for grid, width in widths):
            for flow in self.query(Flow):
                flow.reflow()

    @on(TensorGrid.EditRejected)
    def _edit_rejected(self, event: TensorGrid.EditRejected) -> None:
        event.stop()
        self.say(event.reason, error=True)

    @on(TensorGrid.CursorMoved)
    def _cursor_moved(self, event: TensorGrid.CursorMoved) -> None:
        """Arrows on the grid stepped through (an output) pick the cell to step to."""
        event.stop()
        address = event.grid.address
        cell = self.cell_at(address, event.row, event.col) if address is not None else None
        if cell is not None and event.grid.has_focus and self.stepping:
            self.step = cell

    def say(self, text: str, error: bool = False) -> None:
        """The lab's status line; a refusal is scrolled into view, whole: the learner must read it."""
        status = self.query_one("#lab-status", Plain)
        set_text(status, text)
        status.set_class(error, "-error")
        self.reading = error  # until the next step, the page keeps the refusal in view, not the stage
        if error:
            self.call_after_refresh(self.show_status)

    def show_status(self) -> None:
        """Scroll the page so that the status line is on it, if it is not (whole)."""
        status, page = self.query_one("#lab-status"), self.screen.query_one("#page")
        if status.is_attached and not page.scrollable_content_region.contains_region(status.region):
            status.scroll_visible(animate=False, top=True, immediate=True)

    # --- keys (bound by the lesson screen) ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hidden (False) where the page does not use it; greyed (None) until torch has loaded."""
        if not hasattr(self, f"action_{action}"):
            return False
        if action in ("step", "play") and not self.stepping:
            return False
        if action == "reset" and not ({"input", "kernels", "settings"} & set(self.show)):
            return False
        return True if self.ready else None

    @dataclass
    class ResetAsked(Message):
        """``r``: sent up from the focused widget, so that it reaches the lab after any setting
        change that widget sent before it (keys act in the order they were pressed)."""

    def action_reset(self) -> None:
        if self.ready:
            focused = self.screen.focused
            origin = focused if focused is not None and self in focused.ancestors else self
            origin.post_message(self.ResetAsked())

    @on(ResetAsked)
    async def _reset_asked(self, event: ResetAsked) -> None:
        event.stop()
        self.release_widths()
        async with self._rebuilding:  # after a relayout under way, before the keys that follow
            await self.restore()

    def release_widths(self) -> None:
        """The lesson's values may be narrower than the learner's: the grids may shrink back."""
        for grid in self.grids.values():
            grid.release_width()

    def action_step(self, delta: int) -> None:
        shape = self.step_shape()
        self.step = unflat(flat(self.step, shape) + delta, shape)

    def action_play(self) -> None:
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if hasattr(self, "_player"):
            self._player.resume() if playing else self._player.pause()

    def _tick(self) -> None:
        self.action_step(1)

    def watch_step(self) -> None:
        if self.ready:
            self.stepped, self.reading = True, False
            self.show_step()
            self.call_after_refresh(self.show_stage)  # after the arithmetic's new height is laid out

    def clamp_step(self) -> None:
        """Keep the selected cell inside the output after its shape changed."""
        self.set_reactive(LabView.step, clamp(self.step, self.step_shape()))

    def step_title(self) -> str:
        channels, rows, cols = shape = self.step_shape()
        return f"step {flat(self.step, shape) + 1} of {channels * rows * cols}{STEP_KEYS}"

    # --- stepping -------------------------------------------------------------------------------
    def show_step(self) -> None:
        """Highlight the selected cell's window and write out its arithmetic. Only the grids
        that were or become highlighted are touched: a step costs the same at any lab size."""
        box = self._steps
        if not self.stepping or box is None or not box.is_attached:  # none while a new layer's grids are being mounted
            return
        step = self.explain(self.step)
        now = {a for a in (*step.windows, *step.marked) if a in self.grids}
        for address in self._lit | now:
            grid = self.grids[address]
            grid.window = step.windows.get(address, NOTHING)
            grid.marked = step.marked.get(address, NOTHING)
            if address.tensor == self.stepped_tensor() and address in step.windows:
                grid.cursor = step.cell[1:]
        self._lit = now
        box.update_when_seen(lambda: self.arithmetic(step, box))

    def arithmetic(self, step: Explained, box: Lines) -> str:
        """The step's text, broken to the box's width and padded to the rows the box has had: it
        never shrinks while stepping (and starts as tall as the longest sum of a sample, see
        reserve_rows). A height that changed with the numbers would lay out (and repaint, and
        scroll) the whole page on a key."""
        text = self.step_text(step, box.content_size.width)
        rows = _footprint(box, text)[0]
        self._steps_rows = max(self._steps_rows, rows)
        return text + "\n" * (self._steps_rows - rows)

    def step_text(self, step: Explained, width: int) -> str:
        """The header and the arithmetic of a step, broken to lines of ``width``. A header one
        row too long leaves out the keys (the page above and ? name them): broken, it read as a sum."""
        header = self.step_header(step)
        if len(header) > width:
            header = header.replace(STEP_KEYS, "")
        return "\n".join(part for line in (header, *step.lines) for part in wrapped(line, width))

    def reserve_rows(self, samples: int = 16) -> bool:
        """Give the arithmetic's box the rows of the longest sum among a sample of cells (all of
        them in a small lab), once for each width and settings it has: a step then rarely makes
        it taller, and a key that changes no setting measures nothing. Whether its rows changed."""
        box = self._steps
        width = box.content_size.width if box is not None and box.is_attached else 0
        measured = (width, self.setting_values())
        if not self.stepping or not width or self._steps_measured == measured:
            return False
        shape = self.step_shape()
        total = shape[0] * shape[1] * shape[2]
        picks = range(total) if total <= 2 * samples else {i * (total - 1) // (samples - 1) for i in range(samples)}
        rows = max(_footprint(box, self.step_text(self.explain(unflat(i, shape)), width))[0] for i in picks)
        changed, self._steps_measured, self._steps_rows = rows != self._steps_rows, measured, rows
        self.show_step()
        if changed:  # laid out to its new rows (its text made now, if the step left it for later)
            box.refresh(layout=True)
        return changed
