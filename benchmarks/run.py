"""Outside-in performance of cnn-tutor in a real pseudo-terminal (120x40), beside a minimal
Textual app measured in the same run, so the figures read as ratios on a noisy machine.

    python benchmarks/run.py [--presses 60] [--runs 3]

Measures: process start to the first full screen (cnn-tutor and a minimal app), to the
convolution lab computed; key press to the end of the frame it causes (median and p95, for the
step key `n` and for a committed cell edit); bytes written to the terminal per key press;
resident memory after visiting every lesson; and `python -c "import torch"`.
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
import tempfile
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b[>=]|\x1b\][^\x07]*\x07")
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static
class Minimal(App):
    BINDINGS = [("n", "count", "Count")]
    presses = 0
    def compose(self):
        yield Header(); yield Static("minimal app ready", id="text"); yield Footer()
    def action_count(self):
        self.presses += 1
        self.query_one("#text", Static).update(f"minimal app ready: {self.presses}")
Minimal().run()
"""
TUTOR = [sys.executable, "-m", "tutor"]
KEYS = {"pagedown": b"\x1b[6~", "tab": b"\t", "enter": b"\r", "escape": b"\x1b", "down": b"\x1b[B", "home": b"\x1b[H"}
QUIET = 0.1  # no output for this long: the frames a key caused are over


class Terminal:
    """A program running in a 120x40 pseudo-terminal, with the time each output chunk arrived."""

    def __init__(self, argv: list[str], home: str) -> None:
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size its terminal before the program starts
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
            os.environ.update(TERM="xterm-256color", CNN_TUTOR_HOME=home, COLUMNS="120", LINES="40")
            os.execvp(argv[0], argv)
        self.screen = b""

    def read(self, timeout: float, total: float = 5.0) -> tuple[bytes, float | None]:
        """Everything written until ``timeout`` of silence (or ``total`` seconds: a blinking
        cursor is never silent for long); and when the last byte arrived."""
        out, last, deadline = b"", None, time.perf_counter() + total
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return out, last
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return out, last
            out, last = out + chunk, time.perf_counter()
            self.screen += chunk
        return out, last

    def wait_for(self, text: str, limit: float = 30.0) -> float:
        """Seconds from start until ``text`` has appeared on screen."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            _, last = self.read(0.01)
            if text in ANSI.sub(b"", self.screen).decode("utf-8", "replace"):
                return (last or time.perf_counter()) - self.start
        raise TimeoutError(f"{text!r} never appeared")

    def arrival_of(self, text: str, limit: float) -> float:
        """When the output chunk that put ``text`` on screen arrived (perf_counter): the frame
        that shows it, not the quiet after it."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                self.screen += os.read(self.fd, 1 << 16)
                arrived = time.perf_counter()
                if text in ANSI.sub(b"", self.screen).decode("utf-8", "replace"):
                    return arrived
        raise TimeoutError(f"{text!r} never appeared")

    def press(self, key: str, settle: float = QUIET) -> tuple[float, int]:
        """Send a key; (seconds to the end of the frame it caused, bytes written)."""
        self.read(QUIET)  # let anything pending finish first
        sent = time.perf_counter()
        os.write(self.fd, KEYS.get(key, key.encode()))
        out, last = self.read(settle)
        return ((last - sent) if last else float("nan")), len(out)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        return kb / 1024

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def startup(runs: int, home: str) -> dict[str, list[float]]:
    times = {"first screen": [], "lab computed": [], "minimal first screen": [], "import torch": []}
    for _ in range(runs):
        term = Terminal([*TUTOR, "--lesson", "convolution"], home)
        times["first screen"].append(term.wait_for("PgDn"))
        times["lab computed"].append(term.wait_for("channel 0"))
        term.close()
        term = Terminal([sys.executable, "-c", MINIMAL_APP], home)
        times["minimal first screen"].append(term.wait_for("minimal app ready"))
        term.close()
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times["import torch"].append(time.perf_counter() - began)
    return times


