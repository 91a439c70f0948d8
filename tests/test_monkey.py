"""A monkey at the keyboard: seeded random key streams over every lesson and screen, with
terminal resizes between 20x8 and 200x60. Nothing may crash, and the app must still answer."""

import random

import pytest
from conftest import settle

KEYS = (list("0123456789.-") + list("abcdefghijklmnoprstuvwxyz") + ["n", "p", "r", "e", "s", "c", "w", "space"]
        + ["up", "down", "left", "right", "tab", "shift+tab", "enter", "escape", "pagedown", "pageup",
           "question_mark", "backspace", "ctrl+t", "ctrl+r", "ctrl+n", "left_square_bracket", "right_square_bracket"])
LESSONS = ["convolution", "pooling", "symmetry", "arithmetic", "first-cnn", "backward", None]
STREAMS = 14
KEYS_PER_STREAM = 500


@pytest.mark.parametrize("seed", range(STREAMS))
async def test_random_keys_never_crash(make_app, seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "w" in the code view may save files: keep them here
    rng = random.Random(seed)
    app = make_app(LESSONS[seed % len(LESSONS)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for number in range(KEYS_PER_STREAM):
            if rng.random() < 0.01:
                await pilot.resize_terminal(rng.randint(20, 200), rng.randint(8, 60))
            key = rng.choice(KEYS)
            if key == "q":
                continue  # quitting ends the stream early; q is tested on its own
            await pilot.press(key)
            if number % 50 == 0:
                await pilot.pause()  # not settle(): a training run may go on for a while
        await pilot.pause()
        assert app.is_running, f"seed {seed}: the app stopped"
        await pilot.resize_terminal(120, 40)
        await pilot.press("f1")  # still answering: help opens over whatever screen is current
        await pilot.pause()
        assert type(app.screen).__name__ in ("HelpScreen", "TooSmallScreen", "CodeScreen"), f"seed {seed}"
