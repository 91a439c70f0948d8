"""Writing a lab's code to a new ``.py`` file, outside Textual so that it can be tested alone.

The file is always new: it is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, so nothing already
there is replaced or written through, not even a dangling symlink (which would create its target
wherever it points). A name that is taken, by anything, is skipped for the next number.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

MAX_NUMBER = 999  # stem.py … stem-999.py; a folder with all of them taken is not worth searching on
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class ExportError(Exception):
    """Why the code could not be saved, in words for the learner (paths are not cleaned)."""


def write_new(folder: Path | None, stem: str, text: str) -> Path:
    """Write ``text`` to a new ``stem.py`` in ``folder`` (the current folder if None), or to
    ``stem-2.py``, ``stem-3.py``… if a name is taken. The path written; ``ExportError`` if none."""
    if not stem or Path(stem).name != stem or stem.startswith("."):
        raise ValueError(f"not a file name: {stem!r}")
    if folder is None:
        try:
            folder = Path.cwd()
        except FileNotFoundError:
            raise ExportError("the current folder no longer exists") from None
    data = text.encode("utf-8")
    for number in range(1, MAX_NUMBER + 1):
        path = Path(folder) / (f"{stem}.py" if number == 1 else f"{stem}-{number}.py")
        try:
            handle = os.open(path, _FLAGS, 0o644)
        except FileExistsError:
            continue
        except OSError as error:
            raise ExportError(_reason(error, Path(folder))) from None
        try:
            _write_all(handle, data)
        except OSError as error:
            with contextlib.suppress(OSError):  # cleaning up must not hide why the write failed
                os.unlink(path)  # ours, just created: no half-written file stays behind
            raise ExportError(_reason(error, Path(folder))) from None
        return path
    raise ExportError(f"{folder} already has {stem}.py to {stem}-{MAX_NUMBER}.py")


def _write_all(handle: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


def _reason(error: OSError, folder: Path) -> str:
    if isinstance(error, FileNotFoundError):
        return f"the folder {folder} no longer exists"
    if isinstance(error, NotADirectoryError):
        return f"{folder} is not a folder"
    if error.errno == errno.EROFS:
        return f"the folder {folder} is on a read-only disk"
    if isinstance(error, PermissionError):
        return f"you may not write in the folder {folder}"
    return f"could not write in {folder}: {error.strerror or error}"
