"""The precision policy (too coarse is not right), and answers files: templates, errors by file and line."""

import json

import pytest

from nnsteps.answers_file import read_answers_file
from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import SpecError
from nnsteps.derive.grading import RIGHT, TOO_COARSE, WRONG, Tolerance, grade, significant_digits, status
from nnsteps.answers import answers_from_mapping, parse_number
from nnsteps.derive.names import parse_quantity
from nnsteps.spec import load_spec

TUTORIAL = load_spec("tutorial")


def _answer(text):
    from decimal import Decimal

    from nnsteps.derive.grading import Answer

    number, exponent, written = parse_number(Decimal(text) if "/" not in text else text, "t")
    return Answer(parse_quantity("J", TUTORIAL), "J", written, number, exponent)


@pytest.mark.parametrize("text, digits", [("-3", 1), ("0.8", 1), ("0.818", 3), ("113", 3), ("0.0728", 3),
                                          ("6384.31", 6), ("1e-3", 1), ("1.20e3", 3), ("100", 3), ("-2.770", 4)])
def test_significant_digits_written(text, digits):
    assert significant_digits(_answer(text)) == digits


@pytest.mark.parametrize("text, true, expected", [
    ("-3", -2.7729829, TOO_COARSE), ("-2.8", -2.7729829, TOO_COARSE), ("-2.77", -2.7729829, RIGHT),
    ("-4", -2.7729829, WRONG), ("-2.78", -2.7729829, WRONG), ("-3", -3.0, RIGHT), ("0.5", 0.5, RIGHT),
    ("0", 0.0, RIGHT), ("-157/500", -0.314, RIGHT), ("0.3", 0.291313, TOO_COARSE)])
def test_status_by_the_policy(text, true, expected):
    assert status(_answer(text), true) == expected


def test_policy_is_settable_and_tolerance_replaces_it():
    assert status(_answer("-2.8"), -2.7729829, Tolerance(significant_digits=2)) == RIGHT
    assert status(_answer("-2.77"), -2.7729829, Tolerance(significant_digits=4)) == TOO_COARSE
    assert status(_answer("-2.8"), -2.7729829, Tolerance(significant_digits=0)) == RIGHT
    assert status(_answer("-3"), -2.7729829, Tolerance(rtol=0.1)) == RIGHT


def _write(tmp_path, text, name="a.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_check_marks_the_issue_examples_too_coarse(tmp_path, capsys):
    path = _write(tmp_path, '[answers]\n"dW3[2,1]" = -3\n"z1[2]" = 0.8\n"z1[1]" = -0.314\n')
    assert main(["check", "tutorial", path]) == 1
    out = capsys.readouterr().out
    assert out.count("too coarse") == 3 and "1 of 3 right; 2 too coarse." in out and out.endswith(".\n")
    assert "at least 3 significant digits" in out
    assert main(["check", "tutorial", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in data["rows"]] == ["right", "too coarse", "too coarse"]
    assert data["too_coarse"] == 2 and data["wrong"] == 0 and data["first_wrong"] is None
    tanh = _write(tmp_path, '[answers]\n"x1[1]" = 0.3\n', "t.toml")
    assert main(["check", "tanh-sigmoid", tanh]) == 1
    assert "too coarse" in capsys.readouterr().out
    assert main(["check", "tutorial", path, "--significant-digits", "1"]) == 0
    assert capsys.readouterr().out.endswith("All 3 right.\n")


def test_precision_from_the_answers_file_and_the_spec(tmp_path, capsys):
    path = _write(tmp_path, '[precision]\nsignificant_digits = 1\n[answers]\n"dW3[2,1]" = -3\n')
    assert read_answers_file(path, TUTORIAL).significant_digits == 1
    assert main(["check", "tutorial", path]) == 0
    assert main(["check", "tutorial", path, "--significant-digits", "2"]) == 1  # the command line wins
    spec = (tmp_path / "s.toml")
    spec.write_text(load_spec_text() + '\n[exercise]\nsignificant_digits = 4\n')
    plain = _write(tmp_path, '[answers]\n"dW3[2,1]" = -2.77\n', "p.toml")
    assert main(["check", str(spec), plain]) == 1
    assert "at least 4 significant digits" in capsys.readouterr().out
    bad = _write(tmp_path, '[precision]\nsignificant_digits = 99\n[answers]\n"J" = 1\n', "b.toml")
    assert main(["check", "tutorial", bad]) == 2
    assert "significant_digits" in capsys.readouterr().err


def load_spec_text():
    from nnsteps.spec_writer import spec_to_mapping, to_toml

    return to_toml(spec_to_mapping(TUTORIAL))


def test_answers_errors_name_file_and_line_all_at_once(tmp_path, capsys):
    path = _write(tmp_path, '[answers]\nz1[1] = -0.314\n"x1[1]" = 1\nz1[2] = 3\n', "wrong.toml")
    assert main(["check", "tutorial", path]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f'error: {path}:2: z1[1]: names with brackets must be quoted, e.g. "z1[1]" = -0.314',
                   f'error: {path}:4: z1[2]: names with brackets must be quoted, e.g. "z1[2]" = 3']
    assert not any("spec" in line for line in err)
    path = _write(tmp_path, '[answers]\n"z9[1]" = 1\n"x1[1]" = "abc"\n"J" = 3\n', "two.toml")
    assert main(["check", "tutorial", path]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(f"error: {path}:2: ") and err[1].startswith(f"error: {path}:3: ")
    many = "[answers]\n" + "".join(f'"z9[{k}]" = 1\n' for k in range(1, 31))
    assert main(["check", "tutorial", _write(tmp_path, many, "many.toml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 21 and err[-1] == "error: ... and 10 more problems"
    with pytest.raises(SpecError):
        answers_from_mapping({"answers": {"J": True}}, TUTORIAL)


def test_template_lists_asked_quantities_in_order_and_reads_back(tmp_path, capsys):
    out = tmp_path / "blank.toml"
    assert main(["check", "tutorial", "--template", "-o", str(out)]) == 0
    text = out.read_text()
    names = [line.split('"')[1] for line in text.splitlines() if line.startswith('"')]
    assert names == ["x1[1]", "x2[1]", "x3[1]", "J", "delta3[1]", "delta2[1]", "delta1[1]", "dW3[1,1]", "dW1[1,1]",
                     "W3[1,1]@after"]
    lines = text.splitlines()
    assert all(lines[i - 1].startswith("# ") for i, line in enumerate(lines) if line.startswith('"'))
    filled = text.replace('"J" = ', '"J" = ' + format(float(derive(TUTORIAL).value("J")), ".6g"))
    out.write_text(filled)
    assert main(["check", "tutorial", str(out)]) == 0  # blanks are not answered; the one answer is right
    capsys.readouterr()
    assert main(["check", "tutorial", "--template"]) == 0
    assert capsys.readouterr().out == text
    assert main(["check", "tutorial"]) == 2


def test_grade_ignores_coarse_answers_as_carried_sources():
    d = derive(TUTORIAL)
    answers = answers_from_mapping({"answers": {"z1[2]": "0.8", "x1[2]": "0.818"}}, TUTORIAL)
    result = grade(d, answers)
    assert [row.status for row in result.rows] == [TOO_COARSE, RIGHT] and result.first_wrong is None
