"""The PyTorch code of a lab, shown as a modal; it can be saved to a file (see ``course.export``)."""

from __future__ import annotations

from pathlib import Path

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tutor.course.export import ExportError, write_new
from tutor.widgets.text import Plain


class CodeScreen(ModalScreen[None]):
    """Shows ``code``; ``w`` writes it to a new file in the current folder."""

    BINDINGS = [
        Binding("escape,q,c", "close", "Close"),
        Binding("w", "write", "Save to a file", tooltip="Write this code to a new .py file in the current folder"),
    ]

    DEFAULT_CSS = """
    CodeScreen { align: center middle; }
    CodeScreen > VerticalScroll {
        width: 100%; max-width: 110; height: 90%;
        border: thick $primary; border-title-color: $primary; background: $surface; padding: 0 1;
        overflow-x: auto;  /* a line of code is never broken: a long one scrolls, with its scrollbar */
    }
    CodeScreen #code { width: auto; }
    CodeScreen #code-status { height: auto; color: $success; }
    CodeScreen #code-status.-error { color: $error; }
    """

    def __init__(self, code: str, stem: str = "cnn_tutor_lab", folder: Path | None = None) -> None:
        super().__init__()
        # The folder is looked up when saving, not now: the current folder may vanish meanwhile.
        self.code, self.stem, self.folder = code, stem, folder

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "The lab in PyTorch  (w saves, Esc closes)"
            yield Static(Syntax(self.code, "python", word_wrap=False), id="code")
            yield Plain(id="code-status")

    def action_write(self) -> None:
        """Save to a new file; the status line shows where, or why not (a path is shown as it is,
        never read as markup)."""
        status = self.query_one("#code-status", Plain)
        try:
            path = write_new(self.folder, self.stem, self.code)
        except ExportError as error:
            status.update(f"Could not save: {error}")
            status.add_class("-error")
            return
        status.update(f"Saved to {path}")
        status.remove_class("-error")

    def action_close(self) -> None:
        self.dismiss(None)
