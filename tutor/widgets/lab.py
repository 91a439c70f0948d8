"""What every lab shares: a status line, building its tensors off the UI thread, and stepping
a window through the output cells (n / p / Space, bound by the lesson screen)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive, var
from textual.worker import Worker, WorkerState

from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

Cell = tuple[int, int, int]  # (channel, row, col) of the output


def address(grid: TensorGrid) -> tuple[str, tuple[int, ...]]:
    """Which tensor slice a grid shows, from its id: ``x-1`` input channel 1, ``w-0-1`` kernel
    (out 0, in 1), ``y-2`` output channel 2, ``g-0`` gradient of input channel 0."""
    kind, *index = grid.id.split("-")
    return kind, tuple(int(i) for i in index)


def _footprint(static: Plain, text: str) -> tuple[int, ...]:
    """The rows ``text`` takes in ``static``, wrapped at its width; and its widest row, which
    matters only to a widget as wide as its text (``width: auto``)."""
    width = max(static.content_size.width, 1)
    rows = [len(line) for line in text.splitlines() or [""]]
    height = sum(-(-n // width) or 1 for n in rows)
    return (height, max(rows)) if static.styles.width is not None and static.styles.width.is_auto else (height,)


def set_text(static: Plain, text: str) -> None:
    """Update a Plain, asking for a layout pass only when the text's footprint changes: a
    layout of the whole page costs more than the repaint, and a key press must fit a frame."""
    old = getattr(static, "_tutor_text", None)
    same = old is not None and _footprint(static, old) == _footprint(static, text)
    static._tutor_text = text
    static.update(text, layout=not same)


class Lab(Vertical):
    """Base of the labs. Subclasses build their state in ``build`` (a worker thread: torch),
    lay it out in ``parts``, and show the selected output cell in ``show_step``."""

    DEFAULT_CSS = """
    Lab { height: auto; }
    Lab .lab-row { height: auto; width: 100%; overflow-x: auto; }
    Lab .lab-heading { margin-top: 1; text-style: bold; }
    Lab .lab-group { width: auto; height: auto; margin-right: 2; }
    Lab .lab-group:last-of-type { margin-right: 0; }
    Lab #lab-status { height: auto; min-height: 1; }
    Lab #lab-body { height: auto; }
    Lab #lab-status.-error { color: $error; text-style: bold; }
    Lab #steps { height: auto; margin-top: 1; padding: 0 1; background: $boost; }
    """

    PLAY_SECONDS = 0.8

    step: var[Cell] = var((0, 0, 0))
    playing: reactive[bool] = reactive(False)

    def __init__(self, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show = show
        self.ready = False

    # --- for subclasses -----------------------------------------------------------------------
    def build(self) -> Any:
        """Compute the lab's starting state (runs in a worker thread)."""
        raise NotImplementedError

    def adopt(self, state: Any) -> None:
        """Take the state ``build`` made (on the UI thread)."""
        raise NotImplementedError

    def parts(self):
        """The widgets of the lab, once its state is ready."""
        raise NotImplementedError

    def intro(self) -> str:
        return ""

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(channels, rows, cols) of the output the window steps through."""
        raise NotImplementedError

    @property
    def stepping(self) -> bool:
        return "steps" in self.show and "output" in self.show

    def show_step(self) -> None:
        """Show the selected output cell: highlights and its arithmetic."""

    def refresh_views(self) -> None:
        """Bring every part up to date with the state (after it is built, or has changed)."""
        self.show_step()

    def reset(self) -> None:
        """Restore the lesson's values."""

    # --- building -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Plain("Loading PyTorch…", id="lab-status")

    def on_mount(self) -> None:
        self._player = self.set_interval(self.PLAY_SECONDS, self._tick, pause=True)
        self.call_after_refresh(self._load)  # paint "Loading" first: the import holds the GIL

    @work(thread=True, exclusive=True, group="lab-load", exit_on_error=False)
    def _load(self) -> Any:
        return self.build()

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The build is delivered as a message: if the page was turned meanwhile, it is dropped."""
        if event.worker.group != "lab-load":
            return
        if event.state == WorkerState.SUCCESS:
            await self._ready(event.worker.result)
        elif event.state == WorkerState.ERROR:  # torch rejected the lab: say so instead of crashing
            self.say(f"This lab cannot be built: {event.worker.error}", True)

    async def _ready(self, state: Any) -> None:
        self.adopt(state)
        await self.mount_all(list(self.parts()))
        self.ready = True
        self.say(self.intro())
        self.refresh_views()
        self.screen.refresh_bindings()

    @on(TensorGrid.EditRejected)
    def _edit_rejected(self, event: TensorGrid.EditRejected) -> None:
        event.stop()
        self.say(event.reason, error=True)

    @on(TensorGrid.CursorMoved)
    def _cursor_moved(self, event: TensorGrid.CursorMoved) -> None:
        """Arrows on an output grid pick the cell to step to."""
        event.stop()
        kind, index = address(event.grid)
        if kind == "y" and event.grid.has_focus:
            self.step = (index[0], event.row, event.col)

    def say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#lab-status", Plain)
        set_text(status, text)
        status.set_class(error, "-error")

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

    def action_reset(self) -> None:
        if self.ready:
            self.reset()

    def flat(self, cell: Cell) -> int:
        """The cell's position in raster order across all output channels."""
        _, rows, cols = self.output_shape
        channel, row, col = cell
        return (channel * rows + row) * cols + col

    def action_step(self, delta: int) -> None:
        channels, rows, cols = self.output_shape
        flat = (self.flat(self.step) + delta) % (channels * rows * cols)
        self.step = (flat // (rows * cols), flat // cols % rows, flat % cols)

    def action_play(self) -> None:
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if hasattr(self, "_player"):
            self._player.resume() if playing else self._player.pause()

    def _tick(self) -> None:
        self.action_step(1)

    def watch_step(self) -> None:
        if self.ready:
            self.show_step()

    def clamp_step(self) -> None:
        """Keep the selected cell inside the output after its shape changed."""
        channels, rows, cols = self.output_shape
        channel, row, col = self.step
        self.step = (min(channel, channels - 1), min(row, rows - 1), min(col, cols - 1))

    def step_title(self) -> str:
        channels, rows, cols = self.output_shape
        return f"step {self.flat(self.step) + 1} of {channels * rows * cols}: n / p / Space"
