"""The view of a lab whose session lays out its own panels of grids (the im2col, gradient and
transposed-convolution labs): settings, a note of what torch checked, the panels, the step's
arithmetic. The session decides what is shown and does every computation; this only shows it."""

from __future__ import annotations

from importlib import import_module

from textual import on
from textual.containers import Horizontal, Vertical

from tutor.course.model import GradientLabSpec, TransposedLabSpec, UnfoldLabSpec
from tutor.labs.session import Cell, Explained, Panel, Shown
from tutor.widgets.flow import Flow
from tutor.widgets.lab import LabView, set_text
from tutor.widgets.stepper import Stepper
from tutor.widgets.tensor_grid import TensorGrid
from tutor.widgets.text import Lines, Plain, plain

# Which session each lab kind runs: imported in the worker that builds it (the sessions import torch).
SESSIONS = {UnfoldLabSpec: ("tutor.labs.matrix", "UnfoldSession"),
            GradientLabSpec: ("tutor.labs.gradient", "GradientSession"),
            TransposedLabSpec: ("tutor.labs.transposed", "TransposedSession")}


def _signature(panels: list[Panel]) -> tuple:
    """What a layout of panels shows, slice by slice: the grids that must change when it changes."""
    return tuple((panel.heading, tuple(panel.shown())) for panel in panels)


def _shape(panels: list[Panel]) -> tuple:
    """How many headings and grids each panel has: a layout of the same shape is re-pointed in place."""
    return tuple((bool(panel.heading), tuple(len(g) if isinstance(g, tuple) else 0 for g in panel.grids))
                 for panel in panels)


