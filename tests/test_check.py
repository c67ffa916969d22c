"""`nnsteps check`: the rounding rule, fractions, carried errors, diagnosis, exit codes and the tutorial-000 demonstration."""

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from nnsteps.answers import answers_from_mapping, builtin_answer_names, parse_number
from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import SpecError
from nnsteps.derive.grading import Answer, Tolerance, grade, is_right
from nnsteps.derive.names import parse_quantity
from nnsteps.spec import load_spec

TUTORIAL = load_spec("tutorial")


def _answer(text, true=None):
    value = Decimal(text) if "/" not in text else text
    number, exponent, written = parse_number(value, "test")
    return Answer(parse_quantity("J", TUTORIAL), "J", written, number, exponent)


@pytest.mark.parametrize("text, right", [("-2.77", True), ("-2.8", True), ("-3", True), ("-2.773", True),
                                         ("-2.78", False), ("-2.7", False), ("-2.772", False), ("2.77", False)])
def test_rounding_rule(text, right):
    assert is_right(_answer(text), -2.7729829) is right


def test_whole_numbers_scientific_and_zero():
    assert is_right(_answer("113"), 113.0) and is_right(_answer("113"), 112.6) and not is_right(_answer("113"), 112.4)
    assert is_right(_answer("1e-3"), 0.00123) and not is_right(_answer("1e-3"), 0.0016)
    assert is_right(_answer("1.2e-3"), 0.00123) and not is_right(_answer("1.3e-3"), 0.00123)
    assert is_right(_answer("113.0"), 113.04) and not is_right(_answer("113.0"), 113.06)
    assert is_right(_answer("0"), 0.0) and not is_right(_answer("0"), 0.0017)  # a written 0 means exactly 0
    assert is_right(_answer("6384"), 6384.31)


def test_fractions_compare_exactly():
    assert is_right(_answer("-157/500"), -0.314)  # float mode: up to float noise
    assert not is_right(_answer("-157/501"), -0.314)
    import sympy as sp

    assert is_right(_answer("-157/500"), sp.Rational(-157, 500), exact=True)
    assert not is_right(_answer("-314/1001"), sp.Rational(-157, 500), exact=True)


def test_tolerance_overrides_rounding():
    assert is_right(_answer("-2.78"), -2.7729829, Tolerance(rtol=0.01))
    assert not is_right(_answer("-2.78"), -2.7729829, Tolerance(atol=0.001))


def test_parse_number_keeps_the_written_digits():
    assert parse_number(Decimal("-2.770"), "f") == (Fraction(-277, 100), -3, "-2.770")
    assert parse_number(113, "f") == (Fraction(113), 0, "113")
    assert parse_number("-157/500", "f")[1] is None
    for bad in (True, "abc", "1/0", [1]):
        with pytest.raises(SpecError):
            parse_number(bad, "f")


def test_answers_errors_name_the_field():
    with pytest.raises(SpecError, match=r'answers\."z9\[1\]": layer 9 does not exist'):
        answers_from_mapping({"answers": {"z9[1]": 1}}, TUTORIAL)
    with pytest.raises(SpecError, match=r'answers\."z1\[1\]@1": names the same quantity'):
        answers_from_mapping({"answers": {"z1[1]": 1, "z1[1]@1": 1}}, TUTORIAL)
    with pytest.raises(SpecError, match="missing \\[answers\\]"):
        answers_from_mapping({"z1[1]": 1}, TUTORIAL)


def test_order_first_wrong_and_carried_errors():
    d = derive(TUTORIAL)
    answers = answers_from_mapping({"answers": {
        "dW3[2,1]": Decimal("-3.05"),  # = x2[2] * delta3[1] with their x2[2]: carried
        "x2[2]": Decimal("0.027"),  # = z2[2] with their z1[2]: carried
        "z2[2]": Decimal("0.027"),
        "z1[2]": Decimal("0.9"),  # the first wrong step
        "z1[1]": Decimal("-0.314"),
        "delta3[1]": Decimal("-113"),
    }}, TUTORIAL)
    result = grade(d, answers)
    assert [r.name for r in result.rows] == ["z1[1]", "z1[2]", "z2[2]", "x2[2]", "delta3[1]", "dW3[2,1]"]
    assert [r.right for r in result.rows] == [True, False, False, False, True, False]
    assert result.first_wrong.name == "z1[2]"
    assert result.rows[2].carried and result.rows[2].carried_from == ("z1[2]",)
    assert result.rows[3].carried and result.rows[3].carried_from == ("z2[2]",)
    assert result.rows[5].carried and "x2[2]" in result.rows[5].carried_from
    assert not result.rows[1].carried


