"""The scrolling body of a lesson page."""

from __future__ import annotations

from textual.containers import VerticalScroll


class Page(VerticalScroll):
    """A lesson page. End stays at the end while the page grows (a lab still loading, an answer's
    worked solution), until the learner scrolls up: one End always reaches the bottom."""

    def action_scroll_end(self) -> None:
        self.anchor()

    def scroll_to_top(self) -> None:
        """A new page starts at its top, not anchored to its end."""
        self.anchor(False)
        self.scroll_home(animate=False)
