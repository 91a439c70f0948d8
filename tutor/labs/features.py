"""A feature-map lab's session: one image, one preset (or hand-edited) kernel per output channel,
the maps of ``nn.Conv2d(1, C, 3, padding=1)``, and how many of them differ."""

from __future__ import annotations

import numpy as np

from tutor.course.model import FeatureLabSpec
from tutor.engine import symmetry
from tutor.engine.presets import PRESETS
from tutor.labs.session import CUSTOM, Address
from tutor.numbers import format_number


class FeatureSession:
    """``image`` [H, W], ``kernels`` [C, 3, 3] with their preset ``names``, and the ``maps``."""

    def __init__(self, spec: FeatureLabSpec) -> None:
        self.spec = spec
        self.image = np.array(spec.image, dtype=np.float32)
        self.reset()

    def reset(self) -> None:
        self.names = list(self.spec.presets)
        self.kernels = np.array([PRESETS[name] for name in self.names], dtype=np.float32)
        self._recompute()

    def _recompute(self) -> None:
        self.maps = symmetry.feature_maps(self.image, self.kernels)
        self.distinct = symmetry.distinct_count(self.maps)

    def choose(self, out: int, name: str) -> str:
        self.names[out] = name
        self.kernels[out] = PRESETS[name]
        self._recompute()
        return f"Channel {out}: {name} kernel."

    def edit(self, address: Address, row: int, col: int, value: float) -> tuple[str, list[Address]]:
        (out, _) = address.index
        self.kernels[out, row, col] = value
        self.names[out] = CUSTOM
        self._recompute()
        return f"kernel {out}[{row}, {col}] = {format_number(value)}; the map was recomputed", [address]

    def equalize(self) -> None:
        """Every kernel a copy of channel 0's: the maps repeat each other."""
        self.kernels[:] = self.kernels[0]
        self.names = [self.names[0]] * len(self.names)
        self._recompute()

    @property
    def channels(self) -> range:
        return range(len(self.kernels))

    def slice(self, address: Address) -> np.ndarray:
        if address.tensor == "image":
            return self.image
        return {"w": self.kernels, "y": self.maps}[address.tensor][address.index[0]]

    def summary(self) -> str:
        repeat = "   (the channels repeat each other)" if self.distinct < len(self.maps) else ""
        return f"distinct feature maps: {self.distinct} of {len(self.maps)}{repeat}"
