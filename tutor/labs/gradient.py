"""A convolution run backwards: from an upstream gradient dL/dy (ones, or typed in), autograd's
``a.grad``, ``c.weight.grad`` and ``c.bias.grad``, each cell written out as the sum it is."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from tutor.course.model import GradientLabSpec
from tutor.engine import backward
from tutor.labs.conv import ConvSession
from tutor.labs.explain import equals, printed, shape_text
from tutor.labs.matrix import MATRIX_UP_TO
from tutor.labs.session import (
    Address,
    Cell,
    Explained,
    Panel,
    Setting,
    Shown,
    SliceDecimals,
)
from tutor.numbers import fixed, format_number, format_term

TARGETS = ("dL/dx", "dL/dW")
MENU = (
    Setting("stride", "stride", (1, 2, 3)),
    Setting("padding", "padding", (0, 1, 2)),
    Setting("dilation", "dilation", (1, 2)),
    Setting("target", "step through", TARGETS, ("a.grad (dL/dx)", "c.weight.grad (dL/dW)")),
)
ALL_KERNELS_UP_TO = 4  # more kernels than this: only those the stepped cell uses
TERMS_WRITTEN = 12  # products written out in a line; the rest are counted


class GradientSession:
    """The conv lab's tensors (a ``ConvSession``), the upstream gradient ``upstream`` (the shape
    of the output) and autograd's ``grads``; ``target`` says which gradient is stepped through."""

    def __init__(self, spec: GradientLabSpec) -> None:
        self.spec = spec
        self.conv = ConvSession(spec)
        self.target = TARGETS[0]
        self.upstream = np.ones_like(self.conv.output)
        self._compute()

    @property
    def layer(self):
        return self.conv.layer

    def _compute(self) -> None:
        c = self.conv
        self.grads = backward.gradients(c.layer, c.x, c.weight, c.bias, self.upstream)
        self.decimals = SliceDecimals(self.slice)

    # --- changes --------------------------------------------------------------------------------
    def settings(self) -> dict:
        return {**self.conv.settings(), "target": self.target}

    def menu(self) -> tuple[Setting, ...]:
        return MENU

    def reconfigure(self, name: str, value) -> None:
        """A new stride, padding or dilation (refused by torch: a ``LayerError``, nothing changes;
        the upstream gradient starts again as ones of the new output's shape), or the other gradient
        to step through."""
        if name == "target":
            self.target = value
            return
        self.conv.restride(name, value)
        self.upstream = np.ones_like(self.conv.output)
        self._compute()

    def reset(self) -> None:
        self.conv.reset()
        self.target, self.upstream = TARGETS[0], np.ones_like(self.conv.output)
        self._compute()

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        if address.tensor == "dy":
            (out,) = address.index
            self.upstream[0, out, row, col] = value
            where = f"dL/dy[0, {out}, {row}, {col}] = {format_number(value)}"
        else:
            where, _ = self.conv.edit(address, row, col, value)
        self._compute()
        return where, self.addresses()

    # --- what views show ----------------------------------------------------------------------
    def addresses(self) -> list[Address]:
        outs, ins = self.conv.weight.shape[:2]
        channels = range(self.conv.x.shape[1])
        return [*(Address(t, (c,)) for t in ("x", "gx") for c in channels),
                *(Address(t, (o, i)) for t in ("w", "gw") for o in range(outs) for i in range(ins)),
                *(Address("dy", (o,)) for o in range(outs))]

    def slice(self, address: Address) -> np.ndarray:
        source = {"x": self.conv.x[0], "w": self.conv.weight, "dy": self.upstream[0], "gx": self.grads.x[0],
                  "gw": self.grads.weight}[address.tensor]
        return source[address.index]

    def padding(self, address: Address) -> tuple[int, int, str] | None:
        before, after = self.layer.pads
        return (before, after, "(0)") if address.tensor == "x" and before else None

    @property
    def step_shape(self) -> Cell:
        if self.target == TARGETS[0]:
            return tuple(self.conv.x.shape[1:])
        outs, ins, k, _ = self.conv.weight.shape
        return (outs * ins, k, k)

    @property
    def stepped_tensor(self) -> str:
        return "gx" if self.target == TARGETS[0] else "gw"

    @property
    def step_noun(self) -> str:
        return "a.grad" if self.target == TARGETS[0] else "c.weight.grad"

    @property
    def window_span(self) -> int:
        """Input rows a stepped cell involves: one for a.grad, every row for a weight's gradient."""
        return 1 if self.target == TARGETS[0] else self.conv.x.shape[2]

    def cell_at(self, address: Address, row: int, col: int) -> Cell | None:
        if address.tensor != self.stepped_tensor:
            return None
        if address.tensor == "gx":
            return (address.index[0], row, col)
        out, slot = address.index
        return (out * self.conv.weight.shape[1] + slot, row, col)

    def _kernel_pairs(self, step: Cell) -> list[tuple[int, int]]:
        """The (out, in) kernels shown: all of them when few, else those the stepped cell uses."""
        outs, ins = self.conv.weight.shape[:2]
        pairs = [(o, i) for o in range(outs) for i in range(ins)]
        if len(pairs) <= ALL_KERNELS_UP_TO:
            return pairs
        if self.target == TARGETS[0]:
            slot = step[0] % ins  # a.grad of input channel c uses c.weight[:, c] (groups 1)
            return [(o, i) for o, i in pairs if i == slot]
        return [(o, i) for o, i in pairs if o == step[0] // ins]

    def panels(self, show: tuple[str, ...], step: Cell) -> list[Panel]:
        """The forward pass's input and kernels (the stage), then dL/dy and the gradients in one
        row: at 80 columns, the lesson's one-channel lab fits a line."""
        pairs = self._kernel_pairs(step)
        channels = range(self.conv.x.shape[1])
        panels = []
        if "input" in show:
            kernels = tuple(Shown(Address("w", pair), f"c.weight[{pair[0]}, {pair[1]}]", True) for pair in pairs)
            grids = (*(Shown(Address("x", (c,)), f"a[0, {c}]", True) for c in channels), kernels)
            panels.append(Panel(f"Forward: a {shape_text(self.conv.x.shape)} and c.weight "
                                f"{shape_text(self.conv.weight.shape)}", grids, True))
        grids = []
        if "upstream" in show:
            grids += [Shown(Address("dy", (o,)), f"dL/dy[0, {o}]", True) for o in range(self.upstream.shape[1])]
        if "gradients" in show:
            grids += [Shown(Address("gx", (c,)), f"a.grad[0, {c}]") for c in channels]
            grids += [Shown(Address("gw", pair), f"c.weight.grad[{pair[0]}, {pair[1]}]") for pair in pairs]
        if grids:
            panels.append(Panel(f"Backward: dL/dy {shape_text(self.upstream.shape)} (type to change it), then "
                                "autograd's gradients", tuple(grids)))
        return panels

    def notes(self, show: tuple[str, ...]) -> str:
        layer = self.layer
        k, (before, _) = layer.kernel_size, layer.pads
        lines = [f"c = {layer.call()};  c(a).backward(dL/dy) fills a.grad, c.weight.grad"
                 + (" and c.bias.grad" if self.grads.bias is not None else "")]
        if self.grads.bias is not None:
            sums = ", ".join(format_number(float(v)) for v in self.upstream[0].sum(axis=(1, 2)))
            lines.append(f"c.bias.grad = dL/dy summed over each output channel: [{sums}]; autograd: "
                         f"[{', '.join(format_number(float(v)) for v in self.grads.bias)}]")
        ring = layer.dilation * (k - 1) - before  # what the full convolution pads dL/dy with
        edge = (f"padded by dilation × (k - 1) - padding = {ring}" if ring >= 0
                else f"its outer {-ring} ring(s) cropped: padding exceeds dilation × (k - 1)")
        lines.append(f"a.grad is the full convolution of dL/dy with each kernel turned 180° (dL/dy spread "
                     f"{layer.stride} apart, {edge}); c.weight.grad is a correlated with dL/dy")
        lines.append(self._transposed_note())
        return "\n".join(lines)

    def _transposed_note(self) -> str:
        """The same a.grad two more ways, by torch: the transposed convolution, and Cᵀ @ dL/dy."""
        c = self.conv
        if c.layer.pads[0] != c.layer.pads[1]:
            return "padding='same' with an even kernel pads unevenly: no transposed convolution undoes it"
        by_transpose = backward.transposed_gradient(c.layer, c.weight, self.upstream, c.x.shape)
        gaps = [f"F.conv_transpose2d(dL/dy, c.weight) {self._gap(by_transpose)}"]
        if c.x.size <= MATRIX_UP_TO:
            matrix = backward.conv_matrix(c.layer, c.x.shape, c.weight)
            by_matrix = backward.matmul(matrix.T.copy(), self.upstream.reshape(-1, 1)).reshape(c.x.shape)
            gaps.append(f"Cᵀ @ dL/dy.flatten() {self._gap(by_matrix)}")
        return "; ".join(gaps) + ": the transposed convolution is this backward pass"

    def _gap(self, values: np.ndarray) -> str:
        return f"equals a.grad (largest difference {float(np.abs(values - self.grads.x).max()):.1g})"

    def intro(self) -> str:
        return "nn.Conv2d and autograd compute every number below."

    # --- one gradient cell ----------------------------------------------------------------------
    def explain(self, cell: Cell) -> Explained:
        return self._input_cell(cell) if self.target == TARGETS[0] else self._weight_cell(cell)

    def _input_cell(self, cell: Cell) -> Explained:
        c, i, j = cell
        slot = c % self.conv.weight.shape[1]
        found = backward.input_gradient_cell(self.layer, self.conv.weight, self.upstream, c, i, j)
        value = float(self.grads.x[0, c, i, j])
        windows = {Address("gx", (c,)): frozenset({(i, j)})}
        for term in found.terms:
            dy, w = Address("dy", (term.out_channel,)), Address("w", (term.out_channel, slot))
            windows[dy] = windows.get(dy, frozenset()) | {(term.row, term.col)}
            windows[w] = windows.get(w, frozenset()) | {term.other}
        windows[Address("x", (c,))] = frozenset({(i, j)})
        if not found.terms:
            lines = [f"no window covers a[0, {c}, {i}, {j}] (the stride skips it): nothing flows back"]
        else:
            lines = [f"the windows over a[0, {c}, {i}, {j}]: each dL/dy × the kernel value on it",
                     self._sum_line(found, lambda t: (Address("dy", (t.out_channel,)), Address("w", (t.out_channel, slot))))]
        return Explained(cell, value, windows, lines=tuple(lines), detail=found)

    def _weight_cell(self, cell: Cell) -> Explained:
        ins = self.conv.weight.shape[1]
        out, slot, (_, u, v) = cell[0] // ins, cell[0] % ins, cell
        found = backward.weight_gradient_cell(self.layer, self.conv.x, self.upstream, out, slot, u, v)
        channel = out // (self.layer.out_channels // self.layer.groups) * ins + slot
        value = float(self.grads.weight[out, slot, u, v])
        windows = {Address("gw", (out, slot)): frozenset({(u, v)}),
                   Address("w", (out, slot)): frozenset({(u, v)}),
                   Address("x", (channel,)): frozenset(t.other for t in found.terms),
                   Address("dy", (out,)): frozenset((t.row, t.col) for t in found.terms)}
        lines = [f"kernel cell ({u}, {v}) met a cell of a[0, {channel}] in each window: each × its dL/dy",
                 self._sum_line(found, lambda t: (Address("x", (channel,)), Address("dy", (out,))), inputs_first=True)]
        return Explained(cell, value, windows, lines=tuple(lines), detail=found)

    def _sum_line(self, found, sources, inputs_first: bool = False) -> str:
        """``1×0.1 + 1×(-0.4) = -0.3``: the products as the grids write their factors."""
        parts, shown = [], Decimal(0)
        for term in found.terms:
            first, second = sources(term)
            a, b = (term.factor, term.upstream) if inputs_first else (term.upstream, term.factor)
            shown += printed(a) * printed(b)
            if len(parts) < TERMS_WRITTEN:
                if term.padding:
                    parts.append("0×" + format_term(b, self.decimals(second)))
                else:
                    parts.append(f"{format_term(a, self.decimals(first))}×{format_term(b, self.decimals(second))}")
        if len(found.terms) > TERMS_WRITTEN:
            parts.append(f"… ({len(found.terms) - TERMS_WRITTEN} more)")
            sign = "="
        else:
            sign = equals(shown, found.total)
        return f"{' + '.join(parts)} {sign} {format_number(found.total)}"

    def step_header(self, step: Explained) -> str:
        c, i, j = step.cell
        if self.target == TARGETS[0]:
            return f"a.grad[0, {c}, {i}, {j}] = {self._shown(step, Address('gx', (c,)))}", "autograd"
        ins = self.conv.weight.shape[1]
        address = Address("gw", (c // ins, c % ins))
        return f"c.weight.grad[{c // ins}, {c % ins}, {i}, {j}] = {self._shown(step, address)}", "autograd"

    def _shown(self, step: Explained, address: Address) -> str:
        return fixed(step.value, self.decimals(address))
