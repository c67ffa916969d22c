"""Issue 10, items 4 and 7: every hostile input is refused with exit 2 and a one-line `error: <field>: ...`,
no warnings, within 2 s and 500 MB (measured in a fresh child process); --no-limits lifts the budgets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import NumericalError, SpecError
from nnsteps.derive.limits import DEFAULT_LIMITS, NO_LIMITS, Limits
from nnsteps.spec import spec_from_mapping

SECONDS, MEGABYTES = 2.0, 500

SMALL = """layers = [1, 1]
activations = ["{activation}"]
loss = "squared_error"
{extra}
[parameters]
W1 = [[0.5]]
b1 = [0.1]
[data]
X = [[{x}], [0.2]]
Y = [[0.1], [0.2]]
"""


def small(activation="identity", extra="", x="-0.3", custom=None) -> str:
    text = SMALL.format(activation=activation, extra=extra, x=x)
    return text + (f"[custom]\nexpression = {json.dumps(custom)}\n" if custom else "")


def drawn(layers) -> str:
    return (f"layers = {list(layers)}\nactivations = \"identity\"\nloss = \"squared_error\"\n[init]\nseed = 1\n"
            f"[data]\nX = [[{', '.join(['0.1'] * layers[0])}]]\nY = [[{', '.join(['0.2'] * layers[-1])}]]\n")


DEEP_TANH = ("layers = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]\nactivations = \"tanh\"\nloss = \"squared_error\"\n"
             "[init]\nseed = 1\n[data]\nX = [[0.5, 0.1]]\nY = [[1, 0]]\n")
NESTED = 100_000
HUGE = "1" * 5000

# (name, files {name: text}, command arguments (files by name), expected field)
CASES = [
    ("degree 8^5", {"s.toml": small("custom", custom="((((z**8+1)**8+1)**8+1)**8+1)**8")}, ["derive", "s.toml"],
     "custom.expression"),
    ("exp of exp x5", {"s.toml": small("custom", custom="exp(exp(exp(exp(exp(z)))))")}, ["derive", "s.toml"],
     "custom.expression"),
    ("24 nested tanh", {"s.toml": small("custom", custom="tanh(" * 24 + "z" + ")" * 24)}, ["derive", "s.toml"],
     "custom.expression"),
    ("1e999999999 in answers", {"a.toml": '[answers]\n"z1[1]" = 1e999999999\n'}, ["check", "tutorial", "a.toml"],
     'a.toml:2: answers."z1[1]"'),  # answers-file errors name the file and the line (issue 12)
    ("1e999999999 in an answers string", {"a.toml": '[answers]\n"z1[1]" = "1e999999999"\n'},
     ["check", "tutorial", "a.toml"], 'a.toml:2: answers."z1[1]"'),
    ("1e999999999 in data.X", {"s.toml": small(x="1e999999999")}, ["derive", "s.toml"], "data.X[1][1]"),
    ("learning_rate 1e-999999999", {"s.toml": small(extra="learning_rate = 1e-999999999")}, ["derive", "s.toml"],
     "learning_rate"),
    ("steps 10^9", {"s.toml": small(extra="steps = 1000000000")}, ["derive", "s.toml"], "steps"),
    ("train --steps 10^9", {}, ["train", "tutorial", "--steps", "1000000000"], "--steps"),
    ("layers 3000x3000", {"s.toml": drawn([3000, 3000])}, ["derive", "s.toml"], "layers"),
    ("layers 10000x10000", {"s.toml": drawn([10000, 10000])}, ["derive", "s.toml"], "layers"),
    ("layers 100000x100000", {"s.toml": drawn([100000, 100000])}, ["derive", "s.toml"], "layers"),
    ("expanded 10-layer tanh", {"s.toml": DEEP_TANH}, ["export", "s.toml", "--to", "latex", "--expanded"], "expand"),
    ("400-digit steps", {"s.toml": small(extra="steps = " + "9" * 400)}, ["derive", "s.toml"], "spec"),
    ("40-digit steps", {"s.toml": small(extra="steps = " + "9" * 40)}, ["derive", "s.toml"], "steps"),
    ("5000-digit integer in the spec", {"s.toml": small(extra="steps = " + HUGE)}, ["derive", "s.toml"], "spec"),
    ("400-digit input", {"s.toml": small(x="9" * 400)}, ["derive", "s.toml"], "spec"),
    ("40-digit input", {"s.toml": small(x="9" * 40)}, ["derive", "s.toml"], "data.X[1][1]"),
    ("40-digit input in JSON", {"s.json": json.dumps({"layers": [1, 1], "activations": ["identity"],
                                                      "loss": "squared_error", "init": {},
                                                      "data": {"X": [[int("9" * 40)]], "Y": [[1]]}})},
     ["derive", "s.json"], "data.X[1][1]"),
    ("400-digit answers index", {"a.toml": f'[answers]\n"z1[{"9" * 400}]" = 1\n'}, ["check", "tutorial", "a.toml"],
     'a.toml:2: answers."z1['),
    ("5000-digit answers index", {"a.toml": f'[answers]\n"z1[{HUGE}]" = 1\n'}, ["check", "tutorial", "a.toml"],
     'a.toml:2: answers."z1['),
    ("5000-digit exact fraction", {"a.toml": f'[answers]\n"z1[1]" = "{HUGE}/3"\n'},
     ["check", "tutorial", "a.toml"], 'a.toml:2: answers."z1[1]"'),
    ("5000-digit decimal", {"s.toml": small(x="0." + HUGE)}, ["derive", "s.toml"], "spec"),
    ("TOML nested 100,000 deep", {"s.toml": "layers = " + "[" * NESTED + "]" * NESTED + "\n"}, ["derive", "s.toml"],
     "spec"),
    ("JSON nested 100,000 deep", {"s.json": '{"layers": ' + "[" * NESTED + "]" * NESTED + "}"}, ["derive", "s.json"],
     "spec"),
    ("answers nested 100,000 deep", {"a.toml": '[answers]\n"z1[1]" = ' + "[" * NESTED + "]" * NESTED + "\n"},
     ["check", "tutorial", "a.toml"], "a.toml: line 2"),
    ("init.scale 1e308", {"s.toml": drawn([2, 2]).replace("seed = 1", "seed = 1\nscale = 1e308")},
     ["derive", "s.toml"], "init.scale"),
    ("init.scale 1e50", {"s.toml": drawn([2, 2]).replace("seed = 1", "seed = 1\nscale = 1e50")},
     ["derive", "s.toml"], "init.scale"),
    ("alpha 1e308", {"s.toml": small("leaky_relu", extra="alpha = 1e308")}, ["derive", "s.toml"], "alpha"),
    ("alpha 1e50", {"s.toml": small("leaky_relu", extra="alpha = 1e50")}, ["derive", "s.toml"], "alpha"),
    ("check --digits -5", {}, ["check", "tutorial", "tutorial000-printed", "--digits", "-5"], "--digits"),
    ("check --digits 10^6", {}, ["check", "tutorial", "tutorial000-printed", "--digits", "1000000"], "--digits"),
    ("input 1e308", {"s.toml": small(x="1e308")}, ["derive", "s.toml"], "data.X[1][1]"),
    ("custom log(z)", {"s.toml": small("custom", custom="log(z)")}, ["derive", "s.toml"], "custom.expression"),
    ("custom z**0.5", {"s.toml": small("custom", custom="z**0.5")}, ["derive", "s.toml"], "custom.expression"),
    ("custom (z*9**8)**8", {"s.toml": small("custom", custom="(z*9**8)**8", x="1e40")}, ["derive", "s.toml"],
     "custom.expression"),
    ("answers not UTF-8", {"a.toml": "[answers]\n\"z1[1]\" = 1 # \udcff\n"}, ["check", "tutorial", "a.toml"], "a.toml: cannot read"),
    ("answers malformed", {"a.toml": "[answers\n"}, ["check", "tutorial", "a.toml"], "a.toml:1: invalid TOML"),
    ("answers unquoted brackets", {"a.toml": "[answers]\nz1[1] = -0.314\n"}, ["check", "tutorial", "a.toml"],
     "a.toml:2: z1[1]: names with brackets must be quoted"),
    ("answers is a folder", {"a.toml/x": ""}, ["check", "tutorial", "a.toml"], "answers"),
    ("duplicate JSON key", {"s.json": '{"layers": [1, 1], "layers": [2, 1]}'}, ["derive", "s.json"], "spec"),
    ("duplicate answers JSON key", {"a.json": '{"answers": {"z1[1]": 1, "z1[1]": 2}}'},
     ["check", "tutorial", "a.json"], "a.json: the key"),
    ("file over 16 MB", {"s.toml": "# " + "x" * 16_000_001 + "\n"}, ["derive", "s.toml"], "spec"),
]


def _write(folder: Path, files: dict) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))


# Linux keeps a process's peak memory across fork and exec: a child forked from this test process (which may
# have grown to hundreds of MB, e.g. after torch tests in the same xdist worker) starts with its parent's peak.
# A small launcher, started first, forks nnsteps from its own small memory and reports the child's peak (KB).
LAUNCHER = "\n".join([
    "import os, sys",
    "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)",
    "_, status, usage = os.wait4(pid, 0)",
    "with open(sys.argv[1], 'w') as peak:",
    "    peak.write(str(usage.ru_maxrss))",
    "sys.exit(os.waitstatus_to_exitcode(status))",
])


def run_measured(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """(exit code, stderr, wall seconds, max resident MB) of `python -m nnsteps ARGS` in a fresh process."""
    peak = cwd.parent / f"{cwd.name}.peak-kb"  # beside the folder: the folder holds only what nnsteps wrote
    start = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", LAUNCHER, str(peak), sys.executable, "-m", "nnsteps", *args], cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "default"})
    seconds = time.perf_counter() - start
    return child.returncode, child.stderr.decode("utf-8", "replace"), seconds, int(peak.read_text()) / 1024


@pytest.mark.timing  # wall time asserted: no other test runs meanwhile (tests/conftest.py)
def test_every_hostile_input_is_refused_quickly_with_its_field(tmp_path):
    failures, worst = [], (0.0, 0.0)
    for index, (name, files, args, field) in enumerate(CASES):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        _write(folder, files)
        code, stderr, seconds, megabytes = run_measured(args, folder)
        worst = (max(worst[0], seconds), max(worst[1], megabytes))
        lines = stderr.splitlines()
        ok = (code == 2 and len(lines) == 1 and lines[0].startswith(f"error: {field}")
              and "Warning" not in stderr and "internal error" not in stderr
              and seconds < SECONDS and megabytes < MEGABYTES)
        if not ok:
            failures.append(f"{name}: exit {code}, {seconds:.2f} s, {megabytes:.0f} MB, stderr {stderr[:300]!r}")
        # the folder holds only what the case wrote: nothing partial was left
        assert sorted(p.name for p in folder.iterdir()) == sorted({n.split("/")[0] for n in files}), name
    print(f"worst case: {worst[0]:.2f} s, {worst[1]:.0f} MB over {len(CASES)} inputs")
    assert not failures, "\n".join(failures)


def test_messages_say_what_to_do(tmp_path):
    (tmp_path / "a.toml").write_text("[answers]\nz1[1] = -0.314\n")
    result = subprocess.run([sys.executable, "-m", "nnsteps", "check", "tutorial", "a.toml"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert 'names with brackets must be quoted, e.g. "z1[1]" = -0.314' in result.stderr
    (tmp_path / "s.json").write_text('{"layers": [1, 1], "layers": [2, 1]}')
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", "s.json"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert "'layers' appears twice" in result.stderr
    (tmp_path / "s.toml").write_text(small("custom", custom="log(z)"))
    result = subprocess.run([sys.executable, "-m", "nnsteps", "derive", "s.toml"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.stderr == "error: custom.expression: log(z) is undefined at z1[1] = -0.05 (sample 1)\n"


def test_no_limits_runs_what_the_budget_refuses(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(small(extra=f"steps = {DEFAULT_LIMITS.steps + 1}\nlearning_rate = 0.01"))
    refused = subprocess.run([sys.executable, "-m", "nnsteps", "derive", str(spec)], capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stderr.startswith("error: steps: 10,001 is more than 10,000")
    assert "--no-limits" in refused.stderr
    for args in (["--no-limits", "derive", str(spec), "--json"], ["derive", str(spec), "--json", "--no-limits"]):
        allowed = subprocess.run([sys.executable, "-m", "nnsteps", *args], capture_output=True, text=True)
        assert allowed.returncode == 0, allowed.stderr
        assert len(json.loads(allowed.stdout)["history"]) == DEFAULT_LIMITS.steps + 2


def test_no_limits_still_gives_one_line_errors(tmp_path):
    # only Python's own limits remain: recursion in the parsers, 4,300-digit int conversion, float64 range
    cases = [(small(x="1e308"), "data.X[1]"), (small(extra="steps = " + HUGE), "spec"),
             ("layers = " + "[" * NESTED + "]" * NESTED + "\n", "spec"), (small(x="9" * 400), "data.X[1]")]
    for index, (text, field) in enumerate(cases):
        path = tmp_path / f"s{index}.toml"
        path.write_text(text)
        result = subprocess.run([sys.executable, "-m", "nnsteps", "--no-limits", "derive", str(path)],
                                capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "default"})
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"error: {field}"), result.stderr
        assert "internal error" not in result.stderr and "Warning" not in result.stderr, result.stderr


def _custom(expression: str, limits: Limits = DEFAULT_LIMITS):
    return spec_from_mapping({"layers": [2, 3, 1], "activations": "custom", "loss": "squared_error",
                              "custom": {"expression": expression}, "init": {"seed": 3},
                              "data": {"X": [[0.3, -0.2], [0.1, 0.4]], "Y": [[0.5], [-0.1]]}}, limits=limits)


@pytest.mark.parametrize("expression", [
    "tanh(tanh(tanh(z)))",  # at the nesting limit: solve is skipped, the derivative stays in z
    "tanh(z)+tanh(2*z)+tanh(3*z)+tanh(4*z)+tanh(5*z)+tanh(6*z)+tanh(7*z)+tanh(8*z)+tanh(9*z)",  # over simplify_ops
    "(z**2+1)**8 / (z**4+3)**4",  # degree 32, at the limit
    "exp(-z**2)*tanh(tanh(tanh(z)))+sqrt(1+z**2)*log(1+exp(tanh(z)))",
])
def test_bounded_simplification_keeps_the_derivation_correct(expression):
    d = derive(_custom(expression))  # the cross-check against the independent backprop and finite differences
    assert d.checks and all(check.status in ("ok", "kink") for check in d.checks), [c.status for c in d.checks]


def test_custom_expression_budgets_name_what_was_exceeded():
    with pytest.raises(SpecError, match=r"custom.expression: .*polynomial degree up to 32768, more than 32"):
        _custom("((((z**8+1)**8+1)**8+1)**8+1)**8")
    with pytest.raises(SpecError, match=r"function calls nested 24 deep, more than 3"):
        _custom("tanh(" * 24 + "z" + ")" * 24)
    with pytest.raises(SpecError, match=r"its derivative has \d+ operations"):
        _custom(" * ".join(f"tanh(tanh(tanh(z**{k})))" for k in range(1, 5)))
    assert _custom("((((z**8+1)**8+1)**8+1)**8+1)**8", NO_LIMITS).custom_expression  # parsed, not expanded


@pytest.mark.timing  # wall time asserted: no other test runs meanwhile (tests/conftest.py)
def test_parameter_and_work_budgets_are_checked_from_the_sizes():
    # [3000, 3000] would take 90 s to draw: refused from `layers` alone, before any weight is drawn
    start = time.perf_counter()
    with pytest.raises(SpecError, match=r"^layers: \[3000, 3000\] has 9,003,000 parameters, more than 50,000"):
        spec_from_mapping({"layers": [3000, 3000], "activations": "identity", "loss": "squared_error",
                           "init": {}, "data": {"X": [[0] * 3000], "Y": [[0] * 3000]}})
    assert time.perf_counter() - start < 1
    with pytest.raises(SpecError, match=r"^steps: 10,000 steps x 2 parameters x 60,000 samples"):
        spec_from_mapping({"layers": [1, 1], "activations": "identity", "loss": "squared_error", "steps": 10_000,
                           "parameters": {"W1": [[1]], "b1": [0]},
                           "data": {"X": [[0]] * 60_000, "Y": [[0]] * 60_000}})
    with pytest.raises(SpecError, match=r"^steps: 1,000 steps x 49,099 parameters is 49,099,000 numbers kept"):
        spec_from_mapping({"layers": [1000, 49, 1], "activations": "identity", "loss": "squared_error",
                           "steps": 1000, "init": {}, "data": {"X": [[0] * 1000], "Y": [[1]]}})


@pytest.mark.timing  # wall time asserted: no other test runs meanwhile (tests/conftest.py)
def test_exact_training_stops_before_the_rationals_explode():
    mapping = {"layers": [2, 2, 1], "activations": "identity", "loss": "squared_error", "numbers": "exact",
               "steps": 40, "learning_rate": 0.1, "parameters": {"W1": [[0.5, 0.3], [0.2, 0.1]], "W2": [[0.5], [0.3]]},
               "data": {"X": [[-0.3, 0.7], [0.2, 0.9]], "Y": [[0.1], [0.2]]}}
    start = time.perf_counter()
    with pytest.raises(NumericalError, match=r"^steps: after step \d an exact number has .* digits, more than 400"):
        derive(spec_from_mapping(mapping))
    assert time.perf_counter() - start < 5
    assert len(derive(spec_from_mapping({**mapping, "steps": 3})).training.history) == 4


def test_bench_networks_are_within_the_limits():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        import cases
    finally:
        sys.path.pop(0)
    for layers in cases.NETWORKS:
        assert spec_from_mapping(cases.network_mapping(layers)).n_parameters <= DEFAULT_LIMITS.parameters


def test_every_limit_is_documented_in_the_limits_module():
    source = (Path(__file__).resolve().parent.parent / "derive" / "limits.py").read_text()
    lines = source.splitlines()
    for name in Limits.__dataclass_fields__:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name}:"))
        assert lines[at - 1].strip().startswith("#"), f"{name} has no comment saying what it bounds"


def test_the_api_takes_limits_explicitly(tmp_path):
    from nnsteps import NO_LIMITS as exported
    from nnsteps.network import Network

    path = tmp_path / "s.toml"
    path.write_text(small(extra=f"steps = {DEFAULT_LIMITS.steps + 1}"))
    with pytest.raises(SpecError, match="^steps: "):
        Network.from_file(path)
    network = Network.from_file(path, limits=exported)
    assert network.spec.limits == NO_LIMITS and network.spec == Network.from_file(path, NO_LIMITS).spec
    assert len(network.derive(check=False).training.history) == DEFAULT_LIMITS.steps + 2
    with pytest.raises(SpecError, match=r"^layers: \[400, 400\] has 160,400 parameters"):
        Network(layers=[400, 400], activations="identity", loss="squared_error", init={},
                data={"X": [[0] * 400], "Y": [[0] * 400]})
