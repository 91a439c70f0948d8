"""Named 3x3 kernels, as plain data (no torch): what a feature lab's channels start from."""

PRESETS: dict[str, tuple[tuple[float, ...], ...]] = {
    "horizontal edge": ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
    "vertical edge": ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
    "blur": ((1 / 9,) * 3,) * 3,
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
}
