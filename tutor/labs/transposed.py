"""A transposed convolution taken apart: each input cell scatters its value times the kernel into
the output, ``stride`` cells apart, overlaps are summed, ``padding`` crops the result and
``output_padding`` adds a row and a column; the real ``nn.ConvTranspose2d`` gives the same."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tutor.course.model import TransposedLabSpec
from tutor.engine import backward, layers
from tutor.engine.spec import ConvSpec, TransposedSpec
from tutor.labs.explain import shape_text, side_formula
from tutor.labs.session import (
    Address,
    Cell,
    Explained,
    Panel,
    Setting,
    Shown,
    flat,
    resized,
)
from tutor.numbers import format_number

MAX_OUTPUT_SIDE = 24  # an output side the page can show whole
MENU = (
    Setting("height", "H", tuple(range(1, 7))),
    Setting("width", "W", tuple(range(1, 7))),
    Setting("kernel_size", "k", (1, 2, 3, 4, 5)),
    Setting("stride", "stride", (1, 2, 3, 4)),
    Setting("padding", "padding", (0, 1, 2, 3)),
    Setting("output_padding", "output_padding", (0, 1, 2, 3)),
    Setting("dilation", "dilation", (1, 2, 3)),
)


def undoing_conv(layer: TransposedSpec) -> ConvSpec:
    """The ``nn.Conv2d`` whose output shape this transposed convolution turns back into its input's."""
    return ConvSpec(layer.out_channels, layer.in_channels, layer.kernel_size, layer.stride, layer.padding,
                    layer.dilation)


