"""A smoke test in a real pseudo-terminal: start cnn-tutor, open a lesson, quit with q, and
check the exit status and that the terminal was given back (the alternate screen left)."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

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


def spawn(tmp_path, code: str = "from tutor.cli import main; sys.exit(main())", **env) -> tuple[int, int]:
    """``code`` run by Python in a new 120x40 pseudo-terminal; (pid, the terminal's fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.environ.update(TERM="xterm-256color", CNN_TUTOR_HOME=str(tmp_path), **env)
        os.execv(sys.executable, [sys.executable, "-c", "import sys; " + code])
    return pid, fd


def drain(fd: int, seen: bytearray) -> None:
    """Read what the terminal has for us now."""
    while select.select([fd], [], [], 0.05)[0]:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # the other side has closed
            return
        if not chunk:
            return
        seen += chunk


def finish(pid: int, fd: int, seen: bytearray) -> int:
    """Wait for the app to end, reading all it writes; its exit status (or -signal)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        drain(fd, seen)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            drain(fd, seen)
            os.close(fd)
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    os.kill(pid, 9)
    raise AssertionError("the app did not end")


def assert_terminal_restored(seen: bytearray) -> None:
    tail = bytes(seen)[-3000:]
    assert b"\x1b[?1049l" in tail  # the alternate screen left
    assert b"\x1b[?1000l" in tail  # mouse reporting off


def test_start_open_a_lesson_and_quit_in_a_real_terminal(tmp_path):
    pid, fd = spawn(tmp_path, "import runpy; runpy.run_module('tutor', run_name='__main__')")
    seen = bytearray()
    read_until(fd, seen, "Breaking the symmetry")  # the lesson list
    assert b"\x1b[?1049h" in seen  # the alternate screen was entered
    os.write(fd, b"\r")  # open the first lesson
    read_until(fd, seen, "A tensor has four axes")
    read_until(fd, seen, "channel 0")  # its lab was computed by torch
    os.write(fd, b"q")
    assert finish(pid, fd, seen) == 0
    assert_terminal_restored(seen)  # the learner's terminal is back


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_saves_progress_and_gives_the_terminal_back(tmp_path, signum):
    pid, fd = spawn(tmp_path)
    seen = bytearray()
    read_until(fd, seen, "Breaking the symmetry")
    os.write(fd, b"\r")
    read_until(fd, seen, "A tensor has four axes")
    os.kill(pid, signum)
    assert finish(pid, fd, seen) == 128 + signum
    assert_terminal_restored(seen)
    assert '"lesson": "convolution"' in (tmp_path / "progress.json").read_text()


def test_the_real_terminal_size_wins_over_columns_and_lines(tmp_path):
    pid, fd = spawn(tmp_path, COLUMNS="200", LINES="60")
    seen = bytearray()
    read_until(fd, seen, "Breaking the symmetry")
    os.write(fd, b"q")
    assert finish(pid, fd, seen) == 0
    rows = [int(row) for row in re.findall(rb"\x1b\[(\d+);\d+H", bytes(seen))]
    assert rows and max(rows) <= 40  # drawn for the 40 rows the terminal has, not the 60 claimed


def test_an_unexpected_error_exits_non_zero_with_a_log_and_the_terminal_restored(tmp_path):
    boom = ("import tutor.screens.home as home; "
            "home.HomeScreen.on_mount = lambda self: 1 / 0; "
            "from tutor.cli import main; sys.exit(main())")
    pid, fd = spawn(tmp_path, boom)
    seen = bytearray()
    assert finish(pid, fd, seen) == 1
    assert_terminal_restored(seen)
    logs = list(tmp_path.glob("crash-*.log"))
    assert len(logs) == 1 and "ZeroDivisionError" in logs[0].read_text()
    said = ANSI.sub(b"", bytes(seen)).decode("utf-8", "replace")
    assert f"the details are in {logs[0]}" in said.replace("\r\n", "").replace("\n", "")
    assert "Traceback" not in said


def test_without_a_terminal_it_says_so_and_exits_at_once(tmp_path):
    """`ssh host cnn-tutor` without -t, or `cnn-tutor < /dev/null`: one line, status 2, no escapes."""
    run = subprocess.run([sys.executable, "-m", "tutor"], stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=30, env={**os.environ, "CNN_TUTOR_HOME": str(tmp_path)})
    assert run.returncode == 2 and run.stdout == b""
    assert run.stderr.decode().count("\n") == 1 and "interactive terminal" in run.stderr.decode()
    assert b"\x1b" not in run.stderr


def test_a_setting_and_a_reset_in_one_burst_do_not_crash(tmp_path):
    """Found by a learner in a real terminal: → and r sent together rebuilt the playground twice
    at once (duplicate ids, a crash). Keys arrive here the way a terminal delivers them."""
    pid, fd = spawn(tmp_path, "from tutor.cli import main; sys.exit(main(['--lesson', 'arithmetic']))")
    seen = bytearray()
    read_until(fd, seen, "every number below")
    os.write(fd, b"\t")
    for _ in range(6):
        os.write(fd, b"\x1b[Cr")  # Right, r
        time.sleep(0.3)
        os.write(fd, b"\t\x1b[Cr\x1b[Crn")
        time.sleep(0.3)
    time.sleep(2)
    os.write(fd, b"q")
    assert finish(pid, fd, seen) == 0
    assert not list(tmp_path.glob("crash-*.log"))
