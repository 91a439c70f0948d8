"""The scrolling body of a lesson page."""

from __future__ import annotations

from textual.containers import VerticalScroll


class Page(VerticalScroll):
    """A lesson page. End stays at the end while the page grows (a lab still loading, an answer's
    worked solution), until the learner scrolls up: one End always reaches the bottom."""

    def action_scroll_end(self) -> None:
        self.anchor()

    def on_resize(self) -> None:
        """Textual keeps an anchored page's end at the window's bottom even once the whole page
        fits, which leaves blank rows above it (after End, then a larger terminal): a page that
        fits is not anchored."""
        if self.is_anchored and self.virtual_size.height <= self.scrollable_content_region.height:
            self.anchor(False)
            self.scroll_to(y=0, animate=False, immediate=True)

    def scroll_to_top(self) -> None:
        """A new page starts at its top, not anchored to its end."""
        self.anchor(False)
        self.scroll_home(animate=False)
