"""What a learner has done, kept between runs: pages seen, exercises solved, attempts, hints
used, solutions revealed, the last page open, and every answer's event for the skills'
mastery and review schedule (``course.mastery``).

The file is JSON in the user data folder (``CNN_TUTOR_HOME`` overrides it): ``progress.json`` for
the bundled lessons, ``progress-<hash>.json`` for any other lesson folder, so the two never mix.
Every write goes to a temporary file that then replaces the old one, so a crash mid-write leaves
the last good state. Two tutors may be open on the same folder: each save merges, under a lock,
with what the other wrote, so neither loses the other's work. A file that cannot be read is kept
aside as a backup and the learner starts fresh; a folder that cannot be written is reported once,
and the tutor runs on without saving.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from tutor.course.mastery import Event, SkillState, fold

try:
    import fcntl
except ImportError:  # Windows: saves still merge, but two saves at the same instant may race
    fcntl = None

VERSION = 2  # 2 added the history of answers; a file of version 1 is read as it is, with none
FILE_NAME = "progress.json"
LOCK_NAME = "progress.lock"
SAVED_NAME = re.compile(r"progress(-[0-9a-f]{12})?\.json")  # every lesson folder's progress file
MAX_BYTES = 4 * 1024 * 1024  # a progress file is small; a bigger one is not ours
MAX_EVENTS = 20_000  # answers kept one by one (~90 bytes each); older ones are folded into a baseline
_EVENT = re.compile(r"(\d{4}-\d\d-\d\d) ([a-z0-9-]{1,40}) (right|helped|missed) (exercise|review|drill) "
                    r"([0-9a-f]{1,32}) ?(\S{0,120})")
MAX_COUNT = 999_999  # the largest count a progress file may hold (see ``_count``)


@dataclass
class ExerciseRecord:
    solved: bool = False
    attempts: int = 0
    hints: int = 0
    revealed: bool = False


@dataclass
class DrillRecord:
    """A lesson's drill: questions answered right, missed and skipped; the streak and the best."""

    right: int = 0
    missed: int = 0
    skipped: int = 0
    streak: int = 0
    best: int = 0

    @property
    def asked(self) -> int:
        return self.right + self.missed + self.skipped


@dataclass
class LessonRecord:
    pages_seen: set[int] = field(default_factory=set)
    exercises: dict[str, ExerciseRecord] = field(default_factory=dict)
    drill: DrillRecord = field(default_factory=DrillRecord)

    def exercise(self, exercise_id: str) -> ExerciseRecord:
        return self.exercises.setdefault(exercise_id, ExerciseRecord())


