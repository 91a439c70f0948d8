"""The pooling lab's view: a real ``nn.MaxPool2d`` / ``nn.AvgPool2d`` (a ``PoolSession``) over an
editable input or a convolution's output, its settings switchable from the keyboard, the window
stepped through, and the gradient that flows back to the input."""

from __future__ import annotations

from textual import on

from tutor.labs.explain import shape_text
from tutor.labs.session import Address, Explained
from tutor.numbers import fixed
from tutor.widgets.flow import Flow
from tutor.widgets.lab import LabView, set_text
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Lines, Plain

# The settings a learner can switch: (field, label, choices, names shown).
SETTINGS = (
    ("kind", "pooling", ("max", "avg"), ("MaxPool2d", "AvgPool2d")),
    ("kernel_size", "kernel_size", (1, 2, 3, 4, 5), None),
    ("stride", "stride", (None, 1, 2, 3, 4, 5), ("= kernel", "1", "2", "3", "4", "5")),
    ("padding", "padding", (0, 1, 2), None),
    ("ceil_mode", "ceil_mode", (False, True), None),
)
SIZES = (("height", "H", tuple(range(1, 9)), None), ("width", "W", tuple(range(1, 9)), None))  # an input typed in


class PoolLabView(LabView):
    """A live pooling layer; ``show`` picks which parts a page displays."""

    HELP = """
### Pooling lab
Every number comes from `nn.MaxPool2d` or `nn.AvgPool2d`. **Tab** to a setting and use
**← / →** to change it; **Tab** to the input and type a number, then **Enter**. **n** / **p**
step the window, **Space** plays, **r** restores the lesson's values.
"""

    def make_session(self):
        from tutor.labs.pool import PoolSession

        return PoolSession(self.spec)

    def parts(self):
        s = self.session
        if "settings" in self.show:
            values = s.settings()
            yield Flow(*(Stepper(label, choices, values[name], names=names, id=f"set-{name}")
                         for name, label, choices, names in self._settings()), classes="lab-row settings")
        if self.spec.source is not None:
            yield Plain(id="chain", classes="lab-heading")
        if "input" in self.show:
            yield Plain(id="input-heading", classes="lab-heading")
            yield self._row("x", "channel", editable=s.editable, id="inputs")
        if "output" in self.show:
            yield Plain(id="output-heading", classes="lab-heading")
            yield self._row("y", "channel")
        if self.stepping:
            yield Lines(id="steps")
        if "gradient" in self.show:
            yield Plain("Where the gradient flows: x.grad after pool(x).sum().backward()", classes="lab-heading")
            yield self._row("g", "grad")

    def _settings(self):
        """The layer's settings, and the input's size when the input is the lab's own (not a
        convolution's output)."""
        return SETTINGS + SIZES if self.session.editable else SETTINGS

    def _row(self, tensor: str, label: str, editable: bool = False, id: str | None = None) -> Flow:
        addresses = [Address(tensor, (c,)) for c in self.session.channels]
        return Flow(*(TensorGrid(self.session.slice(a), editable=editable, label=f"{label} {a.index[0]}",
                                 address=a) for a in addresses), classes="lab-row", id=id)

    def intro(self) -> str:
        return self.computed_by("pool", self.session.pool.call())

    # --- changes ------------------------------------------------------------------------------
    @on(Stepper.Changed)
    async def _setting_changed(self, event: Stepper.Changed) -> None:
        from tutor.engine.layers import LayerError

        event.stop()
        if (asked := self.asked(event)) is None:
            return
        value = asked[0]
        try:
            self.session.reconfigure(event.stepper.id.removeprefix("set-"), value)
        except LayerError as error:
            self.say(f"{error} The last good settings are kept.", error=True)
            self.show_settings()
            return
        self.clamp_step()
        if event.stepper.id in ("set-height", "set-width"):
            async with self._rebuilding:
                await self._rebuild_grids()
        self.show_settings()
        self.refresh_views()
        self.say(f"pool = {self.session.pool.call()} on x of shape {shape_text(self.session.x.shape)}; "
                 "recomputed by torch.")

    async def _rebuild_grids(self) -> None:
        """A new input size: new grids for every slice (their shapes changed)."""
        for flow in self.query(".lab-row").results(Flow):
            grids = list(flow.query_children(TensorGrid))
            if grids:
                await flow.remove_children()
                await flow.mount_all(TensorGrid(self.session.slice(g.address), editable=g.editable,
                                                label=str(g.border_title), address=g.address) for g in grids)
        self.find_grids()
        self.call_after_refresh(self.fit)

    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        from tutor.engine.layers import LayerError

        event.stop()
        try:
            where, _ = self.session.edit(event.grid.address, event.row, event.col, event.value)
        except LayerError as error:
            self.say(f"{error} The cell keeps its value.", error=True)
            event.grid.refresh()  # not taken: the cell shows its old value again
            return
        self.refresh_views()
        self.say(f"{where}; recomputed by torch.")

    async def restore(self) -> None:
        resized = self.session.x.shape != self.session.reset_shape
        self.session.reset()
        self.show_settings()
        self.clamp_step()
        if resized:
            await self._rebuild_grids()
        self.refresh_views()
        self.say("The lesson's input and settings are back.")

    def refresh_views(self) -> None:
        for address in self.session.addresses():
            if address.tensor == "x" and (grid := self.grids.get(address)) is not None:
                grid.pad, grid.pad_text = self.session.pool.padding, self.session.pad_text
                grid.dropped = self.session.dropped
        for selector, text in (("#input-heading", self.session.input_heading),
                               ("#output-heading", self.session.output_heading), ("#chain", self.session.chain)):
            for heading in self.query(selector).results(Plain):
                set_text(heading, text())
        super().refresh_views()

    def window_span(self) -> int:
        return self.session.pool.kernel_size

    def step_header(self, step: Explained) -> str:
        c, r, q = step.cell
        value = fixed(step.value, self.session.decimals(Address("y", (c,))))  # as the output map writes it
        return (f"output[0, {c}, {r}, {q}] = {value}   "
                f"(nn.{self.session.pool.module_name}; {self.step_title()})")
