"""The Training section: the built-in adam example shows step 1's bias corrections with the numbers of the steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnsteps.derive.derivation import derive
from nnsteps.render.numbers import latex_number
from nnsteps.render.training import worked_steps
from nnsteps.spec import load_spec

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_worked_steps_default_to_first_two_and_last():
    assert worked_steps(4) == (1, 2, 4) and worked_steps(1) == (1,) and worked_steps(5, [3, 9]) == (3,)


def test_adam_golden_shows_step_one_bias_correction_with_numbers():
    d = derive(load_spec("adam"))
    markdown = (GOLDEN / "adam.md").read_text(encoding="utf-8")
    for name in ("W2[1,1]", "W1[1,1]", "b1[1]"):
        m, mhat = d.value(f"m_{name}@t1"), d.value(f"mhat_{name}@t1")
        correction = rf"\frac{{{latex_number(m)}}}{{1 - 0.9^{{1}}}} = \frac{{{latex_number(m)}}}{{0.1}} = {latex_number(mhat)}"
        assert correction in markdown, correction
        v, vhat = d.value(f"v_{name}@t1"), d.value(f"vhat_{name}@t1")
        assert rf"{{1 - 0.999^{{1}}}} = \frac{{{latex_number(v)}}}{{0.001}}" in markdown
        assert latex_number(vhat) in markdown
        assert latex_number(d.value(f"{name}@t1")) in markdown
    for t in (1, 2, 4):
        assert f"### Step {t}\n" in markdown
    assert "### Step 3\n" not in markdown  # tabulated, not worked
    assert latex_number(d.value("gnorm@t1")) in markdown and "adam-cost.svg" in markdown
    for fmt in ("html", "tex"):
        assert "Training" in (GOLDEN / f"adam.{fmt}").read_text(encoding="utf-8")


def test_work_steps_option_chooses_the_worked_steps(tmp_path):
    import subprocess
    import sys

    def worked(*extra):
        out = tmp_path / "-".join(extra or ("default",))
        result = subprocess.run([sys.executable, "-m", "nnsteps", "render", "adam", "--to", "md", "-o", str(out),
                                 *extra], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        text = (out / "adam.md").read_text(encoding="utf-8")
        return [t for t in range(1, 5) if f"### Step {t}\n" in text]

    assert worked() == [1, 2, 4]
    assert worked("--work-steps", "3") == [3]
    assert worked("--work-steps", "all") == [1, 2, 3, 4]
    bad = subprocess.run([sys.executable, "-m", "nnsteps", "render", "adam", "--to", "md", "-o", str(tmp_path / "x"),
                          "--work-steps", "9"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --work-steps: step 9 is out of range 1..4"
    assert not (tmp_path / "x").exists()


def test_compare_draws_one_curve_per_rule(tmp_path):
    from nnsteps.derive.compare import compare, parse_rules
    from nnsteps.derive.errors import SpecError
    from nnsteps.pipeline import RenderOptions, documents

    d = derive(load_spec("adam"))
    curves = compare(d, "sgd,momentum,adam,adamw:weight_decay=0.1")
    assert [c.label for c in curves] == ["sgd", "momentum", "adam", "adamw:weight_decay=0.1"]
    assert curves[2].history == tuple(float(c) for c in d.training.history)  # the spec's own rule, same numbers
    assert all(len(c.history) == d.spec.steps + 1 and c.history[0] == curves[0].history[0] for c in curves)
    assert dict(parse_rules("nesterov")[0][1].settings)["nesterov"] is True
    with pytest.raises(SpecError, match="adam has no hyper-parameter 'momentum'"):
        compare(d, "adam:momentum=0.9")
    files = documents(d, RenderOptions(formats=("html", "tex", "md"), compare="sgd,adam"))
    assert files["adam.md"].count("adam-compare.svg") == 1 and "class=\"compare-plot\"" in files["adam.html"]
    assert files["adam-compare.svg"].count("<polyline") == 2 and r"\texttt{sgd}" in files["adam.tex"]