@dataclass
class Progress:
    lessons: dict[str, LessonRecord] = field(default_factory=dict)
    last_lesson: str | None = None
    last_page: int = 0
    lessons_folder: str | None = None  # whose lessons, for a folder other than the bundled one
    history: list[Event] = field(default_factory=list)  # every answer, oldest first
    baseline: dict[str, SkillState] = field(default_factory=dict)  # the answers folded out of history
    folded: int = 0  # how many answers the baseline holds
    migrated: bool = False  # read from a version 1 file: its exercises are not in the history yet
    unreadable: int = 0  # answers of the history that could not be read, and were left out
    _folded_skills: tuple | None = field(default=None, compare=False, repr=False)

    def lesson(self, lesson_id: str) -> LessonRecord:
        return self.lessons.setdefault(lesson_id, LessonRecord())

    def skills(self) -> dict[str, SkillState]:
        """Each skill's mastery and next review, from every answer given (folded again only when
        the answers changed: 20,000 of them take ~0.2 s)."""
        key = (self.folded, len(self.history), self.history[0].id if self.history else None,
               self.history[-1].id if self.history else None)
        if self._folded_skills is None or self._folded_skills[0] != key:
            self._folded_skills = (key, fold(self.history, self.baseline))
        return dict(self._folded_skills[1])

    def answered(self, event: Event) -> None:
        """One more answer; past ``MAX_EVENTS`` the oldest tenth is folded into the baseline."""
        self.history.append(event)
        if len(self.history) > MAX_EVENTS:
            cut = MAX_EVENTS // 10
            self.baseline = fold(self.history[:cut], self.baseline)
            self.folded += cut
            del self.history[:cut]

    def to_json(self) -> str:
        lessons = {
            lesson_id: {"pages_seen": sorted(record.pages_seen),
                        "exercises": {key: asdict(value) for key, value in record.exercises.items()},
                        **({"drill": asdict(record.drill)} if record.drill.asked else {})}
            for lesson_id, record in self.lessons.items()
        }
        data = {"version": VERSION, "last": {"lesson": self.last_lesson, "page": self.last_page}, "lessons": lessons,
                "history": [f"{e.day} {e.skill} {e.result} {e.source} {e.id} {e.item}".rstrip() for e in self.history]}
        if self.folded:
            data["baseline"] = {"answers": self.folded, "skills": {skill: [state.box, state.due, state.right, state.helped,
                                                                          state.missed, state.last]
                                                                  for skill, state in self.baseline.items()}}
        if self.lessons_folder is not None:  # absent for the bundled lessons: the file reads as it always did
            data["lessons_folder"] = self.lessons_folder
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Progress:
        """Parse and check the file's data; ``ValueError`` if anything is not as written."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") not in (1, VERSION):
            raise ValueError("not a cnn-tutor progress file of a version this tutor reads")
        last = _table(data.get("last") or {})
        progress = cls(last_lesson=_optional_str(last.get("lesson")), last_page=_count(last.get("page", 0)),
                       lessons_folder=_optional_str(data.get("lessons_folder")))
        for lesson_id, record in _table(data.get("lessons", {})).items():
            lesson = progress.lesson(str(lesson_id))
            lesson.pages_seen = {_count(page) for page in _list(_table(record).get("pages_seen", []))}
            for exercise_id, values in _table(_table(record).get("exercises", {})).items():
                values = _table(values)
                lesson.exercises[str(exercise_id)] = ExerciseRecord(
                    solved=_flag(values.get("solved", False)), attempts=_count(values.get("attempts", 0)),
                    hints=_count(values.get("hints", 0)), revealed=_flag(values.get("revealed", False)))
            drill = _table(_table(record).get("drill", {}))
            lesson.drill = DrillRecord(**{name: _count(drill.get(name, 0)) for name in vars(DrillRecord())})
        progress.migrated = data["version"] == 1
        lines = _list(data.get("history", []))
        if len(lines) > MAX_EVENTS:
            raise ValueError("the history of answers is too long")
        events = {}  # an answer that cannot be read (or is there twice) is left out, not the whole file
        for line in lines:
            with contextlib.suppress(ValueError):
                event = _event(line)
                events.setdefault(event.id, event)
        progress.history = list(events.values())
        progress.unreadable = len(lines) - len(progress.history)
        baseline = _table(data.get("baseline", {"answers": 0, "skills": {}}))
        progress.folded = _count(baseline.get("answers", 0))
        progress.baseline = {str(skill): _state(values) for skill, values in _table(baseline.get("skills", {})).items()}
        return progress


def _event(line) -> Event:
    """``2026-11-27 output-shape right exercise 1a2b3c convolution/output-shape``: one answer."""
    match = _EVENT.fullmatch(line) if isinstance(line, str) else None
    if match is None:
        raise ValueError(f"not an answer of the history: {str(line)!r:.60}")
    day, skill, result, source, ident, item = match.groups()
    _day(day)
    return Event(day, skill, result, source, item, ident)


def _day(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a date, got {value!r:.20}")
    date.fromisoformat(value)  # ValueError if it is not a day of the calendar
    return value


def _state(values) -> SkillState:
    box, due, right, helped, missed, last = _list(values) if len(_list(values)) == 6 else [None] * 6
    if type(box) is not int or not 0 <= box <= 5:
        raise ValueError(f"expected a skill's box, got {values!r:.40}")
    return SkillState(box, None if due is None else _day(due), _count(right), _count(helped), _count(missed),
                      None if last is None else _day(last))


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
        raise ValueError(f"expected a name, got {type(value).__name__}")
    return value


def merge(base: Progress, ours: Progress, theirs: Progress) -> Progress:
    """A new ``Progress`` holding ``ours`` and ``theirs``, two copies grown apart from ``base``.

    A tutor only ever adds to what a learner did, so nothing is taken away: pages seen are joined,
    solved and revealed stay true once true, hints are the most shown. Attempts add up: ours made
    since ``base`` are added to theirs. The last page open is ours (this window is the one saving).
    """
    merged = copy.deepcopy(theirs)
    merged.last_lesson, merged.last_page = ours.last_lesson, ours.last_page
    if ours.folded > theirs.folded:  # ours folded more answers away: its baseline holds theirs too
        merged.baseline, merged.folded = copy.deepcopy(ours.baseline), ours.folded
    known = {event.id for event in merged.history}
    for event in ours.history:  # every answer once: ids are unique across tutors
        if event.id not in known:
            merged.answered(event)
    for lesson_id, record in ours.lessons.items():
        target = merged.lesson(lesson_id)
        target.pages_seen |= record.pages_seen
        before = base.lessons.get(lesson_id, LessonRecord()).exercises
        for exercise_id, mine in record.exercises.items():
            other = target.exercise(exercise_id)
            new_attempts = max(0, mine.attempts - before.get(exercise_id, ExerciseRecord()).attempts)
            other.solved |= mine.solved
            other.revealed |= mine.revealed
            other.hints = max(other.hints, mine.hints)
            other.attempts = min(MAX_COUNT, other.attempts + new_attempts)
        _merge_drill(target.drill, record.drill, base.lessons.get(lesson_id, LessonRecord()).drill)
    return merged


def _merge_drill(theirs: DrillRecord, ours: DrillRecord, base: DrillRecord) -> None:
    """Our answers since ``base`` are added to theirs; the streak is ours, the best the higher."""
    for name in ("right", "missed", "skipped"):
        added = max(0, getattr(ours, name) - getattr(base, name))
        setattr(theirs, name, min(MAX_COUNT, getattr(theirs, name) + added))
    theirs.streak, theirs.best = ours.streak, max(theirs.best, ours.best)


def _adopt(progress: Progress, merged: Progress) -> None:
    """Make ``progress`` equal to ``merged`` in place, keeping its record objects: the app and its
    screens hold them."""
    progress.last_lesson, progress.last_page = merged.last_lesson, merged.last_page
    progress.lessons_folder = merged.lessons_folder
    progress.history[:] = merged.history
    progress.baseline, progress.folded = merged.baseline, merged.folded
    for lesson_id, record in merged.lessons.items():
        target = progress.lesson(lesson_id)
        target.pages_seen |= record.pages_seen
        for exercise_id, values in record.exercises.items():
            vars(target.exercise(exercise_id)).update(vars(values))
        vars(target.drill).update(vars(record.drill))


def default_folder() -> Path:
    """``CNN_TUTOR_HOME`` if set, else the platform's user data folder for cnn-tutor."""
    if home := os.environ.get("CNN_TUTOR_HOME"):
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("cnn-tutor", appauthor=False))


