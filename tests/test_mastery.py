"""Mastery and spaced review: the Leitner schedule folded from answers, a simulated learner over
several days (the clock injected) asked the due skills on the right days, the review screen by
keys, fresh questions for every reviewable skill, and the progress file's new version read from
a file the previous release wrote, merged under the lock without counting an answer twice."""

import json
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import goto_page, screen_text, settle

from tutor.app import TutorApp
from tutor.cli import _parser
from tutor.course.answers import check
from tutor.course.loader import bundled_folder
from tutor.course.mastery import Event, SkillState, apply, due, fold
from tutor.course.progress import MAX_EVENTS, Progress, ProgressStore
from tutor.labs.review import GENERATORS, review_question

V1 = Path(__file__).parent / "data" / "progress-v1.json"
DAY0 = date(2026, 1, 5)


def on(days: int) -> str:
    return (DAY0 + timedelta(days=days)).isoformat()


def answer(days: int, result: str, skill: str = "output-shape") -> Event:
    return Event(on(days), skill, result, "review")


def test_the_leitner_schedule():
    state = apply(SkillState(), answer(0, "right"))
    assert (state.box, state.due, state.level) == (1, on(1), "practised")
    state = apply(state, answer(0, "right"))  # the same day again: counted, not spaced
    assert (state.box, state.due, state.right) == (1, on(1), 2)
    state = apply(state, answer(1, "right"))
    assert (state.box, state.due, state.level) == (2, on(4), "familiar")
    state = apply(state, answer(4, "right"))
    assert (state.box, state.due) == (3, on(11))
    state = apply(state, answer(11, "helped"))  # a hint: no rise, asked again tomorrow
    assert (state.box, state.due) == (3, on(12))
    state = apply(state, answer(12, "right"))
    assert (state.box, state.due, state.level) == (4, on(28), "mastered")
    state = apply(state, answer(28, "missed"))
    assert (state.box, state.due, state.level) == (3, on(29), "familiar")
    for days in (29, 36, 52, 87, 200):
        state = apply(state, answer(days, "right"))
    assert state.box == 5 and state.due == on(235)


def test_due_skills_most_overdue_first_and_never_the_new_ones():
    states = fold([answer(0, "right", "pooling"), answer(1, "missed", "gradients")])
    assert due(states, DAY0) == []
    assert due(states, DAY0 + timedelta(days=1)) == ["pooling"]
    assert due(states, DAY0 + timedelta(days=2)) == ["pooling", "gradients"]
    assert "parameters" not in due(states, DAY0 + timedelta(days=400))


@pytest.mark.parametrize("skill", GENERATORS)
def test_every_reviewable_skill_gets_fresh_questions_checked_by_torch(skill):
    prompts = set()
    for seed in range(12):
        question = review_question(skill, random.Random(seed))
        assert question.skill == skill and question.expected.solution
        value = question.expected.value
        typed = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else repr(value)
        assert check(question.expected, typed).correct
        prompts.add(question.prompt)
    assert len(prompts) >= 6, "questions should be fresh"


def test_a_file_written_by_the_previous_release_is_read_without_loss(tmp_path):
    shutil.copy(V1, tmp_path / "progress.json")
    store = ProgressStore(tmp_path)
    progress, problem = store.load()
    assert problem is None and progress.history == []
    old = json.loads(V1.read_text())
    assert progress.last_lesson == old["last"]["lesson"] and progress.last_page == old["last"]["page"]
    for lesson_id, record in old["lessons"].items():
        assert sorted(progress.lessons[lesson_id].pages_seen) == record["pages_seen"]
        for exercise_id, values in record["exercises"].items():
            assert vars(progress.lessons[lesson_id].exercises[exercise_id]) == values
    assert vars(progress.lessons["arithmetic"].drill) == old["lessons"]["arithmetic"]["drill"]
    progress.answered(answer(0, "right"))
    assert store.save(progress)
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert saved["version"] == 2 and len(saved["history"]) == 1
    again, _ = ProgressStore(tmp_path).load()
    assert again.history == progress.history and again.lessons == progress.lessons


def test_two_tutors_merge_their_answers_once_each(tmp_path):
    first, second = ProgressStore(tmp_path), ProgressStore(tmp_path)
    mine, _ = first.load()
    theirs, _ = second.load()
    mine.answered(answer(0, "right"))
    first.save(mine)
    theirs.answered(answer(0, "missed", "pooling"))
    second.save(theirs)
    mine.answered(answer(1, "right"))
    first.save(mine)
    merged, _ = ProgressStore(tmp_path).load()
    assert sorted((e.skill, e.result) for e in merged.history) == [
        ("output-shape", "right"), ("output-shape", "right"), ("pooling", "missed")]
    assert merged.skills()["output-shape"].box == 2


