"""The pooling lab: a real ``nn.MaxPool2d`` / ``nn.AvgPool2d`` over an editable input (or over a
convolution's output), its settings switchable from the keyboard, the window stepped through,
and the gradient that flows back to the input."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.containers import Horizontal

from tutor.course.explain import pool_lines, shape_text, side_formula
from tutor.course.labs import pool_input
from tutor.course.model import PoolLab as PoolLabSpec
from tutor.engine.spec import PoolSpec
from tutor.numbers import format_number
from tutor.widgets.lab import Lab, address, set_text
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

# The settings a learner can switch: (field, label, choices, names shown).
SETTINGS = (
    ("kind", "pooling", ("max", "avg"), ("MaxPool2d", "AvgPool2d")),
    ("kernel_size", "kernel_size", (1, 2, 3, 4, 5), None),
    ("stride", "stride", (None, 1, 2, 3, 4, 5), ("= kernel", "1", "2", "3", "4", "5")),
    ("padding", "padding", (0, 1, 2), None),
    ("ceil_mode", "ceil_mode", (False, True), None),
)


class PoolLab(Lab):
    """A live pooling layer; ``show`` picks which parts a page displays."""

    HELP = """
### Pooling lab
Every number comes from `nn.MaxPool2d` or `nn.AvgPool2d`. **Tab** to a setting and use
**← / →** to change it; **Tab** to the input and type a number, then **Enter**. **n** / **p**
step the window, **Space** plays, **r** restores the lesson's values.
"""

    def __init__(self, spec: PoolLabSpec, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(show, id=id)
        self.spec = spec
        self.pool: PoolSpec = spec.pool
        self.x = self.lesson_x = None
        self.out = self.indices = self.grad = None

    # --- building ---------------------------------------------------------------------------
    def build(self):
        from tutor.engine import pool

        x = pool_input(self.spec)
        return (x, *pool.pool_forward(self.spec.pool, x), pool.input_gradient(self.spec.pool, x))

    def adopt(self, state) -> None:
        self.lesson_x, self.out, self.indices, self.grad = state
        self.x = self.lesson_x.copy()

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.out.shape[1:]

    def parts(self):
        channels = range(self.x.shape[1])
        if "settings" in self.show:
            yield Horizontal(*(Stepper(label, choices, getattr(self.pool, name), names=names, id=f"set-{name}")
                               for name, label, choices, names in SETTINGS), classes="lab-row settings")
        if self.spec.source is not None:
            yield Plain(id="chain", classes="lab-heading")
        if "input" in self.show:
            yield Plain(id="input-heading", classes="lab-heading")
            editable = self.spec.source is None
            yield Horizontal(*(TensorGrid(self.x[0, c], editable=editable, label=f"channel {c}", id=f"x-{c}")
                               for c in channels), classes="lab-row")
        if "output" in self.show:
            yield Plain(id="output-heading", classes="lab-heading")
            yield Horizontal(*(TensorGrid(self.out[0, c], label=f"channel {c}", id=f"y-{c}") for c in channels),
                             classes="lab-row")
        if self.stepping:
            yield Plain(id="steps")
        if "gradient" in self.show:
            yield Plain("Where the gradient flows: x.grad after pool(x).sum().backward()", classes="lab-heading")
            yield Horizontal(*(TensorGrid(self.grad[0, c], label=f"grad {c}", id=f"g-{c}") for c in channels),
                             classes="lab-row")

    def intro(self) -> str:
        return f"pool = {self.pool.call()}: every number below is computed by it."

    # --- changes ------------------------------------------------------------------------------
    def _apply(self, x, spec: PoolSpec) -> bool:
        """Recompute with ``x`` and ``spec``; keep the last good state if torch refuses."""
        from tutor.engine import layers, pool

        try:
            out, indices = pool.pool_forward(spec, x)
            grad = pool.input_gradient(spec, x)
        except layers.LayerError as error:
            self.say(f"{error} The last good settings are kept.", error=True)
            return False
        self.x, self.pool, self.out, self.indices, self.grad = x, spec, out, indices, grad
        self.clamp_step()
        self.refresh_views()
        return True

    @on(Stepper.Changed)
    def _setting_changed(self, event: Stepper.Changed) -> None:
        event.stop()
        name = event.stepper.id.removeprefix("set-")
        if self._apply(self.x, replace(self.pool, **{name: event.value})):
            self.say(f"pool = {self.pool.call()}; recomputed by torch.")
        else:
            event.stepper.value = event.previous

    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        _, (channel,) = address(event.grid)
        x = self.x.copy()
        x[0, channel, event.row, event.col] = event.value
        if self._apply(x, self.pool):
            self.say(f"x[0, {channel}, {event.row}, {event.col}] = {format_number(event.value)}; recomputed by torch.")
        else:
            event.grid.refresh()  # not taken: the cell shows its old value again

    def reset(self) -> None:
        if self._apply(self.lesson_x.copy(), self.spec.pool):
            for name, *_ in SETTINGS:
                for stepper in self.query(f"#set-{name}").results(Stepper):
                    stepper.value = getattr(self.pool, name)
            self.say("The lesson's input and settings are back.")

    def refresh_views(self) -> None:
        sources = {"x": self.x[0], "y": self.out[0], "g": self.grad[0]}
        pad_text = "-inf" if self.pool.kind == "max" else "0"
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            grid.values = sources[kind][index].tolist()
            if kind == "x":
                grid.pad, grid.pad_text = self.pool.padding, pad_text
        self._headings()
        self.show_step()

    def _headings(self) -> None:
        shape_in, shape_out = shape_text(self.x.shape), shape_text(self.out.shape)
        padding = ""
        if self.pool.padding:
            padding = ("; padding cells hold -inf, so they never win" if self.pool.kind == "max"
                       else "; padding cells count as 0 (count_include_pad=True)")
        for heading in self.query("#input-heading").results(Plain):
            heading.update(f"Input x  {shape_in}  [batch, channels, height, width]{padding}")
        for heading in self.query("#output-heading").results(Plain):
            heading.update(f"Output  pool(x)  {shape_out}")
        for chain in self.query("#chain").results(Plain):
            source = self.spec.source
            height, _ = side_formula(self.pool, self.x.shape[2])
            chain.update(f"{shape_text(source.input_shape)} → {source.layer.call()} → {shape_in} → "
                         f"{self.pool.call()} → {shape_out}\nheight and width: {height}")

    # --- stepping ---------------------------------------------------------------------------
    def show_step(self) -> None:
        if not self.stepping:
            return
        from tutor.engine import pool

        c, r, q = self.step
        cell = pool.pool_cell(self.pool, self.x, self.out, self.indices, c, r, q)
        window = frozenset((t.row, t.col) for t in cell.taps) | frozenset(cell.padding_taps)
        for grid in self.query(TensorGrid):
            kind, (channel,) = address(grid)
            mine = channel == c
            if kind == "x":
                grid.window = window if mine else frozenset()
                grid.marked = frozenset({cell.winner}) if mine and cell.winner else frozenset()
            elif kind == "y":
                grid.window = frozenset({(r, q)}) if mine else frozenset()
                if mine:
                    grid.cursor = (r, q)
        header = f"output[0, {c}, {r}, {q}] = {format_number(cell.value)}   (nn.{self.pool.module_name}; {self.step_title()})"
        set_text(self.query_one("#steps", Plain), "\n".join([header, *pool_lines(self.pool, cell)]))
