import pytest

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
