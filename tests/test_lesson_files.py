"""What a lesson folder may hold besides good lessons: hostile names and keys (shown escaped, never
reaching the terminal), invisible direction marks (refused), files that are not files (FIFOs,
devices: refused without reading), a byte order mark (accepted), ids used twice (the first kept),
and folders that cannot be read (the reason is said)."""

import os
import pathlib
import resource
import subprocess
import sys
import tracemalloc

import pytest
from test_lessons import GOOD, problems, write

from tutor.cli import main
from tutor.course import loader
from tutor.course.loader import load_folder, load_lesson
from tutor.course.model import Lesson
from tutor.text import clean, unsafe

KEY = "\x1b]0;T\x07\x1b[2J"  # retitles the window, then clears the screen
HOSTILE_NAME = "\x1b[2J\u202eevil.toml"
FIRST_EXERCISE = '[[pages.exercises]]\nid = "output-shape"'
LOAD_FOLDER = "import sys; from tutor.course.loader import load_folder; print(*load_folder(sys.argv[1])[1], sep='\\n')"


def run(*args: str, timeout: float = 60, limit: int | None = None) -> subprocess.CompletedProcess:
    """The tutor's command in a fresh process: a hang fails the test after ``timeout`` seconds, and
    ``limit`` bounds its memory (bytes) so that a runaway read fails instead of exhausting the machine."""
    def bound() -> None:
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "tutor", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=bound,
                          check=False)


def toml(text: str) -> str:
    """``text`` as a TOML string, its unsafe characters written as ``\\uXXXX`` escapes."""
    return '"' + "".join(f"\\u{ord(ch):04x}" if unsafe(ch) else ch for ch in text) + '"'


def assert_terminal_safe(text: str) -> None:
    assert unsafe(text, multiline=True) is None, repr(text)


# 1. Names and keys from a lesson file reach no terminal as they are.

def test_an_unknown_key_with_escape_codes_is_reported_escaped(tmp_path, capsys):
    path = write(tmp_path, f"{toml(KEY)} = 1\n" + GOOD)
    text = problems(path)
    assert f"{path}: {clean(KEY)}: unknown field" in text
    assert_terminal_safe(text)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert clean(KEY) in out
    assert_terminal_safe(out)


