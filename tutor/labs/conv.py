"""A convolution lab's session: an input and one real ``nn.Conv2d`` with its weights, editable
cell by cell and reconfigurable setting by setting; every output from torch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tutor.course.model import ConvLabSpec, ConvPreset
from tutor.engine import conv, layers
from tutor.engine.spec import ConvSpec
from tutor.labs.explain import (
    parameter_formula,
    shape_text,
    side_formula,
    unrolled_lines,
)
from tutor.labs.session import (
    CUSTOM,
    Address,
    Cell,
    Cells,
    Explained,
    SliceDecimals,
    reached,
    unreached,
)
from tutor.numbers import format_number


class ConvSession:
    """Input ``x`` [1, C, H, W], ``weight`` [out, in/groups, k, k], ``bias`` and the ``output``
    of ``nn.Conv2d(layer)`` on them. The lesson's own values are kept for ``reset``."""

    def __init__(self, spec: ConvLabSpec) -> None:
        self.spec = spec
        self._start(spec.layer, spec.input_shape, spec.kernels)
        self._lesson = self._state()

    # --- building and changing ----------------------------------------------------------------
    def _start(self, layer: ConvSpec, input_shape: tuple[int, ...], kernels=()) -> None:
        """Fresh tensors as the lesson describes them: seeded weights, then hand-set kernels."""
        x = conv.make_input(input_shape, self.spec.input_fill, self.spec.seed)
        weight, bias = conv.initial_weights(layer, self.spec.seed)
        for kernel in kernels:
            weight[kernel.out, kernel.into] = kernel.values
        self._set(layer, x, weight, bias)

    def _set(self, layer: ConvSpec, x, weight, bias) -> None:
        output = conv.conv_forward(layer, x, weight, bias)  # torch's refusal changes nothing
        self.layer, self.x, self.weight, self.bias, self.output = layer, x, weight, bias, output
        self.dropped = self._dropped()
        self.decimals = SliceDecimals(self.slice)

    def _state(self):
        copy = (lambda a: None if a is None else a.copy())
        return self.layer, self.x.copy(), self.weight.copy(), copy(self.bias)

    def reset(self) -> None:
        layer, x, weight, bias = self._lesson
        self._set(layer, x.copy(), weight.copy(), None if bias is None else bias.copy())

    def reconfigure(self, layer: ConvSpec, input_shape: tuple[int, ...]) -> None:
        """A new layer or input shape; ``layers.LayerError`` (torch's refusal, in plain words)
        leaves the session as it was. The lesson's hand-set kernels survive if the layer does."""
        layers.output_shape(layer, input_shape)
        self._start(layer, input_shape, self.spec.kernels if layer == self.spec.layer else ())

    def restride(self, name: str, value) -> None:
        """A new stride, padding or dilation: settings that leave the weight's shape alone, so the
        input and the kernels (the lesson's, or the learner's) are kept. ``layers.LayerError``
        (torch's refusal) leaves the session as it was."""
        layer = replace(self.layer, **{name: value})
        self._set(layer, self.x, self.weight, self.bias)

    def choose_preset(self, name: str) -> None:
        preset = self.preset(name)
        self.reconfigure(preset.layer, preset.input_shape)

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        """Set one input or weight cell and recompute. Returns what was set, in PyTorch's words,
        and the slices whose values changed (only one output channel, for a kernel edit)."""
        if address.tensor == "x":
            (channel,) = address.index
            self.x[0, channel, row, col] = value
            where, changed = f"a[0, {channel}, {row}, {col}]", [address, *self.output_addresses()]
        else:
            out, into = address.index
            self.weight[out, into, row, col] = value
            where, changed = f"c.weight[{out}, {into}, {row}, {col}]", [address, Address("y", (out,))]
        self.decimals.forget(changed)
        self.output = conv.conv_forward(self.layer, self.x, self.weight, self.bias)
        return f"{where} = {format_number(value)}", changed

    # --- what views show ----------------------------------------------------------------------
    @property
    def output_shape(self) -> Cell:
        return tuple(self.output.shape[1:])

    def slice(self, address: Address) -> np.ndarray:
        source = {"x": self.x[0], "w": self.weight, "y": self.output[0]}[address.tensor]
        return source[address.index]

    def input_addresses(self) -> list[Address]:
        return [Address("x", (c,)) for c in range(self.x.shape[1])]

    def kernel_addresses(self, out: int) -> list[Address]:
        return [Address("w", (out, i)) for i in range(self.weight.shape[1])]

    def output_addresses(self) -> list[Address]:
        return [Address("y", (o,)) for o in range(self.output.shape[1])]

    def _dropped(self) -> Cells:
        """Input cells that no window reaches, because the stride does not divide evenly."""
        (_, _, height, width), (_, _, rows, cols) = self.x.shape, self.output.shape
        layer, (before, _) = self.layer, self.layer.pads
        side = (lambda size, out: reached(size, out, layer.kernel_size, layer.stride, before, layer.dilation))
        return unreached(height, width, side(height, rows), side(width, cols))

    def settings(self) -> dict:
        """The layer's arguments and the input's height and width, by setting name."""
        return {**vars(self.layer), "height": self.x.shape[2], "width": self.x.shape[3]}

    def with_setting(self, name: str, value) -> tuple[ConvSpec, tuple[int, int, int, int]]:
        """The layer and input shape with one setting changed (not applied)."""
        values = {**self.settings(), name: value}
        height, width = values.pop("height"), values.pop("width")
        layer = replace(self.layer, **values)
        return layer, (1, layer.in_channels, height, width)

    def preset(self, name: str) -> ConvPreset | None:
        return next((p for p in self.spec.presets if p.name == name), None)

    def preset_name(self) -> str:
        shape = tuple(self.x.shape)
        return next((p.name for p in self.spec.presets if p.layer == self.layer and p.input_shape == shape), CUSTOM)

    def heading_note(self) -> str:
        dropped = "; ✗: no window reaches it" if self.dropped else ""
        before, after = self.layer.pads
        if before != after:  # 'same' with an even span: torch puts the odd ring after
            return f"; (0): padding, {before} before and {after} after (torch's 'same'){dropped}"
        return f"; (0): padding{dropped}" if before else dropped

    def bias_text(self) -> str:
        return "" if self.bias is None else "   bias " + shape_text(format_number(b) for b in self.bias)

    def arithmetic(self) -> str:
        """The output-size formula per side, the parameter count, and what the stride drops."""
        layer, shape = self.layer, self.x.shape
        height, _ = side_formula(layer, shape[2])
        width, _ = side_formula(layer, shape[3])
        params, _ = parameter_formula(layer)
        lines = [f"c = {layer.call()}",
                 f"output {shape_text(self.output.shape)}: batch {shape[0]}; channels = out_channels = "
                 f"{layer.out_channels}",
                 f"  height: {height}", f"  width:  {width}",
                 f"parameters: {params}   (torch: sum(p.numel() for p in c.parameters()) = "
                 f"{layers.parameter_count(layer)})"]
        if self.dropped:
            rows = sorted({r for r, _ in self.dropped if all((r, c) in self.dropped for c in range(shape[3]))})
            cols = sorted({c for _, c in self.dropped if all((r, c) in self.dropped for r in range(shape[2]))})
            parts = ([f"rows {rows}"] if rows else []) + ([f"columns {cols}"] if cols else [])
            lines.append(f"dropped: input {' and '.join(parts)} (✗): the stride does not divide evenly, "
                         "the formula rounds down, and no window reaches them")
        return "\n".join(lines)

    def code(self) -> str:
        from tutor.labs.code import conv_code

        return conv_code(self.layer, self.x, self.weight, self.bias, self.output)

    # --- one output cell ------------------------------------------------------------------------
    def explain(self, cell: Cell, max_terms: int | None = None, written=None) -> Explained:
        """Output ``cell``: the window in each input channel, the kernels it uses, and the sum
        written out term by term (at most ``max_terms`` products a line, and only the input
        channels numbered in ``written``, if given: a screen has room for a 5x5 kernel's sum, not
        a 9x9 one's over 16 channels)."""
        o, r, c = cell
        unrolled = conv.unroll(self.layer, self.x, self.weight, self.bias, o, r, c)
        k = self.layer.kernel_size
        whole = frozenset((i, j) for i in range(k) for j in range(k))
        windows: dict[Address, Cells] = {Address("y", (o,)): frozenset({(r, c)})}
        window = frozenset((t.row, t.col) for t in unrolled.channels[0].taps) if unrolled.channels else frozenset()
        for terms in unrolled.channels:  # the window covers the same cells in every input channel
            windows[Address("x", (terms.in_channel,))] = window
            windows[Address("w", (o, terms.kernel_index))] = whole
        decimals = (lambda terms: (self.decimals(Address("x", (terms.in_channel,))),
                                   self.decimals(Address("w", (o, terms.kernel_index)))))
        lines = unrolled_lines(unrolled, max_terms, written, decimals, self.decimals(Address("y", (o,))))
        return Explained(cell, float(self.output[0, o, r, c]), windows, lines=tuple(lines), detail=unrolled)
