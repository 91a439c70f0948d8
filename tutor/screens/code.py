"""The PyTorch code of a lab, shown as a modal; it can be saved to a file."""

from __future__ import annotations

from pathlib import Path

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def free_path(folder: Path, stem: str) -> Path:
    """``stem.py`` in ``folder``, or ``stem-2.py``, ``stem-3.py``… if it is taken."""
    path, number = folder / f"{stem}.py", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}.py"
    return path


class CodeScreen(ModalScreen[None]):
    """Shows ``code``; ``w`` writes it to a new file in the current folder."""

    BINDINGS = [
        Binding("escape,q,c", "close", "Close"),
        Binding("w", "write", "Save to a file", tooltip="Write this code to a new .py file in the current folder"),
    ]

    DEFAULT_CSS = """
    CodeScreen { align: center middle; }
    CodeScreen > VerticalScroll {
        width: 90%; max-width: 110; height: 80%;
        border: thick $primary; border-title-color: $primary; background: $surface; padding: 0 1;
    }
    CodeScreen #code-status { height: auto; color: $success; }
    CodeScreen #code-status.-error { color: $error; }
    """

    def __init__(self, code: str, stem: str = "cnn_tutor_lab", folder: Path | None = None) -> None:
        super().__init__()
        self.code, self.stem, self.folder = code, stem, folder or Path.cwd()

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "The lab in PyTorch  (w saves, Esc closes)"
            yield Static(Syntax(self.code, "python", word_wrap=True), id="code")
            yield Static(id="code-status")

    def action_write(self) -> None:
        status = self.query_one("#code-status", Static)
        path = free_path(self.folder, self.stem)
        try:
            path.write_text(self.code, encoding="utf-8")
        except OSError as error:
            status.update(f"Could not save: {error.strerror or error}")
            status.add_class("-error")
            return
        status.update(f"Saved to {path}")
        status.remove_class("-error")

    def action_close(self) -> None:
        self.dismiss(None)