def test_a_file_name_with_escape_codes_is_printed_escaped(tmp_path, capsys):
    path = write(tmp_path, "title = \n", HOSTILE_NAME)
    text = problems(path)
    assert clean(path) in text and "not valid TOML" in text
    assert_terminal_safe(text)
    assert main(["check", str(tmp_path)]) == 1
    assert main(["--list", "--lessons", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert clean(HOSTILE_NAME) in captured.out and clean(HOSTILE_NAME) in captured.err
    assert_terminal_safe(captured.out + captured.err)


INVISIBLE = ["\\u202e", "\\u202a", "\\u2066", "\\u2069", "\\u200b", "\\u200f", "\\u061c", "\\ufeff"]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("field,where", [('title = "Convolution', "title:"),
                                         ('hints = [\n    "Four axes', "pages[2].exercises[1].hints[1]:")])
def test_direction_overrides_and_invisible_characters_in_lesson_text_are_refused(tmp_path, char, field, where):
    """U+202E shows 'txt.exe' as 'exe.txt': a lesson could make the screen say what it does not."""
    assert field in GOOD
    text = problems(write(tmp_path, GOOD.replace(field, field + char, 1)))
    assert where in text and f"U+{char[2:].upper()}" in text


def test_a_lab_name_with_escape_codes_is_refused_and_shown_escaped(tmp_path):
    text = problems(write(tmp_path, GOOD.replace("[labs.notebook]", f"[labs.{toml(KEY)}]", 1)))
    assert f"labs.{clean(KEY)}: the name contains the control character U+001B" in text
    assert_terminal_safe(text)


def test_a_hostile_folder_prints_nothing_unsafe_in_a_fresh_process(tmp_path):
    write(tmp_path, GOOD.replace('title = "Convolution', 'title = "\\u202eConvolution', 1), "bidi.toml")
    write(tmp_path, f"{toml(KEY)} = 1\n" + GOOD, "key.toml")
    write(tmp_path, "title = \n", HOSTILE_NAME)
    for command in (["check", str(tmp_path)], ["--list", "--lessons", str(tmp_path)]):
        result = run(*command)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert_terminal_safe(result.stdout + result.stderr)


def test_tab_and_newline_stay_allowed_in_lesson_text(tmp_path):
    path = write(tmp_path, GOOD.replace('title = "Convolution"', 'title = "Con\\tvolution"', 1))
    assert load_lesson(path).title == "Con\tvolution" and "\n" in load_lesson(path).pages[0].body


# 2. Files that are not files.

@pytest.mark.parametrize("command", [["check", "{folder}"], ["--list", "--lessons", "{folder}"],
                                     ["-c", LOAD_FOLDER, "{folder}"]])
def test_a_fifo_does_not_hang_the_tutor(tmp_path, command):
    write(tmp_path, GOOD, "convolution.toml")
    os.mkfifo(tmp_path / "x.toml")
    result = run(*[part.format(folder=tmp_path) for part in command], timeout=30)
    assert f"{tmp_path / 'x.toml'}: is not a regular file" in result.stdout + result.stderr


def test_a_symlink_to_a_device_is_refused_without_reading_it(tmp_path):
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    result = run("-c", LOAD_FOLDER, str(tmp_path), timeout=30, limit=1 << 30)
    assert f"{tmp_path / 'zero.toml'}: is not a regular file" in result.stdout, result.stderr


def test_a_huge_file_is_refused_after_reading_just_past_the_limit(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: no disk used
    tracemalloc.start()
    try:
        assert "a lesson file may have at most" in problems(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * loader.MAX_FILE_BYTES


def test_a_folder_named_like_a_lesson_is_not_a_regular_file(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    assert "folder.toml: is not a regular file" in problems(tmp_path / "folder.toml")


def test_a_symlink_to_a_lesson_file_is_fine(tmp_path):
    target = write(tmp_path, GOOD, "real.txt")
    (tmp_path / "link.toml").symlink_to(target)
    lessons, errors = load_folder(tmp_path)
    assert not errors and [lesson.id for lesson in lessons] == ["convolution"]


# 3. A byte order mark.

def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_lesson(path).id == "convolution"


# 4. Two lessons with one id.

def test_of_two_lessons_with_one_id_the_first_is_kept_and_the_second_refused(tmp_path, capsys):
    write(tmp_path, GOOD, "b.toml")
    write(tmp_path, GOOD, "a.toml")
    lessons, errors = load_folder(tmp_path)
    assert [lesson.path.name for lesson in lessons] == ["a.toml"]
    assert [str(error) for error in errors] == [f"{tmp_path / 'b.toml'}: id: 'convolution' is also the id of a.toml"]
    assert main(["check", str(tmp_path)]) == 1
    assert main(["check", str(tmp_path / "a.toml"), str(tmp_path / "b.toml")]) == 1
    out = capsys.readouterr().out
    assert out.count("b.toml: id: 'convolution' is also the id of a.toml") == 2
    assert "2 file(s) checked, 1 problem(s)." in out


def test_the_same_id_in_two_folders_is_no_problem(tmp_path, capsys):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        write(tmp_path / name, GOOD, "convolution.toml")
    assert main(["check", str(tmp_path / "one"), str(tmp_path / "two")]) == 0
    assert main(["check", *[str(tmp_path / "one" / "convolution.toml")] * 2]) == 0  # one file, twice


# 5. Exercise ids.

@pytest.mark.parametrize("bad", ["2.1", "exercise 1", "Output", "-x", "x" * 41])
def test_an_exercise_id_must_be_a_slug(tmp_path, bad):
    text = problems(write(tmp_path, GOOD.replace('id = "output-shape"', f'id = "{bad}"', 1)))
    assert "pages[2].exercises[1].id: " in text and "must be lower-case letters, digits" in text


def test_an_exercise_id_used_twice_on_two_pages_is_refused(tmp_path):
    text = problems(write(tmp_path, GOOD.replace('id = "first-value"', 'id = "output-shape"', 1)))
    assert "pages[3].exercises[1].id: 'output-shape' is also the id of pages[2].exercises[1]" in text


def test_an_exercise_id_used_twice_on_one_page_is_refused(tmp_path):
    block = FIRST_EXERCISE + GOOD.split(FIRST_EXERCISE, 1)[1].split("[[pages]]", 1)[0]
    text = problems(write(tmp_path, GOOD.replace(block, block + block, 1)))
    assert "pages[2].exercises[2].id: 'output-shape' is also the id of pages[2].exercises[1]" in text


# 6. Folders that cannot be read.

def test_check_says_why_it_cannot_read_a_folder(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root reads a folder whatever its mode")
    folder = tmp_path / "locked"
    folder.mkdir()
    write(folder, GOOD, "convolution.toml")
    folder.chmod(0)
    try:
        assert main(["check", str(folder)]) == 1
    finally:
        folder.chmod(0o755)
    assert f"{folder}: cannot be read: Permission denied" in capsys.readouterr().out


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, capsys, monkeypatch):
    """The same as chmod 000, for a root who reads everything."""
    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "iterdir", denied)
    assert main(["check", str(tmp_path)]) == 1
    assert main(["--list", "--lessons", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert f"{tmp_path}: cannot be read: Permission denied\n0 file(s) checked, 1 problem(s)." in captured.out
    assert f"{tmp_path}: cannot be read: Permission denied" in captured.err
    lessons, errors = load_folder(tmp_path)
    assert not lessons and "Permission denied" in str(errors[0])


def test_check_reports_a_path_that_does_not_exist(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 1
    assert f"{tmp_path / 'nowhere'}: cannot be read: No such file or directory" in capsys.readouterr().out


def test_a_lessons_folder_with_escape_codes_in_its_name_is_named_escaped(tmp_path, capsys):
    assert main(["--list", "--lessons", str(tmp_path / HOSTILE_NAME)]) == 2
    err = capsys.readouterr().err
    assert clean(HOSTILE_NAME) in err and "is not a folder of lessons" in err
    assert_terminal_safe(err)


# 7. Whatever the loader lets through, the command line prints clean.

def test_list_cleans_every_string(tmp_path, capsys, monkeypatch):
    lesson = Lesson(id="x\x1b[2J", title="T\x1b]0;pwned\x07", summary="S\u202eevil", order=1, pages=(), labs={},
                    path=tmp_path / "x.toml")
    monkeypatch.setattr("tutor.cli.load_folder", lambda folder: ([lesson], []))
    assert main(["--list", "--lessons", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert clean(lesson.title) in out and clean(lesson.summary) in out
    assert_terminal_safe(out)


def test_check_cleans_an_answer_error(tmp_path, capsys, monkeypatch):
    def fails(answer, labs):
        raise ValueError("no \x1b[2J answer")

    monkeypatch.setattr("tutor.labs.expected.expected", fails)
    assert main(["check", str(write(tmp_path, GOOD))]) == 1
    out = capsys.readouterr().out
    assert "exercises.output-shape.answer: cannot be computed: no \\x1b[2J answer" in out
    assert_terminal_safe(out)
