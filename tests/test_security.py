"""Lesson and progress files are data: code in them is inert text, deep nesting and enormous
sizes are refused with a message, and the stated limits (lessons/README.md, "Limits") hold.
Hostile progress files are among the corrupt ones of test_progress.py."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import screen_text, settle
from test_lessons import GOOD, problems, write

from tutor.cli import main
from tutor.course import loader
from tutor.course.loader import load_lesson
from tutor.labs.expected import expected

SMUGGLED = [
    "__import__('os').system('touch {flag}')",
    "{{ cycler.__init__.__globals__.os.popen('touch {flag}') }}",
    "${{system('touch {flag}')}}",
    "{0.__class__.__mro__}",
    "!!python/object/apply:os.system ['touch {flag}']",
]


def smuggling_lesson(tmp_path: Path) -> tuple[Path, Path]:
    """The convolution lesson with code in its title and prose."""
    flag = tmp_path / "PWNED"
    payloads = [p.replace("{flag}", str(flag)) for p in SMUGGLED]
    text = GOOD.replace('title = "Convolution"', f"title = {json.dumps(payloads[0])}", 1)
    text = text.replace('body = """\n', 'body = """\n' + "\n\n".join(payloads) + "\n\n", 1)
    return write(tmp_path, text, "smuggle.toml"), flag


async def test_code_in_lesson_text_is_shown_never_run(tmp_path, make_app):
    path, flag = smuggling_lesson(tmp_path)
    assert load_lesson(path).title.startswith("__import__('os')")
    assert main(["check", str(path)]) == 0  # computing every answer runs none of it either
    app = make_app("convolution", folder=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = "\n".join(screen_text(app))
        assert "__import__('os').system(" in screen  # the title, as typed
        assert "${{system('touch" in screen and "!!python/object/apply" in screen  # the prose, as Markdown
        await pilot.press("pagedown", "pagedown")
        await settle(app, pilot)
    assert not flag.exists()


@pytest.mark.parametrize("escape", ["\\u001b[2J", "\\u001b]0;pwned\\u0007", "\\u009b31m", "\\u0000", "\\u007f"])
@pytest.mark.parametrize("field", ['title = "Convolution', 'hints = [\n    "Four axes'])
def test_terminal_control_codes_in_lesson_text_are_refused(tmp_path, escape, field):
    """An ESC in a lesson would reach the terminal and clear it, retitle the window, ..."""
    assert field in GOOD
    text = problems(write(tmp_path, GOOD.replace(field, field + escape, 1)))
    assert "contains the control character U+00" in text and "terminal control codes" in text
    assert ("title:" if "title" in field else "pages[2].exercises[1].hints[1]:") in text


@pytest.mark.parametrize("old,new,where,message", [
    ("values = [[0.1, 0.2], [-0.4, -0.5]]", 'values = [["__import__(\'os\')", 0.2], [-0.4, -0.5]]',
     "labs.notebook.kernels[1].values", "finite numbers"),
    ('fill = "arange"', 'fill = "eval(\'1\')"', "labs.notebook.input.fill", "unknown fill"),
    ('quantity = "output_shape"', "quantity = \"__import__('os').getcwd()\"", "answer.quantity", "unknown quantity"),
    ("seed = 0", 'seed = "0; import os"', "labs.notebook.seed", "expected an integer"),
])
def test_code_in_data_fields_is_refused(tmp_path, old, new, where, message):
    assert old in GOOD
    text = problems(write(tmp_path, GOOD.replace(old, new, 1)))
    assert where in text and message in text


@pytest.mark.parametrize("payload", [
    "x = " + "[" * 100_000 + "]" * 100_000,
    "x = " + "{a = " * 20_000 + "1" + "}" * 20_000,
    "[" + ".".join(["a"] * 40_000) + "]",
])
def test_deep_nesting_is_refused_with_a_message(tmp_path, payload):
    text = problems(write(tmp_path, payload + "\n"))
    assert "nests too deeply" in text or "unknown field" in text


def test_a_file_over_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = write(tmp_path, GOOD + "#" * loader.MAX_FILE_BYTES)
    assert f"a lesson file may have at most {loader.MAX_FILE_BYTES}" in problems(path)


@pytest.mark.parametrize("old,new,where", [
    ("shape = [1, 2, 4, 4]", "shape = [1, 2, 65, 4]", "labs.notebook.input.shape"),
    ("shape = [1, 2, 4, 4]", "shape = [1, 17, 4, 4]", "labs.notebook.input.shape"),
    ("shape = [1, 2, 4, 4]", "shape = [1000000, 2, 4, 4]", "labs.notebook.input.shape"),
    ("out_channels = 3", "out_channels = 100000", "labs.notebook.layer.out_channels"),
    ("kernel_size = 2, bias", "kernel_size = 10, bias", "labs.notebook.layer.kernel_size"),
    ("in_channels = 5, out_channels = 10", "in_channels = 5, out_channels = 10000000", "answer.layer.out_channels"),
])
def test_tensors_beyond_the_stated_limits_are_refused(tmp_path, old, new, where):
    assert old in GOOD
    assert where in problems(write(tmp_path, GOOD.replace(old, new, 1)))


def test_the_largest_exercise_input_is_shaped_without_allocating_it(tmp_path):
    """An exercise may describe [64, 4096, 4096, 4096] (4 TiB of float32): torch works out the
    shape on the meta device, so checking the lesson stays small."""
    text = GOOD.replace('answer = { quantity = "output_shape", lab = "notebook" }',
                        'answer = { quantity = "output_shape", input_shape = [64, 16, 4096, 4096], '
                        'layer = { in_channels = 16, out_channels = 16, kernel_size = 3 } }', 1)
    assert text != GOOD
    lesson = load_lesson(write(tmp_path, text))
    answer = next(ex.answer for page in lesson.pages for ex in page.exercises if ex.id == "output-shape")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert expected(answer, lesson.labs).value == (64, 16, 4094, 4094)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: under 100 MB


def test_check_of_a_hostile_folder_in_a_fresh_process(tmp_path):
    """The command a teacher runs on a lesson from elsewhere: it reports, runs nothing, exits 1."""
    smuggling_lesson(tmp_path)
    write(tmp_path, "x = " + "[" * 100_000, "deep.toml")
    result = subprocess.run([sys.executable, "-m", "tutor", "check", str(tmp_path)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONSAFEPATH": "1"})
    assert result.returncode == 1 and "deep.toml" in result.stdout and "Traceback" not in result.stderr
    assert not (tmp_path / "PWNED").exists()
