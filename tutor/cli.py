"""The ``cnn-tutor`` command: start the app, list lessons, or check lesson files.

Textual and torch are imported only by the commands that need them, so ``--list``,
``--version`` and ``check`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tutor import __version__
from tutor.course.loader import LessonError, bundled_folder, load_folder, load_lesson


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
    commands = parser.add_subparsers(dest="command", metavar="{check}")
    check = commands.add_parser("check", help="validate lesson files and exit (non-zero if any problem)")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="lesson files or folders")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        return check_files(args.paths)
    if args.reset_progress:
        return reset_progress(args.yes)
    folder = args.lessons or bundled_folder()
    if not folder.is_dir():
        print(f"cnn-tutor: {folder} is not a folder of lessons", file=sys.stderr)
        return 2
    lessons, errors = load_folder(folder)
    if args.list:
        for lesson in lessons:
            print(f"{lesson.id:<14} {lesson.title}: {lesson.summary}")
        for error in errors:
            print(error, file=sys.stderr)
        return 1 if errors else 0
    if args.lesson and args.lesson not in {lesson.id for lesson in lessons}:
        known = ", ".join(lesson.id for lesson in lessons) or "none"
        print(f"cnn-tutor: no lesson {args.lesson!r} (lessons: {known})", file=sys.stderr)
        return 2
    from tutor.app import TutorApp

    TutorApp(folder, args.lesson).run()
    return 0


def check_files(paths: list[Path]) -> int:
    """Print every problem of every lesson file (folders are searched for *.toml)."""
    from tutor.course.quantities import QuantityError, expected

    files = [f for p in paths for f in (sorted(p.glob("*.toml")) if p.is_dir() else [p])]
    problems = 0
    for path in files:
        try:
            lesson = load_lesson(path)
        except LessonError as error:
            print(error)
            problems += len(error.problems)
            continue
        for number, page in enumerate(lesson.pages, start=1):
            for exercise in page.exercises:
                try:
                    expected(exercise.answer, lesson.labs)
                except (QuantityError, RuntimeError, ValueError) as error:
                    print(f"{path}: pages[{number}].exercises.{exercise.id}.answer: cannot be computed: {error}")
                    problems += 1
    print(f"{len(files)} file(s) checked, {problems} problem(s).")
    return 1 if problems or not files else 0


def reset_progress(yes: bool) -> int:
    """Delete the progress file after a confirmation (or ``--yes``)."""
    from tutor.course.progress import ProgressStore

    store = ProgressStore()
    if not store.path.exists():
        print(f"No saved progress at {store.path}.")
        return 0
    if not yes:
        try:
            reply = input(f"Forget all progress saved in {store.path}? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            print("Kept your progress.")
            return 1
    store.reset()
    print("Progress forgotten.")
    return 0
