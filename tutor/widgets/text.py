"""Untrusted text on the screen: plain ``Content``, never markup, cleaned of control codes.

Every string from a learner, a lesson, a path, a file name, the environment or the progress file
reaches the screen through ``plain`` (or the ``Plain`` widget built on it). Textual parses a bare
``str`` as markup in a ``Static``, a notification, a border title or an option: ``[/x]`` would
raise, ``[@click=...]`` would act, ``[link=...]`` would send a hyperlink. ``Content`` is shown
as it is.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tutor.text import clean


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
