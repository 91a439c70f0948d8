"""Text is text: what a learner types or pastes, what a lesson says, a path or a progress file holds
reaches the screen as plain text. Markup in it is shown, never parsed: ``[/x]`` does not crash,
``[b]`` does not vanish, ``[@click=...]`` does not act, ``[link=...]`` sends no hyperlink."""

import json
import os

import pytest
from conftest import goto_page, screen_text, settle, tab_to
from test_lessons import GOOD, write

from tutor.course.loader import bundled_folder

MARKUP = ["a[/x]", "[1,3,3,3] [/]", "[b]bold", "[@click=app.quit]Start[/]", "[link=https://e.io]l[/link]"]


def on_screen(app) -> str:
    return "\n".join(screen_text(app))


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{"[": "left_square_bracket", "]": "right_square_bracket"}.get(ch, ch) for ch in text])


@pytest.mark.parametrize("answer", MARKUP)
async def test_markup_typed_into_an_answer_box_is_echoed_as_typed(make_app, answer):
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 4)  # "Counting parameters": the answer box has the focus
        assert app.focused.id == "answer"
        app.focused.insert_text_at_cursor(answer)  # typed: '[' and ']' in an answer box are text
        await pilot.press("enter")
        await settle(app, pilot)
        feedback = str(app.screen.query_one("#feedback").render())
        assert answer[:12] in feedback, feedback  # the learner's text, quoted as typed
        assert app.is_running


