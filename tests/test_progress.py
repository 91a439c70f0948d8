"""Progress: kept between runs, written atomically, never lost to a corrupt file or a kill."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import goto_page, settle, tab_to
from rich.console import Console

from tutor.cli import main
from tutor.course.progress import Progress, ProgressStore


def saved(home) -> dict:
    return json.loads((home / "progress.json").read_text())


async def test_pages_and_answers_are_saved_and_resumed(make_app, tutor_home):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 4)  # the parameter count
        await pilot.press(*"200", "enter", "ctrl+t")
        await pilot.press("ctrl+a", "ctrl+k", *"210", "enter")
        await settle(app, pilot)
    data = saved(tutor_home)
    assert data["last"] == {"lesson": "convolution", "page": 4}
    assert data["lessons"]["convolution"]["pages_seen"] == [0, 1, 2, 3, 4]
    assert data["lessons"]["convolution"]["exercises"]["parameter-count"] == {
        "solved": True, "attempts": 2, "hints": 1, "revealed": False}

    app = make_app()  # no lesson asked for: reopen the last page
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.screen.lesson.id == "convolution" and app.screen.page_index == 4
        card = app.screen.query_one("ExerciseCard")
        assert card.status == "correct" and card.attempts == 2 and card.hints_shown == 1
        assert "200 + 10 = 210" in str(card.query_one("#solution").render())
        await pilot.press("escape")
        await pilot.pause()
        prompt = str(app.screen.query_one("#lessons").get_option_at_index(0).prompt)
        assert "1 of 3 exercises solved" in prompt and "5 of 6 pages seen" in prompt


async def test_the_lesson_ends_on_a_summary(make_app):
    app = make_app("pooling")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 6)  # shapes and parameters: two exercises
        await pilot.press(*"[1, 3, 16, 16]", "enter")
        await tab_to(app, pilot, "answer")
        await pilot.press("tab", "tab")
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert app.screen.sub_title.endswith("Your results")
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#summary").table)
        summary = console.export_text()
        # each exercise named by its question, as the learner read it
        assert "What is the output shape of nn.MaxPool2d(2) on an input of" in summary
        assert "✓ solved" in summary and "not tried" in summary


async def test_a_finished_lesson_is_marked(make_app, tutor_home):
    progress = Progress()
    record = progress.lesson("pooling")
    record.pages_seen = set(range(7))
    for exercise_id in ("classic-value", "ceil-false", "ceil-true", "after-conv-shape", "big-shape", "pool-parameters"):
        record.exercise(exercise_id).solved = True
    record.exercise("big-shape").revealed = True  # solved after the reveal: finished, and it says so
    progress.lesson("convolution").exercise("output-shape").revealed = True
    ProgressStore(tutor_home).save(progress)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        prompts = [str(app.screen.query_one("#lessons").get_option_at_index(i).prompt) for i in range(2)]
        assert "✓ finished (1 revealed)" in prompts[1] and "✓ finished" not in prompts[0]
        assert "0 of 3 exercises solved · 1 revealed · 0 of 6 pages seen" in prompts[0]


@pytest.mark.parametrize("content", [
    b"{not json", b'{"version": 1, "lessons": {"x": {"pages_seen": ["a"]}}}', b"\xff\xfe garbage",
    b'{"version": 99}', b"[]",
    # hostile: deep nesting, NaN, overflow, huge numbers, wrong types, over the size limit
    b"[" * 400_000 + b"]" * 400_000,
    b'{"version": 1, "lessons": {"convolution": {"pages_seen": [], "exercises": {"a": {"attempts": NaN}}}}}',
    b'{"version": 1, "lessons": {"convolution": {"pages_seen": [], "exercises": {"a": {"attempts": 1e999}}}}}',
    b'{"version": 1, "lessons": {"convolution": {"pages_seen": [-1]}}}',
    b'{"version": 1, "last": "' + b"9" * 5000 + b'"}',
    b'{"version": 1, "last": {"lesson": {"__class__": "os"}}}',
    b'{"version": ' + b"9" * 5000 + b"}",
    b" " * (1024 * 1024 + 1),
])
async def test_a_corrupt_file_is_kept_aside_and_the_learner_told(make_app, tutor_home, content):
    tutor_home.mkdir(parents=True)
    (tutor_home / "progress.json").write_bytes(content)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "could not be read" in app.progress_problem
        assert type(app.screen).__name__ == "HomeScreen"
    backups = list(tutor_home.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content


async def test_an_unwritable_folder_says_progress_will_not_be_saved(make_app, tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    monkeypatch.setenv("CNN_TUTOR_HOME", str(blocker / "home"))  # a folder inside a file: cannot exist
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert "Progress will not be saved" in app.store.problem
        assert app.screen.page_index == 1  # the tutor runs on


WRITER = """
import sys
from tutor.course.progress import Progress, ProgressStore
store = ProgressStore(sys.argv[1])
progress = Progress()
n = 0
while True:
    n += 1
    progress.lesson("convolution").exercise("x").attempts = n % 1000
    progress.lesson("convolution").pages_seen = set(range(n % 50))
    store.save(progress)
"""


def test_kill_mid_write_leaves_the_last_good_state(tmp_path):
    """kill -9 a process that saves in a tight loop, many times: the file always loads."""
    for attempt in range(8):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        deadline = time.monotonic() + 30
        while not (tmp_path / "progress.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the first save has landed: from now on it writes in a loop
        time.sleep(0.05 + 0.03 * attempt)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        progress, problem = ProgressStore(tmp_path).load()
        assert problem is None
        assert progress.lesson("convolution").exercise("x").attempts > 0


def test_reset_progress_asks_first(tutor_home, monkeypatch, capsys):
    ProgressStore(tutor_home).save(Progress(last_lesson="convolution"))
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["--reset-progress"]) == 1
    assert (tutor_home / "progress.json").exists()
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert main(["--reset-progress"]) == 0
    assert not (tutor_home / "progress.json").exists()
    ProgressStore(tutor_home).save(Progress())
    assert main(["--reset-progress", "--yes"]) == 0
    assert not (tutor_home / "progress.json").exists()
