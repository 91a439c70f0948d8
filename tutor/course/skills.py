"""The skills an exercise practises, worked out from what it asks (its quantity and its layer or
lab), so that every exercise of every lesson, a teacher's too, is tagged without a word in its file."""

from __future__ import annotations

from tutor.course.model import AnswerSpec, LabSpec, NetworkLabSpec, PoolLabSpec
from tutor.engine.spec import PoolSpec, TransposedSpec

# Every skill, in teaching order, with its name for people.
SKILLS = {
    "output-shape": "Output shapes",
    "parameters": "Parameter counts",
    "value-by-hand": "A value by hand",
    "pooling": "Pooling",
    "symmetry": "Symmetry breaking",
    "flatten": "The flattened size",
    "receptive-field": "Receptive fields",
    "im2col": "Convolution as a matrix",
    "gradients": "Gradients",
    "transposed": "Transposed convolution",
}

_BY_QUANTITY = {
    "parameter_count": ("parameters",),
    "kernels_stay_equal": ("symmetry",),
    "in_features": ("flatten", "output-shape"),
    "receptive_field": ("receptive-field",),
    "unfold_shape": ("im2col", "output-shape"),
    "gradient_shape": ("gradients",),
    "gradient_value": ("gradients", "value-by-hand"),
    "flipped_value": ("value-by-hand",),
    "output_padding": ("transposed",),
}


def skills_of(answer: AnswerSpec, labs: dict[str, LabSpec]) -> tuple[str, ...]:
    """The skills an exercise with this answer practises, most specific first."""
    if answer.quantity in _BY_QUANTITY:
        return _BY_QUANTITY[answer.quantity]
    lab = labs.get(answer.lab) if answer.lab else None
    pooled = isinstance(answer.layer, PoolSpec) or isinstance(lab, PoolLabSpec)
    if answer.quantity == "output_value":
        return ("pooling", "value-by-hand") if pooled else ("value-by-hand",)
    if isinstance(answer.layer, TransposedSpec):
        return ("transposed", "output-shape")
    if pooled and not isinstance(lab, NetworkLabSpec):
        return ("pooling", "output-shape")
    return ("output-shape",)


def exercise_skills(lesson, exercise_id: str) -> tuple[str, ...]:
    """The skills of the exercise ``exercise_id`` of ``lesson`` (none if either is unknown)."""
    for page in lesson.pages if lesson else ():
        for exercise in page.exercises:
            if exercise.id == exercise_id:
                return skills_of(exercise.answer, lesson.labs)
    return ()


def seed_history(progress, lessons, day) -> bool:
    """A progress file from before the history (version 1) holds solved and revealed exercises
    but no answers: each becomes one answer on ``day`` (right if solved unaided, else helped), so
    that the learner's skills start where the learner is. True if it added any."""
    from tutor.course.mastery import Event

    if not progress.migrated:
        return False
    progress.migrated = False
    added = False
    for lesson in lessons:
        record = progress.lessons.get(lesson.id)
        for page in lesson.pages:
            for exercise in page.exercises:
                done = record.exercises.get(exercise.id) if record else None
                if done is None or not (done.solved or done.revealed):
                    continue
                result = "right" if done.solved and not done.hints and not done.revealed else "helped"
                for skill in skills_of(exercise.answer, lesson.labs):
                    progress.answered(Event(day.isoformat(), skill, result, "exercise", f"{lesson.id}/{exercise.id}"))
                    added = True
    return added
