"""The app shell: lesson list, pages, help, and the command line."""

import subprocess
import sys

from conftest import goto_page, screen_text, settle, tab_to

from tutor import __version__
from tutor.cli import main


def test_torch_is_not_imported_before_the_first_screen():
    code = "import sys, tutor.app, tutor.cli; print('torch' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


async def test_lesson_list_opens_the_convolution_lesson(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        options = app.screen.query_one("#lessons")
        assert "Convolution" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.lesson.id == "convolution"
        assert app.screen.sub_title.startswith("1/")
        await pilot.press("escape")
        assert type(app.screen).__name__ == "HomeScreen"


async def test_a_lesson_reopened_from_the_list_resumes_where_it_was_left(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Convolution, from its start
        await goto_page(app, pilot, 3)
        await pilot.press("escape", "down", "enter")  # the next lesson, from its start
        await settle(app, pilot)
        other = app.screen.lesson.id
        assert other != "convolution" and app.screen.page_index == 0
        await pilot.press("pagedown")
        await settle(app, pilot)
        await pilot.press("escape", "up", "enter")  # Convolution again: page 4 of 6, as it was left
        await settle(app, pilot)
        assert (app.screen.lesson.id, app.screen.page_index) == ("convolution", 3)
        assert app.screen.sub_title.startswith("4/")
        await pilot.press("escape", "down", "enter")
        await settle(app, pilot)
        assert (app.screen.lesson.id, app.screen.page_index) == (other, 1)


async def test_pages_turn_with_pagedown_pageup_and_brackets(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("pagedown")
        assert screen.page_index == 1
        await pilot.press("pageup", "pageup")  # stops at the first page
        assert screen.page_index == 0
        await pilot.press("right_square_bracket")
        assert screen.page_index == 1
        assert "page 2 of" in str(screen.query_one("#page-bar").render())
        await pilot.press("left_square_bracket")  # a lab and a question: [ starts an answer
        assert screen.page_index == 1 and app.focused.id == "answer" and app.focused.value == "["
        await pilot.press("pageup")
        assert screen.page_index == 0
        await pilot.press(*["pagedown"] * 4)
        # a page of questions only: its answer box has the focus, and takes "[" as text
        await pilot.press("left_square_bracket")
        assert screen.page_index == 4
        assert screen.query_one("#answer").value == "["
        await pilot.press("tab")  # out of the answer box, "[" still starts an answer: it is never a page key
        await pilot.press("left_square_bracket")
        assert screen.page_index == 4 and app.focused.id == "answer" and app.focused.value == "["
        await pilot.press("pageup")
        assert screen.page_index == 3


async def test_help_lists_the_keys_of_the_current_screen(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        app.set_focus(None)
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        text = "\n".join(f"{key} {does}" for key, does in app.screen.rows)
        for words in ("Next page", "Step the window to the next output cell", "Back to the lesson list",
                      "Restore the lesson's input, kernels and settings", "Quit"):
            assert words in text
        assert "PgDn / ] Next page" in text and "n Step the window" in text
        await pilot.press("escape")
        assert type(app.screen).__name__ == "LessonScreen"
        await pilot.press("tab", "tab")  # on a grid, help also explains editing
        await pilot.press("question_mark")
        assert "commit" in app.screen.details and "Convolution lab" in app.screen.details
        assert text.count("Every key of this screen") == 1 and "? / F1 Every key of this screen" in text


async def test_f1_in_an_answer_box_opens_the_help(make_app):
    """In an answer box "?" is typed (the box takes every character); F1 opens the help there, and
    the exercise's help says so."""
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 1)
        await tab_to(app, pilot, "answer")
        await pilot.press("1", "f1")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "HelpScreen" and "**F1** opens\nthis help" in app.screen.details
        await pilot.press("escape")
        assert app.focused.id == "answer" and app.focused.value == "1"


async def test_q_quits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_small_terminal_still_reaches_the_lab(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(80, 24)) as pilot:
        await goto_page(app, pilot, 3)
        steps = app.screen.query_one("#steps")
        await pilot.press("tab")
        for _ in range(15):  # Tab through the grids: each one scrolls into view
            await pilot.press("tab")
            focused = app.focused
            assert focused.region.intersection(app.screen.region).area > 0
        app.screen.query_one("#page").scroll_end(animate=False)
        await pilot.pause()
        assert steps.region.intersection(app.screen.region).area > 0


def test_cli_list_version_and_unknown_lesson(capsys):
    assert main(["--list"]) == 0
    assert capsys.readouterr().out.startswith("convolution")
    try:
        main(["--version"])
    except SystemExit as exit:
        assert exit.code == 0
    assert __version__ in capsys.readouterr().out
    assert main(["--lesson", "nope"]) == 2
    assert "no lesson 'nope'" in capsys.readouterr().err


def test_python_m_tutor_runs():
    result = subprocess.run([sys.executable, "-m", "tutor", "--list"], capture_output=True, text=True)
    assert result.returncode == 0 and "convolution" in result.stdout


async def test_a_tiny_terminal_is_told_its_size_and_recovers(make_app):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        await pilot.press("n")
        await pilot.resize_terminal(20, 8)
        await pilot.pause()
        assert type(app.screen).__name__ == "TooSmallScreen"
        assert "needs at least 50×15" in str(app.screen.query_one("#too-small").render())
        assert "This terminal is 20×8" in str(app.screen.query_one("#too-small").render())
        await pilot.press("n", "tab", "5", "enter", "pagedown")  # nothing happens behind the message
        await pilot.resize_terminal(30, 10)
        await pilot.pause()
        assert "This terminal is 30×10" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert type(app.screen).__name__ == "LessonScreen" and app.screen.page_index == 3
        assert str(app.screen.query_one("#steps").render()).startswith("output[0, 0, 0, 1]")


async def test_starting_in_a_tiny_terminal(make_app):
    """The message wraps to the terminal's width: every word of it is on screen."""
    app = make_app()
    async with app.run_test(size=(20, 8)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "TooSmallScreen"
        shown = " ".join(" ".join(screen_text(app)).split())
        assert "cnn-tutor needs at least 50×15. This terminal is 20×8. Make it bigger (q quits)." in shown
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_a_lesson_opened_after_the_terminal_shrank_names_itself_in_the_page_bar(make_app):
    """Below 30 rows the header is hidden and the page bar carries the lesson's title, also for a
    lesson opened after the terminal shrank (the bar was once written before the screen knew)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert "Convolution · page 1 of 6" in str(app.screen.query_one("#page-bar").render())
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.2)
        assert str(app.screen.query_one("#page-bar").render()).strip().startswith("page 1 of 6")
