"""TutorApp: the lesson list, lessons, help and the learner's progress; torch warms up in a
worker after the first paint."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import traceback
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.binding import Binding

from tutor import __version__
from tutor.collector import TICK_SECONDS, IdleCollector
from tutor.commands import LessonPages
from tutor.course.loader import bundled_folder, load_folder
from tutor.course.mastery import Event, due
from tutor.course.model import Lesson
from tutor.course.progress import DrillRecord, ProgressStore
from tutor.course.skills import exercise_skills, seed_history
from tutor.screens.code import CodeScreen
from tutor.screens.help import HelpScreen, focused_help, key_rows
from tutor.screens.home import HomeScreen
from tutor.screens.lesson import LessonScreen
from tutor.screens.review import ReviewScreen
from tutor.screens.too_small import TooSmallScreen, too_small
from tutor.text import clean
from tutor.widgets.lab import LabView


class TutorApp(App[None]):
    """cnn-tutor: convolution, pooling and symmetry, live through PyTorch."""

    CSS_PATH = "tutor.tcss"
    TITLE = "cnn-tutor"
    SUB_TITLE = f"v{__version__}"
    COMMANDS = App.COMMANDS | {LessonPages}

    BINDINGS = [
        Binding("question_mark", "help", "Help", tooltip="Every key of this screen", key_display="?"),
        Binding("f1", "help", "Help", show=False, priority=True, key_display="F1"),
        Binding("q", "quit", "Quit", tooltip="Quit cnn-tutor"),
    ]

    def __init__(self, lessons_dir: Path | None = None, start_lesson: str | None = None,
                 store: ProgressStore | None = None, today=date.today, review: bool = False) -> None:
        super().__init__()
        self.today = today  # the calendar the review schedule follows (a test lives through weeks)
        self.start_review = review
        self.lessons, self.errors = load_folder(lessons_dir or bundled_folder())
        self.start_lesson = start_lesson
        self.store = store or ProgressStore.for_lessons(lessons_dir, bundled_folder())
        self.progress, self.progress_problem = self.store.load()
        if seed_history(self.progress, self.lessons, self.today()):
            self.store.save(self.progress)  # the exercises of a version 1 file, as answers
        self.lab_sessions: dict[str, dict] = {}  # by lesson: a network lab trained stays trained all the run
        self.pages_left: dict[str, int] = {}  # by lesson: the page it was on, where reopening it resumes
        self.collector = IdleCollector()

    def on_mount(self) -> None:
        if self.progress_problem:
            self.notify(self.progress_problem, severity="warning", timeout=15)
        last = self.progress.last_lesson
        if self.start_review:
            self.open_review()
        elif self.start_lesson:
            self.open_lesson(self.start_lesson)
        elif last and self.lesson(last):
            self.open_lesson(last, self.progress.last_page)  # resume where the learner left off
        else:
            self.show_lessons()
        self._fit(self.size.width, self.size.height)
        self._exit_on_signals()
        # After the first frame: importing torch holds the GIL, and would delay the paint.
        self.call_after_refresh(self._warm_up_engine)
        self.set_interval(TICK_SECONDS, self.collector.tick, name="collector")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collector.input()  # the collector waits for a pause
        await super().on_event(event)

    def _exit_on_signals(self) -> None:
        """SIGTERM (kill, a logout) and SIGHUP (a closed terminal or SSH session) end the app the
        way q does: progress saved, the terminal given back as it was."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._stop, 128 + signum)

    def _stop(self, return_code: int) -> None:
        self._save()
        self.exit(return_code=return_code)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: progress is saved, the terminal restored (Textual does that), and
        instead of a screenful of traceback one line names the log file that holds it."""
        self._save()
        log = write_crash_log(self.store.folder, error)
        super()._handle_exception(error)
        if log is not None:  # Textual prints what is queued here once the terminal is restored
            line = f"cnn-tutor stopped on an unexpected error; the details are in {log}"
            self._exit_renderables[:] = [Text(clean(line))]

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        """Cover the app with a size message while the terminal is too small; uncover it after."""
        covered = isinstance(self.screen, TooSmallScreen)
        if too_small(width, height):
            if covered:
                self.screen.show(width, height)
            else:
                self.push_screen(TooSmallScreen())
        elif covered:
            self.pop_screen()

    @work(thread=True, group="warm-up")
    def _warm_up_engine(self) -> None:
        """Import torch now, off the UI thread, so the first lab is ready sooner."""
        from tutor.engine import conv  # noqa: F401

        self.collector.start()

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def open_lesson(self, lesson_id: str, page: int | None = 0) -> None:
        """Open a lesson at ``page``; None: where the learner left it (in this run, or the page
        the progress file remembers for the last lesson), else at its start."""
        lesson = self.lesson(lesson_id)
        if lesson is None:
            self.notify(f"There is no lesson {lesson_id!r}.", severity="error")
            return
        if page is None:
            remembered = self.progress.last_page if lesson_id == self.progress.last_lesson else 0
            page = self.pages_left.get(lesson_id, remembered)
        self._show(LessonScreen(lesson, page, sessions=self.lab_sessions.setdefault(lesson_id, {})))

    def show_lessons(self, highlight: str | None = None) -> None:
        """The lesson list, with ``highlight`` (the lesson just left) selected."""
        self._show(HomeScreen(self.lessons, self.errors, highlight))

    def _show(self, screen: HomeScreen | LessonScreen | ReviewScreen) -> None:
        """One main screen at a time, the list or a lesson, built when shown: a lesson opened
        from the command line paints without first composing a list nobody sees."""
        if isinstance(self.screen, (HomeScreen, LessonScreen, ReviewScreen)):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # --- progress: every change is saved at once -------------------------------------------------
    def page_opened(self, lesson_id: str, page: int, summary: bool) -> None:
        if not summary:
            self.progress.lesson(lesson_id).pages_seen.add(page)
        self.progress.last_lesson, self.progress.last_page = lesson_id, page
        self.pages_left[lesson_id] = page
        self._save()

    def exercise_changed(self, lesson_id: str, exercise_id: str, *, attempted: bool, solved: bool, hints: int,
                         revealed: bool) -> None:
        """Counts only go up, so a save can merge them with another tutor's on the same folder.
        Until the exercise is solved or its solution revealed, each answer is an answer for its
        skills (once it is, it is no longer a fresh question)."""
        record = self.progress.lesson(lesson_id).exercise(exercise_id)
        fresh = not (record.solved or record.revealed)
        record.attempts += attempted
        record.solved |= solved
        record.hints = max(record.hints, hints)
        record.revealed |= revealed
        if fresh and (attempted or revealed):
            result = "missed" if not solved and not revealed else "right" if solved and not hints else "helped"
            self._answered(exercise_skills(self.lesson(lesson_id), exercise_id), result, "exercise",
                           f"{lesson_id}/{exercise_id}")
        self._save()

    def drill_scored(self, lesson_id: str, record: DrillRecord, answer: tuple[str, str] | None = None) -> None:
        vars(self.progress.lesson(lesson_id).drill).update(vars(record))
        if answer is not None:
            self._answered((answer[0],), answer[1], "drill", lesson_id)
        self._save()

    def review_answered(self, skill: str, result: str) -> None:
        self._answered((skill,), result, "review", skill)
        self._save()

    def _answered(self, skills, result: str, source: str, item: str) -> None:
        day = self.today().isoformat()
        for skill in skills:
            self.progress.answered(Event(day, skill, result, source, item))

    def open_review(self) -> None:
        """The review of the skills due today (fresh questions; see ``course.mastery``)."""
        self._show(ReviewScreen(due(self.progress.skills(), self.today())))

    def _save(self) -> None:
        told = self.store.problem is not None
        if not self.store.save(self.progress) and not told:
            self.notify(self.store.problem, severity="warning", timeout=15)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification is plain text: messages name paths, files and lesson text."""
        super().notify(clean(message, multiline=True), title=clean(title), severity=severity, timeout=timeout,
                       markup=False)

    @on(LabView.CodeRequested)
    def _show_code(self, event: LabView.CodeRequested) -> None:
        self.push_screen(CodeScreen(event.code, stem=event.stem))

    def action_help(self) -> None:
        if isinstance(self.screen, (HelpScreen, TooSmallScreen)):
            return
        title = getattr(self.screen, "help_title", None) or self.screen.sub_title or self.screen.title or "cnn-tutor"
        self.push_screen(HelpScreen(str(title), key_rows(self.screen), focused_help(self.screen)))


def write_crash_log(folder: Path, error: BaseException) -> Path | None:
    """The traceback in ``folder/crash-<time>.log``; None if it cannot be written."""
    path = Path(folder) / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    except OSError:
        return None
    return path
