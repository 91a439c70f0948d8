"""Outside-in start-up timing in a real pseudo-terminal (120x40).

    python benchmarks/startup.py [--runs 5]

Measures, from process start: the first full screen of `cnn-tutor --lesson convolution`, the
moment its lab has been computed by torch, a minimal Textual app's first screen (Header,
Static, Footer) for scale, and `python -c "import torch"`. Prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b[>=]|\x1b\][^\x07]*\x07")
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static
class Minimal(App):
    def compose(self):
        yield Header(); yield Static("minimal app ready"); yield Footer()
Minimal().run()
"""


def time_to_texts(argv: list[str], texts: list[str], timeout: float = 30.0) -> list[float]:
    """Seconds from spawning ``argv`` in a 120x40 pty until each text has appeared on screen."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    start, seen, found = time.perf_counter(), b"", {}
    try:
        while len(found) < len(texts) and time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                plain = ANSI.sub(b"", seen).decode("utf-8", "replace")
                for text in texts:
                    if text not in found and text in plain:
                        found[text] = time.perf_counter() - start
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return [found.get(text, float("nan")) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    tutor = [sys.executable, "-m", "tutor", "--lesson", "convolution"]
    first, lab, minimal, torch_import = [], [], [], []
    for _ in range(runs):
        a, b = time_to_texts(tutor, ["PgDn", "channel 0"])
        first.append(a)
        lab.append(b)
        minimal.append(time_to_texts([sys.executable, "-c", MINIMAL_APP], ["minimal app ready"])[0])
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        torch_import.append(time.perf_counter() - t)
    ms = lambda xs: f"{statistics.median(xs) * 1000:7.0f} ms"  # noqa: E731
    print(f"runs: {runs} (medians)")
    print(f"cnn-tutor first full screen      {ms(first)}")
    print(f"cnn-tutor convolution lab ready  {ms(lab)}")
    print(f"minimal Textual app first screen {ms(minimal)}")
    print(f"python -c 'import torch'         {ms(torch_import)}")


if __name__ == "__main__":
    main()
