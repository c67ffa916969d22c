"""A class graded against an exercise pack: one row per answers file (a malformed file is a row with its error)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .derive.errors import NnstepsError, SpecError, one_line
from .derive.limits import DEFAULT_LIMITS

MANIFEST = Path("teacher") / "manifest.json"
COLUMNS = ("student", "file", "variant", "score", "right", "too_coarse", "wrong", "unanswered", "questions",
           "first_wrong", "diagnoses", "error")


@dataclass(frozen=True)
class Row:
    """One student's line of the gradebook; `grade` is None when the file could not be graded (see `error`)."""

    student: str
    file: str
    variant: Optional[int] = None
    questions: int = 0
    grade: object = None  # derive.grading.Grade
    answered: frozenset = frozenset()  # the key's quantities this student answered
    right: int = 0
    error: str = ""
    report: str = ""  # the feedback report's file name, when one was written

    @property
    def score(self) -> str:
        return f"{self.right}/{self.questions}" if self.questions else ""

    def cells(self) -> dict:
        g = self.grade
        wrong = g.wrong if g else ()
        diagnoses = "; ".join(f"{row.name}: {', '.join(d.name for d in row.diagnoses)}" for row in wrong if row.diagnoses)
        return {"student": self.student, "file": self.file, "variant": "" if self.variant is None else self.variant,
                "score": self.score, "right": self.right if g else "", "too_coarse": len(g.coarse) if g else "",
                "wrong": len(wrong) if g else "", "unanswered": self.questions - len(self.answered) if g else "",
                "questions": self.questions or "", "first_wrong": g.first_wrong.name if g and g.first_wrong else "",
                "diagnoses": diagnoses, "error": self.error}


@dataclass
class Pack:
    """The teacher's side of a pack: the manifest, and each variant's spec and derivation, read once."""

    folder: Path
    manifest: dict
    cache: dict = field(default_factory=dict)  # variant -> (spec, derivation, key quantities)

    @classmethod
    def open(cls, folder: str | Path) -> "Pack":
        from .input_text import read_text

        folder = Path(folder)
        path = folder / MANIFEST
        if not path.is_file():
            raise SpecError("pack", f"{folder}: no {MANIFEST}; name a folder that `nnsteps exercises` wrote")
        try:
            manifest = json.loads(read_text(path, "pack"))
            variants = {int(v["variant"]): v for v in manifest["variants"]}
        except (ValueError, KeyError, TypeError) as error:
            raise SpecError("pack", f"{path}: not a manifest nnsteps wrote ({error.__class__.__name__})") from None
        manifest["by_variant"] = variants
        return cls(folder, manifest)

    @property
    def significant_digits(self) -> int:
        from .derive.grading import DEFAULT_SIGNIFICANT_DIGITS

        value = self.manifest.get("significant_digits")
        return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_SIGNIFICANT_DIGITS

    def variant(self, number: int):
        """(spec, derivation, quantities of the key) of one variant."""
        if number not in self.cache:
            from .derive.derivation import derive
            from .derive.names import parse_quantity
            from .spec import load_spec

            entry = self.manifest["by_variant"].get(number)
            if entry is None:
                known = sorted(self.manifest["by_variant"])
                raise SpecError("variant", f"{number} is not in the pack (variants {known[0]} to {known[-1]})")
            spec = load_spec(self.folder / entry["spec"])
            key = frozenset(parse_quantity(name, spec) for name in entry["key"])
            self.cache[number] = (spec, derive(spec), key)
        return self.cache[number]


def variant_from_name(stem: str) -> Optional[int]:
    """The variant a file name gives: `v3`/`v003` anywhere, else its last number (alice-7.toml: 7)."""
    found = re.search(r"(?i)(?:^|[^a-z])v(\d{1,6})(?!\d)", stem) or re.search(r"(\d{1,6})(?!.*\d)", stem)
    return int(found.group(1)) if found else None


def grade_file(pack: Pack, path: Path, tolerance) -> Row:
    """One answers file graded against its variant; any problem becomes the row's error, never an exception."""
    from .answers_file import parse_answers_text, read_source

    name = path.name
    student, variant = path.stem, variant_from_name(path.stem)
    try:
        from .answers import answers_from_mapping
        from .derive.grading import grade

        limits = DEFAULT_LIMITS  # a student's file gets the default budgets, whatever the teacher's specs need
        text, where, is_json = read_source(path, limits)
        mapping = parse_answers_text(text, where, is_json, limits)
        meta = mapping.get("meta") if isinstance(mapping.get("meta"), dict) else {}
        if isinstance(meta.get("student"), str) and meta["student"].strip():
            student = one_line(meta["student"].strip())[:200]
        if isinstance(meta.get("variant"), int) and not isinstance(meta.get("variant"), bool):
            variant = meta["variant"]
        if variant is None:
            raise SpecError("variant", "the file names no variant: add `variant = N` under [meta], or name it like alice-v3.toml")
        spec, derivation, key = pack.variant(variant)
        mapping = {k: v for k, v in mapping.items() if k != "precision"}  # the pack sets the precision, not a student
        result = grade(derivation, answers_from_mapping(mapping, spec, where, limits, text), tolerance)
        answered = frozenset(row.answer.quantity for row in result.rows) & key
        right = sum(1 for row in result.rows if row.right and row.answer.quantity in key)
        return Row(student, name, variant, len(key), result, answered, right)
    except NnstepsError as error:
        return Row(student, name, variant, error=one_line(str(error).replace("\nerror: ", " | ")))
    except Exception as error:  # a file must never stop the class: its row says what went wrong
        return Row(student, name, variant, error=f"internal error ({error.__class__.__name__}: {one_line(str(error))})")


def answer_files(folder: str | Path) -> list[Path]:
    """The regular, visible files of the answers folder, sorted by name (subfolders and links are skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError("answers_dir", f"{folder}: not a folder of answers files")
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def gradebook_csv(rows) -> str:
    import csv
    import io

    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(_csv_safe(row.cells()))
    return table.getvalue()


def _csv_safe(cells: dict) -> dict:
    """A cell that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    return {k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
            for k, v in cells.items()}


def gradebook_json(pack: Pack, rows) -> str:
    students = []
    for row in rows:
        entry = row.cells()
        entry["report"] = row.report
        entry["rows"] = row.grade.to_json()["rows"] if row.grade else []
        students.append(entry)
    document = {"pack": str(pack.folder), "source": pack.manifest.get("source"), "significant_digits":
                pack.significant_digits, "count": len(rows), "students": students}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
