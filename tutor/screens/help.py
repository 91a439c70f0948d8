"""Help: every key of the screen it was opened over, and what the focused widget accepts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown


def keys_markdown(screen, title: str) -> str:
    """A Markdown table of the screen's active bindings, then its focused widgets' help."""
    rows = []
    seen = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.tooltip or binding.description
        if not description or (binding.action, description) in seen:
            continue
        seen.add((binding.action, description))
        display = screen.app.get_key_display(binding)
        rows.append(f"| {display} | {description}{'' if active.enabled else ' (not available here)'} |")
    lines = [f"## Keys: {title}", "", "| key | does |", "|---|---|", *rows]
    node = screen.focused
    while node is not None and node is not screen:
        if getattr(node, "HELP", None):
            lines += ["", node.HELP.strip()]
        node = node.parent
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of Esc, ? or q closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q,f1", "dismiss", "Close help"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self.text + "\n\nPress **Esc** to close.")

    def action_dismiss(self) -> None:
        self.dismiss(None)
