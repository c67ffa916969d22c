"""The offline practice page in Chromium agrees with `nnsteps check`: verdicts, first wrong step, carried errors and
the likely mistake, on typed answers and on a few hundred random answer sets; the downloaded answers.toml checks."""

import math
import random

import numpy as np

import pytest

from test_browser import ARGS, CHROMIUM, browser, page  # noqa: F401 (fixtures)

from nnsteps.answers import answers_from_mapping
from nnsteps.derive.derivation import derive
from nnsteps.derive.grading import Tolerance, grade
from nnsteps.derive.mistakes import lookup, problem_of, recompute
from nnsteps.derive.names import parse_quantity
from nnsteps.exercises import DEFAULT, draw_variant, questions
from nnsteps.lms.items import variant_item
from nnsteps.lms.practice import practice_html
from nnsteps.spec import builtin_names, load_spec

SETS = 60  # random answer sets per built-in example (4 examples: 240 in all)

# every built-in example, dropout and batch norm included (their steps are rows of the step graph)
EXAMPLES = builtin_names()


def _variant(name, variant=2):
    spec = load_spec(name)
    exercise = spec.exercise or DEFAULT
    drawn = draw_variant(spec, exercise, 9, variant)
    derivation = derive(drawn)
    asked = questions(drawn, exercise)
    return derivation, asked, variant_item(derivation, asked, 3, variant)


def _check(derivation, written: dict) -> dict:
    """derive.grading.grade (what `nnsteps check` prints) on the same texts: {name: (status, carried, first, mistakes)}."""
    answers = answers_from_mapping({"answers": dict(written)}, derivation.spec)
    rows = grade(derivation, answers, Tolerance(significant_digits=3)).rows
    return {row.name: (row.status, row.carried, row.first_wrong, {d.description for d in row.diagnoses}) for row in rows}


def _random_sets(derivation, item, rng, count):
    """Answer sets mixing right (3-6 digits), coarse (1-2 digits), wrong, a catalogued mistake's number, blank, and
    carried answers (recomputed, as check does, from the set's earlier wrong numbers)."""
    problem, depth, spec = problem_of(derivation), derivation.spec.depth, derivation.spec
    sets = []
    for _ in range(count):
        written, wrong = {}, {}
        for q in item["questions"]:
            key, kind = q["key"], rng.choice(["right", "right", "coarse", "wrong", "carried", "carried", "mistake", "blank"])
            quantity = parse_quantity(q["name"], spec)
            if kind == "carried" and wrong:
                with np.errstate(all="ignore"):
                    value = lookup(recompute(problem, overrides=wrong), quantity, depth)
                text = format(value, f".{rng.randint(4, 6)}g") if math.isfinite(value) else "12.5"
            elif kind == "mistake" and q["diagnoses"]:
                text = format(rng.choice(q["diagnoses"])["raw"], f".{rng.randint(3, 5)}g")
            elif kind == "coarse":
                text = format(key, f".{rng.randint(1, 2)}g")
            elif kind == "wrong":
                text = format(key * rng.choice([-1, 1.5, 0.7, 2]) + rng.choice([0, 0.01, -0.3]), ".4g")
            elif kind == "blank":
                continue
            else:
                text = format(key, f".{rng.randint(3, 6)}g")
            if "e" in text:
                text = format(float(text), ".12f").rstrip("0").rstrip(".") or "0"
            written[q["name"]] = text
            if _check(derivation, {q["name"]: text})[q["name"]][0] == "wrong":
                wrong[quantity] = float(text)
        if written:
            sets.append(written)
    return sets


def _compare(page_rows, checked, written):
    assert [r["name"] for r in page_rows if r["status"] != "blank"] == [n for n in checked]
    for row in page_rows:
        if row["status"] == "blank":
            assert row["name"] not in written
            continue
        status, carried, first, mistakes = checked[row["name"]]
        assert (row["status"], row["carried"], row["first_wrong"]) == (status, carried, first), (row, written)
        if first and mistakes:  # every earlier answer right: the page names a mistake that check names too (check
            # also ranks the candidates by all the answers and drops those the right answers contradict; the page
            # tries each mistake at the step alone, so it may name fewer or others besides)
            assert mistakes & set(row["mistakes"]), (row, written)