def keys(presses: int, home: str) -> dict[str, list[float]]:
    term = Terminal([*TUTOR, "--lesson", "convolution"], home)
    term.wait_for("channel 0")
    for _ in range(3):
        term.press("pagedown", settle=0.3)
    term.wait_for("-10.25")
    results = {"step ms": [], "step bytes": [], "edit ms": [], "edit bytes": []}
    for _ in range(presses):
        seconds, size = term.press("n")
        results["step ms"].append(seconds * 1000)
        results["step bytes"].append(size)
    for _ in range(4):  # to the input grid's channel 1, then to kernel (0, 0)
        term.press("tab")
    for number in range(presses):
        term.press(str(number % 9 + 1))
        seconds, size = term.press("enter")
        results["edit ms"].append(seconds * 1000)
        results["edit bytes"].append(size)
    term.close()
    return results


# Larger labs: the cost of a step or an edit must not grow with the tensors (only what is on
# screen and the one cell explained are worked on).
SIZES = {
    "notebook 1x2x4x4, k2": None,  # the bundled convolution lesson, measured by keys()
    "1x3x28x28, 8 out, k5, pad 2": ((1, 3, 28, 28), {"in_channels": 3, "out_channels": 8, "kernel_size": 5, "padding": 2}),
    "1x16x64x64, 16 out, k9": ((1, 16, 64, 64), {"in_channels": 16, "out_channels": 16, "kernel_size": 9}),
}
SIZE_LESSON = """id = "size"
title = "Size"
summary = "A lab of one size."
[labs.big]
kind = "conv2d"
input = {{ shape = {shape}, fill = "randn" }}
layer = {{ {layer} }}
seed = 0
[[pages]]
title = "Big"
lab = "big"
show = ["input", "kernels", "output", "steps"]
"""


