"""The convolution lab: input, kernels and output of one real ``nn.Conv2d``, editable, with a
step-through that writes out the arithmetic behind each output cell.

State lives here (the lab's tensors and the selected output cell); grids get it as
attributes and report edits and cursor moves as messages.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.widgets import Static

from tutor.course.explain import shape_text as _shape, unrolled_lines
from tutor.course.labs import ConvTensors, conv_tensors
from tutor.course.model import ConvLab as ConvLabSpec
from tutor.numbers import format_number
from tutor.widgets.tensor_grid import TensorGrid

Cell = tuple[int, int, int]  # (out channel, row, col) of the output


def _address(grid: TensorGrid) -> tuple[str, tuple[int, ...]]:
    """Which tensor slice a grid shows, from its id: ``x-1`` input channel 1, ``w-0-1`` kernel
    (out 0, in 1), ``y-2`` output channel 2."""
    kind, *index = grid.id.split("-")
    return kind, tuple(int(i) for i in index)


class ConvLab(Vertical):
    """A live ``nn.Conv2d``; ``show`` picks which parts a page displays.

    Its actions (step, play, reset) are bound by the lesson screen, so they work wherever
    the focus is on the page, except in an answer box.
    """

    HELP = """
### Convolution lab
Every number comes from `nn.Conv2d`. **Tab** moves between grids; edit the input or a
kernel and the outputs are recomputed. **n** / **p** step through the output cells,
**Space** plays or pauses, **r** restores the lesson's values.
"""

    DEFAULT_CSS = """
    ConvLab { height: auto; }
    ConvLab .lab-row { height: auto; width: 100%; overflow-x: auto; }
    ConvLab .lab-heading { margin-top: 1; text-style: bold; }
    ConvLab .lab-group { width: auto; height: auto; margin-right: 2; }
    ConvLab .lab-group:last-of-type { margin-right: 0; }
    ConvLab #lab-status { height: auto; min-height: 1; }
    ConvLab #lab-status.-error { color: $error; text-style: bold; }
    ConvLab #steps { height: auto; margin-top: 1; padding: 0 1; border: round $panel-lighten-2; }
    """

    PLAY_SECONDS = 0.8

    step: var[Cell] = var((0, 0, 0))
    playing: reactive[bool] = reactive(False)

    def __init__(self, spec: ConvLabSpec, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self.show = show
        self.lesson_tensors: ConvTensors | None = None  # as the lesson defines them
        self.tensors: ConvTensors | None = None  # as the learner has edited them
        self.output = None

    @property
    def stepping(self) -> bool:
        return "steps" in self.show and "output" in self.show

    # --- building ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("Loading PyTorch…", id="lab-status")

    def on_mount(self) -> None:
        self.call_after_refresh(self._load)  # paint "Loading" first: the import holds the GIL
        self._player = self.set_interval(self.PLAY_SECONDS, self._tick, pause=True)

    @work(thread=True, exclusive=True, group="lab-load")
    def _load(self) -> None:
        """Import torch and build the lab's tensors off the UI thread."""
        try:
            tensors = conv_tensors(self.spec)
            from tutor.engine import conv

            output = conv.conv_forward(tensors.spec, tensors.x, tensors.weight, tensors.bias)
        except Exception as error:  # torch rejected the lab: say so instead of crashing
            self.app.call_from_thread(self._say, f"This lab cannot be built: {error}", True)
            return
        self.app.call_from_thread(self._ready, tensors, output)

    async def _ready(self, tensors: ConvTensors, output) -> None:
        self.lesson_tensors, self.tensors, self.output = tensors, tensors.copy(), output
        await self.mount_all(self._parts())
        self._say(self._intro())
        self._show_step()
        self.screen.refresh_bindings()

    def _parts(self):
        t = self.tensors
        if "input" in self.show:
            yield Static(f"Input a  {_shape(t.x.shape)}  [batch, channels, height, width]", classes="lab-heading")
            yield Horizontal(
                *(TensorGrid(t.x[0, c], editable=True, label=f"channel {c}", id=f"x-{c}") for c in range(t.x.shape[1])),
                classes="lab-row",
            )
        if "kernels" in self.show:
            yield Static(f"Kernels  c.weight  {_shape(t.weight.shape)}  [out, in, height, width]; labelled (out, in)",
                         classes="lab-heading")
            yield Horizontal(*(self._kernel_group(o) for o in range(t.weight.shape[0])), classes="lab-row")
        if "output" in self.show:
            yield Static(f"Output  c(a)  {_shape(self.output.shape)}", classes="lab-heading")
            yield Horizontal(
                *(TensorGrid(self.output[0, o], label=f"out {o}", id=f"y-{o}") for o in range(self.output.shape[1])),
                classes="lab-row",
            )
        if self.stepping:
            yield Static(id="steps")

    def _kernel_group(self, out: int) -> Horizontal:
        weight = self.tensors.weight
        grids = (TensorGrid(weight[out, i], editable=True, label=f"({out}, {i})", id=f"w-{out}-{i}")
                 for i in range(weight.shape[1]))
        return Horizontal(*grids, classes="lab-group")

    def _intro(self) -> str:
        if "kernels" not in self.show:
            return ""
        return f"c = {self.tensors.spec.call()}: every number below is computed by it."

    def _say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#lab-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    # --- edits ------------------------------------------------------------------------------
    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        kind, index = _address(event.grid)
        array = self.tensors.x[0] if kind == "x" else self.tensors.weight
        array[(*index, event.row, event.col)] = event.value
        where = f"a[0, {index[0]}, {event.row}, {event.col}]" if kind == "x" else \
            f"c.weight[{index[0]}, {index[1]}, {event.row}, {event.col}]"
        self._recompute()
        self._say(f"{where} = {format_number(event.value)}; the output was recomputed by nn.Conv2d.")

    @on(TensorGrid.EditRejected)
    def _edit_rejected(self, event: TensorGrid.EditRejected) -> None:
        event.stop()
        self._say(event.reason, error=True)

    def _recompute(self) -> None:
        from tutor.engine import conv  # loaded already: the lab is only editable once it is

        t = self.tensors
        self.output = conv.conv_forward(t.spec, t.x, t.weight, t.bias)
        self._push_values()
        self._show_step()

    def _push_values(self) -> None:
        t = self.tensors
        for grid in self.query(TensorGrid):
            kind, index = _address(grid)
            source = {"x": t.x[0], "w": t.weight, "y": self.output[0]}[kind]
            grid.values = source[index].tolist()

    def action_reset(self) -> None:
        if self.lesson_tensors is not None:
            self.tensors = self.lesson_tensors.copy()
            self._recompute()
            self._say("The lesson's input and kernels are back.")

    # --- stepping ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hidden (False) where the page does not use it; greyed (None) until torch has loaded."""
        if action in ("step", "play") and not self.stepping:
            return False
        if action == "reset" and not ({"input", "kernels"} & set(self.show)):
            return False
        return True if self.tensors is not None else None

    def _flat(self, cell: Cell) -> int:
        """The cell's position in raster order across all output channels."""
        _, _, rows, cols = self.output.shape
        o, r, c = cell
        return (o * rows + r) * cols + c

    def action_step(self, delta: int) -> None:
        _, outs, rows, cols = self.output.shape
        flat = (self._flat(self.step) + delta) % (outs * rows * cols)
        self.step = (flat // (rows * cols), flat // cols % rows, flat % cols)

    def action_play(self) -> None:
        self.playing = not self.playing

    def watch_playing(self, playing: bool) -> None:
        if hasattr(self, "_player"):
            self._player.resume() if playing else self._player.pause()

    def _tick(self) -> None:
        self.action_step(1)

    @on(TensorGrid.CursorMoved)
    def _cursor_moved(self, event: TensorGrid.CursorMoved) -> None:
        event.stop()
        if event.grid.id.startswith("y-") and event.grid.has_focus:
            self.step = (int(event.grid.id[2:]), event.row, event.col)

    def watch_step(self) -> None:
        self._show_step()

    def _show_step(self) -> None:
        if not self.stepping or self.output is None:
            return
        from tutor.engine import conv

        o, r, c = self.step
        t = self.tensors
        unrolled = conv.unroll(t.spec, t.x, t.weight, t.bias, o, r, c)
        taps = [tap for terms in unrolled.channels for tap in terms.taps]
        for grid in self.query(TensorGrid):
            kind, index = _address(grid)
            if kind == "x":
                grid.window = frozenset((tap.row, tap.col) for tap in taps if tap.in_channel == index[0])
            elif kind == "w":
                used = index[0] == o and any(terms.kernel_index == index[1] for terms in unrolled.channels)
                k = t.spec.kernel_size
                grid.window = frozenset((i, j) for i in range(k) for j in range(k)) if used else frozenset()
            elif index[0] == o:
                grid.window = frozenset({(r, c)})
                grid.cursor = (r, c)
            else:
                grid.window = frozenset()
        value = format_number(float(self.output[0, o, r, c]))
        lines = [f"output[0, {o}, {r}, {c}] = {value}   (from nn.Conv2d; unrolled below with torch)"]
        lines += unrolled_lines(unrolled)
        steps = self.query_one("#steps", Static)
        steps.update("\n".join(lines))
        steps.border_title = f"Step {self._flat(self.step) + 1} of {self.output[0].size}: n / p / Space"
