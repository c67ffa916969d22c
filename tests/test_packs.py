"""Exercise packs in two parts: student/ (sheets, blank answers files) never holds an answer; teacher/ holds the rest."""

import json
import re
import tomllib
from decimal import Decimal
from fractions import Fraction

import pytest

from nnsteps.cli import main
from nnsteps.answers import parse_number
from nnsteps.derive.grading import Answer, significant_digits

NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _pack(tmp_path, *extra, spec="tutorial", count=3, fmt="md"):
    out = tmp_path / "pack"
    assert main(["exercises", spec, "--count", str(count), "--seed", "4", "--jobs", "1", "--format", fmt,
                 "--no-progress", "-o", str(out), *extra]) == 0
    return out


def _student_numbers(student) -> set:
    """Every number written in the student's files, outside the vendored KaTeX (the same library in every pack)."""
    numbers = set()
    for path in student.rglob("*"):
        if path.is_file() and "assets" not in path.relative_to(student).parts:
            numbers.update(Fraction(Decimal(text.replace("−", "-"))) for text in NUMBER.findall(_shown(path.read_text(encoding="utf-8"))))
    return numbers


def _shown(text: str) -> str:
    """What a reader sees: the text without style sheets, scripts and markup (SVG coordinates, CSS sizes)."""
    text = re.sub(r"<(style|script)\b[^>]*>.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


def _significant(value: Fraction, digits: int) -> Fraction:
    """The value rounded to `digits` significant digits, as a sheet would print it."""
    return Fraction(Decimal(format(float(value), f".{digits}g")))


@pytest.mark.parametrize("spec, fmt, extra", [("tutorial", "md", ()), ("xor-softmax", "html", ("--questions", "all")),
                                              ("tanh-sigmoid", "md", ("--questions", "all"))])
def test_no_number_under_student_is_a_key_answer(tmp_path, spec, fmt, extra):
    out = _pack(tmp_path, *extra, spec=spec, fmt=fmt)
    manifest = json.loads((out / "teacher/manifest.json").read_text())
    assert {p.name for p in out.iterdir()} == {"student", "teacher"}
    for variant in manifest["variants"]:
        folder = out / variant["exercise"].rsplit("/", 1)[0]
        assert sorted(p.name for p in folder.iterdir() if p.suffix != ".svg") == ["answers.toml", f"exercise.{fmt}"]
        shown = _student_numbers(folder)
        assert len(shown) > 10  # the given numbers are there (a sheet without them would pass trivially)
        checked = 0
        for name, text in variant["key"].items():
            value, exponent, _ = parse_number(text if "/" in text else Decimal(text), name)
            digits = significant_digits(Answer(None, name, text, value, exponent)) or 0
            if digits < 2 or value == int(value):
                continue  # a 0 from a ReLU or a whole number: indistinguishable from indices and given data
            for place in range(3, 7):  # the key as any sheet might print it, 3 to 6 significant digits
                if _significant(value, place) == _significant(value, 2):
                    continue  # it rounds to a two-digit number such as the given data (-1.0, 0.30): no key to leak
                assert _significant(value, place) not in shown, (variant["variant"], name, text, place)
            checked += 1
        assert checked >= 3


def test_student_part_has_sheets_diagram_precision_and_blank_answers(tmp_path, capsys):
    out = _pack(tmp_path, "--significant-digits", "4", count=2, fmt="html")
    sheet = (out / "student/v001/exercise.html").read_text()
    assert "<svg" in sheet and "nnsteps-diagram" in sheet and "at least 4 significant digits" in sheet
    assert "solution" not in {p.stem for p in (out / "student").rglob("*")}
    blank = tomllib.loads((out / "student/v001/answers.toml").read_text().replace('" = \n', '" = 0\n'))
    key = tomllib.loads((out / "teacher/v001/answers.toml").read_text())
    assert blank["meta"]["variant"] == 1 and list(blank["answers"]) == list(key["answers"])
    assert len(key["answers"]) == 10  # the short default sheet on a 3-layer network
    assert (out / "teacher/v001/solution.html").is_file() and (out / "teacher/v001/spec.toml").is_file()
    assert json.loads((out / "teacher/manifest.json").read_text())["significant_digits"] == 4
    full = _pack(tmp_path / "full", "--questions", "all", count=1)
    assert len(tomllib.loads((full / "teacher/v001/answers.toml").read_text())["answers"]) > 40
    picked = _pack(tmp_path / "picked", "--questions", "z1[*]", "J", count=1)
    assert list(tomllib.loads((picked / "teacher/v001/answers.toml").read_text())["answers"]) == ["z1[1]", "z1[2]", "z1[3]", "J"]
    assert main(["exercises", "tutorial", "--count", "1", "--questions", "q9[*]", "-o", str(tmp_path / "bad")]) == 2
    assert "--questions[1]" in capsys.readouterr().err
