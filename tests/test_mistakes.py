"""Feedback that names the mistake: every catalogued mistake of every bundled exercise typed by
keys and answered, on screen, by its own message; the catalogue's cases from the lessons and the
drill; what a wrong answer that no mistake explains gets instead."""

import pytest
from conftest import goto_page, screen_text, settle

from tutor.course.answers import check
from tutor.course.loader import bundled_folder, load_folder
from tutor.course.model import AnswerSpec
from tutor.engine.spec import ConvSpec, PoolSpec
from tutor.labs.expected import expected
from tutor.numbers import format_number

LESSONS, _ = load_folder(bundled_folder())
EXERCISES = [(lesson.id, i, ex) for lesson in LESSONS for i, page in enumerate(lesson.pages) for ex in page.exercises]


def typed(value, exercise=None) -> str:
    """A wrong answer written as a learner would type it (a choice: its letter)."""
    if exercise is not None and exercise.answer.kind == "choice":
        return next(choice.key for choice in exercise.choices if choice.value == value)
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return format_number(value) if isinstance(value, float) else str(value)


def flat(text: str) -> str:
    return " ".join(text.split())


def exercise_expected(lesson_id: str, exercise_id: str):
    lesson = next(lesson for lesson in LESSONS if lesson.id == lesson_id)
    exercise = next(ex for page in lesson.pages for ex in page.exercises if ex.id == exercise_id)
    return expected(exercise.answer, lesson.labs), exercise


async def type_into(app, pilot, card, text: str) -> None:
    """Tab to the card's answer box (as a learner would), clear it, type, press Enter."""
    box = card.query_one("#answer")
    for _ in range(40):
        if app.focused is box:
            break
        await pilot.press("tab")
    assert app.focused is box
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")
    await settle(app, pilot)


def feedback(card) -> str:
    return flat(str(card.query_one("#feedback").render()))


@pytest.mark.parametrize(("lesson", "page", "exercise"), EXERCISES, ids=lambda v: getattr(v, "id", str(v)))
async def test_every_catalogued_mistake_is_named_on_screen(make_app, lesson, page, exercise):
    app = make_app(lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, page)
        card = app.screen.query_one(f"#exercise-{exercise.id}")
        while card.expected is None:
            await pilot.pause(0.05)
        mistakes = card.expected.mistakes
        assert mistakes, "every exercise has mistakes to recognise"
        for mistake in mistakes:
            await type_into(app, pilot, card, typed(mistake.wrong, exercise))
            assert flat(mistake.message) in feedback(card), (mistake.name, feedback(card))
        assert card.attempts == len(mistakes) and not card.solved


def named(expected_answer, text: str) -> str | None:
    return check(expected_answer, text).mistake


@pytest.mark.parametrize(("lesson", "exercise", "text", "mistake"), [
    ("convolution", "output-shape", "[1, 2, 3, 3]", "channels unchanged"),
    ("convolution", "output-shape", "[1, 3, 3, 3, 3]", "axes"),
    ("convolution", "output-shape", "[1, 3, 2, 2]", "+1 forgotten"),
    ("convolution", "output-shape", "[1, 3, 4, 4]", "sides unchanged"),
    ("convolution", "first-value", "0.96", "kernel flipped"),
    ("convolution", "first-value", "-11.02", "window at the wrong place"),
    ("convolution", "parameter-count", "50", "input channels forgotten"),
    ("convolution", "parameter-count", "110", "kernel not squared"),
    ("arithmetic", "dilation-shape", "[1, 4, 5, 5]", "dilation ignored"),
    ("arithmetic", "dilation-shape", "1x3x3x4", "channels last"),
    ("arithmetic", "stride-shape", "[1, 8, 32, 32]", "sides unchanged or stride ignored"),
    ("arithmetic", "stride-shape", "[1, 8, 17, 17]", "floor and ceil swapped"),
    ("arithmetic", "groups-parameters", "296", "groups ignored"),
    ("arithmetic", "groups-parameters", "144", "bias forgotten"),
    ("pooling", "classic-value", "5.25", "average for max"),
    ("pooling", "classic-value", "6", "window at the wrong place"),
    ("pooling", "ceil-true", "[1, 1, 2, 2]", "floor and ceil swapped"),
    ("pooling", "big-shape", "[1, 3, 31, 31]", "stride ignored"),
    ("pooling", "pool-parameters", "4", "window counted as weights"),
])
def test_a_typical_mistake_is_named(lesson, exercise, text, mistake):
    answer, _ = exercise_expected(lesson, exercise)
    assert named(answer, text) == mistake


def test_the_groups_advice_leads_to_the_answer():
    """80 forgets in_channels / groups; doing what the message says gives the right count."""
    answer, _ = exercise_expected("arithmetic", "groups-parameters")
    message = check(answer, "80").message
    assert "multiply by 2" in message and "4 / 2 = 2" in message
    assert (80 - 8) * 2 + 8 == answer.value  # the weights of 80, times 2, plus the 8 biases
    assert "in_channels / groups" in answer.solution and "bias=True is torch's default" in answer.solution


def test_the_drills_same_padding_case_says_the_channels_are_wrong():
    """The sides do not change here; the channels do (a finding: it once said the opposite)."""
    spec = ConvSpec(1, 2, 1, padding="same", bias=True)
    answer = expected(AnswerSpec("output_shape", layer=spec, input_shape=(1, 1, 4, 14)), {})
    verdict = check(answer, "[1, 1, 4, 14]")
    assert verdict.mistake == "channels unchanged" and "out_channels = 2" in verdict.message


