"""The convolution lab's view: input, kernels and output of one real ``nn.Conv2d`` (a
``ConvSession``), editable, with a step-through that writes out the arithmetic behind each
output cell. The session holds the state; grids get it as attributes and report edits and
cursor moves as messages."""

from __future__ import annotations

from textual import on
from textual.containers import Horizontal, Vertical

from tutor.labs.explain import shape_text
from tutor.labs.session import CUSTOM, Address, Explained
from tutor.numbers import fixed
from tutor.widgets.flow import Flow
from tutor.widgets.lab import LabView
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Lines, Plain, plain

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
ALL_KERNELS_UP_TO = 12  # more kernels than this: only those of the output channel stepped through
GROUP_GAP = 2  # columns between two output channels' kernels
PAD_TEXT = "(0)"  # a padding cell: a zero that is not in the input, told apart without colour too
RELAYOUT_AFTER = 0.1  # seconds: a terminal being resized sends many sizes
ALL_TERMS_UP_TO = 25  # a 5x5 kernel's products are written out; of a larger one, its first row
MAX_CHANNEL_LINES = 4  # input channels written out term by term; the others are in the sum. More
# than this, and the lab shows one input channel at a time, with its kernels and its products.


def kernel_label(address: Address, one_channel: bool) -> str:
    """``(0, 1)`` under the heading that says these are c.weight's; ``c.weight[0, 1]`` alone."""
    out, i = address.index
    return f"c.weight[{out}, {i}]" if one_channel else f"({out}, {i})"


