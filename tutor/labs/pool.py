"""A pooling lab's session: a real ``nn.MaxPool2d`` / ``nn.AvgPool2d`` over given values or over
a convolution lab's output, the winner torch returns, and the gradient that flows back."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tutor.course.model import PoolLabSpec
from tutor.engine import pool
from tutor.engine.spec import PoolSpec
from tutor.labs.explain import pool_lines, shape_text, side_formula
from tutor.labs.session import (
    Address,
    Cell,
    Explained,
    SliceDecimals,
    reached,
    resized,
    unreached,
)
from tutor.numbers import format_number


def pool_input(spec: PoolLabSpec) -> np.ndarray:
    """The tensor a pooling lab pools: its given values, or its source conv lab's output."""
    if spec.source is None:
        return np.array(spec.values, dtype=np.float32)[None]
    from tutor.labs.conv import ConvSession

    return ConvSession(spec.source).output.copy()


class PoolSession:
    """Input ``x``, the layer ``pool``, its ``out``, the winners' ``indices`` (max) and
    ``grad``, ``x.grad`` after ``pool(x).sum().backward()``."""

    def __init__(self, spec: PoolLabSpec) -> None:
        self.spec = spec
        self._lesson_x = pool_input(spec)
        self._set(self._lesson_x.copy(), spec.pool)

    def _set(self, x: np.ndarray, spec: PoolSpec) -> None:
        out, indices = pool.pool_forward(spec, x)  # torch's refusal changes nothing
        grad = pool.input_gradient(spec, x)
        self.x, self.pool, self.out, self.indices, self.grad = x, spec, out, indices, grad
        (_, _, height, width), (_, _, rows, cols) = x.shape, out.shape
        side = (lambda size, out_size: reached(size, out_size, spec.kernel_size, spec.step, spec.padding))
        self.dropped = unreached(height, width, side(height, rows), side(width, cols))
        self.decimals = SliceDecimals(self.slice)

    @property
    def editable(self) -> bool:
        return self.spec.source is None  # a convolution's output is what it is

    @property
    def reset_shape(self) -> tuple[int, ...]:
        """The input's shape as the lesson gives it."""
        return self._lesson_x.shape

    def reset(self) -> None:
        self._set(self._lesson_x.copy(), self.spec.pool)

    def reconfigure(self, name: str, value) -> None:
        """One setting of the layer, or the input's height or width, changed; ``layers.LayerError``
        keeps the last good state. A resized input keeps its cells; new ones are 0."""
        if name in ("height", "width"):
            self._set(resized(self.x, name, value, 0.0), self.pool)
        else:
            self._set(self.x, replace(self.pool, **{name: value}))

    def settings(self) -> dict:
        """The layer's arguments and the input's height and width, by setting name."""
        return {**vars(self.pool), "height": self.x.shape[2], "width": self.x.shape[3]}

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        (channel,) = address.index
        x = self.x.copy()
        x[0, channel, row, col] = value
        self._set(x, self.pool)
        return f"x[0, {channel}, {row}, {col}] = {format_number(value)}", self.addresses()

    # --- what views show ----------------------------------------------------------------------
    @property
    def output_shape(self) -> Cell:
        return tuple(self.out.shape[1:])

    @property
    def channels(self) -> range:
        return range(self.x.shape[1])

    def addresses(self) -> list[Address]:
        return [Address(kind, (c,)) for kind in ("x", "y", "g") for c in self.channels]

    def slice(self, address: Address) -> np.ndarray:
        return {"x": self.x, "y": self.out, "g": self.grad}[address.tensor][0][address.index]

    @property
    def pad_text(self) -> str:
        return "-inf" if self.pool.kind == "max" else "0"

    def input_heading(self) -> str:
        padding = ""
        if self.pool.padding:
            padding = ("; padding cells hold -inf, so they never win" if self.pool.kind == "max"
                       else "; padding cells count as 0 (count_include_pad=True)")
        dropped = "; ✗: no window reaches it" if self.dropped else ""
        return f"Input x  {shape_text(self.x.shape)}  [batch, channels, height, width]{padding}{dropped}"

    def output_heading(self) -> str:
        return f"Output  pool(x)  {shape_text(self.out.shape)}"

    def chain(self) -> str:
        """From the convolution lab's input to the pooled output, shape by shape."""
        source = self.spec.source
        height, _ = side_formula(self.pool, self.x.shape[2])
        return (f"{shape_text(source.input_shape)} → {source.layer.call()} → {shape_text(self.x.shape)} → "
                f"{self.pool.call()} → {shape_text(self.out.shape)}\nheight and width: {height}")

    # --- one output cell ------------------------------------------------------------------------
    def explain(self, cell: Cell) -> Explained:
        """Output ``cell``: its window (padding cells included), the winner, the arithmetic."""
        c, r, q = cell
        detail = pool.pool_cell(self.pool, self.x, self.out, self.indices, c, r, q)
        window = frozenset((t.row, t.col) for t in detail.taps) | frozenset(detail.padding_taps)
        marked = {Address("x", (c,)): frozenset({detail.winner})} if detail.winner else {}
        windows = {Address("x", (c,)): window, Address("y", (c,)): frozenset({(r, q)})}
        decimals = (self.decimals(Address("x", (c,))), self.decimals(Address("y", (c,))))
        return Explained(cell, detail.value, windows, marked, tuple(pool_lines(self.pool, detail, decimals)), detail)