def sized(shape, layer: dict, presses: int, home: str) -> dict[str, list[float]]:
    """Start-up to the lab computed, steps and input-cell edits of one larger lab."""
    with tempfile.TemporaryDirectory() as folder:
        arguments = ", ".join(f"{key} = {value}" for key, value in layer.items())
        with open(os.path.join(folder, "size.toml"), "w") as lesson:
            lesson.write(SIZE_LESSON.format(shape=list(shape), layer=arguments))
        term = Terminal([*TUTOR, "--lessons", folder, "--lesson", "size"], home)
        results = {"computed s": [term.wait_for("every number below", limit=120)],
                   "step ms": [], "step bytes": [], "edit ms": [], "edit bytes": []}
        for _ in range(presses):
            seconds, size = term.press("n")
            if size:  # a step whose window is off screen changes nothing on it
                results["step ms"].append(seconds * 1000)
            results["step bytes"].append(size)
        for _ in range(2 if shape[1] > 4 else 1):  # past the input channel's setting, if there is one
            term.press("tab")  # to input channel 0: an edit there changes every output channel
        for number in range(presses // 2):
            term.press(str(number % 9 + 1))
            seconds, size = term.press("enter", settle=0.3)
            results["edit ms"].append(seconds * 1000)
            results["edit bytes"].append(size)
        term.close()
        results["opened s"] = [opened(folder, home)]
    return results


def opened(folder: str, home: str) -> float:
    """Seconds from Enter on the lesson list to the lab computed, once torch is imported (the
    app imports it while the learner reads the list): the lab's own cost."""
    with tempfile.TemporaryDirectory() as fresh:  # no progress: the app starts on the list
        term = Terminal([*TUTOR, "--lessons", folder], fresh)
        term.wait_for("A lab of one size")
        time.sleep(8)  # torch imported in the background
        term.read(QUIET)
        sent = time.perf_counter()
        os.write(term.fd, KEYS["enter"])
        seconds = term.arrival_of("every number below", limit=120) - sent
        term.close()
    return seconds


BACKWARD_PAGES = ("F.unfold and nn.Conv2d", "F.unfold and nn.Conv2d", "nn.Conv2d and autograd", "F.unfold and nn.Conv2d",
                  "nn.ConvTranspose2d computes")  # each page's lab says this once it is computed


def backward_keys(presses: int, home: str) -> dict[str, list[float]]:
    """Steps (n) on each lab page of the backward lesson: its labs lay out panels of grids
    (PanelLabView); a step past the last cell starts again at the first."""
    term = Terminal([*TUTOR, "--lesson", "backward"], home)
    results = {}
    for page, ready in enumerate(BACKWARD_PAGES):
        term.wait_for(ready, limit=60)
        ms, size = [], []
        for _ in range(presses):
            seconds, written = term.press("n")
            ms.append(seconds * 1000)
            size.append(written)
        results[f"page {page + 1} ms"], results[f"page {page + 1} bytes"] = ms, size
        term.press("pagedown", settle=0.5)
    term.close()
    return results


def minimal_keys(presses: int, home: str) -> list[float]:
    """Key press to frame in the minimal app (a binding that updates one Static): the floor."""
    term = Terminal([sys.executable, "-c", MINIMAL_APP], home)
    term.wait_for("minimal app ready")
    ms = [term.press("n")[0] * 1000 for _ in range(presses)]
    term.close()
    return ms


def training(presses: int, home: str) -> dict[str, list[float]]:
    """The first-cnn lesson's training page: Space, then seconds until the status line reports a
    test accuracy of 97% or more. ← / → on the test image, each timed to the frame that shows the
    new one (the screen never goes quiet while it trains): while it trains (the first 3 s after
    Space, well before the lesson's 10 epochs end), and after, paused."""
    term = Terminal([*TUTOR, "--lesson", "first-cnn"], home)
    term.wait_for("PgDn")
    for _ in range(5):
        term.press("pagedown", settle=0.5)
    term.wait_for("epoch 0 (+0 of 45 batches)", limit=60)
    term.press("tab", settle=0.3)  # the test image setting
    term.read(QUIET)
    results = {"10 epochs s": [], "training key ms": [], "paused key ms": []}
    seen = b""

    def key(number: int) -> float:
        nonlocal seen
        code, image = (b"\x1b[C", number % 20 + 1) if number % 40 < 20 else (b"\x1b[D", 19 - number % 20)
        term.screen, sent = b"", time.perf_counter()
        os.write(term.fd, code)
        arrived = term.arrival_of(f"◀ {image}: a ", limit=5)
        seen += term.screen
        return (arrived - sent) * 1000

    began = time.perf_counter()
    os.write(term.fd, b" ")
    number = 0
    while time.perf_counter() - began < 3.0:
        results["training key ms"].append(key(number))
        number += 1
        time.sleep(0.03)
    while time.perf_counter() - began < 60 and b"as the script (c) runs them" not in ANSI.sub(b"", seen):
        term.read(0.05)
        seen += term.screen
        term.screen = b""
    results["10 epochs s"].append(time.perf_counter() - began)
    results["rss MB"] = [term.rss_mb()]
    for _ in range(presses // 2):
        results["paused key ms"].append(key(number))
        number += 1
    term.close()
    return results


def accuracy_run() -> float:
    """Seconds of training (the lab's own trainer, no screen) until 97% test accuracy."""
    code = ("import time; from tutor.course.loader import load_lesson, bundled_folder; "
            "from tutor.labs.network import NetworkSession; "
            "s = NetworkSession(load_lesson(bundled_folder() / 'first-cnn.toml').labs['digits']); t = s.trainer(); "
            "began = time.perf_counter()\n"
            "while t.progress().accuracy < 0.97 and t.epoch < 30: t.train(t.batches_per_epoch)\n"
            "print(time.perf_counter() - began, t.epoch, t.progress().accuracy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), float(out[2])


def memory(home: str) -> float:
    """RSS after opening every lesson and turning through all its pages (a new home: the lesson
    list first, not the last lesson reopened)."""
    term = Terminal(TUTOR, tempfile.mkdtemp(dir=home))
    term.wait_for("Convolution")
    for index in range(5):
        term.press("home", settle=0.2)
        for _ in range(index):
            term.press("down", settle=0.1)
        term.press("enter", settle=1.5)
        for _ in range(8):
            term.press("pagedown", settle=1.0)
        term.press("escape", settle=0.3)
    mb = term.rss_mb()
    term.close()
    return mb


def p95(values):
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def report_sizes(sizes: dict, presses: int) -> None:
    print(f"lab size ({presses // 2} steps, {presses // 4} input-cell edits each)")
    for name, case in sizes.items():
        step, edit, size = case["step ms"], case["edit ms"], case["step bytes"]
        print(f"  {name:<28} computed {case['computed s'][0]:4.1f} s (from the list {case['opened s'][0]:3.1f} s)   step median {statistics.median(step):5.1f} "
              f"p95 {p95(step):5.1f} ms   edit p95 {p95(edit):6.1f} ms   bytes/step p95 {p95(size):5.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", action="store_true", help="only the larger labs")
    parser.add_argument("--training", action="store_true", help="only the first-cnn training page")
    parser.add_argument("--backward", action="store_true", help="only the backward lesson's lab pages")
    args = parser.parse_args()
    if args.backward:
        with tempfile.TemporaryDirectory() as home:
            stepped, floor = backward_keys(args.presses, home), minimal_keys(args.presses, home)
        for page in range(1, len(BACKWARD_PAGES) + 1):
            ms, size = stepped[f"page {page} ms"], stepped[f"page {page} bytes"]
            print(f"backward page {page}: step median {statistics.median(ms):5.1f} ms   p95 {p95(ms):5.1f} ms   "
                  f"bytes median {statistics.median(size):6.0f}   p95 {p95(size):6.0f}")
        print(f"minimal app median {statistics.median(floor):5.1f} ms   p95 {p95(floor):5.1f} ms")
        return
    if args.training:
        with tempfile.TemporaryDirectory() as home:
            trained = training(args.presses, home)
        print({name: (statistics.median(v), p95(v), len(v)) for name, v in trained.items() if v}, accuracy_run())
        return
    if args.sizes:
        with tempfile.TemporaryDirectory() as home:
            report_sizes({name: sized(*case, args.presses // 2, home) for name, case in SIZES.items() if case},
                         args.presses)
        return
    with tempfile.TemporaryDirectory() as home:
        times = startup(args.runs, home)
        pressed = keys(args.presses, home)
        floor = minimal_keys(args.presses, home)
        sizes = {name: sized(*case, args.presses // 2, home) for name, case in SIZES.items() if case}
        trained = training(args.presses, home)
        reached = accuracy_run()
        rss = memory(home)

    def median_ms(values):
        return f"{statistics.median(values) * 1000:6.0f} ms"

    first, minimal = statistics.median(times["first screen"]), statistics.median(times["minimal first screen"])
    print(f"start-up (median of {args.runs} runs, 120x40 pty)")
    print(f"  cnn-tutor first full screen      {median_ms(times['first screen'])}   ({first / minimal:.1f}x minimal)")
    print(f"  minimal Textual app first screen {median_ms(times['minimal first screen'])}")
    print(f"  convolution lab computed         {median_ms(times['lab computed'])}")
    print(f"  python -c 'import torch'         {median_ms(times['import torch'])}")
    print(f"key press to end of frame ({args.presses} presses each)")
    for name in ("step", "edit"):
        ms, size = pressed[f"{name} ms"], pressed[f"{name} bytes"]
        print(f"  {name:<5} median {statistics.median(ms):5.1f} ms   p95 {p95(ms):5.1f} ms   "
              f"bytes median {statistics.median(size):6.0f}   p95 {p95(size):6.0f}")
    print(f"  minimal app median {statistics.median(floor):5.1f} ms   p95 {p95(floor):5.1f} ms")
    report_sizes(sizes, args.presses)
    seconds, epochs, accuracy = reached
    print(f"first-cnn: the trainer reaches {accuracy:.1%} test accuracy after {epochs} epochs, {seconds:.1f} s of "
          f"training; the lab trains the script's 10 epochs in {trained['10 epochs s'][0]:.1f} s (frames included)")
    for name in ("training", "paused"):
        ms = trained[f"{name} key ms"]
        print(f"  a key on the training page, {name:<8} median {statistics.median(ms):5.1f} ms   p95 {p95(ms):5.1f} ms"
              f"   ({len(ms)} keys)")
    print(f"  resident memory after training: {trained['rss MB'][0]:.0f} MB")
    print(f"resident memory after visiting every lesson: {rss:.0f} MB")


if __name__ == "__main__":
    main()