class TransposedSession:
    """Input ``x``, ``weight`` [in, out, k, k], torch's ``output``, the ``counts`` of writes per
    output cell, and ``so_far``: the output after the input cells up to the stepped one."""

    def __init__(self, spec: TransposedLabSpec) -> None:
        self.spec = spec
        self._lesson_x = np.array(spec.values, dtype=np.float32)[None]
        self._start(spec.layer, self._lesson_x.copy())

    def _start(self, layer: TransposedSpec, x: np.ndarray) -> None:
        weight = backward.transposed_weights(layer, self.spec.seed)
        if layer.kernel_size == self.spec.layer.kernel_size:
            for kernel in self.spec.kernels:
                weight[kernel.into, kernel.out] = kernel.values
        self._set(layer, x, weight)

    def _set(self, layer: TransposedSpec, x: np.ndarray, weight: np.ndarray) -> None:
        if min(layer.side(n) for n in x.shape[2:]) < 1:  # torch's words would blame the kernel
            size = min(x.shape[2:])
            raise layers.LayerError(f"padding={layer.padding} crops more than the output has: {side_formula(layer, size)[0]}, "
                                    "and a side needs at least 1 cell.")
        output = backward.transposed_forward(layer, x, weight)  # torch's refusal changes nothing
        if max(output.shape[2:]) > MAX_OUTPUT_SIDE:
            raise layers.LayerError(f"The output would be {max(output.shape[2:])} cells a side: at most "
                                    f"{MAX_OUTPUT_SIDE} fit the page.")
        self.layer, self.x, self.weight, self.output = layer, x, weight, output
        self.counts = backward.overlap_counts(layer, x.shape[2:])
        self.so_far = np.zeros_like(output)
        self._cell: Cell | None = None

    # --- changes --------------------------------------------------------------------------------
    def settings(self) -> dict:
        return {**vars(self.layer), "height": self.x.shape[2], "width": self.x.shape[3]}

    def menu(self) -> tuple[Setting, ...]:
        return MENU

    def reconfigure(self, name: str, value) -> None:
        """One setting changed; torch's refusal (a ``LayerError``) keeps the last good state. A
        resized input keeps its cells; new ones are 1. A new kernel size draws new seeded kernels."""
        if name in ("height", "width"):
            self._set(self.layer, resized(self.x, name, value, 1.0), self.weight)
        elif name == "kernel_size":
            self._start(replace(self.layer, kernel_size=value), self.x)
        else:
            self._set(replace(self.layer, **{name: value}), self.x, self.weight)

    def reset(self) -> None:
        self._start(self.spec.layer, self._lesson_x.copy())

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        x, weight = self.x.copy(), self.weight.copy()
        if address.tensor == "x":
            x[0, address.index[0], row, col] = value
            where = f"x[0, {address.index[0]}, {row}, {col}]"
        else:
            weight[(*address.index, row, col)] = value
            where = f"t.weight[{address.index[0]}, {address.index[1]}, {row}, {col}]"
        self._set(self.layer, x, weight)
        return f"{where} = {format_number(value)}", self.addresses()

    # --- what views show ----------------------------------------------------------------------
    def addresses(self) -> list[Address]:
        ins, outs = self.weight.shape[:2]
        return [*(Address("x", (c,)) for c in range(ins)), *(Address("w", (c, o)) for c in range(ins) for o in range(outs)),
                *(Address(t, (o,)) for t in ("s", "y") for o in range(outs)), Address("n")]

    def slice(self, address: Address) -> np.ndarray:
        source = {"x": self.x[0], "w": self.weight, "s": self.so_far[0], "y": self.output[0], "n": self.counts}
        return source[address.tensor][address.index] if address.index else source[address.tensor]

    def padding(self, address: Address) -> None:
        return None

    @property
    def step_shape(self) -> Cell:
        return tuple(self.x.shape[1:])

    stepped_tensor = "x"
    step_noun = "input"
    window_span = 1

    def cell_at(self, address: Address, row: int, col: int) -> Cell | None:
        return (address.index[0], row, col) if address.tensor == "x" else None

    def moving(self) -> list[Address]:
        """The grids whose values follow the step: the sum so far."""
        return [Address("s", (o,)) for o in range(self.weight.shape[1])]

    def panels(self, show: tuple[str, ...], step: Cell) -> list[Panel]:
        ins, outs = self.weight.shape[:2]
        panels = []
        if "input" in show:  # the kernels and the counts kept beside the input: the view fits the input alone
            beside = [Shown(Address("w", (c, o)), f"t.weight[{c}, {o}]", True) for c in range(ins) for o in range(outs)]
            if "overlap" in show:
                beside.append(Shown(Address("n"), "writes"))
            grids = (*(Shown(Address("x", (c,)), f"x[0, {c}]", True) for c in range(ins)), tuple(beside))
            panels.append(Panel(f"Input x {shape_text(self.x.shape)}; t.weight {shape_text(self.weight.shape)} is "
                                "[in, out, k, k]", grids, True))
        if "scatter" in show or "output" in show:
            grids = [Shown(Address("s", (o,)), f"so far [0, {o}]") for o in range(outs) if "scatter" in show]
            grids += [Shown(Address("y", (o,)), f"t(x)[0, {o}]") for o in range(outs) if "output" in show]
            panels.append(Panel(f"Output {shape_text(self.output.shape)}: the scatters summed so far, and "
                                "nn.ConvTranspose2d's", tuple(grids)))
        return panels

    def notes(self, show: tuple[str, ...]) -> str:
        layer, (_, _, height, width) = self.layer, self.x.shape
        lines = [f"t = {layer.call()}",
                 f"output {shape_text(self.output.shape)}:  height {side_formula(layer, height)[0]};  "
                 f"width {side_formula(layer, width)[0]}"]
        lines.append(self._undone_note())
        if "overlap" in show:
            lines.append(self._overlap_note())
        return "\n".join(lines)

    def _undone_note(self) -> str:
        """Which Conv2d maps the output's shape back to the input's, and the sizes output_padding
        picks between (a strided convolution gives one size from several)."""
        conv, out = undoing_conv(self.layer), self.output.shape
        back = layers.output_shape(conv, out)
        note = f"{conv.call()} maps {shape_text(out)} back to {shape_text(back)}"
        s, d = self.layer.stride, self.layer.dilation
        base = out[2] - self.layer.output_padding
        sizes = [base + extra for extra in range(max(s, d)) if base + extra > 0
                 and self._conv_side(conv, base + extra) == self.x.shape[2]]
        if len(sizes) > 1:
            note += (f"; it gives a side of {self.x.shape[2]} from {' or '.join(map(str, sizes))}: "
                     f"output_padding ({', '.join(str(n - base) for n in sizes)}) picks which one comes back")
        return note

    @staticmethod
    def _conv_side(conv: ConvSpec, size: int) -> int | None:
        try:
            return layers.output_shape(conv, (1, conv.in_channels, size, size))[2]
        except layers.LayerError:
            return None

    def _overlap_note(self) -> str:
        counts = self.counts
        if counts.min() == counts.max():
            times = int(counts.max())
            return f"every output cell is written {'once' if times == 1 else f'{times} times'}: an even coverage"
        return (f"writes per output cell: {int(counts.min())} to {int(counts.max())}; uneven when the stride "
                f"({self.layer.stride}) does not divide the kernel's span ({self.layer.dilation * (self.layer.kernel_size - 1) + 1}) "
                "or at the borders: the checkerboard pattern of transposed convolutions")

    def intro(self) -> str:
        return "nn.ConvTranspose2d computes the output; the scatters are summed by torch, cell by cell."

    # --- one input cell -------------------------------------------------------------------------
    def explain(self, cell: Cell) -> Explained:
        c, i, j = cell
        position, total = flat(cell, self.step_shape), int(np.prod(self.step_shape))
        self.so_far = backward.scatter_sum(self.layer, self.x, self.weight, position + 1)
        _, outs, height, width = self.output.shape
        cells = backward.scattered(self.layer, c, i, j, (height, width))
        targets = frozenset(cells.values())
        value = float(self.x[0, c, i, j])
        windows = {Address("x", (c,)): frozenset({(i, j)}), Address("n"): targets}
        for o in range(outs):
            windows[Address("w", (c, o))] = frozenset(cells)
            windows[Address("s", (o,))] = targets
            windows[Address("y", (o,))] = targets
        k = self.layer.kernel_size
        lines = [self._scatter_line(i, j, cells, k * k)]
        if position + 1 == total:
            gap = float(np.abs(self.so_far - self.output).max())
            lines.append(f"all {total} input cells scattered: the sum equals t(x), nn.ConvTranspose2d's output "
                         f"(largest difference {gap:.1g})")
        else:
            lines.append(f"so far: {position + 1} of {total} input cells; where their scatters overlap, they add up")
        return Explained(cell, value, windows, lines=tuple(lines), detail=cells)

    def _scatter_line(self, i: int, j: int, cells: dict, taps: int) -> str:
        """Where the kernel's cells land, and which rows and columns that makes."""
        s, d, p = self.layer.stride, self.layer.dilation, self.layer.padding
        times = f"{d}×" if d > 1 else ""
        where = f"(u, v) of the kernel → output ({i}×{s} - {p} + {times}u, {j}×{s} - {p} + {times}v)"
        if not cells:
            return f"{where}: all {taps} in the cropped padding"
        rows = sorted({r for r, _ in cells.values()})
        cols = sorted({q for _, q in cells.values()})
        cropped = f"; {taps - len(cells)} of {taps} cropped by the padding" if len(cells) < taps else ""
        return f"{where}: rows {rows[0]}…{rows[-1]}, cols {cols[0]}…{cols[-1]}{cropped}"

    def step_header(self, step: Explained) -> str:
        c, i, j = step.cell
        value = format_number(step.value)
        return f"x[0, {c}, {i}, {j}] = {value} adds {value} × t.weight[{c}]", ""
