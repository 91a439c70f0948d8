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
    import html
    import re

    rows: dict[float, list[str]] = {}
    for y, body in re.findall(r'<text [^>]*?y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(y), []).append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    return ["".join(parts).replace("\xa0", " ") for _, parts in sorted(rows.items())]
