"""Every lab fits the terminal it runs in: at 80x24 and at 120x40, stepping keeps the window in
the input, the kernels it is multiplied by, the output cell and its arithmetic on one screen,
read from the compositor's own screenshot (what the terminal shows)."""

import pytest
from conftest import goto_page, screen_text, settle, tab_to, write_conv_lesson

from tutor.course.loader import bundled_folder, load_folder
from tutor.course.model import ConvLabSpec, PoolLabSpec, TransposedLabSpec
from tutor.widgets.lab import LabView
from tutor.widgets.tensor_grid import TensorGrid

LESSONS, _ = load_folder(bundled_folder())
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
STEP_PAGES = [(lesson.id, i) for lesson in LESSONS for i, page in enumerate(lesson.pages)
              if page.lab and isinstance(lesson.labs[page.lab], (ConvLabSpec, PoolLabSpec, TransposedLabSpec))
              and "steps" in page.show]
PLAYGROUND = next(lesson for lesson in LESSONS if lesson.id == "arithmetic")
PRESETS = [preset.name for preset in PLAYGROUND.labs["playground"].presets]


async def choose_preset(app, pilot, preset: str) -> None:
    """On the playground's page, the preset chosen with the arrows as a learner does."""
    await goto_page(app, pilot, 0)
    await tab_to(app, pilot, "set-preset")
    stepper = app.screen.query_one("#set-preset")
    key = "right" if stepper.choices.index(preset) > stepper.choices.index(stepper.value) else "left"
    for _ in range(len(stepper.choices)):
        if stepper.value == preset:
            break
        await pilot.press(key)
        await settle(app, pilot)
    assert stepper.value == preset


async def step_to_the_middle(app, pilot) -> LabView:
    lab = app.screen.query_one(LabView)
    channels, rows, cols = lab.step_shape()
    for _ in range(channels * rows * cols // 2):
        await pilot.press("n")
    await settle(app, pilot)
    return lab


def assert_the_step_is_on_screen(app, lab: LabView) -> None:
    step = lab.explain(lab.step)
    screen = screen_text(app)
    grid_rows = "\n".join(line for line in screen if "│" in line)
    highlighted = sum(len(step.windows.get(a, set()) | step.marked.get(a, set()))
                      for a in {*step.windows, *step.marked} if a in lab.grids)
    # every window cell (input and kernels), every marked winner and the output cell, on screen
    assert grid_rows.count("‹") + grid_rows.count("«") == highlighted, "\n".join(screen)
    header = str(app.screen.query_one("#steps").render()).splitlines()[0]
    assert any(header in line for line in screen), "\n".join(screen)
    page, steps = app.screen.query_one("#page"), app.screen.query_one("#steps")
    assert page.scrollable_content_region.contains_region(steps.region.intersection(steps.region)), "\n".join(screen)
    assert steps.region.bottom <= page.scrollable_content_region.bottom, "the arithmetic's end is below the fold"
    # and the box is as tall as its text wraps (word wrap takes more rows than characters / width)
    for grid in app.screen.query(TensorGrid):  # where a grid is cropped, its border says so in full
        assert len(grid.border_subtitle or "") + 6 <= grid.outer_width, grid.border_subtitle
    wrapped = steps.render().wrap(steps.content_size.width)
    assert len(wrapped) <= steps.content_size.height, ("the arithmetic's last line is cut", "\n".join(screen))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("lesson", "page"), STEP_PAGES)
async def test_stepping_a_lab_page_keeps_it_on_one_screen(make_app, lesson, page, size):
    app = make_app(lesson)
    async with app.run_test(size=SIZES[size]) as pilot:
        await goto_page(app, pilot, page)
        lab = await step_to_the_middle(app, pilot)
        assert_the_step_is_on_screen(app, lab)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("preset", PRESETS)
async def test_every_playground_preset_fits(make_app, preset, size):
    app = make_app("arithmetic")
    async with app.run_test(size=SIZES[size]) as pilot:
        await choose_preset(app, pilot, preset)
        lab = await step_to_the_middle(app, pilot)
        assert_the_step_is_on_screen(app, lab)


async def test_every_step_of_a_preset_whose_sum_wraps_stays_on_screen(make_app):
    """At 80x24 the strided preset's sum wraps to three lines on some steps: the box grows, the
    lab fits again, and the page follows, so the last line is never below the fold."""
    app = make_app("arithmetic")
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await goto_page(app, pilot, 0)
        await tab_to(app, pilot, "set-preset")
        await pilot.press("left")  # "padding, strides" -> "no padding, strides"
        await settle(app, pilot)
        assert app.screen.query_one("#set-preset").value == "no padding, strides"
        lab = app.screen.query_one(LabView)
        for _ in range(4):
            await pilot.press("n")
            await settle(app, pilot)
            assert_the_step_is_on_screen(app, lab)
        await pilot.press("left")  # to the preset before and back: the box starts from one line again
        await settle(app, pilot)
        await pilot.press("right")
        await settle(app, pilot)
        await pilot.press("n", "n")  # keys faster than frames (a learner found the last line cut)
        await settle(app, pilot)
        await pilot.pause(0.3)  # and after the lab has fitted itself again
        assert_the_step_is_on_screen(app, lab)


