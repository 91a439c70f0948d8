"""Exercises answered from the keyboard, as a learner would."""

import pytest
from conftest import goto_page, screen_text, settle, tab_to

from tutor.course.answers import AnswerError, check, parse_shape
from tutor.course.loader import bundled_folder, load_folder, load_lesson
from tutor.labs.expected import expected

LESSON = load_lesson(bundled_folder() / "convolution.toml")


def exercise(exercise_id):
    for page in LESSON.pages:
        for ex in page.exercises:
            if ex.id == exercise_id:
                return expected(ex.answer, LESSON.labs)
    raise KeyError(exercise_id)


@pytest.mark.parametrize("text", ["[1, 3, 3, 3]", "(1,3,3,3)", "1x3x3x3", "torch.Size([1, 3, 3, 3])",
                                  " 1 × 3 × 3 × 3 ", "1, 3, 3, 3", "TORCH.SIZE([1,3,3,3])"])
def test_shape_spellings_are_accepted(text):
    assert check(exercise("output-shape"), text).correct


@pytest.mark.parametrize("text,hint", [
    ("[3, 2, 2, 2]", "shape of the layer's weight"),
    ("[1, 2, 4, 4]", "the input's shape"),
    ("[3, 3, 3]", "keeps the batch axis"),
    ("[1, 3, 3]", "has 4 axes"),
    ("[1, 3, 4, 4]", "the sides do not stay 4×4"),
    ("[1, 3, 5, 5]", "is not it"),
])
def test_wrong_shapes_get_a_hint_that_fits(text, hint):
    verdict = check(exercise("output-shape"), text)
    assert not verdict.correct and hint in verdict.message


@pytest.mark.parametrize("text", ["eval('1')", "[1, 3, 3, 3", "__import__('os')", "1.5x3", "", "x" * 500, "[-1, 3, 3, 3]",
                                  "1x3x3x3x", "x1x3x3x3", "1,,3,3,3", "1x3x3x3,,"])
def test_unreadable_shapes_are_refused_not_evaluated(text):
    with pytest.raises(AnswerError):
        check(exercise("output-shape"), text)


def test_shape_parser():
    assert parse_shape("torch.Size([1, 3, 3, 3])") == (1, 3, 3, 3)
    assert parse_shape("((2,))") == (2,)


def test_first_value_is_computed_by_torch_and_checked_with_tolerance():
    first = exercise("first-value")
    assert first.value == pytest.approx(-10.25, abs=1e-5)
    assert check(first, "-10.25").correct and check(first, "-10.250001").correct
    assert not check(first, "-10.2").correct and not check(first, "10.25").correct
    assert "channel 0's part" in check(first, "-3.9").message
    assert "channel 1's part" in check(first, "-6.35").message
    with pytest.raises(AnswerError):
        check(first, "nan")


def test_parameter_count_with_formula():
    count = exercise("parameter-count")
    assert count.value == 210
    assert check(count, "210").correct
    assert "bias" in check(count, "200").message
    assert "10 × 5 × 2 × 2 = 200" in count.solution and "200 + 10 = 210" in count.solution
    with pytest.raises(AnswerError):
        check(count, "210.5")


def card_text(app, part):
    return str(app.screen.query_one(f"ExerciseCard #{part}").render())


async def answer(app, pilot, text):
    await tab_to(app, pilot, "answer")
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")  # clear the box, type, submit
    await settle(app, pilot)


async def test_output_shape_answered_by_keys(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 1)
        await answer(app, pilot, "[3, 2, 2, 2]")
        assert "shape of the layer's weight" in card_text(app, "feedback")
        card = app.screen.query_one("ExerciseCard")
        assert card.status == "wrong"
        await answer(app, pilot, "torch.Size([1, 3, 3, 3])")
        assert card.status == "correct"
        assert "Correct" in card_text(app, "feedback")
        assert "so the output has shape [1, 3, 3, 3]" in card_text(app, "solution")


