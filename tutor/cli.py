"""The ``cnn-tutor`` command: start the app, list lessons, or check lesson files.

Textual and torch are imported only by the commands that need them, so ``--list``,
``--version`` and ``check`` answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from tutor import __version__
from tutor.course.loader import (
    LessonError,
    Problem,
    bundled_folder,
    lesson_files,
    load_each,
    load_folder,
)
from tutor.course.model import Lesson
from tutor.text import clean, quoted


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-tutor",
        description="Learn how convolutional neural networks compute, live through PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"cnn-tutor {__version__}")
    parser.add_argument("--lesson", metavar="ID", help="open this lesson directly (see --list)")
    parser.add_argument("--list", action="store_true", help="list the lessons and exit")
    parser.add_argument("--lessons", metavar="DIR", type=Path, help="use the lessons in DIR instead of the bundled ones")
    parser.add_argument("--reset-progress", action="store_true", help="forget all saved progress (asks first)")
    parser.add_argument("--yes", action="store_true", help="with --reset-progress: do not ask")
    commands = parser.add_subparsers(dest="command", metavar="{check,report,review}")
    commands.add_parser("review", help="your skills, and fresh questions for those due today")
    check = commands.add_parser("check", help="validate lesson files and exit (non-zero if any problem)")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="lesson files or folders")
    report = commands.add_parser("report", help="print the learner's progress for a teacher to collect")
    report.add_argument("--format", choices=("text", "csv", "json"), default="text", help="text (default), csv or json")
    report.add_argument("--lessons", metavar="DIR", type=Path, dest="report_lessons",
                        help="the progress kept for the lessons in DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return check_files(args.paths)
    if args.command == "report":
        return print_report(getattr(args, "report_lessons", None) or args.lessons, args.format)
    if args.reset_progress:
        return reset_progress(args.yes)
    folder = args.lessons or bundled_folder()
    if not folder.is_dir():
        print(f"cnn-tutor: {clean(folder)} is not a folder of lessons", file=sys.stderr)
        return 2
    lessons, errors = load_folder(folder)
    if args.list:
        write_out("\n".join(f"{clean(lesson.id):<14} {clean(lesson.title)}: {clean(lesson.summary)}"
                            for lesson in lessons))
        for error in errors:
            print(error, file=sys.stderr)
        return 1 if errors else 0
    if args.lesson and args.lesson not in {lesson.id for lesson in lessons}:
        known = ", ".join(lesson.id for lesson in lessons) or "none"
        print(f"cnn-tutor: no lesson {quoted(args.lesson)} (lessons: {clean(known)})", file=sys.stderr)
        return 2
    return run_app(folder, args.lesson, review=args.command == "review")


def run_app(folder: Path, lesson: str | None, review: bool = False) -> int:
    """The app, in the terminal it was started from; its exit status (non-zero after an error)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("cnn-tutor needs an interactive terminal (over SSH: ssh -t HOST cnn-tutor).", file=sys.stderr)
        return 2
    # A terminal's real size wins: stale COLUMNS/LINES (exported by a shell, or set by hand)
    # would make Textual draw for a screen the terminal does not have.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    # Textual's cap on frames a second (60 by default): a key that comes just after a frame
    # waits for the next one. While a lab trains, frames come often; 120 halves that wait.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from tutor.app import TutorApp

    app = TutorApp(folder, lesson, review=review)
    app.run()
    return app.return_code or 0


def print_report(lessons_dir: Path | None, form: str) -> int:
    """The learner's progress on the lessons of ``lessons_dir`` (the bundled ones by default), as
    ``form``; the progress file is read, never written. A folder of lessons that cannot be read
    is one line on stderr and exit status 2; a damaged progress file is said on stderr, and the
    report is of no progress."""
    from tutor.course.progress import ProgressStore
    from tutor.course.report import render
    from tutor.course.skills import seed_history

    folder = lessons_dir or bundled_folder()
    lessons, errors = load_folder(folder) if folder.is_dir() else ([], [])
    for error in errors:
        print(error, file=sys.stderr)
    if not lessons:
        print(f"cnn-tutor: {clean(folder)} is not a folder of lessons", file=sys.stderr)
        return 2
    progress, problem = ProgressStore.for_lessons(lessons_dir, bundled_folder()).peek()
    if problem:  # a report of nothing would read as a learner who did nothing
        print(f"cnn-tutor: no report: {clean(problem)}", file=sys.stderr)
        return 1
    if progress.unreadable:
        print(f"cnn-tutor: {progress.unreadable} answer(s) in the progress file could not be read and are left out",
              file=sys.stderr)
    seed_history(progress, lessons, date.today())
    return write_out(render(lessons, progress, form))


def write_out(text: str) -> int:
    """Print ``text``; a reader that stops early (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def check_files(paths: list[Path]) -> int:
    """Print every problem of every lesson file (folders are searched for *.toml), a folder that
    cannot be read and a lesson id used twice in a folder included."""
    files, problems = [], []
    for path in paths:
        try:
            files += lesson_files(path) if path.is_dir() else [path]
        except LessonError as error:
            problems += _report(error.problems)
    for result in load_each(files):
        problems += _report(result.problems if isinstance(result, LessonError) else _uncomputable(result))
    print(f"{len(files)} file(s) checked, {len(problems)} problem(s).")
    return 1 if problems or not files else 0


def _report(problems: list[Problem]) -> list[Problem]:
    for problem in problems:
        print(problem)
    return problems


def _uncomputable(lesson: Lesson) -> list[Problem]:
    """A problem for each exercise of ``lesson`` whose answer PyTorch cannot compute."""
    from tutor.labs.expected import QuantityError, expected

    problems = []
    for number, page in enumerate(lesson.pages, start=1):
        for exercise in page.exercises:
            try:
                expected(exercise.answer, lesson.labs)
            except (QuantityError, RuntimeError, ValueError) as error:
                problems.append(Problem(lesson.path, f"pages[{number}].exercises.{exercise.id}.answer",
                                        f"cannot be computed: {error}"))
    return problems


def reset_progress(yes: bool) -> int:
    """Delete every saved progress file (the bundled lessons' and other lesson folders') after a
    confirmation (or ``--yes``). A data folder or progress file that cannot be listed or removed
    is one line on stderr and exit code 1: a learner reads it, not a traceback."""
    from tutor.course.progress import default_folder, saved_files

    folder = default_folder()
    try:
        files = saved_files(folder)
    except NotADirectoryError:
        print(f"cnn-tutor: cannot reset progress: {clean(folder)} is not a folder", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cnn-tutor: cannot reset progress: cannot read {clean(folder)} ({error.strerror or error})",
              file=sys.stderr)
        return 1
    if not files:
        print(f"No saved progress in {clean(folder)}.")
        return 0
    if not yes:
        try:
            reply = input(f"Forget all progress saved in {clean(folder)}? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            print("Kept your progress.")
            return 1
    for path in files:
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # another reset was faster
        except OSError as error:
            print(f"cnn-tutor: cannot reset progress: cannot delete {clean(path)} ({error.strerror or error})",
                  file=sys.stderr)
            return 1
    print("Progress forgotten.")
    return 0
