"""A learner's progress as a report a teacher can collect: text to read, CSV with stable columns
for a spreadsheet, JSON for a script. Read-only: the progress file is never written here.

CSV columns (one row per record; a column that does not apply to a record is empty):

- ``record``: ``lesson``, ``exercise``, ``drill`` or ``skill``;
- ``lesson``: the lesson's id (empty for a skill);
- ``id``: the exercise's id, the skill's id, or empty;
- ``title``: the lesson's or the skill's title;
- ``skills``: an exercise's skills, separated by ``;``;
- ``pages_seen``, ``pages``: a lesson's pages the learner has opened, and how many it has;
- ``exercises``, ``solved``: a lesson's or a skill's exercises and how many are solved (an
  exercise's ``solved`` is ``true`` or ``false``);
- ``unaided``: solved with no hint and no solution revealed (for an exercise: ``true``/``false``);
- ``attempts``, ``hints``, ``revealed``: an exercise's answers checked, hints shown, and whether
  its worked solution was revealed (a lesson's: the totals);
- ``right``, ``missed``, ``skipped``, ``best``: a lesson's drill; ``right``, ``helped`` and
  ``missed`` also count a skill's answers;
- ``level``, ``next_review``: a skill's mastery (new, practised, familiar, mastered) and the day
  it is next due for review (empty if never answered);
- ``day``, ``result``, ``source``: an ``answer`` record, one per answer given (its ``id`` is the
  skill, its ``title`` what was asked): the day, ``right``, ``helped`` or ``missed``, and
  ``exercise``, ``review`` or ``drill``.

New columns are only ever added at the end.
"""

from __future__ import annotations

import csv
import io
import json

from tutor.course.mastery import SkillState
from tutor.course.model import Lesson
from tutor.course.progress import ExerciseRecord, Progress, completion
from tutor.course.skills import SKILLS, skills_of
from tutor.text import clean

FORMATS = ("text", "csv", "json")
COLUMNS = ("record", "lesson", "id", "title", "skills", "pages_seen", "pages", "exercises", "solved", "unaided",
           "attempts", "hints", "revealed", "right", "missed", "skipped", "best", "helped", "level", "next_review",
           "day", "result", "source")


def _unaided(record: ExerciseRecord) -> bool:
    return record.solved and not record.hints and not record.revealed


def gather(lessons: list[Lesson], progress: Progress) -> dict:
    """Everything the report says, as plain data (what the JSON format prints)."""
    report, skills = {"lessons": []}, {skill: {"exercises": 0, "solved": 0, "unaided": 0} for skill in SKILLS}
    for lesson in lessons:
        record = progress.lessons.get(lesson.id)
        done = completion(lesson, record)
        exercises = []
        for page in lesson.pages:
            for exercise in page.exercises:
                mine = (record.exercises.get(exercise.id) if record else None) or ExerciseRecord()
                tags = skills_of(exercise.answer, lesson.labs)
                for skill in tags:
                    skills[skill]["exercises"] += 1
                    skills[skill]["solved"] += mine.solved
                    skills[skill]["unaided"] += _unaided(mine)
                exercises.append({"id": exercise.id, "skills": list(tags), "solved": mine.solved,
                                  "unaided": _unaided(mine), "attempts": mine.attempts, "hints": mine.hints,
                                  "revealed": mine.revealed})
        drill = record.drill if record else None
        report["lessons"].append({
            "id": lesson.id, "title": lesson.title, "pages_seen": done.pages_seen, "pages": done.pages,
            "exercises": exercises,
            "drill": ({"right": drill.right, "missed": drill.missed, "skipped": drill.skipped, "best": drill.best}
                      if drill and drill.asked else None)})
    states = progress.skills()
    report["skills"] = [{"id": skill, "title": SKILLS[skill], **counts, **_mastery(states.get(skill, SkillState()))}
                        for skill, counts in skills.items()]
    report["answers"] = [{"day": e.day, "skill": e.skill, "result": e.result, "source": e.source, "item": e.item}
                         for e in progress.history]
    return report


def _mastery(state: SkillState) -> dict:
    return {"level": state.level, "next_review": state.due or "", "right": state.right, "helped": state.helped,
            "missed": state.missed}


def as_json(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False)


def as_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    flag = (lambda value: "true" if value else "false")
    for lesson in data["lessons"]:
        exercises = lesson["exercises"]
        writer.writerow({"record": "lesson", "lesson": lesson["id"], "title": clean(lesson["title"]),
                         "pages_seen": lesson["pages_seen"], "pages": lesson["pages"], "exercises": len(exercises),
                         "solved": sum(e["solved"] for e in exercises), "unaided": sum(e["unaided"] for e in exercises),
                         "attempts": sum(e["attempts"] for e in exercises), "hints": sum(e["hints"] for e in exercises),
                         "revealed": sum(e["revealed"] for e in exercises)})
        for exercise in exercises:
            writer.writerow({"record": "exercise", "lesson": lesson["id"], "id": exercise["id"],
                             "skills": ";".join(exercise["skills"]), "solved": flag(exercise["solved"]),
                             "unaided": flag(exercise["unaided"]), "attempts": exercise["attempts"],
                             "hints": exercise["hints"], "revealed": flag(exercise["revealed"])})
        if lesson["drill"]:
            writer.writerow({"record": "drill", "lesson": lesson["id"], **lesson["drill"]})
    for skill in data["skills"]:
        writer.writerow({"record": "skill", **skill})
    for answer in data["answers"]:
        writer.writerow({"record": "answer", "id": answer["skill"], "title": answer["item"], "day": answer["day"],
                         "result": answer["result"], "source": answer["source"]})
    return out.getvalue()


def as_text(data: dict) -> str:
    lines = []
    for lesson in data["lessons"]:
        exercises = lesson["exercises"]
        solved = sum(e["solved"] for e in exercises)
        lines.append(f"{clean(lesson['title'])} ({lesson['id']}): {lesson['pages_seen']} of {lesson['pages']} pages seen, "
                     f"{solved} of {len(exercises)} exercises solved")
        for e in exercises:
            how = ("solved unaided" if e["unaided"] else "solved with help" if e["solved"] else
                   "revealed" if e["revealed"] else "attempted" if e["attempts"] else "not tried")
            lines.append(f"  {e['id']:<32} {how:<17} attempts {e['attempts']}, hints {e['hints']}")
        if drill := lesson["drill"]:
            lines.append(f"  drill: {drill['right']} right, {drill['missed']} missed, {drill['skipped']} skipped, "
                         f"best streak {drill['best']}")
    lines.append("Skills: level, exercises solved (unaided), answers right / helped / missed, next review")
    lines += [f"  {s['title']:<26} {s['level']:<10} {s['solved']} of {s['exercises']} ({s['unaided']}), "
              f"{s['right']} / {s['helped']} / {s['missed']}, {s['next_review'] or '-'}" for s in data["skills"]]
    lines.append(f"Answers: {len(data['answers'])}" + (", the last on " + data["answers"][-1]["day"] if data["answers"] else ""))
    lines += [f"  {a['day']} {a['source']:<8} {a['skill']:<16} {a['result']:<7} {a['item']}" for a in data["answers"][-20:]]
    return "\n".join(lines)


def render(lessons: list[Lesson], progress: Progress, form: str) -> str:
    data = gather(lessons, progress)
    return {"text": as_text, "csv": as_csv, "json": as_json}[form](data)
