"""Mastery of each skill, and when to practise it again: a Leitner schedule folded from the
learner's answers.

Every answer to an exercise, a review question or a drill question is an ``Event`` (its day, the
skill, and whether it was right unaided, right with help, or missed). A skill's state is the fold
of its events, so two tutors' histories merge by joining them. A skill sits in a box, 0 (new) to
5; an unaided right answer on or after the day the skill is due moves it up a box and schedules
the next review further off (1, 3, 7, 16, 35 days); a right answer before then is counted but
moves nothing (practice crammed into one day is not spaced retrieval); an answer with a hint or a
revealed solution keeps the box and asks again tomorrow; a miss moves it down a box and asks
again tomorrow. The day is always passed in: a test can live through weeks in a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

RESULTS = ("right", "helped", "missed")
SOURCES = ("exercise", "review", "drill")
INTERVALS = (0, 1, 3, 7, 16, 35)  # days from an answer to the next review, by the box reached
TOP = len(INTERVALS) - 1
LEVELS = ("new", "practised", "familiar", "mastered")


@dataclass(frozen=True)
class Event:
    """One answer: ``day`` (ISO date), the ``skill``, its ``result``, where it was given, what was
    asked (an exercise's ``lesson/id``, or a review question's skill), and an id that is unique
    across tutors, so that merged histories never count an answer twice."""

    day: str
    skill: str
    result: str
    source: str
    item: str = ""
    id: str = field(default_factory=lambda: os.urandom(6).hex())


@dataclass(frozen=True)
class SkillState:
    box: int = 0
    due: str | None = None  # ISO date; None: never answered, due at once
    right: int = 0
    helped: int = 0
    missed: int = 0
    last: str | None = None

    @property
    def level(self) -> str:
        """new (box 0), practised (1), familiar (2-3), mastered (4-5)."""
        return LEVELS[0 if self.box == 0 else 1 if self.box == 1 else 2 if self.box <= 3 else 3]

    def is_due(self, today: date) -> bool:
        return self.box > 0 and self.due is not None and date.fromisoformat(self.due) <= today


def _after(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def apply(state: SkillState, event: Event) -> SkillState:
    """The state after one more answer (see the module's rules)."""
    counted = replace(state, last=event.day, **{event.result: getattr(state, event.result) + 1})
    if event.result == "missed":
        return replace(counted, box=max(state.box - 1, 1), due=_after(event.day, 1))
    if event.result == "helped":
        return replace(counted, box=max(state.box, 1), due=_after(event.day, 1))
    if state.due is not None and event.day < state.due:
        return counted  # not yet due: counted, not spaced
    box = min(state.box + 1, TOP)
    return replace(counted, box=box, due=_after(event.day, INTERVALS[box]))


def fold(events: list[Event], start: dict[str, SkillState] | None = None) -> dict[str, SkillState]:
    """Every skill's state after ``events`` (in order of day, then as given), from ``start``."""
    states = dict(start or {})
    for event in sorted(events, key=lambda e: e.day):  # stable: one day's answers keep their order
        states[event.skill] = apply(states.get(event.skill, SkillState()), event)
    return states


def due(states: dict[str, SkillState], today: date) -> list[str]:
    """The skills to review today, the most overdue first (new skills are learned in lessons)."""
    waiting = [(state.due, skill) for skill, state in states.items() if state.is_due(today)]
    return [skill for _, skill in sorted(waiting)]
