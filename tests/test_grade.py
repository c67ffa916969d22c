"""`nnsteps grade`: a folder of good, wrong, coarse, malformed, empty and binary answers files, one row each."""

import csv
import json

import pytest

from nnsteps.cli import main
from nnsteps.gradebook import variant_from_name


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("grade") / "pack"
    assert main(["exercises", "tutorial", "--count", "3", "--seed", "2", "--jobs", "1", "--format", "md",
                 "--no-progress", "-o", str(out)]) == 0
    return out


def _key(pack, variant):
    text = (pack / f"teacher/v{variant:03d}/answers.toml").read_text()
    return text[text.index("[answers]"):].splitlines()


def _changed(lines, name, change):
    out = []
    for line in lines:
        if line.startswith(f'"{name}" = '):
            value = line.split(" = ")[1]
            line = f'"{name}" = {change(float(value))}'
        out.append(line)
    return "\n".join(out) + "\n"


def test_a_class_of_good_wrong_coarse_malformed_empty_and_binary_files(pack, tmp_path, capsys):
    answers = tmp_path / "class"
    answers.mkdir()
    (answers / "alice.toml").write_text('[meta]\nstudent = "Alice"\nvariant = 1\n' + "\n".join(_key(pack, 1)) + "\n")
    (answers / "bob-v2.toml").write_text(_changed(_key(pack, 2), "J", lambda v: round(v * 2 + 1, 4)))
    (answers / "carol-v3.toml").write_text(_changed(_key(pack, 3), "x1[1]", lambda v: format(v, ".1g")))
    (answers / "dave-v1.toml").write_text("[answers]\nx1[1] = 0.5\n")
    (answers / "erin-v1.toml").write_text("")
    (answers / "frank-v2.toml").write_bytes(bytes(range(256)))
    (answers / "gina-v9.toml").write_text('[answers]\n"J" = 1\n')
    (answers / "hal-v1.toml").write_text('[precision]\nsignificant_digits = 1\n' + _changed(_key(pack, 1), "J", lambda v: format(v, ".1g")))
    book, reports = tmp_path / "book.csv", tmp_path / "reports"
    assert main(["grade", str(pack), str(answers), "--csv", str(book), "--reports", str(reports)]) == 1
    assert "8 answers files graded: 1 all right, 3 with mistakes, 4 with errors" in capsys.readouterr().out
    rows = {row["file"]: row for row in csv.DictReader(book.open())}
    assert len(rows) == 8
    alice = rows["alice.toml"]
    assert (alice["student"], alice["variant"], alice["score"], alice["wrong"], alice["error"]) == ("Alice", "1", "10/10", "0", "")
    bob = rows["bob-v2.toml"]
    assert (bob["variant"], bob["score"], bob["wrong"], bob["first_wrong"]) == ("2", "9/10", "1", "J")
    carol = rows["carol-v3.toml"]
    assert (carol["score"], carol["too_coarse"], carol["wrong"], carol["first_wrong"]) == ("9/10", "1", "0", "")
    assert rows["hal-v1.toml"]["too_coarse"] == "1"  # the pack's precision, not the student's [precision]
    assert "must be quoted" in rows["dave-v1.toml"]["error"] and "dave-v1.toml:2" in rows["dave-v1.toml"]["error"]
    assert "missing [answers]" in rows["erin-v1.toml"]["error"]
    assert "cannot read" in rows["frank-v2.toml"]["error"]
    assert "9 is not in the pack" in rows["gina-v9.toml"]["error"]
    for name in ("dave-v1.toml", "erin-v1.toml", "frank-v2.toml", "gina-v9.toml"):
        assert rows[name]["score"] == ""
    document = json.loads(book.with_suffix(".json").read_text())
    assert document["count"] == 8 and document["significant_digits"] == 3
    bob_json = next(s for s in document["students"] if s["file"] == "bob-v2.toml")
    assert bob_json["report"] == "bob-v2.toml.html" and len(bob_json["rows"]) == 10
    assert sorted(p.name for p in reports.iterdir() if p.suffix == ".html") == [
        "alice.toml.html", "bob-v2.toml.html", "carol-v3.toml.html", "hal-v1.toml.html"]
    report = (reports / "bob-v2.toml.html").read_text()
    # maths typeset at build time (issue 17): MathML in the page, no KaTeX script to load
    assert "first wrong step" in report and "<math" in report and "katex.min.js" not in report
    assert "yours" in report and "too coarse" in (reports / "carol-v3.toml.html").read_text()


def test_default_gradebook_and_bad_input(pack, tmp_path, capsys):
    answers = tmp_path / "few"
    answers.mkdir()
    (answers / "ann-v1.toml").write_text("\n".join(_key(pack, 1)) + "\n")
    assert main(["grade", str(pack), str(answers)]) == 0
    assert (pack / "teacher/gradebook.csv").is_file() and (pack / "teacher/gradebook.json").is_file()
    assert main(["grade", str(tmp_path), str(answers)]) == 2
    assert "no teacher/manifest.json" in capsys.readouterr().err
    assert main(["grade", str(pack), str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("stem, variant", [("alice-v3", 3), ("v012_bob", 12), ("carol-7", 7), ("dave", None),
                                           ("eve2-v4", 4)])
def test_variant_from_the_file_name(stem, variant):
    assert variant_from_name(stem) == variant
