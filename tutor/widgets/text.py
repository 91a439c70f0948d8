"""Untrusted text on the screen: plain ``Content``, never markup, cleaned of control codes.

Every string from a learner, a lesson, a path, a file name, the environment or the progress file
reaches the screen through ``plain`` (or the ``Plain`` widget built on it). Textual parses a bare
``str`` as markup in a ``Static``, a notification, a border title or an option: ``[/x]`` would
raise, ``[@click=...]`` would act, ``[link=...]`` would send a hyperlink. ``Content`` is shown
as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from os.path import commonprefix

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tutor.text import clean
from tutor.widgets.sight import out_of_sight


def plain(text: object, style: str = "", multiline: bool = True) -> Content:
    """``text`` as plain content: cleaned (see ``tutor.text.clean``), optionally styled."""
    content = Content(clean(text, multiline=multiline))
    return content.stylize(style) if style else content


class Plain(Static):
    """A ``Static`` whose text is always plain: ``update`` takes a string, never markup."""

    def __init__(self, text: object = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(plain(text), markup=False, id=id, classes=classes)

    def update(self, text: object = "", *, layout: bool = True) -> None:
        super().update(text if isinstance(text, Content) else plain(text), layout=layout)


def changed_spans(old: list[str], new: list[str]) -> list[Region]:
    """For each line that differs, the cells from its first change to its last (to the end of
    the longer line, when the two lines' lengths differ: the rest has moved)."""
    spans = []
    for y, (before, after) in enumerate(zip(old, new)):
        if before == after:
            continue
        same = len(commonprefix((before, after)))
        start, end = cell_len(after[:same]), max(cell_len(before), cell_len(after))
        if cell_len(before) == cell_len(after):  # a common ending stays where it is
            tail = len(commonprefix((before[same:][::-1], after[same:][::-1])))
            end -= cell_len(after[len(after) - tail:])
        spans.append(Region(start, y, end - start, 1))
    return spans


class Lines(Widget):
    """Plain text already broken into lines that fit (the lab's arithmetic, which the lab breaks
    between terms): each line drawn as it is. A ``Static`` parses, lays out and wraps its text
    on every update, a millisecond and a half of a 10 ms step. Cleaned like ``plain``."""

    DEFAULT_CSS = "Lines { height: auto; }"

    def __init__(self, text: object = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines = self._split(text)
        self._making: Callable[[], object] | None = None  # text to make once it is drawn or read
        self._style: Style | None = None  # the text's style, until the CSS or the theme changes

    @staticmethod
    def _split(text: object) -> list[str]:
        return [line.expandtabs() for line in clean(text, multiline=True).split("\n")]

    @property
    def text(self) -> str:
        self._catch_up()
        return "\n".join(self._lines)

    def update(self, text: object = "", *, layout: bool = True) -> None:
        """New text. Without a layout, only the changed part of each line is repainted: a step's
        sum keeps its words and most of its layout, and over SSH every cell written counts."""
        self._making = None
        lines = self._split(text)
        if lines == self._lines:
            return
        old, self._lines = self._lines, lines
        if layout or len(lines) != len(old):
            self.refresh(layout=True)
        else:
            self.refresh(*changed_spans(old, lines))

    def update_when_seen(self, make: Callable[[], object]) -> None:
        """New text from ``make``: made now if the last frame showed the box, else when the box
        is next drawn or read. A lab's arithmetic below the fold then costs a step nothing
        (breaking a 28x28 lab's sums into lines and writing them: ~1.5 ms a step)."""
        if out_of_sight(self) is False:
            self.update(make(), layout=False)
        else:
            self._making = make
            self._styles_cache.set_dirty(self.size.region)

    def _catch_up(self) -> None:
        """Make the text an update left for later: the box is being drawn or read."""
        make, self._making = self._making, None
        if make is not None:
            rows, self._lines = len(self._lines), self._split(make())
            if len(self._lines) != rows:
                self.refresh(layout=True)

    def render(self) -> Content:
        """The text, for a reader of the widget (its lines are drawn by ``render_line``)."""
        return Content(self.text)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        self._catch_up()
        return max(map(cell_len, self._lines))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._catch_up()
        return len(self._lines)

    def notify_style_update(self) -> None:
        self._style = None
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        self._catch_up()
        if self._style is None:
            self._style = self.rich_style
        text = self._lines[y] if y < len(self._lines) else ""
        return Strip([Segment(text, self._style)], cell_len(text))
