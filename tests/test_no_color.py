"""Without colour (NO_COLOR=1, or a terminal with few colours) every state still reads from the
characters on screen: window and explained output cell ‹›, cursor [], edit ▏, focused setting ◀ ▶,
dropped ✗, padding ring, exercise states in the card's title, errors in words."""

import pytest
from conftest import goto_page, screen_text, settle, tab_to
from test_exercises import answer
from test_lab import LAB_PAGE


@pytest.fixture(autouse=True)
def no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


def screen(app) -> str:
    return "\n".join(screen_text(app))


async def test_lab_states_read_from_characters(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.no_color
        await goto_page(app, pilot, LAB_PAGE)
        await pilot.press("n")  # the second output cell and its window
        await settle(app, pilot)
        text = screen(app)
        assert "‹  1›‹  2›" in text and "‹  5›‹  6›" in text  # channel 0's window, columns 1-2
        assert "‹-11.02›" in text  # the output cell being explained
        await tab_to(app, pilot, "w-0-0")
        assert "[ 0.1]" in screen(app)  # the cursor, without colour
        await pilot.press("enter", "7")
        assert "7▏" in screen(app) and "[" in screen(app)  # the edit in progress
        await pilot.press("backspace", "x", "enter")
        await settle(app, pilot)
        assert "'x' is not a number" in screen(app)  # the error says itself in words


async def test_settings_focus_padding_and_dropped_read_from_characters(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await tab_to(app, pilot, "set-stride")
        text = screen(app)
        assert "stride ◀ 2 ▶" in text and "padding ◂ 1 ▸" in text  # focused vs not
        for _ in range(3):
            await pilot.press("right")  # stride 5 on a padded 5x5 input: rows are dropped
        await settle(app, pilot)
        assert "✗" in screen(app)


async def test_exercise_states_read_from_the_card_title(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await pilot.press("end")  # the question is below the page's text and lab
        await settle(app, pilot)
        assert "Exercise" in screen(app) and "not yet" not in screen(app)
        await answer(app, pilot, "-3.9")
        assert "Exercise: not yet" in screen(app) and "✗" in screen(app)
        await answer(app, pilot, "-10.25")
        assert "Exercise: solved ✓" in screen(app)