class PanelLabView(LabView):
    """A lab laid out by its session's ``panels``: rows of grids, the stage's first."""

    HELP = """
### Matrix, gradient and transposed labs
Every number comes from torch. **n** / **p** step through the cells (**Space** plays); the
arithmetic is written out below. **Tab** to a setting and use **← / →**; **Tab** to an
editable grid and type a number, then **Enter**: everything is recomputed. **r** restores the
lesson's values.
"""

    DEFAULT_CSS = """
    PanelLabView #notes { margin-top: 1; }
    PanelLabView .lab-row { grid-gutter: 0 2; }
    """

    @property
    def KEY_HELP(self) -> dict[str, str]:  # noqa: N802 (the name LabView's subclasses give their keys' help)
        cells = getattr(self.session, "step_noun", "output") if self.session is not None else "output"
        return {"step": f"Step to the next / previous {cells} cell", "play": f"Step through the {cells} cells automatically"}

    def make_session(self):
        module, name = SESSIONS[type(self.spec)]
        return getattr(import_module(module), name)(self.spec)

    @property
    def stepping(self) -> bool:
        return "steps" in self.show

    def parts(self):
        if "settings" in self.show:
            values = self.session.settings()
            yield Flow(*(Stepper(s.label, s.choices, values[s.name], names=s.names, id=f"set-{s.name}")
                         for s in self.session.menu()), classes="lab-row settings")
        yield Plain(id="notes")
        yield Vertical(*self._body(), id="lab-body")

    def _body(self):
        self._panels = self.session.panels(self.show, self.step)
        for panel in self._panels:
            if panel.heading:
                yield Plain(panel.heading, classes="lab-heading panel-heading",
                            id="input-heading" if panel.stage else None)
            yield Flow(*(Horizontal(*map(self._grid, item), classes="lab-group") if isinstance(item, tuple)
                         else self._grid(item) for item in panel.grids),
                       classes="lab-row", id="inputs" if panel.stage else None)
        if self.stepping:
            yield Lines(id="steps")

    def _grid(self, shown: Shown) -> TensorGrid:
        return TensorGrid(self.session.slice(shown.address), editable=shown.editable, label=shown.label,
                          address=shown.address)

    def intro(self) -> str:
        return self.session.intro()

    # --- the session's answers ------------------------------------------------------------------
    def step_shape(self) -> Cell:
        return self.session.step_shape

    def stepped_tensor(self) -> str:
        return self.session.stepped_tensor

    def cell_at(self, address, row: int, col: int) -> Cell | None:
        return self.session.cell_at(address, row, col)

    def window_span(self) -> int:
        return getattr(self.session, "window_span", 1)

    def step_header(self, step: Explained) -> str:
        text, note = self.session.step_header(step)
        return f"{text}   ({note}; {self.step_title()})" if note else f"{text}   ({self.step_title()})"

    def output_grids(self) -> list[TensorGrid]:
        """The last panel's grids (those kept together aside): they give up rows to fit the page."""
        flows = list(self.query("#lab-body > Flow").results(Flow))
        return list(flows[-1].query_children(TensorGrid).results(TensorGrid)) if len(flows) > 1 else []

    def fit(self, passes: int = 8) -> None:
        """The stage fitted as every lab's (see ``LabView.fit``); then grids kept together on one
        line share the page's width, so that none runs off its right edge."""
        super().fit(passes)
        for group in self.query(".lab-group").results(Horizontal):
            grids = list(group.query_children(TensorGrid).results(TensorGrid))
            share = self.size.width // max(len(grids), 1)
            for grid in grids:
                grid.limit = (grid.limit[0], max(1, (share - 2) // grid.cell_width))

    # --- showing ------------------------------------------------------------------------------
    def refresh_views(self) -> None:
        for address, grid in self.grids.items():
            grid.values = self.session.slice(address)
            before, after, text = self.session.padding(address) or (0, None, "0")
            grid.pad, grid.pad_after, grid.pad_text = before, after, text
        set_text(self.query_one("#notes", Plain), self.session.notes(self.show))
        self.show_step()

    def show_step(self) -> None:
        if self.session is None or not self.ready:
            return
        panels = self.session.panels(self.show, self.step)
        if _signature(panels) != _signature(self._panels):
            if _shape(panels) != _shape(self._panels):
                self.in_turn(self._reshape, group="rebuild")
                return
            self._repoint(panels)
        super().show_step()
        self.update_grids(getattr(self.session, "moving", list)())

    def _repoint(self, panels: list[Panel]) -> None:
        """The same layout showing other slices (the next output channel's kernels): the grids are
        pointed at them in place, which costs a repaint, not a new page."""
        body = self.query_one("#lab-body")
        for heading, panel in zip(body.query(".panel-heading").results(Plain), [p for p in panels if p.heading]):
            set_text(heading, panel.heading)
        for grid, shown in zip(body.query(TensorGrid).results(TensorGrid), [shown for panel in panels for shown in panel.shown()]):
            if grid.address == shown.address:
                continue
            self.grids.pop(grid.address, None)
            self._lit.discard(grid.address)
            grid.release_width()  # another slice's numbers: as wide as they are, not as the last ones were
            grid.address, grid.editable, grid.values = shown.address, shown.editable, self.session.slice(shown.address)
            grid.border_title = plain(shown.label, multiline=False)
            self.grids[shown.address] = grid
        self._panels = panels
        for flow in body.query(Flow):
            flow.reflow()

    async def _reshape(self) -> None:
        """The step reached panels of other shapes: new grids, if an earlier rebuild has not made them."""
        if _shape(self.session.panels(self.show, self.step)) != _shape(self._panels):
            await self._rebuild(keep_step=True)

    async def _rebuild(self, keep_step: bool = False) -> None:
        """New shapes or another layout: new grids."""
        if not keep_step:
            self.set_reactive(LabView.step, (0, 0, 0))
        self.clamp_step()
        body = self.query_one("#lab-body", Vertical)
        await body.remove_children()
        await body.mount_all(list(self._body()))
        self.find_grids()
        self.refresh_views()
        self.call_after_refresh(self.fit)

    # --- changes ------------------------------------------------------------------------------
    @on(Stepper.Changed)
    async def _setting_changed(self, event: Stepper.Changed) -> None:
        from tutor.engine.layers import LayerError

        event.stop()
        name = event.stepper.id.removeprefix("set-")
        if (asked := self.asked(event)) is None:
            return
        value = asked[0]
        try:
            self.session.reconfigure(name, value)
        except LayerError as error:
            self.say(f"{error} The last good settings are kept.", error=True)
            self.show_settings()
            return
        self.stepped = False  # the learner is at the settings: the page stays there, not on the stage
        async with self._rebuilding:
            await self._rebuild(keep_step=name not in ("target",))
        self.show_settings()
        self.say(f"{event.stepper.label} = {event.stepper.names[event.stepper.choices.index(value)]}: "
                 "recomputed by torch.")
        self.call_after_refresh(self.show_status)

    @on(TensorGrid.CellEdited)
    def _cell_edited(self, event: TensorGrid.CellEdited) -> None:
        event.stop()
        where, changed = self.session.edit(event.grid.address, event.row, event.col, event.value)
        self.update_grids(changed)
        set_text(self.query_one("#notes", Plain), self.session.notes(self.show))
        self.show_step()
        self.say(f"{where}; recomputed by torch.")

    async def restore(self) -> None:
        self.session.reset()
        self.show_settings()
        await self._rebuild()
        self.say("The lesson's values and settings are back.")
