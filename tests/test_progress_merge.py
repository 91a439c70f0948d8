"""Progress shared by several tutors on one data folder: no lost update, lesson folders kept apart,
and ``--reset-progress`` that says what went wrong instead of a traceback."""

import errno
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from tutor.cli import main
from tutor.course.progress import Progress, ProgressStore, merge

# What the tutor wrote before lesson folders had their own files: it must load and save unchanged.
TODAY = """{
 "last": {
  "lesson": "convolution",
  "page": 4
 },
 "lessons": {
  "convolution": {
   "exercises": {
    "parameter-count": {
     "attempts": 2,
     "hints": 1,
     "revealed": false,
     "solved": true
    }
   },
   "pages_seen": [
    0,
    1,
    2,
    3,
    4
   ]
  },
  "pooling": {
   "exercises": {
    "big-shape": {
     "attempts": 0,
     "hints": 0,
     "revealed": true,
     "solved": false
    }
   },
   "pages_seen": []
  }
 },
 "version": 1
}"""


def on_disk(path) -> Progress:
    return Progress.from_json(path.read_text())


def solve(progress: Progress, exercise_id: str, lesson_id: str = "convolution") -> None:
    record = progress.lesson(lesson_id).exercise(exercise_id)
    record.solved, record.attempts = True, record.attempts + 1


def test_merge_rules():
    base = Progress()
    base.lesson("a").exercise("x").attempts = 2
    base.lesson("a").pages_seen = {0}
    ours = Progress(last_lesson="a", last_page=3)
    ours.lesson("a").pages_seen = {0, 3}
    x = ours.lesson("a").exercise("x")
    x.attempts, x.hints, x.solved = 5, 1, True  # three more attempts here
    ours.lesson("only-ours").exercise("o").revealed = True
    theirs = Progress(last_lesson="b", last_page=1)
    theirs.lesson("a").pages_seen = {0, 1}
    y = theirs.lesson("a").exercise("x")
    y.attempts, y.hints, y.revealed = 4, 2, True  # two more attempts there
    theirs.lesson("only-theirs").exercise("t").attempts = 7

    merged = merge(base, ours, theirs)
    assert (merged.last_lesson, merged.last_page) == ("a", 3)
    assert merged.lessons["a"].pages_seen == {0, 1, 3}
    assert merged.lessons["a"].exercises["x"].__dict__ == {"solved": True, "attempts": 7, "hints": 2, "revealed": True}
    assert merged.lessons["only-ours"].exercises["o"].revealed
    assert merged.lessons["only-theirs"].exercises["t"].attempts == 7
    assert ours.lessons["a"].exercises["x"].attempts == 5 and "only-theirs" not in ours.lessons  # inputs untouched


def test_merged_counts_stay_loadable():
    theirs = Progress()
    theirs.lesson("a").exercise("x").attempts = 999_999
    ours = Progress()
    ours.lesson("a").exercise("x").attempts = 10
    merged = merge(Progress(), ours, theirs)
    assert Progress.from_json(merged.to_json()).lessons["a"].exercises["x"].attempts == 999_999


def test_save_merges_into_the_same_object(tutor_home):
    a, b = ProgressStore(tutor_home), ProgressStore(tutor_home)
    mine, _ = a.load()
    theirs, _ = b.load()
    record = mine.lesson("convolution").exercise("x")
    record.solved = True
    solve(theirs, "y")
    assert b.save(theirs)
    assert a.save(mine)
    assert mine.lessons["convolution"].exercise("x") is record  # the app keeps its objects
    assert mine.lessons["convolution"].exercises["y"].solved  # and now sees the other window's solve
    assert on_disk(a.path).lessons["convolution"].exercises.keys() == {"x", "y"}


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_both_windows_keep_their_work_whichever_quits_first(tutor_home, order):
    ProgressStore(tutor_home).save(Progress())
    stores = {name: ProgressStore(tutor_home) for name in "AB"}
    progress = {name: store.load()[0] for name, store in stores.items()}
    solve(progress["A"], "from-a")
    progress["A"].lesson("convolution").exercise("shared").attempts += 2
    progress["A"].lesson("convolution").pages_seen.add(1)
    solve(progress["B"], "from-b", "pooling")
    progress["B"].lesson("convolution").exercise("shared").attempts += 3
    progress["B"].lesson("convolution").pages_seen.add(2)
    progress["B"].last_lesson, progress["B"].last_page = "pooling", 5
    for name in order:
        assert stores[name].save(progress[name])
    saved = on_disk(tutor_home / "progress.json")
    assert saved.lessons["convolution"].exercises["from-a"].solved
    assert saved.lessons["pooling"].exercises["from-b"].solved
    assert saved.lessons["convolution"].exercises["shared"].attempts == 5
    assert saved.lessons["convolution"].pages_seen == {1, 2}
    last = order[-1]
    assert (saved.last_lesson, saved.last_page) == (progress[last].last_lesson, progress[last].last_page)


