"""What every lab session shares: typed addresses of the tensor slices a view shows, and the
explanation of one output cell."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tutor.numbers import column_format

CUSTOM = "custom"  # a preset name for values set by hand, matching no preset
Cell = tuple[int, int, int]  # (channel, row, col) of the output
Cells = frozenset[tuple[int, int]]  # (row, col) cells of one 2-D slice


@dataclass(frozen=True)
class Address:
    """Which 2-D slice of which tensor: ``Address("x", (1,))`` is input channel 1,
    ``Address("w", (0, 1))`` the kernel of output 0 over input 1, ``Address("y", (2,))`` output
    channel 2, ``Address("g", (0,))`` the gradient of input channel 0."""

    tensor: str
    index: tuple[int, ...] = ()

    def __str__(self) -> str:
        """A CSS-safe id for the grid that shows it, e.g. ``w-0-1``."""
        return "-".join((self.tensor, *map(str, self.index)))


@dataclass(frozen=True)
class Explained:
    """One output cell, explained: its value, the cells to highlight in each slice, the cells
    to mark (a max-pooling winner), the arithmetic written out, and the engine's own record of
    it (``Unrolled`` or ``PoolCell``) for answers that need its parts."""

    cell: Cell
    value: float
    windows: dict[Address, Cells]
    marked: dict[Address, Cells] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    detail: object = None


@dataclass(frozen=True)
class Shown:
    """One grid a view shows: the slice, its title, and whether the learner may type into it."""

    address: Address
    label: str
    editable: bool = False


@dataclass(frozen=True)
class Panel:
    """A row of grids under a heading (none if empty); the row wraps where the page is narrow,
    but a tuple of grids among them stays on one line. The ``stage`` panel is where stepping
    starts: the view keeps it, the arithmetic and what lies between on the page."""

    heading: str
    grids: tuple[Shown | tuple[Shown, ...], ...]
    stage: bool = False

    def shown(self) -> list[Shown]:
        """Every grid, in order, groups opened."""
        return [one for item in self.grids for one in (item if isinstance(item, tuple) else (item,))]


@dataclass(frozen=True)
class Setting:
    """A setting a learner switches with ← / →: its name, label and choices (and their names)."""

    name: str
    label: str
    choices: tuple
    names: tuple[str, ...] | None = None


class SliceDecimals:
    """The decimals the grid of each address writes its numbers with (``column_format`` of its
    slice), so that the arithmetic writes a number as its grid does: measured once, until the
    slice changes (a 64x64 channel takes a millisecond to measure, and a step must not)."""

    def __init__(self, slice_of: Callable[[Address], object]) -> None:
        self._slice_of = slice_of
        self._known: dict[Address, int] = {}

    def __call__(self, address: Address) -> int:
        if address not in self._known:
            self._known[address] = column_format(self._slice_of(address))[1]
        return self._known[address]

    def forget(self, addresses: Iterable[Address]) -> None:
        """The slices at ``addresses`` changed: they are measured again when next asked."""
        for address in addresses:
            self._known.pop(address, None)


def resized(x, name: str, value: int, fill: float):
    """``x`` [1, C, H, W] with its height or width (``name``) set to ``value``: the cells it had
    kept, new ones ``fill``."""
    import numpy as np

    _, channels, height, width = x.shape
    height, width = (value, width) if name == "height" else (height, value)
    grown = np.full((1, channels, height, width), fill, dtype=np.float32)
    rows, cols = min(height, x.shape[2]), min(width, x.shape[3])
    grown[:, :, :rows, :cols] = x[:, :, :rows, :cols]
    return grown


def flat(cell: Cell, shape: Cell) -> int:
    """The cell's position in raster order across all output channels."""
    _, rows, cols = shape
    channel, row, col = cell
    return (channel * rows + row) * cols + col


def unflat(position: int, shape: Cell) -> Cell:
    channels, rows, cols = shape
    position %= channels * rows * cols
    return (position // (rows * cols), position // cols % rows, position % cols)


def clamp(cell: Cell, shape: Cell) -> Cell:
    """``cell`` kept inside an output of ``shape`` (after the shape changed)."""
    return tuple(min(i, n - 1) for i, n in zip(cell, shape))


def reached(size: int, out_size: int, kernel: int, stride: int, before: int, dilation: int = 1) -> set[int]:
    """The input positions along one side that some window's tap lands on (the others are
    dropped: the floor in the output-size formula leaves them out)."""
    taps = (o * stride + t * dilation - before for o in range(out_size) for t in range(kernel))
    return {i for i in taps if 0 <= i < size}


def unreached(height: int, width: int, rows: set[int], cols: set[int]) -> Cells:
    """The cells of a height × width input in a row or a column that no window reaches."""
    return frozenset((r, c) for r in range(height) for c in range(width) if r not in rows or c not in cols)
