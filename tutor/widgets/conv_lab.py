"""The convolution lab: input, kernels and output of one real ``nn.Conv2d``, editable, with a
step-through that writes out the arithmetic behind each output cell.

State lives here (the lab's tensors and the selected output cell); grids get it as
attributes and report edits and cursor moves as messages.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.containers import Horizontal, Vertical

from tutor.course.explain import (
    parameter_formula,
    shape_text,
    side_formula,
    unrolled_lines,
)
from tutor.course.labs import ConvTensors, conv_tensors
from tutor.course.model import ConvLab as ConvLabSpec
from tutor.numbers import format_number
from tutor.widgets.lab import Lab, address, set_text
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

# The settings a learner can switch on a playground page: (name, label, choices).
SETTINGS = (
    ("height", "H", tuple(range(1, 13))),
    ("width", "W", tuple(range(1, 13))),
    ("in_channels", "in", (1, 2, 3, 4)),
    ("out_channels", "out", (1, 2, 3, 4)),
    ("kernel_size", "k", (1, 2, 3, 4, 5)),
    ("stride", "stride", (1, 2, 3, 4)),
    ("padding", "padding", (0, 1, 2, 3, "same", "valid")),
    ("dilation", "dilation", (1, 2, 3)),
    ("groups", "groups", (1, 2, 3, 4)),
    ("bias", "bias", (False, True)),
)
CUSTOM = "custom"


class ConvLab(Lab):
    """A live ``nn.Conv2d``; ``show`` picks which parts a page displays."""

    HELP = """