async def test_markup_pasted_into_a_kernel_cell_is_refused_as_text(make_app):
    from textual import events

    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        await tab_to(app, pilot, "w-0-0")
        app.focused.post_message(events.Paste("1[/x]"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert "'1[/x]' is not a number" in str(app.screen.query_one("#lab-status").render())


async def test_markup_in_the_drill_is_echoed_as_typed(make_app):
    app = make_app("arithmetic")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 2)
        await tab_to(app, pilot, "answer")
        app.focused.insert_text_at_cursor("a[/x]")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "'a[/x]'" in str(app.screen.query_one("#drill-feedback").render())


def hostile_lesson(folder, payload: str):
    """The convolution lesson with ``payload`` in its title, summary, every page title and body,
    a hint and every prompt (payloads hold no quotes or backslashes)."""
    folder.mkdir()
    text = GOOD.replace('title = "Convolution"', f'title = "T{payload}"', 1)
    text = text.replace('\ntitle = "', f'\ntitle = "{payload} ')
    text = text.replace('hints = [\n', f'hints = [\n    "H{payload}",\n')
    text = text.replace('prompt = """', f'prompt = """P{payload} ')
    text = text.replace('body = """', f'body = """B{payload} ')
    text = text.replace('\nsummary = "', f'\nsummary = "S{payload} ', 1)
    write(folder, text, "hostile.toml")
    return folder


@pytest.mark.parametrize("payload", MARKUP)
async def test_markup_in_every_lesson_string_is_shown_never_parsed(tmp_path, make_app, payload):
    app = make_app(None, folder=hostile_lesson(tmp_path / "lessons", payload))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert not app.errors, app.errors
        assert "T" + payload in on_screen(app) and "S" + payload in on_screen(app)  # the lesson list
        await pilot.press("enter")
        await settle(app, pilot)
        for _ in range(len(app.lesson("convolution").pages)):  # every page, then the results
            assert payload in str(app.screen.query_one("#page-title").render())
            assert payload in on_screen(app)
            await pilot.press("ctrl+t")  # a hint, where the page has an exercise
            await pilot.press("f1")
            await pilot.press("escape")
            await pilot.press("pagedown")
            await settle(app, pilot)
        await pilot.click("#page-title")  # a [@click=...] title would act here
        await pilot.press("ctrl+p")
        await type_text(pilot, "conv")
        await settle(app, pilot)
        await pilot.press("escape")
        assert app.is_running
    assert not list(tmp_path.glob("*.svg"))  # no screenshot action ran


async def test_lesson_links_are_shown_not_followed(tmp_path, make_app):
    from tutor.widgets.prose import Prose

    folder = tmp_path / "lessons"
    folder.mkdir()
    write(folder, GOOD.replace('body = """\n', 'body = """\n[click me](file:///etc/passwd)\n\n', 1), "links.toml")
    opened = []
    app = make_app("convolution", folder=folder)
    app.open_url = lambda url, **kwargs: opened.append(url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "click me" in on_screen(app)
        prose = app.screen.query_one(Prose)
        await prose.query_one("MarkdownParagraph").action_link("file:///etc/passwd")
        await settle(app, pilot)
    assert opened == []


async def test_a_progress_folder_whose_path_holds_markup_is_named_as_it_is(tmp_path, monkeypatch, make_app):
    home = tmp_path / "a[" / "x]home"
    home.parent.mkdir()
    home.write_text("a file where the folder should be")
    monkeypatch.setenv("CNN_TUTOR_HOME", str(home))
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("pagedown")  # saving fails: the message names the folder
        await settle(app, pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("x]home" in message and "not writable" in message for message in messages), messages


@pytest.mark.parametrize("last", [{"lesson": "convolution", "page": "[/b]"}, {"lesson": "[/x]\u001b[2J", "page": 0}])
async def test_a_progress_file_holding_markup_starts_fresh_without_crashing(tutor_home, make_app, last):
    tutor_home.mkdir(parents=True)
    (tutor_home / "progress.json").write_text(json.dumps({"version": 1, "last": last, "lessons": {}}))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = on_screen(app)
        assert "\x1b" not in screen and app.is_running


async def test_a_lesson_file_name_with_escape_codes_is_shown_escaped(tmp_path, make_app):
    folder = tmp_path / "lessons"
    folder.mkdir()
    write(folder, GOOD, "good.toml")
    write(folder, "title = 1\n", "bad\x1b[2J.toml")
    app = make_app(None, folder=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = on_screen(app)
        assert "bad\\x1b[2J.toml" in screen and "\x1b" not in screen


def test_clean_escapes_every_control_and_direction_character():
    from tutor.text import clean

    assert clean("a\x1b]0;T\x07b") == "a\\x1b]0;T\\x07b"
    assert clean("\u202eevil\u2066") == "\\u202eevil\\u2066"
    assert clean("\x9b31m") == "\\x9b31m"
    assert clean("two\nlines\tand tab", multiline=True) == "two\nlines\tand tab"
    assert clean("two\nlines") == "two\\x0alines"
    assert clean("Faltung, 畳み込み, ×") == "Faltung, 畳み込み, ×"
    assert os.linesep not in clean("x" + os.linesep)


async def test_settings_show_and_step_from_the_lessons_real_values(tmp_path, make_app):
    """A 16x16 input with kernel 7 is not among the playground's choices: the settings show 16
    and 7 (not 1), and step from there."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    arithmetic = (bundled_folder() / "arithmetic.toml").read_text()
    arithmetic = arithmetic.replace('input = { shape = [1, 1, 5, 5], fill = "arange" }\n'
                                    'layer = { in_channels = 1, out_channels = 1, kernel_size = 3, stride = 2, padding = 1, bias = false }',
                                    'input = { shape = [1, 1, 16, 16], fill = "arange" }\n'
                                    'layer = { in_channels = 1, out_channels = 1, kernel_size = 7, stride = 2, padding = 1, bias = false }')
    symmetry = (bundled_folder() / "symmetry.toml").read_text().replace("lr = 0.1", "lr = 0.05")
    write(folder, arithmetic, "arithmetic.toml")
    write(folder, symmetry, "symmetry.toml")
    app = make_app("arithmetic", folder=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        settings = "\n".join(screen_text(app))
        assert "H ◂ 16 ▸" in settings and "W ◂ 16 ▸" in settings and "k ◂ 7 ▸" in settings
        await tab_to(app, pilot, "set-kernel_size")
        await pilot.press("left")
        await settle(app, pilot)
        assert "kernel_size=5" in str(app.screen.query_one("#lab-status").render())
    app = make_app("symmetry", folder=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        training = next(i for i, page in enumerate(app.lesson("symmetry").pages) if page.lab == "training")
        await goto_page(app, pilot, training)
        assert "lr ◂ 0.05 ▸" in "\n".join(screen_text(app))
        await tab_to(app, pilot, "set-lr")
        await pilot.press("right")
        assert app.screen.query_one("#lab").session.trainer.lr == 0.1


async def test_code_saved_to_a_folder_whose_path_holds_markup_is_named_as_it_is(tmp_path, monkeypatch, make_app):
    work = tmp_path / "w[" / "x]\u001b[2J"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    app = make_app("convolution")
    async with app.run_test(size=(120, 40)) as pilot:
        await goto_page(app, pilot, 3)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        status = str(app.screen.query_one("#code-status").render())
        assert "Saved to" in status and "w[/x]\\x1b[2J/cnn_tutor_notebook.py" in status, status
    assert (work / "cnn_tutor_notebook.py").exists()


async def test_the_arithmetic_lines_show_markup_and_escapes_as_text():
    """The lab's arithmetic box draws its lines itself (``Lines``): cleaned like every other text,
    never parsed, and never wrapped by the screen."""
    from textual.app import App

    from tutor.widgets.text import Lines

    class Box(App):
        def compose(self):
            yield Lines("[b]bold?[/b] [@click=app.quit]x[/]\nesc \x1b[31mred\x07 " + "9" * 60)

    app = Box()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        box = app.query_one(Lines)
        rows = [line.text for line in (box.render_line(y) for y in range(3))]
        assert rows[0] == "[b]bold?[/b] [@click=app.quit]x[/]"
        assert rows[1].startswith("esc \\x1b[31mred\\x07 ") and "\x1b" not in rows[1]
        assert box.size.height == 2  # a line a row: too long is cut at the edge, not wrapped
        assert app.is_running  # the click markup did nothing
