"""A convolution seen as a matrix product: ``F.unfold`` lays each window out as a column, the
weight's rows multiply them, and the layer is one (sparse) matrix C. The kernel can be used as
stored (PyTorch's cross-correlation) or flipped (the textbook convolution)."""

from __future__ import annotations

import numpy as np

from tutor.course.model import UnfoldLabSpec
from tutor.engine import backward, conv
from tutor.labs.conv import ConvSession
from tutor.labs.explain import shape_text, unrolled_lines
from tutor.labs.session import (
    Address,
    Cell,
    Explained,
    Panel,
    Setting,
    Shown,
    SliceDecimals,
)
from tutor.numbers import fixed

MATRIX_UP_TO = 36  # input numbers (columns of C) up to which C is drawn
KERNEL = ("as stored", "flipped")
MENU = (
    Setting("stride", "stride", (1, 2, 3)),
    Setting("padding", "padding", (0, 1, 2)),
    Setting("dilation", "dilation", (1, 2)),
    Setting("kernel", "kernel", KERNEL, ("as stored (cross-correlation)", "flipped (convolution)")),
)


def unfold_call(layer) -> str:
    """``F.unfold(a, kernel_size=2)`` with the layer's own stride, padding and dilation."""
    args = [f"kernel_size={layer.kernel_size}"]
    args += [f"{name}={value}" for name, value in (("stride", layer.stride), ("padding", layer.pads[0]),
                                                    ("dilation", layer.dilation)) if value != (0 if name == "padding" else 1)]
    return f"F.unfold(a, {', '.join(args)})"


