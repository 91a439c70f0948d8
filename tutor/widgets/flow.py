"""A row of widgets that wraps onto more lines when the terminal is too narrow for it."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def columns_that_fit(widths: list[int], space: int, gap: int) -> int:
    """The most columns into which ``widths`` (in order, row after row) fit ``space``: each
    column as wide as its widest item, ``gap`` between columns."""
    for columns in range(len(widths), 1, -1):
        column_widths = [max(widths[start::columns]) for start in range(columns)]
        if sum(column_widths) + gap * (columns - 1) <= space:
            return columns
    return 1


class Flow(Widget):
    """Children side by side while they fit, wrapped onto the next line when not: a grid whose
    column count follows the width, so that nothing is ever cut at the right edge."""

    DEFAULT_CSS = """
    Flow { layout: grid; grid-size: 1; grid-columns: auto; grid-rows: auto; height: auto; width: 100%; }
    """

    def on_resize(self) -> None:
        self.reflow()

    def on_mount(self) -> None:
        self.call_after_refresh(self.reflow)

    def reflow(self) -> None:
        """Work out the columns again (after a resize, or when a child's width changed)."""
        children = [child for child in self.children if child.display]
        if not children or not self.size.width:
            return
        viewport, space = self.app.size, Size(self.size.width, self.size.height)
        for child in children:  # a group of grids is measured by arranging them: a grid in it that
            if child.is_container:  # just grew would be measured as it was (Textual forgets that
                child._clear_arrangement_cache()  # arrangement only when the grid next idles)
        widths = [child.get_content_width(space, viewport) + child.styles.gutter.width for child in children]
        columns = columns_that_fit(widths, self.size.width, self.styles.grid_gutter_vertical)  # between columns
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns
