"""Every lesson and page in Textual's command palette (Ctrl+P)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class LessonPages(Provider):
    """``Convolution › 4. Under the hood, live`` opens that page."""

    def _entries(self):
        app = self.app
        for lesson in app.lessons:
            yield f"{lesson.title}", partial(app.open_lesson, lesson.id), lesson.summary
            for number, page in enumerate(lesson.pages, start=1):
                yield f"{lesson.title} › {number}. {page.title}", partial(app.open_lesson, lesson.id, number - 1), \
                    f"Open page {number} of the {lesson.title} lesson"

    async def discover(self) -> Hits:
        for text, command, help_text in self._entries():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._entries():
            if (score := matcher.match(text)) > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
