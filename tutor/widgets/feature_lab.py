"""The feature-map lab's view (a ``FeatureSession``): one image, several output channels, each
with its own kernel; a key makes the kernels equal, and the lab counts the different maps."""

from __future__ import annotations

from textual import on
from textual.containers import Vertical

from tutor.engine.presets import PRESETS
from tutor.labs.session import CUSTOM, Address
from tutor.widgets.flow import Flow
from tutor.widgets.lab import LabView
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Plain


class FeatureLabView(LabView):
    """Feature maps of ``nn.Conv2d(1, C, 3, padding=1)`` over a grayscale image."""

    HELP = """
### Feature-map lab
**Tab** to a kernel's name and press **← / →** for a preset, or **Tab** into a kernel and type a
number then **Enter**. **e** makes every kernel equal to channel 0's, **r** restores the presets.
On a map, the arrows move the cursor and its exact value is shown under the map.
"""

    DEFAULT_CSS = """
    FeatureLabView .channel { width: auto; height: auto; }
    FeatureLabView .lab-row { grid-gutter: 0 1; }
    FeatureLabView #distinct { margin-top: 1; text-style: bold; }
    """

    def make_session(self):
        from tutor.labs.features import FeatureSession

        return FeatureSession(self.spec)

    @property
    def stepping(self) -> bool:
        return False  # maps are read with the cursor, not stepped through

    def parts(self):
        s = self.session
        height, width = s.image.shape
        yield Plain(f"Image [1, 1, {height}, {width}]  (0 black … 1 white)   →   "
                    f"nn.Conv2d(1, {len(s.channels)}, 3, padding=1, bias=False): a kernel and a map per channel",
                    classes="lab-heading")
        yield Flow(TensorGrid(s.image, compact=True, label="image", address=Address("image"), id="image"),
                   *(self._kernel(o) for o in s.channels), classes="lab-row")
        yield Flow(*(TensorGrid(s.maps[o], compact=True, label=f"map {o}", address=Address("y", (o,)))
                     for o in s.channels), classes="lab-row")
        yield Plain(id="distinct")

    def _kernel(self, out: int) -> Vertical:
        return Vertical(
            Stepper(f"ch {out}", (*PRESETS, CUSTOM), self.session.names[out], id=f"set-preset-{out}"),
            TensorGrid(self.session.kernels[out], editable=True, label=f"kernel {out}", address=Address("w", (out, 0))),
            classes="channel",
        )

    def intro(self) -> str:
        return "Every map is computed by nn.Conv2d with the kernels shown."

    # --- changes ------------------------------------------------------------------------------
    @on(Stepper.Changed)
    def _preset_chosen(self, event: Stepper.Changed) -> None:
        event.stop()
        if self.asked(event) is None:
            return
        if event.value == CUSTOM:
            event.stepper.value = event.previous  # "custom" is reached by typing into the kernel
            return
        self.say(self.session.choose(int(event.stepper.id.rsplit("-", 1)[1]), event.value))
        self.refresh_views()

    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        where, _ = self.session.edit(event.grid.address, event.row, event.col, event.value)
        self.refresh_views()
        self.say(f"{where}.")

    def action_equalize(self) -> None:
        if self.ready:
            self.release_widths()
            self.session.equalize()
            self.refresh_views()
            self.say("Every kernel is now a copy of channel 0's.")

    def reset(self) -> None:
        self.session.reset()
        self.refresh_views()
        self.say("The preset kernels are back.")

    def refresh_views(self) -> None:
        super().refresh_views()
        for out, name in enumerate(self.session.names):
            self.query_one(f"#set-preset-{out}", Stepper).value = name
        self.query_one("#distinct", Plain).update(self.session.summary())
