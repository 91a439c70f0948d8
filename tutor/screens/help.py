"""Help: every key of the screen it was opened over, and what the focused widgets accept."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tutor.text import clean
from tutor.widgets.prose import Prose
from tutor.widgets.text import plain

# Framework keys a learner of this app does not need in the list: the tutor's own say the same.
HIDDEN_ACTIONS = {"scroll_left", "scroll_right", "page_left", "page_right", "screen.copy_text", "app.copy_text"}


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, what they do) for the active bindings of ``screen``: one row per action, the
    tutor's own first, then the framework's a learner may use (moving the focus, scrolling)."""
    actions: dict[str, list[tuple[bool, str, str, bool]]] = {}
    describe = getattr(screen, "describe_binding", lambda binding: None)  # a key's meaning here, if it varies
    for active in screen.active_bindings.values():
        binding = active.binding
        description = describe(binding) or binding.tooltip or binding.description
        if description and binding.action not in HIDDEN_ACTIONS:
            actions.setdefault(binding.action.removeprefix("app."), []).append(
                (_tutors(active.node, binding), screen.app.get_key_display(binding), description, active.enabled))
    rows = []
    for bindings in actions.values():
        bindings.sort(key=lambda b: not b[0])  # the tutor's key and words first
        ours, _, description, enabled = bindings[0]
        keys = " / ".join(dict.fromkeys(key for _, key, _, _ in bindings))
        rows.append((not ours, keys, description + ("" if enabled else " (not available yet)")))
    return [(keys, description) for _, keys, description in sorted(rows, key=lambda row: row[0])]


def _tutors(node, binding: Binding) -> bool:
    """Whether the binding is the tutor's own: declared by a class of this package."""
    for cls in type(node).__mro__:
        for declared in cls.__dict__.get("BINDINGS", []):
            key, action = (declared.key, declared.action) if isinstance(declared, Binding) else declared[:2]
            if action == binding.action and binding.key in key.split(","):
                return cls.__module__.startswith("tutor.")
    return False


def focused_help(screen: Screen) -> str:
    """The HELP text of the focused widget and of each widget that contains it."""
    parts, node = [], screen.focused
    while node is not None and node is not screen:
        if help_text := getattr(node, "HELP", None):
            parts.append(help_text.strip())
        node = node.parent
    return "\n\n".join(parts)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; Esc, ?, F1 or q closes it."""

    BINDINGS = [Binding("escape,question_mark,q,f1", "close", "Close help")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: thick $primary;
        border-title-color: $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-keys { height: auto; }
    """

    def __init__(self, title: str, rows: list[tuple[str, str]], details: str) -> None:
        super().__init__()
        self.title_text, self.rows, self.details = title, rows, details

    def compose(self) -> ComposeResult:
        table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for key, description in self.rows:
            table.add_row(Text(clean(key)), Text(clean(description)))
        with VerticalScroll() as scroll:
            scroll.border_title = plain(f"Keys: {self.title_text}  (Esc closes)", multiline=False)
            yield Static(table, id="help-keys")
            if self.details:
                yield Prose(self.details)

    def action_close(self) -> None:
        self.dismiss(None)
