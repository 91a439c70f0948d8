"""What a learner has done, kept between runs: pages seen, exercises solved, attempts, hints
used, solutions revealed, and the last page open.

The file is JSON in the user data folder (``CNN_TUTOR_HOME`` overrides it). Every write goes to a
temporary file that then replaces the old one, so a crash mid-write leaves the last good state.
A file that cannot be read is kept aside as a backup and the learner starts fresh; a folder that
cannot be written is reported once, and the tutor runs on without saving.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSION = 1
FILE_NAME = "progress.json"
MAX_BYTES = 1024 * 1024  # a progress file is small; a bigger one is not ours


@dataclass
class ExerciseRecord:
    solved: bool = False
    attempts: int = 0
    hints: int = 0
    revealed: bool = False


@dataclass
class LessonRecord:
    pages_seen: set[int] = field(default_factory=set)
    exercises: dict[str, ExerciseRecord] = field(default_factory=dict)

    def exercise(self, exercise_id: str) -> ExerciseRecord:
        return self.exercises.setdefault(exercise_id, ExerciseRecord())


@dataclass
class Progress:
    lessons: dict[str, LessonRecord] = field(default_factory=dict)
    last_lesson: str | None = None
    last_page: int = 0

    def lesson(self, lesson_id: str) -> LessonRecord:
        return self.lessons.setdefault(lesson_id, LessonRecord())

    def to_json(self) -> str:
        lessons = {
            lesson_id: {"pages_seen": sorted(record.pages_seen),
                        "exercises": {key: asdict(value) for key, value in record.exercises.items()}}
            for lesson_id, record in self.lessons.items()
        }
        data = {"version": VERSION, "last": {"lesson": self.last_lesson, "page": self.last_page}, "lessons": lessons}
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Progress:
        """Parse and check the file's data; ``ValueError`` if anything is not as written."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a cnn-tutor progress file of this version")
        last = _table(data.get("last") or {})
        progress = cls(last_lesson=_optional_str(last.get("lesson")), last_page=_count(last.get("page", 0)))
        for lesson_id, record in _table(data.get("lessons", {})).items():
            lesson = progress.lesson(str(lesson_id))
            lesson.pages_seen = {_count(page) for page in _list(_table(record).get("pages_seen", []))}
            for exercise_id, values in _table(_table(record).get("exercises", {})).items():
                values = _table(values)
                lesson.exercises[str(exercise_id)] = ExerciseRecord(
                    solved=_flag(values.get("solved", False)), attempts=_count(values.get("attempts", 0)),
                    hints=_count(values.get("hints", 0)), revealed=_flag(values.get("revealed", False)))
        return progress


def _table(value) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table, got {type(value).__name__}")
    return value


def _list(value) -> list:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


def _count(value) -> int:
    if type(value) is not int or not 0 <= value < 1_000_000:
        raise ValueError(f"expected a count, got {value!r:.20}")
    return value


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r:.20}")
    return value


def _optional_str(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("expected a lesson id")
    return value


def default_folder() -> Path:
    """``CNN_TUTOR_HOME`` if set, else the platform's user data folder for cnn-tutor."""
    if home := os.environ.get("CNN_TUTOR_HOME"):
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("cnn-tutor", appauthor=False))


class ProgressStore:
    """Loads and saves ``Progress``; its ``problem`` says, in plain words, why saving is off."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / FILE_NAME
        self.problem: str | None = None

    def load(self) -> tuple[Progress, str | None]:
        """The saved progress and a message for the learner if it could not be used."""
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"it is larger than {MAX_BYTES} bytes")
            return Progress.from_json(self.path.read_text(encoding="utf-8")), None
        except FileNotFoundError:
            return Progress(), None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            return Progress(), self._set_aside(error)

    def _set_aside(self, error: Exception) -> str:
        backup = self.path.with_name(f"{FILE_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, backup)
        except OSError:
            return f"Your progress file could not be read ({error}); starting fresh."
        return f"Your progress file could not be read ({error}). It was kept as {backup.name}; starting fresh."

    def save(self, progress: Progress) -> bool:
        """Write atomically; on failure set ``problem`` and return False (nothing else changes)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".progress-", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(progress.to_json())
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.path)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except OSError as error:
            self.problem = f"Progress will not be saved: {self.folder} is not writable ({error.strerror or error})."
            return False
        self.problem = None
        return True

    def reset(self) -> bool:
        """Delete the saved progress; True if there was some."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


@dataclass(frozen=True)
class Completion:
    """How far a learner is through one lesson."""

    solved: int
    exercises: int
    pages_seen: int
    pages: int

    @property
    def finished(self) -> bool:
        return self.solved == self.exercises and self.pages_seen >= self.pages

    def describe(self) -> str:
        if self.finished:
            return "✓ finished"
        parts = [f"{self.solved} of {self.exercises} exercises solved"] if self.exercises else []
        parts.append(f"{self.pages_seen} of {self.pages} pages seen")
        return " · ".join(parts)


def completion(lesson, record: LessonRecord | None) -> Completion:
    """The learner's completion of ``lesson`` (a course Lesson) from its record."""
    record = record or LessonRecord()
    ids = [exercise.id for page in lesson.pages for exercise in page.exercises]
    solved = sum(1 for i in ids if i in record.exercises and record.exercises[i].solved)
    seen = len({page for page in record.pages_seen if page < len(lesson.pages)})
    return Completion(solved, len(ids), seen, len(lesson.pages))
