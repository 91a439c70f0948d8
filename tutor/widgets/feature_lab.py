"""The feature-map lab: one image, several output channels, each with its own kernel; a key
makes the kernels equal, and the lab counts how many different maps are left."""

from __future__ import annotations

from textual import on
from textual.containers import Horizontal, Vertical

from tutor.course.model import FeatureLab as FeatureLabSpec
from tutor.engine.presets import PRESETS
from tutor.numbers import format_number
from tutor.widgets.lab import Lab, address
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain

CUSTOM = "custom"


class FeatureLab(Lab):
    """Feature maps of ``nn.Conv2d(1, C, 3, padding=1)`` over a grayscale image."""

    HELP = """
### Feature-map lab
**Tab** to a kernel's name and press **← / →** for a preset, or **Tab** into a kernel and type a
number then **Enter**. **e** makes every kernel equal to channel 0's, **r** restores the presets.
On a map, the arrows move the cursor and its exact value is shown under the map.
"""

    DEFAULT_CSS = """
    FeatureLab .channel { width: 26; height: auto; margin-left: 1; }
    FeatureLab .channel Stepper { width: 100%; }
    FeatureLab #image { margin-right: 1; }
    FeatureLab #distinct { margin-top: 1; text-style: bold; }
    """

    def __init__(self, spec: FeatureLabSpec, show: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(show, id=id)
        self.spec = spec
        self.names = list(spec.presets)

    def build(self):
        import numpy as np

        from tutor.engine import symmetry

        image = np.array(self.spec.image, dtype=np.float32)
        kernels = np.array([PRESETS[name] for name in self.spec.presets], dtype=np.float32)
        return image, kernels, symmetry.feature_maps(image, kernels)

    def adopt(self, state) -> None:
        self.image, self.lesson_kernels, self.maps = state
        self.kernels = self.lesson_kernels.copy()

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.maps.shape

    @property
    def stepping(self) -> bool:
        return False  # maps are read with the cursor, not stepped through

    def parts(self):
        height, width = self.image.shape
        channels = len(self.kernels)
        yield Plain(f"Image [1, 1, {height}, {width}]  (0 black … 1 white)   →   "
                     f"nn.Conv2d(1, {channels}, 3, padding=1, bias=False): a kernel and a map per channel",
                     classes="lab-heading")
        yield Horizontal(TensorGrid(self.image, compact=True, label="image", id="image"),
                         *(self._kernel(o) for o in range(channels)), classes="lab-row")
        yield Horizontal(*(TensorGrid(self.maps[o], compact=True, label=f"map {o}", id=f"y-{o}")
                           for o in range(channels)), classes="lab-row")
        yield Plain(id="distinct")

    def _kernel(self, out: int) -> Vertical:
        return Vertical(
            Stepper(f"ch {out}", (*PRESETS, CUSTOM), self.names[out], id=f"set-preset-{out}"),
            TensorGrid(self.kernels[out], editable=True, label=f"kernel {out}", id=f"w-{out}-0"),
            classes="channel",
        )

    def intro(self) -> str:
        return "Every map is computed by nn.Conv2d with the kernels shown."

    # --- changes ------------------------------------------------------------------------------
    @on(Stepper.Changed)
    def _preset_chosen(self, event: Stepper.Changed) -> None:
        event.stop()
        out = int(event.stepper.id.rsplit("-", 1)[1])
        if event.value == CUSTOM:
            event.stepper.value = event.previous  # "custom" is reached by typing into the kernel
            return
        self.names[out] = event.value
        self.kernels[out] = PRESETS[event.value]
        self.refresh_views()
        self.say(f"Channel {out}: {event.value} kernel.")

    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        _, (out, _) = address(event.grid)
        self.kernels[out, event.row, event.col] = event.value
        self.names[out] = CUSTOM
        self.refresh_views()
        self.say(f"kernel {out}[{event.row}, {event.col}] = {format_number(event.value)}; the map was recomputed.")

    def action_equalize(self) -> None:
        if not self.ready:
            return
        self.kernels[:] = self.kernels[0]
        self.names = [self.names[0]] * len(self.names)
        self.refresh_views()
        self.say("Every kernel is now a copy of channel 0's.")

    def reset(self) -> None:
        self.kernels = self.lesson_kernels.copy()
        self.names = list(self.spec.presets)
        self.refresh_views()
        self.say("The preset kernels are back.")

    def refresh_views(self) -> None:
        from tutor.engine import symmetry

        self.maps = symmetry.feature_maps(self.image, self.kernels)
        for grid in self.query(TensorGrid):
            kind, index = address(grid)
            if kind == "w":
                grid.values = self.kernels[index[0]].tolist()
            elif kind == "y":
                grid.values = self.maps[index[0]].tolist()
        for out, name in enumerate(self.names):
            self.query_one(f"#set-preset-{out}", Stepper).value = name
        distinct = symmetry.distinct_count(self.maps)
        self.query_one("#distinct", Plain).update(
            f"distinct feature maps: {distinct} of {len(self.maps)}"
            + ("   (the channels repeat each other)" if distinct < len(self.maps) else ""))
