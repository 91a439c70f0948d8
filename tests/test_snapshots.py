"""Snapshots of the screens a learner meets first: the first lab page of every lesson at 120x40
and at 80x24, the lesson list and the help screen. The expected SVGs are in tests/snapshots/
(open one in a browser to see the screen); `pytest --snapshot-update` rewrites them after a
deliberate change. The exported screen has no blinking cursor: it is the screen as composed."""

import pytest
from conftest import goto_page, settle

from tutor.course.loader import bundled_folder, load_folder
from tutor.widgets.prose import COLOUR_AFTER

LESSONS, _ = load_folder(bundled_folder())
FIRST_LAB = {lesson.id: next(i for i, page in enumerate(lesson.pages) if page.lab) for lesson in LESSONS}
SIZES = {"120x40": (120, 40), "80x24": (80, 24)}


async def still(app, pilot) -> None:
    """Workers done and code blocks coloured (that waits for the first paint): a fixed screen."""
    await settle(app, pilot)
    await pilot.pause(COLOUR_AFTER + 0.2)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lesson", FIRST_LAB)
async def test_first_lab_page(make_app, snapshot, lesson, size):
    app = make_app(lesson)
    async with app.run_test(size=SIZES[size]) as pilot:
        await goto_page(app, pilot, FIRST_LAB[lesson])
        await still(app, pilot)
        snapshot(app, f"{lesson}-{size}")


@pytest.mark.parametrize("size", SIZES)
async def test_lesson_list(make_app, snapshot, size):
    app = make_app()
    async with app.run_test(size=SIZES[size]) as pilot:
        await still(app, pilot)
        snapshot(app, f"lessons-{size}")


async def test_help_screen(make_app, snapshot):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, FIRST_LAB["convolution"])
        await pilot.press("question_mark")
        await still(app, pilot)
        snapshot(app, "help-120x40")


LAB_PAGES = [(lesson.id, i) for lesson in LESSONS for i, page in enumerate(lesson.pages) if page.lab]


@pytest.mark.parametrize(("lesson", "page"), LAB_PAGES)
async def test_every_lab_page_at_80x24_mid_step(make_app, snapshot, lesson, page):
    """Every lab page as a learner over SSH sees it, stepped to its middle output cell."""
    from tutor.widgets.lab import LabView

    app = make_app(lesson)
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await goto_page(app, pilot, page)
        lab = app.screen.query_one(LabView)
        if lab.stepping:
            channels, rows, cols = lab.step_shape()
            for _ in range(channels * rows * cols // 2):
                await pilot.press("n")
        await still(app, pilot)
        snapshot(app, f"{lesson}-page{page + 1}-80x24-mid")
