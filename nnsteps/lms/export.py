"""Writes the platform exports of a pack being built: moodle.xml, canvas-qti.zip, prairielearn/ (beside student/, teacher/)."""

from __future__ import annotations

from pathlib import Path


def policy_text(exercise) -> str:
    from ..derive.grading import Tolerance
    from ..exercises import significant_digits_of

    return Tolerance(significant_digits=significant_digits_of(exercise)).policy_text()


def write_exports(folder, spec, exercise, seed: int, records, platforms) -> list:
    """Each asked platform's files in the (staged) pack folder; returns the paths written."""
    from ..files import file_stem, write_atomic

    folder, items = Path(folder), [record.lms for record in records]
    category = f"{spec.title or spec.name} (seed {seed})"
    policy, written = policy_text(exercise), []
    for platform in dict.fromkeys(platforms):
        if platform == "moodle":
            from .moodle import moodle_xml

            write_atomic(folder / "moodle.xml", moodle_xml(items, category, policy))
            written.append(folder / "moodle.xml")
        elif platform == "canvas":
            from .canvas import canvas_zip

            write_atomic(folder / "canvas-qti.zip", canvas_zip(items, category, policy, f"{spec.name}|{seed}"))
            written.append(folder / "canvas-qti.zip")
        else:
            from .prairielearn import write_question

            written += write_question(folder / "prairielearn" / "questions" / f"nnsteps-{file_stem(spec.name)}",
                                      items, category, policy, f"{spec.name}|{seed}")
    return written