class ConvLabView(LabView):
    """A live ``nn.Conv2d``; ``show`` picks which parts a page displays."""

    HELP = """
### Convolution lab
Every number comes from `nn.Conv2d`. **Tab** moves between settings and grids; edit the input
or a kernel and the outputs are recomputed. On a setting, **← / →** change it (a preset sets
them all). **n** / **p** step through the output cells, **Space** plays or pauses, **r**
restores the lesson's values, **c** shows the PyTorch code of the lab. With more than four
input channels, one is shown at a time, with its kernels and its products: choose it with
**← / →** on *input channel*.
"""

    input_channel = 0  # the one input channel shown, when there are too many to show them all

    def make_session(self):
        from tutor.labs.conv import ConvSession

        return ConvSession(self.spec)

    def parts(self):
        if "settings" in self.show:
            yield Flow(*self._steppers(), classes="lab-row settings")
        yield Vertical(*self._body(), id="lab-body")

    def _body(self):
        """Everything that depends on the layer's shape or the lab's width: rebuilt when either
        changes."""
        s = self.session
        self.input_channel = min(self.input_channel, s.x.shape[1] - 1)  # fewer channels than before
        if "settings" in self.show:
            yield Plain(s.arithmetic(), id="arithmetic")
        if "input" in self.show:
            one = self.one_input()
            yield Plain(f"Input a {shape_text(s.x.shape)} [batch, channels, height, width]{s.heading_note()}"
                        + ("; one channel at a time:" if one else ""), classes="lab-heading", id="input-heading")
            if one:
                channels = s.x.shape[1]
                yield Stepper(f"input channel (0-{channels - 1})", range(channels), self.input_channel,
                              id="input-channel")
            yield Flow(*(TensorGrid(s.slice(a), editable=True, label=f"channel {a.index[0]}", address=a,
                                    id="x-shown" if one else None)
                         for a in self.shown_inputs()), classes="lab-row", id="inputs")
        self.layout_choice, self._layout_width = self._layout(), self.size.width
        if self.layout_choice == "all":
            yield from self._all_channels_rows()
        else:
            yield from self._one_channel_rows()
        if self.stepping:
            yield Lines(id="steps")

    def _layout(self) -> str:
        """``all``: every channel's kernels in a row, every map in the next. While stepping, when
        there is one output channel or not all fit a line, only the channel stepped through:
        ``pair``, its kernels beside its map (the map wraps below if they do not fit), or ``one``,
        its kernels and its map in a row that wraps."""
        kernels, outputs = self._all_channels()
        if not self.stepping or (len(outputs) > 1 and self._fits(kernels) and self._fits([[o] for o in outputs])):
            return "all"
        return "pair" if self._fits(kernels[self.step[0]:][:1]) else "one"

    def _all_channels(self) -> tuple[list[list[TensorGrid]], list[TensorGrid]]:
        """The kernels (a list per output channel) and the maps the page shows."""
        s = self.session
        kernels = [self._kernels(o) for o in range(s.weight.shape[0])] if "kernels" in self.show else []
        outputs = [TensorGrid(s.slice(a), label=f"out {a.index[0]}", address=a)
                   for a in s.output_addresses()] if "output" in self.show else []
        return kernels, outputs

    def _all_channels_rows(self):
        s = self.session
        kernels, outputs = self._all_channels()
        if kernels:
            yield Plain(f"Kernels  c.weight  {shape_text(s.weight.shape)}  [out, in, height, width]; "
                        f"labelled (out, in){s.bias_text()}", classes="lab-heading")
            yield Flow(*(Horizontal(*group, classes="lab-group") for group in kernels), classes="lab-row",
                       id="kernels")
        if outputs:
            yield Plain(f"Output  c(a)  {shape_text(s.output.shape)}", classes="lab-heading")
            yield Flow(*outputs, classes="lab-row")

    def _one_channel_rows(self):
        """The kernels and the map of the output channel stepped through (they follow the step),
        titled by the slices they are, with no heading lines: at 80x24 every row counts."""
        out, slots = self.step[0], self.session.output_shape[0] > 1  # one channel: the grids never change
        kernels = self._kernels(out, one_channel=True) if "kernels" in self.show else []
        output = TensorGrid(self.session.slice(Address("y", (out,))), label=f"c(a)[0, {out}]",
                            address=Address("y", (out,)), id="y-slot" if slots else None)
        if self.layout_choice == "pair":
            group = [Horizontal(*kernels, classes="lab-group")] if kernels else []
            yield Flow(*group, output, classes="lab-row", id="channel")
            return
        yield Flow(*kernels, output, classes="lab-row", id="kernels")  # the map fills a line's gap

    def fit(self, passes: int = 8) -> None:
        """A width that calls for another layout (see ``_layout``) rebuilds the body. Only a new
        width can: the lab's height changes on many steps, and measuring builds every grid."""
        if (self.stepping and self.screen.is_current and self.size.width != self._layout_width
                and self._layout() != self.layout_choice):
            self.set_timer(RELAYOUT_AFTER, self._relayout)  # after the resize has settled
        else:
            super().fit(passes)

    def _relayout(self) -> None:
        if self.screen.is_current and self._layout() != self.layout_choice:  # else: fitted when it resumes
            self.in_turn(self._rebuild_now, group="relayout")

    async def _rebuild_now(self) -> None:
        if self.screen.is_current and self._layout() != self.layout_choice:  # still: an earlier one may have done it
            await self._rebuild(keep_step=True)

    def _fits(self, groups: list[list[TensorGrid]]) -> bool:
        """Whether the groups of grids fit one line of the lab, with at most ALL_KERNELS_UP_TO grids."""
        grids = [grid for group in groups for grid in group]
        width = sum(grid.outer_width for grid in grids) + GROUP_GAP * (len(groups) - 1)
        return len(grids) <= ALL_KERNELS_UP_TO and width <= self.size.width

    def _kernels(self, out: int, one_channel: bool = False) -> list[TensorGrid]:
        """The kernels of output channel ``out``; shown alone (``one_channel``) and with more
        channels to step to, they are slots that follow the step."""
        slots = one_channel and self.session.output_shape[0] > 1
        shown = "w-{}-shown" if self.one_input() else None  # they follow the input channel shown
        return [TensorGrid(self.session.slice(a), editable=True, label=kernel_label(a, one_channel), address=a,
                           id=f"w-slot-{slot}" if slots else shown and shown.format(out))
                for slot, a in enumerate(self.shown_kernels(out))]

    # --- one input channel at a time ----------------------------------------------------------
    def one_input(self) -> bool:
        """Whether the input has more channels than the arithmetic writes out: then one is shown,
        with the kernels that read it and its products (a 16-channel 64x64 input drawn whole is
        a page of grids, and the window and its sum far apart)."""
        s = self.session
        return "input" in self.show and s.layer.groups == 1 and s.x.shape[1] > MAX_CHANNEL_LINES

    def shown_inputs(self) -> list[Address]:
        addresses = self.session.input_addresses()
        return [addresses[self.input_channel]] if self.one_input() else addresses

    def shown_kernels(self, out: int) -> list[Address]:
        """The kernels of output channel ``out`` on the page: those that read the shown input."""
        addresses = self.session.kernel_addresses(out)
        return [addresses[self.input_channel]] if self.one_input() else addresses

    @on(Stepper.Changed, "#input-channel")
    async def _input_channel_chosen(self, event: Stepper.Changed) -> None:
        """Another input channel: the grids that show one, and the kernels that read it, show the
        new one in place (no rebuild: the setting keeps the focus, and keys typed meanwhile)."""
        event.stop()
        async with self._rebuilding:  # after a rebuild under way: its grids are the ones to change
            channel = event.stepper.step_from(self.input_channel, event.delta)  # a burst steps from here
            event.stepper.set_reactive(Stepper.value, channel)
            event.stepper.refresh()
            if channel == self.input_channel or not self.one_input():
                return
            old, self.input_channel = self.input_channel, channel
            one_channel = self.layout_choice != "all"
            for grid in list(self.grids.values()):
                tensor, index = grid.address.tensor, grid.address.index
                if tensor == "x":
                    self.readdress(grid, Address("x", (channel,)), f"channel {channel}")
                elif tensor == "w" and index[1] == old:
                    kernel = Address("w", (index[0], channel))
                    self.readdress(grid, kernel, kernel_label(kernel, one_channel))
            for flow in self.query(Flow):
                flow.reflow()
            self.show_step()
        self.say(f"Input channel {channel} is shown, with the kernels that read it and its products; "
                 f"c = {self.session.layer.call()}.")

    def readdress(self, grid: TensorGrid, address: Address, label: str) -> None:
        """Make ``grid`` show another slice (a slot that follows the step or the channel chosen)."""
        self.grids.pop(grid.address, None)
        self._lit.discard(grid.address)
        grid.release_width()  # another slice's numbers: as wide as they are, not as the last ones were
        grid.address, grid.values = address, self.session.slice(address)
        grid.border_title = plain(label)
        self.grids[address] = grid

    def intro(self) -> str:
        if "kernels" not in self.show:
            return ""
        return self.computed_by("c", self.session.layer.call())

    # --- settings (playground pages) ------------------------------------------------------------
    def _steppers(self):
        values = self.session.settings()
        if self.spec.presets:
            names = (CUSTOM, *(preset.name for preset in self.spec.presets))
            yield Stepper("preset", names, self.session.preset_name(), id="set-preset", classes="setting")
        for name, label, choices in SETTINGS:
            yield Stepper(label, choices, values[name], id=f"set-{name}", classes="setting")

    @on(Stepper.Changed, ".setting")
    async def _setting_changed(self, event: Stepper.Changed) -> None:
        event.stop()
        name = event.stepper.id.removeprefix("set-")
        async with self._rebuilding:  # one rebuild at a time, however fast keys come
            asked = self.asked(event)  # after the changes queued before it (an r, a rebuild)
            if asked is None:
                return
            value, previous = asked
            if name == "preset" and self.session.preset(value) is None:
                self.show_settings()  # "custom" is reached by changing a setting
                return
            refusal, taken = self._apply_setting(name, event.stepper, value, previous)
            if taken is None:
                self.say(f"{refusal} The last good settings are kept.", error=True)
                self.show_settings()
                return
            await self._rebuild()
        skipped = (f"{name}={value!r} is refused ({refusal}); {taken!r} is the next that works. "
                   if refusal else "")
        self.say(f"{skipped}c = {self.session.layer.call()} on an input of shape "
                 f"{shape_text(self.session.x.shape)}: recomputed by torch.")

    def _apply_setting(self, name: str, stepper: Stepper, value, previous) -> tuple[str | None, object]:
        """Apply ``value`` or, if torch refuses it, the next value on in the same direction that it
        accepts (groups 2 -> 4 past a refused 3). Returns torch's first refusal (None if there was
        none) and the value taken (None if none was)."""
        from tutor.engine.layers import LayerError

        if name == "preset":
            self.session.choose_preset(value)
            return None, value
        index = stepper.choices.index(value)
        step = 1 if index > stepper.choices.index(previous) else -1
        refusal = None
        for candidate in stepper.choices[index::step]:
            try:
                self.session.reconfigure(*self.session.with_setting(name, candidate))
            except LayerError as error:
                refusal = refusal or str(error)
                continue
            stepper.set_reactive(Stepper.value, candidate)
            stepper.refresh()
            return refusal, candidate
        return refusal, None

    async def _rebuild(self, keep_step: bool = False) -> None:
        """The layer, the input's shape or the lab's width changed: new grids, settings shown as
        they now are."""
        self.set_reactive(LabView.step, self.step if keep_step else (0, 0, 0))
        body = self.query_one("#lab-body", Vertical)
        focused = self.screen.focused
        inside = focused is not None and focused in body.query("*")
        held = (focused.address, focused.cursor) if inside and isinstance(focused, TensorGrid) else None
        held_id = focused.id if inside and not held else None  # a setting in the body: the input channel
        await body.remove_children()
        await body.mount_all(list(self._body()))
        self.find_grids()
        if held and (grid := self.grids.get(held[0])) is not None:  # the learner's grid and cell, in the new layout
            grid.cursor = grid.validate_cursor(held[1])
            grid.focus(scroll_visible=False)
        elif held_id and (again := next(iter(body.query(f"#{held_id}")), None)) is not None:
            again.focus(scroll_visible=False)
        self.show_settings()
        self.refresh_views()
        self.call_after_refresh(self.fit)  # new grids: fitted to the page, whether or not the lab's size changed

    def action_show_code(self) -> None:
        if self.ready:
            self.post_message(self.CodeRequested(self.session.code(), f"cnn_tutor_{self.spec.id}"))

    # --- edits ------------------------------------------------------------------------------
    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        where, changed = self.session.edit(event.grid.address, event.row, event.col, event.value)
        self.update_grids(changed)
        self.show_step()
        self.say(f"{where}; the output was recomputed by nn.Conv2d.")

    def refresh_views(self) -> None:
        for address in self.session.input_addresses():
            if (grid := self.grids.get(address)) is not None:
                (grid.pad, grid.pad_after), grid.pad_text = self.session.layer.pads, PAD_TEXT
                grid.dropped = self.session.dropped
        super().refresh_views()

    def setting_values(self) -> dict:
        return {**self.session.settings(), "preset": self.session.preset_name()}

    async def restore(self) -> None:
        reshaped = self.session.layer != self.spec.layer or self.session.x.shape != self.spec.input_shape
        self.session.reset()
        if reshaped and "settings" in self.show:
            await self._rebuild()
        else:
            self.refresh_views()
        self.say("The lesson's input, kernels and settings are back.")

    # --- stepping ---------------------------------------------------------------------------
    def show_step(self) -> None:
        if getattr(self, "layout_choice", "all") != "all" and self.session.output_shape[0] > 1:
            self._follow_channel(self.step[0])
        super().show_step()

    def _follow_channel(self, out: int) -> None:
        """When only one output channel is shown, its kernels and map follow the step."""
        slots = [(f"#w-slot-{i}", a, kernel_label(a, True)) for i, a in enumerate(self.shown_kernels(out))
                 if "kernels" in self.show]
        slots.append(("#y-slot", Address("y", (out,)), f"c(a)[0, {out}]"))
        shown = next(iter(self.query("#y-slot").results(TensorGrid)), None)
        if shown is None or shown.address == slots[-1][1]:
            return  # a new layout's grids are being mounted, or the same channel as before
        for selector, address, label in slots:
            self.readdress(self.query_one(selector, TensorGrid), address, label)
        for flow in self.query("#channel, #kernels").results(Flow):
            flow.reflow()

    def window_span(self) -> int:
        layer = self.session.layer
        return layer.dilation * (layer.kernel_size - 1) + 1

    def explain(self, cell) -> Explained:
        k = self.session.layer.kernel_size
        written = (self.input_channel,) if self.one_input() else range(MAX_CHANNEL_LINES)
        return self.session.explain(cell, None if k * k <= ALL_TERMS_UP_TO else k, written)

    def step_header(self, step: Explained) -> str:
        o, r, c = step.cell
        value = fixed(step.value, self.session.decimals(Address("y", (o,))))  # as its map writes it
        return f"output[0, {o}, {r}, {c}] = {value}   (nn.Conv2d; {self.step_title()})"
