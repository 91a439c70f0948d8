"""A smoke test in a real pseudo-terminal: start cnn-tutor, open a lesson, quit with q, and
check the exit status and that the terminal was given back (the alternate screen left)."""

import os
import pty
import re
import select
import struct
import sys
import time

import fcntl
import termios

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b[>=]|\x1b\][^\x07]*\x07")


def read_until(fd: int, seen: bytearray, text: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                seen += os.read(fd, 1 << 16)
            except OSError:
                break
        if text in ANSI.sub(b"", bytes(seen)).decode("utf-8", "replace"):
            return
    shown = ANSI.sub(b"", bytes(seen)).decode("utf-8", "replace")[-1500:]
    raise AssertionError(f"{text!r} never appeared on the terminal; its last output:\n{shown}")


def test_start_open_a_lesson_and_quit_in_a_real_terminal(tmp_path):
    pid, fd = pty.fork()
    if pid == 0:  # the child: size its terminal before the app starts, then become the app
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.environ.update(TERM="xterm-256color", CNN_TUTOR_HOME=str(tmp_path), COLUMNS="120", LINES="40")
        os.execv(sys.executable, [sys.executable, "-m", "tutor"])
    seen = bytearray()
    try:
        read_until(fd, seen, "Breaking the symmetry")  # the lesson list
        assert b"\x1b[?1049h" in seen  # the alternate screen was entered
        os.write(fd, b"\r")  # open the first lesson
        read_until(fd, seen, "A tensor has four axes")
        read_until(fd, seen, "channel 0")  # its lab was computed by torch
        os.write(fd, b"q")
        _, status = os.waitpid(pid, 0)
        read_until(fd, seen, "", limit=1)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    tail = bytes(seen)[-2000:]
    assert b"\x1b[?1049l" in tail  # and left again: the learner's terminal is back