WINDOW = """
import os, sys, time
from tutor.course.progress import ProgressStore
folder, name, go = sys.argv[1], sys.argv[2], sys.argv[3]
store = ProgressStore(folder)
progress, problem = store.load()
assert problem is None, problem
open(f"{go}-{name}", "w").close()  # loaded: ready to go
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(30):
    record = progress.lesson("convolution").exercise(f"{name}-{i}")
    record.solved, record.attempts = True, 1
    progress.lesson("convolution").exercise("shared").attempts += 1
    progress.lesson(name).pages_seen.add(i)
    assert store.save(progress), store.problem
"""


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    home, go = tmp_path / "home", tmp_path / "go"
    windows = [subprocess.Popen([sys.executable, "-c", WINDOW, str(home), name, str(go)], stderr=subprocess.PIPE)
               for name in ("a", "b")]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"go-{name}").exists() for name in "ab") and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both have loaded: now they save at the same time
    for window in windows:
        _, error = window.communicate(timeout=120)
        assert window.returncode == 0, error.decode()
    saved = on_disk(home / "progress.json")
    exercises = saved.lessons["convolution"].exercises
    assert {f"{name}-{i}" for name in "ab" for i in range(30)} <= {key for key, r in exercises.items() if r.solved}
    assert exercises["shared"].attempts == 60
    assert saved.lessons["a"].pages_seen == saved.lessons["b"].pages_seen == set(range(30))
    assert not list(home.glob(".progress-*"))  # no temporary file left behind


