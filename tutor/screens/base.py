"""The base of the tutor's full screens: a partial update renders only what changed.

Textual's compositor, on a partial update, renders every widget whose clip overlaps the box
around all the dirty regions, each over its whole height. A step through a lab changes a few
cells of three grids and the arithmetic, at the top and the bottom of the page: that box is the
page, and every widget on it (about 30) was rendered for a key press, about half the frame.

The terminal is sent the dirty spans only (``ChopsUpdate``), so the strips that can reach it
come from the widgets that show part of a dirty region. A region a widget asked to repaint lies
inside that widget, which paints over its ancestors: they are not needed there. This compositor
renders the others, on the rows of the regions they overlap (cuts run across whole rows, so a
widget keeps its full width). Any dirty region it cannot trace to a widget (a scroll, a removed
widget) gets Textual's own partial update.

What a frame writes (only the dirty spans, each style once) is in ``writes.py``.

A frame comes on the tick of the screen's update timer (60 a second). After a pause the first
frame is drawn at once, but Textual's timer then skips one tick too many: a key whose work
takes two frames (a setting's new value, then the maps it changes) waited 17-33 ms for the
second. The timer here keeps to the next tick.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import _time
from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import UPDATE_PERIOD, Screen
from textual.strip import Strip
from textual.timer import EventTargetGone, Timer
from textual.widget import Widget

from tutor.screens.writes import FullUpdate, SpansUpdate


class DirtyOnlyCompositor(Compositor):
    """A compositor whose partial update renders only the widgets (and their rows) that can
    show part of a dirty region; a full update is Textual's own."""

    def __init__(self) -> None:
        super().__init__()
        self._asked: set[Widget] = set()  # widgets that asked to repaint since the last update
        self._needed: dict | None = None  # while a partial update renders: what it renders

    def update_widgets(self, widgets: set[Widget]) -> None:
        self._asked.update(widgets)
        mapped = not self._full_map_invalidated and all(widget in self._full_map for widget in widgets)
        super().update_widgets(widgets)
        # Textual drops its map of every widget when one that repaints is off screen, in case
        # it is new; a step repaints grids off screen, and the map (1-2 ms) was made again on
        # every frame. A widget already in the map has not moved: a repaint is no layout.
        if mapped:
            self._full_map_invalidated = False

    def render_full_update(self, simplify: bool = False):
        self._asked.clear()
        update = super().render_full_update(simplify)
        return FullUpdate(update.strips, update.region)

    def render_partial_update(self):
        every, asked = self.visible_widgets, self._asked
        self._asked = set()
        self._needed = needed(every, asked, self._dirty_regions)
        try:
            update = super().render_partial_update()
        finally:
            self._needed = None
        return update and SpansUpdate(update.chops, update.spans, update.chop_ends)

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if self._needed is None:
            yield from super()._get_renders(crop)
            return
        every, self._visible_widgets = self.visible_widgets, self._needed
        try:
            yield from super()._get_renders(crop)
        finally:
            self._visible_widgets = every


def needed(widgets: dict, asked: set[Widget], dirty: set[Region]) -> dict | None:
    """The widgets (in render order) a partial update must render, each clipped to the rows it
    is needed on; None when a dirty region lies in no widget that asked to repaint."""
    shown = {widget: widgets[widget][0].intersection(widgets[widget][1]) for widget in asked if widget in widgets}
    boxes: dict[Widget, list[Region]] = {}
    for area in dirty:
        owner = next((widget for widget, seen in shown.items() if seen.contains_region(area)), None)
        if owner is None:
            return None
        boxes.setdefault(owner, []).append(area)
    # Each owner's regions as one box, with the widgets it paints over there (its ancestors).
    painted = [(Region.from_union(areas), set(owner.ancestors)) for owner, areas in boxes.items()]
    kept = {}
    for widget, (region, clip) in widgets.items():
        seen = region.intersection(clip)
        rows = [box for box, under in painted if widget not in under and seen.overlaps(box)]
        if rows:
            top, bottom = min(box.y for box in rows), max(box.bottom for box in rows)
            kept[widget] = (region, clip.intersection(Region(region.x, top, region.width, bottom - top)))
    return kept


class FrameTimer(Timer):
    """Textual's repeating timer, except that after missed ticks (a pause) it waits for the next
    tick, not the one after it."""

    async def _run(self) -> None:
        count, interval = 0, self._interval
        await self._active.wait()
        start = _time.get_time()
        while self._repeat is None or count <= self._repeat:
            next_tick = start + (count + 1) * interval
            now = _time.get_time()
            if self._skip and next_tick < now:
                count = int((now - start) / interval)  # Textual's adds 1 here: a tick too far
                continue
            await _time.sleep(max(0.0, next_tick - now))
            count += 1
            await self._active.wait()
            if self._reset:
                start, count, self._reset = _time.get_time(), 0, False
                continue
            try:
                await self._tick(next_timer=next_tick, count=count)
            except EventTargetGone:
                break


class TutorScreen(Screen):
    """A full screen of the tutor (the lesson list, a lesson, the review)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = DirtyOnlyCompositor()
        self._frame_timer: FrameTimer | None = None

    @property
    def _update_timer(self) -> Timer:
        """The timer the screen draws its frames on (see FrameTimer)."""
        if self._frame_timer is None:
            self._frame_timer = FrameTimer(self, UPDATE_PERIOD, name="screen_update", callback=self._on_timer_update,
                                           pause=True)
            self._frame_timer._start()
            self._timers.add(self._frame_timer)
        return self._frame_timer