@pytest.mark.parametrize("name", EXAMPLES)
def test_practice_page_agrees_with_check_on_random_answer_sets(page, tmp_path, name):  # noqa: F811
    derivation, asked, item = _variant(name)
    path = tmp_path / "practice.html"
    path.write_text(practice_html(item, "at least 3 significant digits"), encoding="utf-8")
    page.goto(path.as_uri())
    assert "For practice only" in page.inner_text("body")
    sets = _random_sets(derivation, item, random.Random(name), SETS)
    results = page.evaluate("(sets) => sets.map((s) => window.nnstepsGrade(s))", sets)
    kinds = set()
    for written, rows in zip(sets, results):
        checked = _check(derivation, written)
        _compare(rows, checked, written)
        kinds.update((v[0], v[1]) for v in checked.values())
    assert {("right", False), ("too coarse", False), ("wrong", False), ("wrong", True)} <= kinds
    assert not page.errors and not page.blocked


def test_typed_answers_show_verdicts_and_download_checks(page, tmp_path):  # noqa: F811
    derivation, asked, item = _variant("tutorial")
    path = tmp_path / "practice.html"
    path.write_text(practice_html(item, "at least 3 significant digits"), encoding="utf-8")
    page.goto(path.as_uri())
    qs = item["questions"]
    problem, depth, spec = problem_of(derivation), derivation.spec.depth, derivation.spec
    # a wrong number at the first nonzero step, a later step carried from it, a coarse one, the rest right
    first = next(i for i, q in enumerate(qs) if q["key"])
    wrong_value = float(f"{qs[first]['key'] * 1.5 + 0.01:.4g}")
    carried = lookup(recompute(problem, overrides={parse_quantity(qs[first]["name"], spec): wrong_value}),
                     parse_quantity(qs[first + 1]["name"], spec), depth)
    written = {q["name"]: format(q["key"], ".5g") for q in qs}
    written[qs[first]["name"]] = format(wrong_value, "g")
    written[qs[first + 1]["name"]] = format(carried, ".6g")
    coarse = next(i for i, q in enumerate(qs) if i > first + 1 and q["key"] and float(f"{q['key']:.1g}") != q["key"])
    written[qs[coarse]["name"]] = format(qs[coarse]["key"], ".1g")
    for i, q in enumerate(qs):
        page.type(f"#answer-{i}", written[q["name"]])
    checked = _check(derivation, written)
    for i, q in enumerate(qs):
        cell = page.locator(f"#verdict-{i}")
        status, is_carried, is_first, _ = checked[q["name"]]
        assert cell.get_attribute("data-status") == status
        assert cell.get_attribute("data-carried") == ("yes" if is_carried else "no")
        assert cell.get_attribute("data-first") == ("yes" if is_first else "no")
    assert checked[qs[first]["name"]][2] and checked[qs[first + 1]["name"]][1]
    assert checked[qs[coarse]["name"]][0] == "too coarse"
    assert f"the first wrong step is {qs[first]['name']}" in page.inner_text("#summary")
    with page.expect_download() as info:
        page.click("#download")
    text = open(info.value.path(), encoding="utf-8").read()
    import tomllib

    assert tomllib.loads(text)["answers"] == written
    assert not page.errors


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_packs_and_render_write_practice_pages_that_work_offline(page, tmp_path, fmt):  # noqa: F811
    from nnsteps.cli import main

    out = tmp_path / "pack"
    assert main(["exercises", "xor-softmax", "--count", "2", "--seed", "3", "--jobs", "1", "--no-progress",
                 "--format", fmt, "-o", str(out), "--practice"]) == 0
    pages = sorted(out.glob("student/v*/practice.html"))
    assert len(pages) == 2 and not list(out.glob("teacher/v*/practice.html"))
    assert main(["render", "tanh-sigmoid", "--practice", "-o", str(tmp_path / "doc")]) == 0
    assert sorted(p.name for p in (tmp_path / "doc").iterdir()) == ["tanh-sigmoid-practice.html"]
    for path in pages + [tmp_path / "doc/tanh-sigmoid-practice.html"]:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")  # maths arrives typeset (MathML)
        assert page.locator("math").count() >= 3 and page.locator("svg.nnsteps-diagram").count() == 1
        page.fill("#answer-0", "12345")
        assert page.get_attribute("#verdict-0", "data-status") == "wrong"
        assert "For practice only" in page.inner_text("body")
    assert not page.errors and not page.blocked


def test_practice_flag_is_off_by_default(tmp_path):
    from nnsteps.cli import main

    out = tmp_path / "pack"
    assert main(["exercises", "chain", "--count", "1", "--jobs", "1", "--no-progress", "-o", str(out)]) == 0
    assert not list(out.rglob("practice.html"))