def saved_files(folder: Path) -> list[Path]:
    """Every progress file in ``folder`` (the bundled lessons' and other folders'); none if the
    folder does not exist. ``OSError`` if it cannot be listed, e.g. it is a file."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(Path(folder) / name for name in names if SAVED_NAME.fullmatch(name))


class ProgressStore:
    """Loads and saves ``Progress``; its ``problem`` says, in plain words, why saving is off.

    It remembers the progress it last loaded or wrote (its base), so that a save can tell what
    this window added from what another window wrote meanwhile.
    """

    def __init__(self, folder: Path | None = None, file_name: str = FILE_NAME,
                 lessons_folder: str | None = None) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / file_name
        self.lessons_folder = lessons_folder
        self.problem: str | None = None
        self._base = Progress()

    @classmethod
    def for_lessons(cls, lessons_dir: Path | None, bundled: Path, folder: Path | None = None) -> ProgressStore:
        """The store for the lessons in ``lessons_dir``: ``progress.json`` for the bundled ones (or
        None), else a file named after a hash of the resolved folder, so that lessons with the same
        ids in another folder never count as done here. The folder is also written in the file."""
        if lessons_dir is None or Path(lessons_dir).resolve() == Path(bundled).resolve():
            return cls(folder)
        resolved = str(Path(lessons_dir).resolve())
        digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:12]
        return cls(folder, f"progress-{digest}.json", resolved)

    def load(self) -> tuple[Progress, str | None]:
        """The saved progress and a message for the learner if it could not be used (or not all of it)."""
        progress, problem = self._read()
        self._base = copy.deepcopy(progress)
        if progress.unreadable and problem is None:
            problem = (f"{progress.unreadable} answer(s) in your progress file could not be read and were left out; "
                       "everything else was kept.")
        return progress, problem

    def peek(self) -> tuple[Progress, str | None]:
        """The saved progress, read only: a damaged file is said to be, and left where it is."""
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"it is larger than {MAX_BYTES} bytes")
            return Progress.from_json(self.path.read_text(encoding="utf-8")), None
        except (FileNotFoundError, NotADirectoryError):
            return Progress(), None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            return Progress(), f"the progress file {self.path} could not be read ({error})"

    def _read(self) -> tuple[Progress, str | None]:
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"it is larger than {MAX_BYTES} bytes")
            return Progress.from_json(self.path.read_text(encoding="utf-8")), None
        except (FileNotFoundError, NotADirectoryError):  # nothing saved yet, or nowhere to save
            return Progress(), None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            return Progress(), self._set_aside(error)

    def _set_aside(self, error: Exception) -> str:
        backup = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, backup)
        except OSError:
            return f"Your progress file could not be read ({error}); starting fresh."
        return f"Your progress file could not be read ({error}). It was kept as {backup.name}; starting fresh."

    @contextlib.contextmanager
    def _locked(self):
        """Hold ``progress.lock`` so that no other tutor saves between our read and our write."""
        if fcntl is None:
            yield
            return
        handle = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # releases the lock

    def save(self, progress: Progress) -> bool:
        """Merge ``progress`` with what is on disk (see ``merge``), write the result atomically and
        make ``progress`` the merged state, in place. On failure set ``problem`` and return False;
        nothing else changes (a corrupt file found on disk may have been kept aside)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._locked():
                merged = merge(self._base, progress, self._read()[0])
                merged.lessons_folder = self.lessons_folder
                self._write(merged.to_json())
        except OSError as error:
            self.problem = f"Progress will not be saved: {self.folder} is not writable ({error.strerror or error})."
            return False
        _adopt(progress, merged)
        self._base = merged
        self.problem = None
        return True

    def _write(self, text: str) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".progress-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

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
    revealed: int = 0  # exercises whose worked solution was revealed (solved afterwards or not)

    @property
    def finished(self) -> bool:
        return self.solved == self.exercises and self.pages_seen >= self.pages

    def describe(self) -> str:
        revealed = f"{self.revealed} revealed" if self.revealed else ""
        if self.finished:
            return f"✓ finished ({revealed})" if revealed else "✓ finished"
        parts = [f"{self.solved} of {_counted(self.exercises, 'exercise')} solved"] if self.exercises else []
        parts += [revealed] if revealed else []
        parts.append(f"{self.pages_seen} of {_counted(self.pages, 'page')} seen")
        return " · ".join(parts)


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def completion(lesson, record: LessonRecord | None) -> Completion:
    """The learner's completion of ``lesson`` (a course Lesson) from its record."""
    record = record or LessonRecord()
    ids = [exercise.id for page in lesson.pages for exercise in page.exercises]
    solved = sum(1 for i in ids if i in record.exercises and record.exercises[i].solved)
    seen = len({page for page in record.pages_seen if page < len(lesson.pages)})
    revealed = sum(1 for i in ids if i in record.exercises and record.exercises[i].revealed)
    return Completion(solved, len(ids), seen, len(lesson.pages), revealed)
