"""Every lesson and page in Textual's command palette (Ctrl+P)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from tutor.text import clean
from tutor.widgets.text import plain


class LessonPages(Provider):
    """``Convolution › 4. Under the hood, live`` opens that page."""

    def _entries(self):
        app = self.app
        for lesson in app.lessons:
            yield f"{lesson.title}", partial(app.open_lesson, lesson.id, None), lesson.summary
            for number, page in enumerate(lesson.pages, start=1):
                yield f"{lesson.title} › {number}. {page.title}", partial(app.open_lesson, lesson.id, number - 1), \
                    f"Open page {number} of the {lesson.title} lesson"

    async def discover(self) -> Hits:
        for text, command, help_text in self._entries():
            yield DiscoveryHit(plain(text), command, text=text, help=plain(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._entries():
            if (score := matcher.match(text)) > 0:
                yield Hit(score, highlight(matcher, text), command, text=text, help=plain(help_text))


def highlight(matcher: Matcher, text: str) -> Content:
    """The matched letters of ``text`` highlighted; ``Matcher.highlight`` would parse the lesson's
    title as markup."""
    safe = clean(text)
    content = Content(safe)
    _, offsets = matcher.fuzzy_search.match(matcher.query, safe)
    for offset in offsets:
        if not safe[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