def test_sign_error_named_in_text_and_json(capsys, tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('[answers]\n"dx3[1]" = 112.998\n"z1[2]" = 0.818\n')
    assert main(["check", "tutorial", str(path)]) == 1
    out = capsys.readouterr().out
    assert "← first wrong step" in out and "loss_gradient_sign" in out and "✓" in out
    assert main(["check", "tutorial", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["first_wrong"] == "dx3[1]" and data["wrong"] == 1
    assert data["rows"][1]["diagnoses"][0]["name"] == "loss_gradient_sign"


def test_exit_codes(capsys, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[answers]\n"z1[1]" = -0.314\n"x1[2]" = 0.818\n"dW3[2,1]" = -2.77\n"W3[2,1]@after" = 0.0728\n')
    assert main(["check", "tutorial", str(good)]) == 0
    as_json = tmp_path / "good.json"
    as_json.write_text('{"answers": {"z1[1]": -0.314, "J": "6384.31"}}')
    assert main(["check", "tutorial", str(as_json)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[answers]\n"z9[1]" = 1\n')
    assert main(["check", "tutorial", str(bad)]) == 2
    assert 'answers."z9[1]": layer 9 does not exist' in capsys.readouterr().err
    assert main(["check", "no-such-spec", str(good)]) == 2
    assert main(["check", "tutorial", str(tmp_path / "missing.toml")]) == 2
    broken = tmp_path / "broken.toml"
    broken.write_text("[answers\n")
    assert main(["check", "tutorial", str(broken)]) == 2
    assert main(["check", "tutorial", str(good), "--report", str(tmp_path / "r.pdf")]) == 2


def test_tolerance_flags(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('[answers]\n"dW3[2,1]" = -2.78\n')
    assert main(["check", "tutorial", str(path)]) == 1
    assert main(["check", "tutorial", str(path), "--rtol", "0.01"]) == 0


def test_tutorial_000_printed_output_is_flagged(capsys):
    assert "tutorial000-printed" in builtin_answer_names()
    assert main(["check", "xor-softmax", "tutorial000-printed"]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[3]
    assert first.startswith("yhat[1]@1") and "0.525" in first and "0.423869" in first and "first wrong step" in first
    assert "0 of 8 right" in out


def test_exact_mode_fractions():
    d = derive(load_spec("chain"))
    true = d.value("dW1[1,1]")
    answers = answers_from_mapping({"answers": {"dW1[1,1]": f"{true.p}/{true.q}", "z1[1]": "17/20"}}, d.spec)
    rows = grade(d, answers).rows
    assert rows[0].right and rows[1].right


@pytest.mark.parametrize("suffix", ["html", "md"])
def test_report_shows_worked_steps_for_wrong_answers(tmp_path, suffix, capsys):
    answers = tmp_path / "a.toml"
    answers.write_text('[answers]\n"z1[2]" = 0.9\n"x1[2]" = 0.9\n"dW3[2,1]" = -2.77\n')
    report = tmp_path / f"report.{suffix}"
    assert main(["check", "tutorial", str(answers), "--report", str(report)]) == 1
    document = report.read_text()
    assert "first wrong step" in document and "carried" in document
    substituted = ("<mn>0.02</mn><mo>×</mo><mn>6.1</mn><mo>+</mo><mn>0.08</mn><mo>×</mo><mn>8.7</mn>"  # MathML
                   if suffix == "html" else "0.02 \\times 6.1 + 0.08 \\times 8.7")
    assert substituted in document  # the correct receptor step, numbers substituted
    assert document.count("yours 0.9") == 2 and "yours -2.77" not in document  # only wrong answers get steps