async def test_after_a_wrong_answer_typing_replaces_it_and_an_arrow_edits_it(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await answer(app, pilot, "-3.9")
        box = app.screen.query_one("ExerciseCard #answer")
        await pilot.press("1")
        assert box.value == "1"  # not "-3.91"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("end", "0")
        assert box.value == "10"  # after an arrow key the answer is edited, not replaced


async def test_first_value_answered_by_keys(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await answer(app, pilot, "-3.9")
        assert "only input channel 0's part" in card_text(app, "feedback")
        await answer(app, pilot, "-10.25")
        assert "Correct: -10.25" in card_text(app, "feedback")
        assert "0×0.1 + 1×0.2 + 4×(-0.4) + 5×(-0.5) = -3.9" in card_text(app, "solution")


async def test_parameter_count_hint_and_reveal_by_keys(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 4)
        await answer(app, pilot, "200")
        assert "counts the weights only" in card_text(app, "feedback")
        await pilot.press("ctrl+t")
        assert card_text(app, "hints").startswith("Hint 1: First the weight")
        await pilot.press("ctrl+t")
        assert "Hint 2:" in card_text(app, "hints")
        assert card_text(app, "solution") == ""
        await pilot.press("ctrl+r")
        card = app.screen.query_one("ExerciseCard")
        assert card.status == "revealed"
        assert "out × in × k × k = 10 × 5 × 2 × 2 = 200" in card_text(app, "solution")


async def test_each_hint_taken_is_scrolled_into_view(make_app):
    """At 80x24 the card of convolution's page 3 grows below the fold with each hint: the new
    hint is brought into view (it was laid out after the card was scrolled to)."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 2)
        await pilot.press("tab")
        for hint in (1, 2):
            await pilot.press("ctrl+t")
            await pilot.pause(0.3)
            assert any(row.lstrip(" │").startswith(f"Hint {hint}:") for row in screen_text(app))


async def test_typing_into_an_answer_box_below_the_fold_brings_it_into_view(make_app):
    """A page of questions opens at its top with its first answer box focused, below the fold at
    80x24: what the learner types is shown, with the box."""
    app = make_app("arithmetic")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 1)
        assert not any("[1, 8" in row for row in screen_text(app))
        await pilot.press(*"[1, 8, 16, 16]")
        await pilot.pause(0.2)
        assert any("[1, 8, 16, 16]" in row for row in screen_text(app))


@pytest.mark.parametrize("text,message", [("", "Nothing was typed"), ("abc", "is not a number"),
                                          ("1e999", "overflows"), ("inf", "not a finite number")])
async def test_unreadable_answers_are_explained_and_not_counted(make_app, text, message):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await answer(app, pilot, text)
        assert message in card_text(app, "feedback")
        card = app.screen.query_one("ExerciseCard")
        assert card.status == "unanswered" and card.attempts == 0


HOSTILE = ["", "   ", "abc", "nan", "-nan", "inf", "-inf", "1e999", "-0", "0x10", "1_000", "\x07\x1b[2J",
           "\u202e123", "1\u0301", "٣", "１２", "x" * 10_000, "[1, 3, 3, 3" * 1000, "__import__('os')"]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_refused_in_plain_words_or_read_as_a_number(text):
    from tutor.numbers import NumberError, parse_number

    for exercise_id in ("output-shape", "first-value", "parameter-count"):
        try:
            verdict = check(exercise(exercise_id), text)
        except AnswerError as error:
            message = str(error)
            assert message and len(message) < 200 and "\x1b" not in message and "\x07" not in message
        else:
            assert not verdict.correct  # read as a (wrong) number or shape, e.g. "-0" or "0x10"
    try:
        value = parse_number(text, limit=9999)
    except NumberError as error:
        assert len(str(error)) < 200 and "\x1b" not in str(error)
    else:
        assert value == 0.0 and str(value) == "0.0"  # "-0" is read as 0, never as -0.0


async def test_hostile_text_pasted_into_every_answer_box(make_app):
    """Pasted, then submitted: a plain-words message, the exercise unanswered, no attempt counted,
    or (for text that is a number, like "-0") an ordinary wrong answer."""
    from textual import events

    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        card = app.screen.query_one("ExerciseCard")
        for text in HOSTILE:
            attempts = card.attempts
            try:
                check(exercise(card.exercise.id), text)
                counted = 1
            except AnswerError:
                counted = 0
            await tab_to(app, pilot, "answer")
            await pilot.press("ctrl+a", "ctrl+k")
            app.focused.post_message(events.Paste(text))
            await pilot.press("enter")
            await settle(app, pilot)
            feedback = card_text(app, "feedback")
            assert feedback and "\x1b" not in feedback and card.status != "correct", repr(text)
            assert card.attempts == attempts + counted, repr(text)


def answer_text(value) -> str:
    """The right answer written as a learner would type it."""
    return "[" + ",".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)


ALL_LESSONS, _ = load_folder(bundled_folder())
LAB_EXERCISES = [(lesson.id, i, ex) for lesson in ALL_LESSONS for i, page in enumerate(lesson.pages)
                 if page.lab for ex in page.exercises[:1] if ex.answer.kind != "choice"]


@pytest.mark.parametrize(("lesson", "page", "ex"), LAB_EXERCISES, ids=lambda v: getattr(v, "id", str(v)))
async def test_an_answer_typed_on_a_lab_page_goes_to_its_box(make_app, lesson, page, ex):
    """The page has the focus (the lab's keys work), yet the answer's first character moves it to
    the box: ``[`` and ``]`` are typed, never turn the page; Enter checks the answer."""
    app = make_app(lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, page)
        assert app.focused.id == "page"
        card = app.screen.query_one(f"#exercise-{ex.id}")
        right = answer_text(card.expected.value)
        await pilot.press(*right, "enter")
        await settle(app, pilot)
        assert app.screen.page_index == page
        box = card.query_one("#answer")
        assert box.value == right and card.solved, (right, box.value, str(card.query_one("#feedback").render()))
        assert "✓" in str(card.query_one("#feedback").render())
        assert app.focused.id == "page"  # done with that box: the next answer goes to the next question


async def test_the_next_answer_goes_to_the_next_open_question(make_app):
    """Solved, the box gives the focus back to the page: the next answer typed lands in the next
    question's box, not after the solved one's text (a learner's walk found ``32x8x8x8[32, 8, 8, 8]``)."""
    app = make_app("first-cnn")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 0)
        await pilot.press(*"[32,8,8,8]", "enter")
        await settle(app, pilot)
        await pilot.press(*"[32,8,4,4]", "enter")
        await settle(app, pilot)
        first, second = (app.screen.query_one(f"#exercise-{name}") for name in ("first-conv-shape", "first-pool-shape"))
        assert first.solved and second.solved, str(second.query_one("#feedback").render())
        assert first.query_one("#answer").value == "[32,8,8,8]"


async def test_tab_from_a_lab_page_goes_to_the_answer_box_first(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 1)  # lab (input and kernels) and a shape question
        await pilot.press("tab")
        assert app.focused.id == "answer"
        await pilot.press("n", "]", "enter")  # in the box, letters and brackets are typed
        await settle(app, pilot)
        assert app.screen.page_index == 1 and app.focused.value == "n]"


async def paste_and_enter(app, pilot, text: str) -> None:
    """Keys all sent at once, as a paste or a fast typist sends them, then Enter."""
    from textual import events

    names = {"[": "left_square_bracket", "]": "right_square_bracket", ",": "comma"}
    for character in text:
        app.post_message(events.Key(character if character.isalnum() else names[character], character))
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_an_answer_typed_in_one_burst_arrives_whole(make_app):
    """Pasted, or typed faster than the screen: the keys after the first were already on their
    way to the page when the first moved the focus to the box; they follow it there."""
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 1)
        await paste_and_enter(app, pilot, "[1,3,3,3]")
        card = app.screen.query_one("#exercise-output-shape")
        assert app.screen.page_index == 1 and card.query_one("#answer").value == "[1,3,3,3]" and card.solved


async def test_a_burst_typed_on_a_focused_grid_goes_whole_to_the_box(make_app):
    """A learner found digits of a pasted answer taken by the input grid (it had the focus): after
    the ``[`` moved the focus, the grid passes them on; the grid is unchanged."""
    app = make_app("pooling")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 2)  # the settings page: an editable input and two questions
        await tab_to(app, pilot, "x-0")
        before = app.screen.query_one("#x-0").values
        await paste_and_enter(app, pilot, "[1,1,2,2]")
        card = app.screen.query_one("#exercise-ceil-false")
        assert card.query_one("#answer").value == "[1,1,2,2]" and card.solved
        grid = app.screen.query_one("#x-0")
        assert grid.editing is None and grid.values == before
