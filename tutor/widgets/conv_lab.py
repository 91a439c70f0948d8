"""The convolution lab: input, kernels and output of one real ``nn.Conv2d``, editable, with a
step-through that writes out the arithmetic behind each output cell.

State lives here (the lab's tensors and the selected output cell); grids get it as
attributes and report edits and cursor moves as messages.
"""

from __future__ import annotations

from textual import on
from textual.containers import Horizontal
from textual.widgets import Static

from tutor.course.explain import shape_text, unrolled_lines
from tutor.course.labs import ConvTensors, conv_tensors
from tutor.course.model import ConvLab as ConvLabSpec
from tutor.numbers import format_number
from tutor.widgets.lab import Lab, address
from tutor.widgets.tensor_grid import TensorGrid


class ConvLab(Lab):
    """A live ``nn.Conv2d``; ``show`` picks which parts a page displays."""

    HELP = """
### Convolution lab
Every number comes from `nn.Conv2d`. **Tab** moves between grids; edit the input or a
kernel and the outputs are recomputed. **n** / **p** step through the output cells,
**Space** plays or pauses, **r** restores the lesson's values.
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
        t = self.tensors
        if "input" in self.show:
            yield Static(f"Input a  {shape_text(t.x.shape)}  [batch, channels, height, width]", classes="lab-heading")
            yield Horizontal(
                *(TensorGrid(t.x[0, c], editable=True, label=f"channel {c}", id=f"x-{c}") for c in range(t.x.shape[1])),
                classes="lab-row",
            )
        if "kernels" in self.show:
            yield Static(f"Kernels  c.weight  {shape_text(t.weight.shape)}  [out, in, height, width]; "
                         "labelled (out, in)", classes="lab-heading")
            yield Horizontal(*(self._kernel_group(o) for o in range(t.weight.shape[0])), classes="lab-row")
        if "output" in self.show:
            yield Static(f"Output  c(a)  {shape_text(self.output.shape)}", classes="lab-heading")
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

    def intro(self) -> str:
        if "kernels" not in self.show:
            return ""
        return f"c = {self.tensors.spec.call()}: every number below is computed by it."

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
        from tutor.engine import conv  # loaded already: the lab is only editable once it is

        t = self.tensors
        self.output = conv.conv_forward(t.spec, t.x, t.weight, t.bias)
        sources = {"x": t.x[0], "w": t.weight, "y": self.output[0]}
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            grid.values = sources[kind][index].tolist()
        self.show_step()

    def reset(self) -> None:
        self.tensors = self.lesson_tensors.copy()
        self._recompute()
        self.say("The lesson's input and kernels are back.")

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
        lines = [f"output[0, {o}, {r}, {c}] = {value}   (from nn.Conv2d; unrolled below with torch)"]
        lines += unrolled_lines(unrolled)
        steps = self.query_one("#steps", Static)
        steps.update("\n".join(lines))
        steps.border_title = self.step_title()
