"""Whether the screen's last frame showed a widget: work for a part below the fold can wait
until the part is drawn."""

from __future__ import annotations

from textual.dom import NoScreen
from textual.widget import Widget


def out_of_sight(widget: Widget) -> bool | None:
    """True when the last frame left ``widget`` out (below the fold, or scrolled past); None
    when it has no screen (on its way out). One lookup in the screen's map of what its last
    frame showed: ``can_view_partial`` asks the same map, then walks up every scrolling
    ancestor (~0.1 ms a widget). A stale map only moves a repaint to the frame that scrolls the
    widget into view."""
    try:
        return widget.is_mounted and widget not in widget.screen._compositor.visible_widgets
    except NoScreen:
        return None