def test_a_file_corrupted_between_saves_is_kept_aside(tutor_home):
    store = ProgressStore(tutor_home)
    progress, _ = store.load()
    solve(progress, "x")
    assert store.save(progress)
    (tutor_home / "progress.json").write_bytes(b"{garbage")
    solve(progress, "y")
    assert store.save(progress)
    assert on_disk(store.path).lessons["convolution"].exercises.keys() == {"x", "y"}
    backups = list(tutor_home.glob("progress.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"{garbage"


def test_a_failed_save_changes_nothing_and_a_later_one_merges(tutor_home, monkeypatch):
    mine_store, other_store = ProgressStore(tutor_home), ProgressStore(tutor_home)
    mine, _ = mine_store.load()
    other, _ = other_store.load()
    solve(other, "theirs")
    assert other_store.save(other)
    solve(mine, "mine")
    real_replace = os.replace

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    assert not mine_store.save(mine)
    assert "No space left on device" in mine_store.problem
    assert mine.lessons["convolution"].exercises.keys() == {"mine"}  # untouched
    assert on_disk(mine_store.path).lessons["convolution"].exercises.keys() == {"theirs"}
    assert not list(tutor_home.glob(".progress-*"))
    monkeypatch.setattr(os, "replace", real_replace)
    assert mine_store.save(mine) and mine_store.problem is None
    assert mine.lessons["convolution"].exercises["mine"].attempts == 1  # counted once, not twice
    assert on_disk(mine_store.path).lessons["convolution"].exercises.keys() == {"mine", "theirs"}


def test_an_unwritable_folder_is_a_problem_not_a_crash(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = ProgressStore(blocker / "home")
    progress, problem = store.load()
    assert problem is None
    solve(progress, "x")
    assert not store.save(progress)
    assert "Progress will not be saved" in store.problem


# --- progress of other lesson folders ----------------------------------------------------------

def test_a_version_1_file_loads_and_saves_as_version_2_with_nothing_lost(tutor_home, tmp_path):
    """The file the previous release wrote (version 1): every field kept; saved, it is version 2,
    the same data and an empty history of answers (the app then seeds it from the exercises)."""
    tutor_home.mkdir(parents=True)
    (tutor_home / "progress.json").write_text(TODAY)
    store = ProgressStore.for_lessons(None, tmp_path / "bundled")
    assert store.path == tutor_home / "progress.json"
    progress, problem = store.load()
    assert problem is None and progress.migrated
    assert progress.lessons["convolution"].exercises["parameter-count"].attempts == 2
    expected = {**json.loads(TODAY), "version": 2, "history": []}
    assert json.loads(progress.to_json()) == expected
    assert store.save(progress)
    assert json.loads((tutor_home / "progress.json").read_text()) == expected
    again, _ = store.load()
    assert again.to_json() == progress.to_json() and not again.migrated  # version 2 now: read as written


def test_other_lesson_folders_have_their_own_progress(tutor_home, tmp_path):
    bundled, mine = tmp_path / "bundled", tmp_path / "my lessons"
    bundled.mkdir()
    mine.mkdir()
    assert ProgressStore.for_lessons(bundled, bundled).path == tutor_home / "progress.json"
    scoped = ProgressStore.for_lessons(mine, bundled)
    digest = hashlib.sha256(str(mine.resolve()).encode()).hexdigest()[:12]
    assert scoped.path == tutor_home / f"progress-{digest}.json"
    (tmp_path / "link").symlink_to(mine)
    assert ProgressStore.for_lessons(tmp_path / "link", bundled).path == scoped.path  # the same folder

    progress, _ = scoped.load()
    solve(progress, "x")
    assert scoped.save(progress)
    assert not (tutor_home / "progress.json").exists()
    data = json.loads(scoped.path.read_text())
    assert data["lessons_folder"] == str(mine.resolve())
    reloaded, problem = ProgressStore.for_lessons(mine, bundled).load()
    assert problem is None and reloaded.lessons["convolution"].exercises["x"].solved

    bundled_store = ProgressStore.for_lessons(None, bundled)
    bundled_progress, _ = bundled_store.load()
    assert bundled_progress.lessons == {}
    assert bundled_store.save(bundled_progress)
    assert "lessons_folder" not in json.loads(bundled_store.path.read_text())


# --- cnn-tutor --reset-progress ------------------------------------------------------------------

def test_reset_forgets_every_lesson_folders_progress(tutor_home, tmp_path, capsys):
    for lessons in (None, tmp_path):
        store = ProgressStore.for_lessons(lessons, tmp_path / "bundled")
        assert store.save(Progress(last_lesson="convolution"))
    assert len(list(tutor_home.glob("progress*.json"))) == 2
    assert main(["--reset-progress", "--yes"]) == 0
    assert not list(tutor_home.glob("progress*.json"))
    assert main(["--reset-progress", "--yes"]) == 0
    assert "No saved progress" in capsys.readouterr().out


def test_reset_with_progress_json_a_folder_says_so(tutor_home, capsys):
    (tutor_home / "progress.json").mkdir(parents=True)
    assert main(["--reset-progress", "--yes"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("cnn-tutor: ") and error.count("\n") == 1 and "Traceback" not in error
    assert "progress.json" in error


def test_reset_with_the_data_folder_a_file_says_so(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home\nfile"
    home.write_text("")
    monkeypatch.setenv("CNN_TUTOR_HOME", str(home))
    assert main(["--reset-progress", "--yes"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("cnn-tutor: ") and error.count("\n") == 1 and "Traceback" not in error
    assert "home\\x0afile" in error and "not a folder" in error


def test_two_tutors_drilling_keep_both_their_answers(tmp_path):
    """Answers add up, the best is the higher, the streak is the saving window's; a drill's
    record reads back as written, and a bad count in it sets the file aside."""
    first, second = ProgressStore(tmp_path), ProgressStore(tmp_path)
    ours, _ = first.load()
    theirs, _ = second.load()
    ours.lesson("arithmetic").drill.right, ours.lesson("arithmetic").drill.best = 3, 3
    theirs.lesson("arithmetic").drill.missed, theirs.lesson("arithmetic").drill.best = 2, 1
    theirs.lesson("arithmetic").drill.streak = 0
    assert second.save(theirs) and first.save(ours)
    drill = ProgressStore(tmp_path).load()[0].lesson("arithmetic").drill
    assert (drill.right, drill.missed, drill.skipped, drill.best, drill.asked) == (3, 2, 0, 3, 5)
    data = json.loads((tmp_path / "progress.json").read_text())
    data["lessons"]["arithmetic"]["drill"]["best"] = -1
    (tmp_path / "progress.json").write_text(json.dumps(data))
    progress, problem = ProgressStore(tmp_path).load()
    assert problem and "expected a count" in problem and progress.lesson("arithmetic").drill.asked == 0
