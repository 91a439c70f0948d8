"""The one door for untrusted text: whatever a learner types or pastes, a lesson file says, a path,
a file name, the environment or the progress file holds, is cleaned here before it reaches a
terminal. Nothing here imports Textual: the command line uses it too (see ``widgets/text.py``
for the screen's side: plain ``Content``, never markup).

Cleaning keeps the text readable and makes it inert: every control character (C0, C1, DEL) and
every invisible direction or formatting mark that could reorder or hide what is shown is
replaced by its escape, e.g. ESC becomes ``\\x1b`` and RIGHT-TO-LEFT OVERRIDE ``\\u202e``.
Newlines and tabs survive where a text may span lines (``multiline=True``).
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings, overrides and isolates, marks, and the other zero-width formatting characters
# that make the screen show something other than the text.
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_INLINE_OK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")


def escape(char: str) -> str:
    """``\\x1b``, ``\\u202e``: a character written as Python would escape it."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def unsafe(text: str, multiline: bool = False) -> str | None:
    """The first character of ``text`` that may not reach a terminal as it is, or None."""
    match = (_UNSAFE_INLINE_OK if multiline else _UNSAFE).search(text)
    return match.group() if match else None


def clean(text: object, multiline: bool = False) -> str:
    """``text`` made safe for a terminal: control and invisible formatting characters escaped.
    Unassigned and private-use code points are escaped too: a terminal may draw them as anything."""
    text = str(text)
    pattern = _UNSAFE_INLINE_OK if multiline else _UNSAFE
    text = pattern.sub(lambda match: escape(match.group()), text)
    if text.isascii() or text.replace("\n", "").replace("\t", "").isprintable():
        return text  # nothing unassigned or private in it: the fast way out for long texts
    return "".join(escape(ch) if unicodedata.category(ch) in ("Cn", "Co", "Cs") else ch for ch in text)


def quoted(text: object, limit: int = 40) -> str:
    """``text`` cleaned, cut to ``limit`` characters, in quotes: a name inside a message."""
    safe = clean(text)
    return f"'{safe if len(safe) <= limit else safe[:limit] + '…'}'"
