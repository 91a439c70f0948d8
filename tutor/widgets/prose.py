"""Lesson prose: Markdown that costs the first paint as little as it can.

Textual guesses the language of a code block that names none, and guessing loads every Pygments
lexer (about 150 ms); even a named language costs about 50 ms the first time (Pygments compiles
the lexer's patterns). Here a block without a language is plain text, and the first block with one
(```python) is coloured a moment after the first screen has painted; later ones at once."""

from __future__ import annotations

from markdown_it import MarkdownIt
from textual import events
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

COLOUR_AFTER = 0.3  # seconds: after the first full screen (about 0.4 s from start) is on the terminal


class CodeBlock(MarkdownFence):
    lexer_ready = False  # becomes True once Pygments has compiled a lexer in this process

    def __init__(self, markdown: Markdown, token, code: str) -> None:
        token.info = token.info or "text"
        super().__init__(markdown, token, code)

    def highlight(self, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        if language == "text" or not CodeBlock.lexer_ready:
            return Content(code)
        return MarkdownFence.highlight(code, language, ansi, dark)

    def on_mount(self) -> None:
        if self.lexer != "text" and not CodeBlock.lexer_ready:
            self.set_timer(COLOUR_AFTER, self._colour)

    def _colour(self) -> None:
        CodeBlock.lexer_ready = True
        self.notify_style_update()  # Textual's own path for re-highlighting (as on a theme change)


def commonmark() -> MarkdownIt:
    """CommonMark with tables: Textual's default adds linkify, whose patterns take ~25 ms to
    build on the first page, for bare URLs that lessons do not use."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


class Prose(Markdown):
    # A code line longer than the page wraps: a fence's own scrolling has no scrollbar, and would
    # cut a line mid-sentence at 80 columns.
    DEFAULT_CSS = """
    Prose MarkdownFence { overflow-x: hidden; }
    Prose MarkdownFence > Label { width: 1fr; text-wrap: wrap; }
    """

    BLOCKS = {**Markdown.BLOCKS, "fence": CodeBlock, "code_block": CodeBlock}

    def __init__(self, markdown: str = "", *, id: str | None = None) -> None:
        # Links are shown, never followed: a lesson may not open a browser or a file.
        super().__init__(None, id=id, parser_factory=commonmark, open_links=False)
        self._markdown = markdown

    def compose(self) -> ComposeResult:
        # The blocks are mounted with the page, in one layout pass and one frame; Markdown itself
        # parses in an executor and mounts them afterwards, which costs the first page two more.
        return self._build_from_source(self._markdown)

    async def _on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # Markdown's own mount would replace the blocks just composed