def test_padding_in_a_max_and_in_an_average():
    from tutor.course.model import PoolLabSpec

    values = (((-1.0, -2.0, -3.0), (-4.0, -5.0, -6.0), (-7.0, -8.0, -9.0)),)
    # output (0, 1): the window covers a row of padding above -2 and -3
    for kind, text, mistake in (("max", "0", "padding counted in a max"),
                                ("avg", "-2.5", "padding left out of the divisor")):
        lab = PoolLabSpec("p", PoolSpec(kind, 2, 2, padding=1), values=values)
        answer = expected(AnswerSpec("output_value", lab="p", index=(0, 0, 0, 1)), {"p": lab})
        assert named(answer, text) == mistake, (kind, answer.value, answer.mistakes)


def test_a_mistake_is_never_the_right_answer():
    for lesson in LESSONS:
        for page in lesson.pages:
            for exercise in page.exercises:
                answer = expected(exercise.answer, lesson.labs)
                for mistake in answer.mistakes:
                    assert not check(answer, typed(mistake.wrong, exercise), exercise.choices).correct


async def test_a_wrong_answer_no_mistake_explains_gets_the_next_hint(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 4)  # parameter count: 10 × 5 × 2 × 2 + 10
        card = app.screen.query_one("ExerciseCard")
        await type_into(app, pilot, card, "40")
        assert "40 is not it. Hint 1 is below." in feedback(card)
        assert str(card.query_one("#hints").render()).startswith("Hint 1:")
        await type_into(app, pilot, card, "41")
        await type_into(app, pilot, card, "42")
        assert "Ctrl+R for the worked solution" in feedback(card) and card.hints_shown == 2


async def test_the_verdict_says_it_is_about_the_last_answer_while_retyping(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 1)
        card = app.screen.query_one("ExerciseCard")
        await type_into(app, pilot, card, "[1, 2, 4, 4]")
        assert feedback(card).startswith("✗ [1, 2, 4, 4] is the input's shape")
        await pilot.press("end", "backspace")  # the wrong answer is selected: End to edit it
        await settle(app, pilot)
        assert feedback(card).startswith("(your last answer) ✗ [1, 2, 4, 4]")
        await pilot.press("]")
        await settle(app, pilot)
        assert feedback(card).startswith("✗ [1, 2, 4, 4]")


async def test_a_wrong_prediction_is_answered_from_the_run(make_app):
    lesson = next(lesson for lesson in LESSONS if lesson.id == "symmetry")
    page = next(i for i, p in enumerate(lesson.pages) for ex in p.exercises if ex.id == "predict-equal")
    app = make_app("symmetry")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, page)
        card = app.screen.query_one("#exercise-predict-equal")
        while card.expected is None:
            await pilot.pause(0.05)
        wrong = typed(not card.expected.value, card.exercise)
        await type_into(app, pilot, card, wrong)
        assert "torch's run: after 100 steps from equal weights, the 3 hidden kernels are still one kernel" in feedback(card)


def test_the_first_values_solution_slices_the_window_as_the_notebook_does():
    import torch

    from tutor.labs.conv import ConvSession

    answer, _ = exercise_expected("convolution", "first-value")
    line = next(line for line in answer.solution.splitlines() if line.startswith("In PyTorch: "))
    assert line == "In PyTorch: (a[0, :, 0:2, 0:2] * c.weight[0]).sum()"
    lesson = next(lesson for lesson in LESSONS if lesson.id == "convolution")
    session = ConvSession(lesson.labs["notebook"])
    a, weight = torch.from_numpy(session.x), torch.from_numpy(session.weight)
    assert (a[0, :, 0:2, 0:2] * weight[0]).sum().item() == pytest.approx(answer.value, abs=1e-5)


@pytest.mark.parametrize("seed", range(0, 300, 3))
def test_every_drill_question_names_each_of_its_mistakes(seed):
    """Random layers torch accepts: each mistake's wrong answer is refused with its own message,
    and the right answer (torch's, computed here) is none of them."""
    import random

    import torch
    from conftest import torch_conv

    from tutor.labs.drill import question

    asked = question(random.Random(seed))
    module = torch_conv(asked.layer)
    right = (tuple(module(torch.zeros(asked.input_shape)).shape) if asked.expected.kind == "shape"
             else sum(p.numel() for p in module.parameters()))
    assert asked.expected.value == right
    for mistake in asked.expected.mistakes:
        assert mistake.wrong != right
        verdict = check(asked.expected, typed(mistake.wrong))
        assert not verdict.correct and verdict.mistake == mistake.name, (asked.prompt, mistake)


async def test_hint_and_reveal_work_from_anywhere_on_the_page(make_app):
    """A learner arriving on the page (the focus on the page, not in the box) presses Ctrl+T: the
    question's next hint shows; Ctrl+R reveals its solution."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        card = app.screen.query_one("ExerciseCard")
        assert app.focused is not card.query_one("#answer")
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert card.hints_shown == 1 and str(card.query_one("#hints").render()).startswith("Hint 1:")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert card.status == "revealed" and "Worked solution" in str(card.query_one("#solution").render())


def test_a_rounded_value_is_called_close():
    answer, _ = exercise_expected("convolution", "first-value")
    verdict = check(answer, "-10.2")
    assert verdict.mistake == "rounded too early" and "close" in verdict.message
    assert check(answer, "-9").mistake is None


async def test_a_revealed_solution_is_scrolled_into_view(make_app):
    """At 80x24 the worked solution appears below the box: Ctrl+R brings its lines on screen,
    not only its heading (a learner saw "Worked solution:" and nothing under it)."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 2)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        await pilot.pause(0.2)
        screen = "\n".join(screen_text(app))
        assert "Worked solution:" in screen and "(-3.90) + (-6.35) = -10.25" in screen and "torch gives -10.25" in screen