def test_a_long_history_is_folded_into_a_baseline_that_keeps_the_mastery(tmp_path):
    progress = Progress()
    for number in range(MAX_EVENTS + 5):
        progress.answered(Event(on(number // 100), "parameters", "right", "drill"))
    assert len(progress.history) <= MAX_EVENTS and progress.folded == MAX_EVENTS // 10
    store = ProgressStore(tmp_path)
    assert store.save(progress)
    again, problem = ProgressStore(tmp_path).load()
    assert problem is None and again.skills() == progress.skills()
    assert again.skills()["parameters"].right == MAX_EVENTS + 5


def test_a_damaged_answer_is_left_out_and_everything_else_kept(tmp_path):
    data = json.loads(V1.read_text())
    good = "2026-11-20 pooling right review 1a2b3c"
    data.update(version=2, history=["2026-13-40 output-shape right review 1a2b", "hello", good, good])
    (tmp_path / "progress.json").write_text(json.dumps(data))
    progress, problem = ProgressStore(tmp_path).load()
    assert problem == "3 answer(s) in your progress file could not be read and were left out; everything else was kept."
    assert [e.skill for e in progress.history] == ["pooling"]
    assert progress.lessons["convolution"].exercises["output-shape"].solved and not progress.migrated


def test_the_exercises_of_a_version_1_file_become_the_first_answers(tmp_path, capsys, monkeypatch):
    shutil.copy(V1, tmp_path / "progress.json")
    app = TutorApp(bundled_folder(), store=ProgressStore(tmp_path), today=lambda: DAY0)
    skills = app.progress.skills()
    assert skills["output-shape"].right == 1 and skills["output-shape"].due == on(1)  # solved at once
    assert skills["value-by-hand"].helped == 1  # solved after a hint
    assert skills["parameters"].helped == 1  # its solution revealed
    again, _ = ProgressStore(tmp_path).load()
    assert len(again.history) == 3 and not again.migrated  # saved: not seeded twice
    TutorApp(bundled_folder(), store=ProgressStore(tmp_path), today=lambda: DAY0)
    assert len(ProgressStore(tmp_path).load()[0].history) == 3


def test_review_is_a_command():
    assert _parser().parse_args(["review"]).command == "review"


class Calendar:
    """The day the app believes it is."""

    def __init__(self) -> None:
        self.day = DAY0

    def __call__(self) -> date:
        return self.day


async def answer_review(app, pilot, right: bool) -> str:
    """Type the review card's question's answer (or a wrong one), as a learner would."""
    card = app.screen.query_one("#review")
    await settle(app, pilot)
    skill, value = card.question.skill, card.question.expected.value
    typed = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else repr(value)
    if not right:
        typed = "[9, 9, 9, 9]" if isinstance(value, tuple) else "12345"
    await pilot.press("ctrl+a", "ctrl+k", *typed, "enter")
    await settle(app, pilot)
    return skill


async def test_a_learner_over_several_days_is_asked_the_due_skills_on_the_right_days(tmp_path):
    today = Calendar()

    async def run_day(keys_then) -> TutorApp:
        app = TutorApp(bundled_folder(), "convolution", store=ProgressStore(tmp_path), today=today)
        async with app.run_test(size=(120, 40)) as pilot:
            await keys_then(app, pilot)
        return app

    async def day_one(app, pilot):  # the convolution lesson's shape question, right at once
        await goto_page(app, pilot, 1)
        await pilot.press(*"[1, 3, 3, 3]", "enter")
        await settle(app, pilot)

    app = await run_day(day_one)
    assert app.progress.skills()["output-shape"].due == on(1)

    async def review(app, pilot, right=True):
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        card = app.screen.query_one("#review")
        asked = [] if card.question is None else [await answer_review(app, pilot, right)]
        return asked, app.screen.query_one("#skills").render()

    for days, expect_asked, expect_box in ((0, [], 1), (1, ["output-shape"], 2), (2, [], 2), (3, [], 2),
                                          (4, ["output-shape"], 3)):
        today.day = DAY0 + timedelta(days=days)
        seen = {}

        async def reviewed(app, pilot):
            seen["asked"], seen["table"] = await review(app, pilot)

        app = await run_day(reviewed)
        assert seen["asked"] == expect_asked, days
        assert app.progress.skills()["output-shape"].box == expect_box, days
    assert "Output shapes              familiar" in str(seen["table"])

    today.day = DAY0 + timedelta(days=11)

    async def missed(app, pilot):
        seen["asked"], _ = await review(app, pilot, right=False)
        assert "Worked solution" in str(app.screen.query_one("#drill-solution").render())

    app = await run_day(missed)
    state = app.progress.skills()["output-shape"]
    assert (state.box, state.due, state.missed) == (2, on(12), 1)
    sources = [(e.source, e.result) for e in app.progress.history]
    assert sources == [("exercise", "right"), ("review", "right"), ("review", "right"), ("review", "missed")]


async def test_with_nothing_due_the_review_says_when_and_the_keys_scroll_the_table(tmp_path):
    store = ProgressStore(tmp_path)
    progress, _ = store.load()
    progress.answered(Event(on(0), "pooling", "right", "exercise"))
    store.save(progress)
    app = TutorApp(bundled_folder(), store=ProgressStore(tmp_path), today=lambda: DAY0, review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        card = app.screen.query_one("#review")
        assert card.question is None and card.border_title == "Review"
        assert app.focused is app.screen.query_one("#page")
        await pilot.press("end")
        await settle(app, pilot)
        bottom = app.screen.query_one("#page").scroll_y
        assert f"The next review is on {on(1)}." in " ".join(screen_text(app))
        await pilot.press("home")
        await settle(app, pilot)
        assert bottom > 0 and app.screen.query_one("#page").scroll_y == 0
