"""Rows of a bordered widget drawn without a pass through every style.

Textual draws each row of a widget through its styles: the border, padding, outline, tint and
opacity are worked out again for every row, about a tenth of a millisecond each. A step of a lab
redraws 10 to 40 rows of grids. A grid's rows are cells between the border's two sides, so once
Textual has drawn one row, the sides are known, and the next rows are the cells between them.
Textual still draws the border's own rows (with their titles), keeps the rows it drew, and
filters and crops them: only the drawing of a content row is replaced.

Textual also passes every new row through the app's ANSI colour filter, which makes each of the
row's styles again (a dim style becomes a blended colour). A grid keeps the cells it drew, so
that filter runs here once a cell (``cell``), and on the border's rows: not on every row a frame.
"""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.segment import Segment
from textual._styles_cache import StylesCache
from textual.filter import ANSIToTruecolor
from textual.strip import Strip


class RowsBetweenSides(StylesCache):
    """A ``StylesCache`` that draws a content row as the widget's line between the border's
    sides, as Textual drew them on the first row; any style that would change a row otherwise
    (padding, tint, opacity, an outline, a missing side) sends every row through Textual."""

    _sides: tuple[Segment, Segment] | None = None
    _ansi: ANSIToTruecolor | None = None  # the app's ANSI colour filter, when it is on
    _background: RichColor | None = None

    def forget_sides(self) -> None:
        """After a change of style (focus changes the border's colour)."""
        self._sides = None

    @property
    def cell_paint(self) -> tuple:
        """What ``cell`` does to a segment: a grid's kept cells are drawn again when it changes."""
        return self._ansi, self._background

    def cell(self, segment: Segment) -> Segment:
        """``segment`` as the ANSI filter leaves it (the same, when the filter is off)."""
        if self._ansi is None or segment.style is None:
            return segment
        return Segment(segment.text, self._ansi.truecolor_style(segment.style, self._background))

    def render(self, styles, size, base_background, background, render_content_line, filters, *args, **kwargs):
        """Textual's render, with the ANSI filter taken out of the filters: ``cell`` applies it."""
        ansi = next((f for f in filters if isinstance(f, ANSIToTruecolor)), None)
        self._ansi, self._background = ansi, background.rich_color if ansi else None
        rest = [f for f in filters if f is not ansi]
        return super().render(styles, size, base_background, background, render_content_line, rest, *args, **kwargs)

    def render_line(self, styles, y, size, content_size, padding, base_background, background,
                    render_content_line, border_title, border_subtitle, opacity, ansi_theme, native_ansi) -> Strip:
        width, height = size
        content = 0 < y < height - 1
        if self._sides is None or not content:
            strip = super().render_line(styles, y, size, content_size, padding, base_background, background,
                                        render_content_line, border_title, border_subtitle, opacity, ansi_theme,
                                        native_ansi)
            if self._ansi is not None:  # the border (the cells, already filtered, stay as they are)
                strip = strip.apply_filter(self._ansi, background)
            if content and self._plain(styles, padding, opacity):
                segments = list(strip)
                self._sides = (segments[0], segments[-1])
            return strip
        left, right = self._sides
        cells = render_content_line(y - 1).adjust_cell_length(content_size.width)
        return Strip([left, *cells, right], width)

    @staticmethod
    def _plain(styles, padding, opacity: float) -> bool:
        """Whether a content row is exactly: left side, the line, right side."""
        sides = styles.border_left[0] and styles.border_right[0] and styles.border_top[0] and styles.border_bottom[0]
        return bool(sides) and not any(padding) and not styles.tint.a and opacity == 1.0 and (
            styles.text_opacity == 1.0 and not any(edge for edge, _ in styles.outline)
            and not (styles.has_rule("hatch") and styles.hatch != "none"))
