"""``cnn-tutor report``: a learner's progress for a teacher, read from the progress file the tutor
writes, in text, CSV (header and documented columns) and JSON; and the skills every exercise is
tagged with."""

import csv
import io
import json
import shutil

import pytest

from tutor.cli import main
from tutor.course.loader import bundled_folder, load_folder
from tutor.course.progress import Progress, ProgressStore
from tutor.course.report import COLUMNS
from tutor.course.skills import SKILLS, skills_of

LESSONS, _ = load_folder(bundled_folder())


def saved_progress() -> Progress:
    """Progress as the tutor saves it: one exercise solved unaided, one with a hint after a miss,
    one revealed, pages seen and a drill."""
    progress = Progress()
    record = progress.lesson("convolution")
    record.pages_seen = {0, 1, 2}
    record.exercise("output-shape").solved, record.exercise("output-shape").attempts = True, 1
    first = record.exercise("first-value")
    first.solved, first.attempts, first.hints = True, 3, 1
    record.exercise("parameter-count").revealed = True
    arithmetic = progress.lesson("arithmetic")
    arithmetic.drill.right, arithmetic.drill.missed, arithmetic.drill.best = 4, 1, 3
    return progress


@pytest.fixture
def learner(tutor_home):
    ProgressStore(tutor_home).save(saved_progress())
    return tutor_home


def report(capsys, *args) -> str:
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


def test_every_exercise_of_every_lesson_practises_known_skills():
    for lesson in LESSONS:
        for page in lesson.pages:
            for exercise in page.exercises:
                tags = skills_of(exercise.answer, lesson.labs)
                assert tags and set(tags) <= set(SKILLS), (lesson.id, exercise.id)
    tagged = {tag for lesson in LESSONS for page in lesson.pages for e in page.exercises
              for tag in skills_of(e.answer, lesson.labs)}
    assert tagged == set(SKILLS), "a skill no exercise practises"


def test_csv_has_its_documented_columns_and_a_row_per_record(learner, capsys):
    rows = list(csv.DictReader(io.StringIO(report(capsys, "--format", "csv"))))
    assert tuple(rows[0]) == COLUMNS
    by = {(row["record"], row["lesson"], row["id"]): row for row in rows}
    lesson = by[("lesson", "convolution", "")]
    assert (lesson["pages_seen"], lesson["pages"], lesson["exercises"], lesson["solved"], lesson["unaided"]) == \
        ("3", "6", "3", "2", "1")
    first = by[("exercise", "convolution", "first-value")]
    assert (first["solved"], first["unaided"], first["attempts"], first["hints"], first["skills"]) == \
        ("true", "false", "3", "1", "value-by-hand")
    assert by[("exercise", "convolution", "parameter-count")]["revealed"] == "true"
    drill = by[("drill", "arithmetic", "")]
    assert (drill["right"], drill["missed"], drill["best"]) == ("4", "1", "3")
    shapes = by[("skill", "", "output-shape")]
    assert shapes["title"] == "Output shapes" and int(shapes["solved"]) == 1
    exercises = sum(len(page.exercises) for lesson in LESSONS for page in lesson.pages)
    assert sum(row["record"] == "exercise" for row in rows) == exercises


def test_json_and_text_say_the_same(learner, capsys):
    data = json.loads(report(capsys, "--format", "json"))
    convolution = next(lesson for lesson in data["lessons"] if lesson["id"] == "convolution")
    assert [e["id"] for e in convolution["exercises"]] == ["output-shape", "first-value", "parameter-count"]
    assert convolution["exercises"][0] == {"id": "output-shape", "skills": ["output-shape"], "solved": True,
                                           "unaided": True, "attempts": 1, "hints": 0, "revealed": False}
    text = report(capsys)
    assert "Convolution (convolution): 3 of 6 pages seen, 2 of 3 exercises solved" in text
    assert "first-value" in text and "solved with help" in text and "revealed" in text


def test_a_report_never_writes_and_a_damaged_file_is_refused_and_left_alone(tutor_home, capsys):
    tutor_home.mkdir(parents=True)
    damaged = tutor_home / "progress.json"
    damaged.write_text("{not json")
    assert main(["report", "--format", "json"]) == 1  # not a report of a learner who did nothing
    captured = capsys.readouterr()
    assert "no report" in captured.err and "could not be read" in captured.err and captured.out == ""
    assert damaged.read_text() == "{not json" and sorted(p.name for p in tutor_home.iterdir()) == ["progress.json"]


def test_a_folder_without_lessons_is_refused(tmp_path, capsys):
    assert main(["report", "--lessons", str(tmp_path)]) == 2
    assert "is not a folder of lessons" in capsys.readouterr().err


def test_a_report_read_by_head_ends_quietly(learner, monkeypatch):
    """``cnn-tutor report | head -1``: the reader has gone (EPIPE), and that is no error."""
    import os
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone: every write to the pipe fails
    with open(write, "w") as gone:
        monkeypatch.setattr(sys, "stdout", gone)
        assert main(["report", "--format", "csv"]) == 0


def test_a_report_on_another_lesson_folder_reads_its_own_progress(tutor_home, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(bundled_folder() / "convolution.toml", folder)
    mine = Progress()
    mine.lesson("convolution").exercise("output-shape").solved = True
    ProgressStore.for_lessons(folder, bundled_folder(), tutor_home).save(mine)
    ProgressStore(tutor_home).save(Progress())  # the bundled lessons' file: nothing solved
    rows = list(csv.DictReader(io.StringIO(report(capsys, "--format", "csv", "--lessons", str(folder)))))
    assert {row["lesson"] for row in rows if row["record"] == "lesson"} == {"convolution"}
    assert next(r for r in rows if r["id"] == "output-shape")["solved"] == "true"
    assert main(["report", "--lessons", str(tmp_path / "missing")]) == 2