class UnfoldSession:
    """The conv lab's tensors (a ``ConvSession``) and, from torch, ``columns`` (the unfolded
    input), ``rows`` (the kernels, one row per output channel), their ``product``, the layer's
    ``matrix`` C (when small enough to draw), and ``output``, the layer run with the kernel as
    it is used (flipped or not)."""

    def __init__(self, spec: UnfoldLabSpec) -> None:
        self.spec = spec
        self.conv = ConvSession(spec)
        self.flipped = False
        self._compute()

    # --- state --------------------------------------------------------------------------------
    @property
    def layer(self):
        return self.conv.layer

    @property
    def x(self) -> np.ndarray:
        return self.conv.x

    @property
    def kernels(self) -> np.ndarray:
        """The kernels as the sum uses them: stored, or turned 180° (``torch.flip(w, (2, 3))``)."""
        return backward.flipped(self.conv.weight) if self.flipped else self.conv.weight

    def _compute(self) -> None:
        kernels, bias = self.kernels, self.conv.bias
        self.columns = backward.unfold(self.layer, self.x)
        self.rows = kernels.reshape(kernels.shape[0], -1)
        product = backward.matmul(self.rows, self.columns)
        self.product = product if bias is None else product + bias[:, None]
        self.output = conv.conv_forward(self.layer, self.x, kernels, bias)
        small = self.x.size <= MATRIX_UP_TO
        self.matrix = backward.conv_matrix(self.layer, self.x.shape, kernels) if small else None
        self.decimals = SliceDecimals(self.slice)

    def settings(self) -> dict:
        return {**self.conv.settings(), "kernel": KERNEL[self.flipped]}

    def menu(self) -> tuple[Setting, ...]:
        return MENU

    def reconfigure(self, name: str, value) -> None:
        """A new stride, padding or dilation (torch's refusal, a ``LayerError``, changes nothing),
        or the kernel flipped or not."""
        if name == "kernel":
            self.flipped = value == KERNEL[1]
        else:
            self.conv.restride(name, value)
        self._compute()

    def reset(self) -> None:
        self.conv.reset()
        self.flipped = False
        self._compute()

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        """An input cell, or a kernel cell as shown (a flipped kernel's cell is stored turned back)."""
        if address.tensor == "w" and self.flipped:
            k = self.layer.kernel_size
            row, col = k - 1 - row, k - 1 - col
        where, _ = self.conv.edit(address, row, col, value)
        self._compute()
        return where, self.addresses()

    # --- what views show ----------------------------------------------------------------------
    def addresses(self) -> list[Address]:
        out, into = self.conv.weight.shape[:2]
        return [*(Address("x", (c,)) for c in range(self.x.shape[1])),
                *(Address("w", (o, i)) for o in range(out) for i in range(into)),
                *(Address(t, (o,)) for t in ("y", "row", "other") for o in range(out)),
                Address("col"), Address("C")]

    def slice(self, address: Address) -> np.ndarray:
        if address.tensor == "row":
            return self.rows[address.index[0]][:, None]  # a column, beside the columns it multiplies
        # "other": nn.Conv2d's own output, the kernel as stored (beside the flipped lab's)
        source = {"x": self.x[0], "w": self.kernels, "y": self.output[0], "col": self.columns,
                  "C": self.matrix, "other": self.conv.output[0]}[address.tensor]
        return source[address.index] if address.index else source

    def padding(self, address: Address) -> tuple[int, int, str] | None:
        before, after = self.layer.pads
        return (before, after, "(0)") if address.tensor == "x" and before else None

    @property
    def step_shape(self) -> Cell:
        return tuple(self.output.shape[1:])

    stepped_tensor = "y"

    @property
    def window_span(self) -> int:
        return self.layer.dilation * (self.layer.kernel_size - 1) + 1

    def cell_at(self, address: Address, row: int, col: int) -> Cell | None:
        return (address.index[0], row, col) if address.tensor == "y" else None

    def panels(self, show: tuple[str, ...], step: Cell) -> list[Panel]:
        """The input; the stepped channel's kernels; the columns beside its row of weights; the
        matrix C; its output map (and, flipped, the other convention's beside it)."""
        o, ins = step[0], self.conv.weight.shape[1]
        name = "c.weight.flip(2, 3)" if self.flipped else "c.weight"
        panels = []
        if "input" in show:
            grids = tuple(Shown(Address("x", (c,)), f"channel {c}", True) for c in range(self.x.shape[1]))
            panels.append(Panel(f"Input a {shape_text(self.x.shape)} [batch, channels, height, width]", grids, True))
        if "kernels" in show:
            grids = tuple(Shown(Address("w", (o, i)), f"{name}[{o}, {i}]", True) for i in range(ins))
            panels.append(Panel("", grids))
        output = [Shown(Address("y", (o,)), f"{'flipped' if self.flipped else 'c(a)'}[0, {o}]")] if "output" in show else []
        if self.flipped and output:
            output.append(Shown(Address("other", (o,)), f"c(a)[0, {o}], as stored"))
        if "columns" in show:  # the output map beside them, where the page is wide enough
            pair = (Shown(Address("row", (o,)), f"rows[{o}]"), Shown(Address("col"), unfold_call(self.layer)))
            panels.append(Panel("", (pair, *output)))
            output = []
        if "matrix" in show and self.matrix is not None:
            grids = (Shown(Address("C"), "C"), *output)
            panels.append(Panel(f"C {shape_text(self.matrix.shape)}: row l of C times a.flatten() is output "
                                "cell l", grids))
            output = []
        if output:
            panels.append(Panel("", tuple(output)))
        return panels

    def notes(self, show: tuple[str, ...]) -> str:
        """What the page checks: the product against the layer, C against the layer."""
        _, outs, rows, cols = self.output.shape
        name = "c.weight.flip(2, 3)" if self.flipped else "c.weight"
        lines = [f"c = {self.layer.call()}" + ("; the kernel turned 180° (c.weight.flip(2, 3)): a true "
                                                 "convolution, F.conv2d(a, c.weight.flip(2, 3))" if self.flipped else "")]
        if "columns" in show:
            gap = float(np.abs(self.product.reshape(self.output.shape[1:]) - self.output[0]).max())
            lines.append(f"rows = {name}.reshape({outs}, -1); columns = {unfold_call(self.layer)}")
            lines.append(f"(rows @ columns).reshape(1, {outs}, {rows}, {cols}) equals the layer's output: "
                         f"largest difference {gap:.1g}")
        if "matrix" in show:
            lines.append(self._matrix_note())
        return "\n".join(lines)

    def _matrix_note(self) -> str:
        if self.matrix is None:
            return f"C would be {self.output[0].size} × {self.x.size}: too large to draw; the columns show the same product"
        flat = backward.matmul(self.matrix, self.x.reshape(-1, 1)).reshape(self.output[0].shape)
        bias = 0 if self.conv.bias is None else self.conv.bias[:, None, None]
        gap = float(np.abs(flat + bias - self.output[0]).max())
        nonzero = int(np.count_nonzero(self.matrix))
        return (f"C @ a.flatten() equals the layer's output{' less the bias' if self.conv.bias is not None else ''}: "
                f"largest difference {gap:.1g}. {nonzero} of its {self.matrix.size} entries are kernel values, "
                "the rest 0: each row holds the same kernel, shifted (weight sharing)")

    def intro(self) -> str:
        return "F.unfold and nn.Conv2d compute every number below."

    # --- one output cell ------------------------------------------------------------------------
    def explain(self, cell: Cell) -> Explained:
        o, r, q = cell
        _, _, rows, cols = self.output.shape
        column, k = r * cols + q, self.layer.kernel_size
        unrolled = conv.unroll(self.layer, self.x, self.kernels, self.conv.bias, o, r, q)
        windows = {Address("y", (o,)): frozenset({(r, q)}), Address("other", (o,)): frozenset({(r, q)}),
                   Address("row", (o,)): frozenset((i, 0) for i in range(self.rows.shape[1])),
                   Address("col"): frozenset((i, column) for i in range(self.columns.shape[0]))}
        _, _, height, width = self.x.shape
        taps = [t for terms in unrolled.channels for t in terms.taps]
        for terms in unrolled.channels:
            windows[Address("x", (terms.in_channel,))] = frozenset((t.row, t.col) for t in terms.taps)
            windows[Address("w", (o, terms.kernel_index))] = frozenset((i, j) for i in range(k) for j in range(k))
        if self.matrix is not None:
            windows[Address("C")] = frozenset((o * rows * cols + column, (t.in_channel * height + t.row) * width + t.col)
                                              for t in taps if not t.padding)
        decimals = (lambda terms: (self.decimals(Address("x", (terms.in_channel,))),
                                   self.decimals(Address("w", (o, terms.kernel_index)))))
        lines = unrolled_lines(unrolled, 5, range(4), decimals, self.decimals(Address("y", (o,))))
        return Explained(cell, float(self.output[0, o, r, q]), windows, lines=tuple(lines), detail=unrolled)

    def step_header(self, step: Explained) -> str:
        o, r, q = step.cell
        value = fixed(step.value, self.decimals(Address("y", (o,))))
        column = r * self.output.shape[3] + q
        return f"output[0, {o}, {r}, {q}] = {value}", f"window {column}"