async def test_every_step_of_the_cs231n_demo_fits_80x24(make_app):
    """Three input channels of nine products each: the arithmetic takes 8 rows. The footer and
    the input's heading give their rows up (the page bar says "? keys"), and every one of the 18
    steps keeps its window, kernels, cell and sum on screen."""
    app = make_app("arithmetic")
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await choose_preset(app, pilot, "CS231n demo")
        lab = app.screen.query_one(LabView)
        channels, rows, cols = lab.step_shape()
        for _ in range(channels * rows * cols):  # from step 1 (after a wrap) back round to it
            await pilot.press("n")
            await settle(app, pilot)
            assert_the_step_is_on_screen(app, lab)
        assert "? keys" in screen_text(app)[-1]
        assert not app.screen.query_one("#input-heading").display


async def test_after_end_a_larger_terminal_shows_the_page_from_its_top(make_app):
    """Found by a learner: End at 80x24, then a 120x40 terminal left 11 blank rows above the page
    (Textual kept the anchored page's end at the bottom of the window)."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("end")
        await settle(app, pilot)
        page = app.screen.query_one("#page")
        assert page.scroll_y > 0
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        await settle(app, pilot)
        assert page.scroll_y == 0
        assert screen_text(app)[1].strip() == "A tensor has four axes"  # right under the header


async def test_a_terminal_only_taller_or_shorter_fits_the_grids_again(make_app, tmp_path):
    """Found by a learner: a new height alone (the lab as wide as before) left the input's view
    as tall as it was: blank rows below, or a stage off the screen; and the same size gave
    another layout after a detour."""
    write_conv_lesson(tmp_path, "tall", [1, 1, 20, 20], "in_channels = 1, out_channels = 1, kernel_size = 3")
    app = make_app("tall", folder=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        grid = app.screen.query_one("#x-0", TensorGrid)
        await pilot.press("n")
        await pilot.pause(0.3)
        short = grid.view_size[0]
        await pilot.resize_terminal(120, 60)
        await pilot.pause(0.5)
        assert grid.view_size[0] > short
        await pilot.resize_terminal(120, 30)
        await pilot.pause(0.5)
        assert grid.view_size[0] == short


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_a_steps_header_keeps_to_one_row(make_app, tmp_path, size):
    """At the last of a 28x28 lab's 6,272 steps, the header ``output[0, 7, 27, 27] = ...  (nn.Conv2d;
    step 6272 of 6272: n / p / Space)`` is 77 characters: where its box is narrower, it leaves
    out the keys rather than break after the cell's index, as a sum would."""
    write_conv_lesson(tmp_path, "big", [1, 3, 28, 28], "in_channels = 3, out_channels = 8, kernel_size = 5, padding = 2")
    app = make_app("big", folder=tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("p")  # from the first cell back to the last
        await settle(app, pilot)
        header, following = app.screen.query_one("#steps").text.splitlines()[:2]
        assert header.startswith("output[0, 7, 27, 27] = ") and following.startswith("in 0:")
        assert header.endswith("step 6272 of 6272)" if size == (80, 24) else "step 6272 of 6272: n / p / Space)")


async def test_a_stage_taller_than_the_page_stays_on_the_part_the_learner_scrolled_to(make_app, tmp_path):
    """The 28x28 lab's stage (the input's heading to the arithmetic) is taller than a 120x40
    page. A step shows the stage's top (the input: its heading gave its row up); scrolled down
    to the arithmetic, the learner can step and watch each sum, as the page no longer jumps back
    up; scrolled up from it (the kernels, say), a step shows the input's window again."""
    write_conv_lesson(tmp_path, "big", [1, 3, 28, 28], "in_channels = 3, out_channels = 8, kernel_size = 5, padding = 2")
    app = make_app("big", folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        lab = app.screen.query_one(LabView)
        await pilot.press("n")
        await settle(app, pilot)
        assert any(row.lstrip().startswith("╭─ channel 0") for row in screen_text(app))  # the input's top
        await pilot.press("end")
        for _ in range(3):
            await pilot.press("n")
            await settle(app, pilot)
            o, r, c = lab.step
            assert any(row.lstrip().startswith(f"output[0, {o}, {r}, {c}] = ") for row in screen_text(app))
        for _ in range(40):  # up, row by row, until the arithmetic is off the page (the kernels, say)
            if not any(row.lstrip().startswith("output[0, ") for row in screen_text(app)):
                break
            await pilot.press("up")
        await pilot.press("n")
        await settle(app, pilot)
        assert any(row.lstrip().startswith("╭─ channel 0") for row in screen_text(app))  # back to the window