### Convolution lab
Every number comes from `nn.Conv2d`. **Tab** moves between settings and grids; edit the input
or a kernel and the outputs are recomputed. On a setting, **← / →** change it (a preset sets
them all). **n** / **p** step through the output cells, **Space** plays or pauses, **r**
restores the lesson's values, **c** shows the PyTorch code of the lab.
"""

    def __init__(self, spec: ConvLabSpec, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(show, id=id)
        self.spec = spec
        self.lesson_tensors: ConvTensors | None = None  # as the lesson defines them
        self.tensors: ConvTensors | None = None  # as the learner has edited them
        self.output = None

    # --- building ---------------------------------------------------------------------------
    def build(self):
        from tutor.engine import conv

        tensors = conv_tensors(self.spec)
        return tensors, conv.conv_forward(tensors.spec, tensors.x, tensors.weight, tensors.bias)

    def adopt(self, state) -> None:
        tensors, self.output = state
        self.lesson_tensors, self.tensors = tensors, tensors.copy()

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.output.shape[1:]

    def parts(self):
        if "settings" in self.show:
            steppers = list(self._steppers())
            split = len(steppers) - 6  # the layer's own arguments on a second row
            yield Horizontal(*steppers[:split], classes="lab-row settings")
            yield Horizontal(*steppers[split:], classes="lab-row settings")
            yield Vertical(*self._body(), id="lab-body")
        else:
            yield from self._body()

    def _body(self):
        """Everything that depends on the layer's shape: rebuilt when a setting changes it."""
        t = self.tensors
        if "input" in self.show:
            yield Plain(f"Input a  {shape_text(t.x.shape)}  [batch, channels, height, width]{self._padding_note()}",
                         classes="lab-heading")
            yield Horizontal(
                *(TensorGrid(t.x[0, c], editable=True, label=f"channel {c}", id=f"x-{c}") for c in range(t.x.shape[1])),
                classes="lab-row",
            )
        if "kernels" in self.show:
            bias = "" if t.bias is None else "   bias " + shape_text(format_number(b) for b in t.bias)
            yield Plain(f"Kernels  c.weight  {shape_text(t.weight.shape)}  [out, in, height, width]; "
                         f"labelled (out, in){bias}", classes="lab-heading")
            yield Horizontal(*(self._kernel_group(o) for o in range(t.weight.shape[0])), classes="lab-row")
        if "output" in self.show:
            yield Plain(f"Output  c(a)  {shape_text(self.output.shape)}", classes="lab-heading")
            yield Horizontal(
                *(TensorGrid(self.output[0, o], label=f"out {o}", id=f"y-{o}") for o in range(self.output.shape[1])),
                classes="lab-row",
            )
        if "settings" in self.show:
            yield Plain(self._arithmetic(), id="arithmetic")
        if self.stepping:
            yield Plain(id="steps")

    def _padding_note(self) -> str:
        before, after = self.tensors.spec.pads
        dropped = "; ✗ marks cells no window reaches" if self._dropped() else ""
        return (f"; padding cells (0) drawn around it{dropped}" if before or after else dropped)

    def _kernel_group(self, out: int) -> Horizontal:
        weight = self.tensors.weight
        grids = (TensorGrid(weight[out, i], editable=True, label=f"({out}, {i})", id=f"w-{out}-{i}")
                 for i in range(weight.shape[1]))
        return Horizontal(*grids, classes="lab-group")

    def intro(self) -> str:
        if "kernels" not in self.show:
            return ""
        return f"c = {self.tensors.spec.call()}: every number below is computed by it."

    # --- settings (playground pages) ------------------------------------------------------------
    def _setting_values(self) -> dict:
        spec, shape = self.tensors.spec, self.tensors.x.shape
        return {**vars(spec), "height": shape[2], "width": shape[3]}

    def _steppers(self):
        values = self._setting_values()
        if self.spec.presets:
            names = (CUSTOM, *(preset.name for preset in self.spec.presets))
            yield Stepper("preset", names, self._preset_name(), id="set-preset")
        for name, label, choices in SETTINGS:
            yield Stepper(label, choices, values[name], id=f"set-{name}")

    def _preset_name(self) -> str:
        spec, shape = self.tensors.spec, tuple(self.tensors.x.shape)
        return next((p.name for p in self.spec.presets if p.layer == spec and p.input_shape == shape), CUSTOM)

    @on(Stepper.Changed)
    async def _setting_changed(self, event: Stepper.Changed) -> None:
        event.stop()
        name = event.stepper.id.removeprefix("set-")
        if name == "preset":
            preset = next((p for p in self.spec.presets if p.name == event.value), None)
            if preset is None:
                event.stepper.value = event.previous  # "custom" is reached by changing a setting
                return
            spec, shape = preset.layer, preset.input_shape
        else:
            values = {**self._setting_values(), name: event.value}
            height, width = values.pop("height"), values.pop("width")
            spec = replace(self.tensors.spec, **values)
            shape = (1, spec.in_channels, height, width)
        if await self._apply(spec, shape):
            self.say(f"c = {spec.call()} on an input of shape {shape_text(shape)}: recomputed by torch.")
        else:
            event.stepper.value = event.previous

    async def _apply(self, spec, shape, tensors: ConvTensors | None = None) -> bool:
        """Rebuild the lab for a new layer or input shape; torch's refusal keeps the last state."""
        from tutor.engine import conv, layers

        try:
            layers.output_shape(spec, shape)
            if tensors is None:
                kernels = self.spec.kernels if spec == self.spec.layer else ()
                tensors = conv_tensors(replace(self.spec, input_shape=shape, layer=spec, kernels=kernels))
            output = conv.conv_forward(tensors.spec, tensors.x, tensors.weight, tensors.bias)
        except layers.LayerError as error:
            self.say(f"{error} The last good settings are kept.", error=True)
            return False
        self.tensors, self.output = tensors, output
        self.set_reactive(Lab.step, (0, 0, 0))
        body = self.query_one("#lab-body", Vertical)
        await body.remove_children()
        await body.mount_all(list(self._body()))
        for name, value in self._setting_values().items():
            for stepper in self.query(f"#set-{name}").results(Stepper):
                stepper.value = value
        for stepper in self.query("#set-preset").results(Stepper):
            stepper.value = self._preset_name()
        self.refresh_views()
        return True

    def _dropped(self) -> frozenset[tuple[int, int]]:
        """Input cells that no window reaches, because the stride does not divide evenly."""
        from tutor.engine import conv

        _, _, height, width = self.tensors.x.shape
        _, _, rows, cols = self.output.shape
        spec = self.tensors.spec
        kept_rows, kept_cols = conv.reached(spec, height, rows), conv.reached(spec, width, cols)
        return frozenset((r, c) for r in range(height) for c in range(width)
                         if r not in kept_rows or c not in kept_cols)

    def _arithmetic(self) -> str:
        from tutor.engine import layers

        spec, shape = self.tensors.spec, self.tensors.x.shape
        height, _ = side_formula(spec, shape[2])
        width, _ = side_formula(spec, shape[3])
        params, _ = parameter_formula(spec)
        lines = [f"c = {spec.call()}",
                 f"output {shape_text(self.output.shape)}: batch {shape[0]}; channels = out_channels = "
                 f"{spec.out_channels}",
                 f"  height: {height}", f"  width:  {width}",
                 f"parameters: {params}   (torch: sum(p.numel() for p in c.parameters()) = "
                 f"{layers.parameter_count(spec)})"]
        dropped = self._dropped()
        if dropped:
            rows = sorted({r for r, _ in dropped if all((r, c) in dropped for c in range(shape[3]))})
            cols = sorted({c for _, c in dropped if all((r, c) in dropped for r in range(shape[2]))})
            parts = ([f"rows {rows}"] if rows else []) + ([f"columns {cols}"] if cols else [])
            lines.append(f"dropped: input {' and '.join(parts)} (✗): the stride does not divide evenly, "
                         "the formula rounds down, and no window reaches them")
        return "\n".join(lines)

    def action_show_code(self) -> None:
        from tutor.course.code import conv_code
        from tutor.screens.code import CodeScreen

        if self.ready:
            self.app.push_screen(CodeScreen(conv_code(self.tensors, self.output), stem=f"cnn_tutor_{self.spec.id}"))

    # --- edits ------------------------------------------------------------------------------
    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        kind, index = address(event.grid)
        array = self.tensors.x[0] if kind == "x" else self.tensors.weight
        array[(*index, event.row, event.col)] = event.value
        where = f"a[0, {index[0]}, {event.row}, {event.col}]" if kind == "x" else \
            f"c.weight[{index[0]}, {index[1]}, {event.row}, {event.col}]"
        self._recompute()
        self.say(f"{where} = {format_number(event.value)}; the output was recomputed by nn.Conv2d.")

    def _recompute(self) -> None:
        from tutor.engine import (
            conv,  # loaded already: the lab is only editable once it is
        )

        t = self.tensors
        self.output = conv.conv_forward(t.spec, t.x, t.weight, t.bias)
        self.refresh_views()

    def refresh_views(self) -> None:
        t = self.tensors
        sources = {"x": t.x[0], "w": t.weight, "y": self.output[0]}
        dropped = self._dropped()
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            grid.values = sources[kind][index].tolist()
            if kind == "x":
                grid.pad, grid.dropped = max(t.spec.pads), dropped
        self.show_step()

    def reset(self) -> None:
        self.run_worker(self._restore(), group="restore", exclusive=True)

    async def _restore(self) -> None:
        if "settings" in self.show:
            await self._apply(self.lesson_tensors.spec, self.lesson_tensors.x.shape, self.lesson_tensors.copy())
        else:
            self.tensors = self.lesson_tensors.copy()
            self._recompute()
        self.say("The lesson's input, kernels and settings are back.")

    # --- stepping ---------------------------------------------------------------------------
    def show_step(self) -> None:
        if not self.stepping:
            return
        from tutor.engine import conv

        o, r, c = self.step
        t = self.tensors
        unrolled = conv.unroll(t.spec, t.x, t.weight, t.bias, o, r, c)
        taps = [tap for terms in unrolled.channels for tap in terms.taps]
        k = t.spec.kernel_size
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            if kind == "x":
                grid.window = frozenset((tap.row, tap.col) for tap in taps if tap.in_channel == index[0])
            elif kind == "w":
                used = index[0] == o and any(terms.kernel_index == index[1] for terms in unrolled.channels)
                grid.window = frozenset((i, j) for i in range(k) for j in range(k)) if used else frozenset()
            elif index[0] == o:
                grid.window = frozenset({(r, c)})
                grid.cursor = (r, c)
            else:
                grid.window = frozenset()
        value = format_number(float(self.output[0, o, r, c]))
        lines = [f"output[0, {o}, {r}, {c}] = {value}   (nn.Conv2d; {self.step_title()})", *unrolled_lines(unrolled)]
        set_text(self.query_one("#steps", Plain), "\n".join(lines))
