import os

# Every console in the test process writes truecolor, as the snapshot exports do. Rich and Textual
# cache a style's escape codes on the style itself, whatever colour system they were made for:
# with the apps' consoles on 16 colours (pytest has no terminal) and the exports on truecolor,
# which codes a shared style wrote depended on the order the tests ran in.
os.environ["TEXTUAL_COLOR_SYSTEM"] = "truecolor"

import html
import re
from pathlib import Path

import numpy as np
import pytest
from torch import nn

from tutor.app import TutorApp
from tutor.course.loader import bundled_folder


@pytest.fixture(autouse=True)
def tutor_home(tmp_path, monkeypatch):
    """Keep anything the tutor writes inside the test's own folder."""
    monkeypatch.setenv("CNN_TUTOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def write_conv_lesson(folder: Path, lesson_id: str, shape: list[int], layer: str) -> None:
    """A one-page lesson ``lesson_id`` in ``folder``: a conv2d lab on a random input of ``shape``,
    ``layer`` its nn.Conv2d arguments (TOML, e.g. "in_channels = 1, out_channels = 1, kernel_size = 3")."""
    (folder / f"{lesson_id}.toml").write_text(f"""id = "{lesson_id}"
title = "{lesson_id.title()}"
summary = "A lab on an input of shape {shape}."
[labs.lab]
kind = "conv2d"
input = {{ shape = {shape}, fill = "randn" }}
layer = {{ {layer} }}
seed = 0
[[pages]]
title = "{lesson_id.title()}"
lab = "lab"
show = ["input", "kernels", "output", "steps"]
""")


@pytest.fixture
def make_app():
    def make(lesson: str | None = None, folder=None) -> TutorApp:
        return TutorApp(folder or bundled_folder(), lesson)

    return make


async def settle(app, pilot) -> None:
    """Let workers (torch loading, answers) finish and the screen catch up."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def goto_page(app, pilot, page: int) -> None:
    """From a freshly opened lesson, turn to page ``page`` (0-based) with PageDown."""
    await settle(app, pilot)
    for _ in range(page):
        await pilot.press("pagedown")
    await settle(app, pilot)


async def tab_to(app, pilot, widget_id: str) -> None:
    """Press Tab until the widget with this id has the focus, as a learner would."""
    for _ in range(40):
        if app.focused is not None and app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id}")


def grid(app, grid_id: str):
    """The TensorGrid with this id on the current screen."""
    from tutor.widgets.tensor_grid import TensorGrid

    return app.screen.query_one(f"#{grid_id}", TensorGrid)


def shown(app, grid_id: str) -> np.ndarray:
    """The numbers a grid shows, as float32."""
    return np.array(grid(app, grid_id).values, dtype=np.float32)


def text(app, selector: str) -> str:
    """What a Static on the current screen says."""
    return str(app.screen.query_one(selector).render())


def torch_conv(spec) -> nn.Conv2d:
    """The nn.Conv2d a ConvSpec describes, built here, independently of the engine."""
    return nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel_size, stride=spec.stride,
                     padding=spec.padding, dilation=spec.dilation, groups=spec.groups, bias=spec.bias)


def screen_text(app) -> list[str]:
    """The screen as the terminal shows it, one string a row: rendered through Textual's own
    compositor (its line caches included), read back from its SVG screenshot."""
    return svg_text(app.export_screenshot())


def svg_text(svg: str) -> list[str]:
    """The rows of text in a Textual SVG screenshot, each piece at its column (12.2 px a cell);
    the window's title, drawn above the screen, is not a row."""
    rows: dict[float, dict[int, str]] = {}
    for x, y, body in re.findall(r'<text (?![^>]*-title")[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), {})[round(float(x) / 12.2)] = html.unescape(re.sub(r"<[^>]+>", "", body))
    lines = []
    for _, pieces in sorted(rows.items()):
        line = ""
        for column, piece in sorted(pieces.items()):
            line = line.ljust(column) + piece
        lines.append(line.replace("\xa0", " ").rstrip())
    return lines


SNAPSHOTS = Path(__file__).parent / "snapshots"


def pytest_addoption(parser):
    parser.addoption("--snapshot-update", action="store_true",
                     help="write the screens the snapshot tests see as the new expected SVGs")


@pytest.fixture
def snapshot(request):
    """Compare the app's screen, as Textual exports it (SVG), with tests/snapshots/NAME.svg.

    A mismatch reports the rows whose text differs (or that only styles differ) and writes what
    was seen to tests/snapshots/failed/NAME.svg to open beside the expected one.
    `pytest --snapshot-update` rewrites the expected files after a deliberate change."""
    update = request.config.getoption("--snapshot-update")

    def compare(app, name: str) -> None:
        seen, expected_file = app.export_screenshot(title=name), SNAPSHOTS / f"{name}.svg"
        if update:
            SNAPSHOTS.mkdir(exist_ok=True)
            expected_file.write_text(seen)
            return
        if not expected_file.exists():
            pytest.fail(f"no snapshot {expected_file.name}: run pytest --snapshot-update and look at it")
        expected = expected_file.read_text()
        if seen == expected:
            return
        failed = SNAPSHOTS / "failed" / expected_file.name
        failed.parent.mkdir(exist_ok=True)
        failed.write_text(seen)
        rows = [f"  row {y}: expected {a!r}\n          seen     {b!r}"
                for y, (a, b) in enumerate(zip(svg_text(expected), svg_text(seen))) if a != b]
        pytest.fail(f"{name}: the screen differs from {expected_file.name} (seen: {failed}):\n"
                    + ("\n".join(rows[:12]) if rows else "  same text, different styles (colours, bold)"))

    return compare
