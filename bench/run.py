"""nnsteps benchmarks: `python bench/run.py [--quick] [--runs N] [--check] [--json FILE]` prints medians with same-run ratios.

Items: cold `nnsteps render tutorial --to html,tex,md` vs cold `python -c "import sympy, numpy, jinja2"`;
`nnsteps --help` and `nnsteps examples`; all gradient formulas plus one-sample numbers for [2,3,2,1], [4,8,8,3],
[16,32,32,10], [784,32,10] (fresh process each, time per parameter); the [16,32,32,10] summary document;
the compiled gradient function vs the exported module, a hand-written NumPy backprop and torch autograd
(float64, CPU; only when torch is installed: `pip install -e .[bench]`) at batch 1 and 1000; 200 exercise
variants of the tutorial with --jobs 2; the tutorial's (and xor-softmax's) standalone HTML size and time to maths
in Chromium (bench/page.py). An item whose command is not available is skipped with a note.
--quick (for CI, tests/test_bench_quick.py): small sizes, one or two repeats; it checks that the gradient
functions agree and reports scaling, and never asserts absolute times. Every item runs twice by default (--runs),
each run's ratio is shown, and a target counts as met only when every run meets it; --check exits 1 on a miss.
Exit 1 also when a correctness check fails. The machine (CPU model, cores, load average) is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import util
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402
import page  # noqa: E402

FULL_SIZES = ((2, 3, 2, 1), (4, 8, 8, 3), (16, 32, 32, 10), (784, 32, 10))
QUICK_SIZES = ((4, 8, 8, 3), (16, 32, 32, 10), (128, 32, 10))


class Table:
    """Rows of (item, setting, median, ratio, target, verdict) and the raw figures for --json."""

    def __init__(self):
        self.rows, self.records, self.failed = [], [], False

    def add(self, item, setting, seconds, ratio="", target="", met=None, **extra):
        verdict = "" if met is None else ("met" if met else "MISSED")
        self.rows.append((item, setting, _seconds(seconds), ratio, target, verdict))
        self.records.append({"item": item, "setting": setting, "seconds": seconds, "ratio": ratio,
                             "target": target, "met": met, **extra})

    def skip(self, item, note):
        self.rows.append((item, "skipped", "", "", "", note))
        self.records.append({"item": item, "skipped": note})

    def render(self) -> str:
        header = ("item", "setting", "median", "ratio (same run)", "target", "")
        widths = [max(len(str(r[i])) for r in self.rows + [header]) for i in range(6)]
        line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
        return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in self.rows])


def _seconds(value) -> str:
    if value is None or value == "":
        return ""
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def _command_available(name: str) -> bool:
    return util.find_spec(f"nnsteps.commands.{name}") is not None


def _nnsteps() -> list[str]:
    """The nnsteps of this interpreter (the checkout under test), started as the bare imports are. Not the `nnsteps`
    on PATH: that may be another checkout's, or a version manager's shim (pyenv's adds 55 ms of bash)."""
    return [sys.executable, "-m", "nnsteps"]


def compile_bytecode() -> str:
    """Write the .pyc files of nnsteps, as installing it does (pip compiles every module), so a cold start is timed
    the way SymPy's is: with PYTHONDONTWRITEBYTECODE set (or a read-only checkout) every cold start of an editable
    install would otherwise compile nnsteps' ~80 modules from source again (60-80 ms)."""
    import compileall

    spec = util.find_spec("nnsteps")
    if spec is None:
        return "nnsteps not importable"
    folders = set(spec.submodule_search_locations or ())
    for name in ("derive", "render"):
        sub = util.find_spec(f"nnsteps.{name}")
        folders.update(sub.submodule_search_locations or () if sub else ())
    ok = all(compileall.compile_dir(folder, quiet=1) for folder in sorted(folders))
    return "nnsteps bytecode compiled" if ok else "nnsteps bytecode NOT compiled (a module failed)"


def cold(commands: dict, repeats: int, cwd: str, warm_up: bool = True, ok: tuple = (0,)) -> dict:
    """Median wall time of each command in a fresh process, run round-robin (a first warm-up run discarded)."""
    times = {name: [] for name in commands}
    for round_ in range(0 if warm_up else 1, repeats + 1):
        for name, argv in commands.items():
            start = time.perf_counter()
            result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
            elapsed = time.perf_counter() - start
            if result.returncode not in ok:
                raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()[-500:]}")
            if round_:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_startup(table: Table, repeats: int, work: str) -> None:
    base = [sys.executable, "-c", "import sympy, numpy, jinja2"]
    commands = {"import": base, "help": _nnsteps() + ["--help"], "examples": _nnsteps() + ["examples"]}
    render = _command_available("render")
    if render:
        argv = _nnsteps() + ["render", "tutorial", "--to", "html,tex,md", "-o", os.path.join(work, "render")]
        # the formula cache (render/mathcache.py) of the bench, filled by the warm-up run; and a run without it
        commands["render"] = ["env", f"NNSTEPS_CACHE_DIR={os.path.join(work, 'formula-cache')}", *argv]
        commands["render-typeset"] = ["env", "NNSTEPS_CACHE_DIR=off", *argv]
    t = cold(commands, repeats, work, warm_up=True)
    table.add("bare imports, cold", 'python -c "import sympy, numpy, jinja2"', t["import"], "1.00x")
    if render:
        ratio = t["render"] / t["import"]
        table.add("render tutorial, cold", "--to html,tex,md", t["render"], f"{ratio:.2f}x imports", "<= 1.5x imports",
                  ratio <= 1.5, value=ratio)
        ratio = t["render-typeset"] / t["import"]
        table.add("render tutorial, cold, no formula cache", "every formula typeset by KaTeX (first run)",
                  t["render-typeset"], f"{ratio:.2f}x imports", "", None, value=ratio)
    else:
        table.skip("render tutorial, cold", "`nnsteps render` not available in this checkout")
    for name in ("help", "examples"):
        table.add(f"nnsteps {'--help' if name == 'help' else name}, cold", "", t[name],
                  f"{t[name] / t['import']:.2f}x imports", "<= 0.2 s", t[name] <= 0.2)


def bench_derivation(table: Table, sizes, repeats: int) -> list[dict]:
    figures = []
    for layers in sizes:
        m = cases.measure_derivation(layers, repeats)
        n = m["parameters"]
        name = "[" + ",".join(map(str, layers)) + "]"
        per = m["gradients"] / n
        big = tuple(layers) == (784, 32, 10)
        table.add(f"one-sample numbers {name}", f"{n} params: derive(), cross-checked", m["numbers"],
                  f"{m['numbers'] / n * 1e6:.0f} µs/param")
        table.add(f"all gradient formulas {name}", "d.all_gradients()", m["gradients"], f"{per * 1e6:.1f} µs/param",
                  "<= 2 s" if big else "", (m["gradients"] <= 2.0) if big else None)
        table.add(f"every delta formula {name}", "d.delta_formula(l, k)", m["deltas"], "")
        table.add(f"total {name}", "fresh process, after imports", m["total"], f"{m['total'] / n * 1e6:.0f} µs/param",
                  "<= 1.0 s" if big else "", (m["total"] <= 1.0) if big else None)
        figures.append({"layers": list(layers), **m, "per_parameter": per})
    per = [f["per_parameter"] for f in figures if f["parameters"] >= 100]
    if len(per) >= 2:
        spread = max(per) / min(per)
        span = f"{min(f['parameters'] for f in figures if f['parameters'] >= 100)}..{max(f['parameters'] for f in figures)} params"
        table.add("linear: δ·x time per parameter, max/min", span, None, f"{spread:.2f}x", "<= 1.5x", spread <= 1.5,
                  value=spread)
    return figures


def bench_document(table: Table, repeats: int, work: str) -> None:
    if not _command_available("render"):
        table.skip("[16,32,32,10] summary document, cold", "`nnsteps render` not available in this checkout")
        return
    from nnsteps.commands.train import trained_toml  # a TOML writer for the spec mapping

    mapping = cases.network_mapping((16, 32, 32, 10))
    import numpy as np
    from nnsteps.derive.derivation import derive
    from nnsteps.spec import spec_from_mapping

    d = derive(spec_from_mapping(mapping), check=False)
    path = Path(work) / "net16.toml"
    path.write_text(trained_toml(mapping, {k: np.asarray(v, dtype=float) for k, v in d.params.items()}))
    argv = _nnsteps() + ["render", str(path), "--detail", "summary", "--to", "html", "-o", os.path.join(work, "doc")]
    t = cold({"doc": argv}, repeats, work)["doc"]
    table.add("[16,32,32,10] summary document, cold", "--detail summary --to html", t, "", "<= 1.0 s", t <= 1.0)


def bench_gradients(table: Table, sizes, batches, repeats: int) -> bool:
    agree = True
    for layers in sizes:
        for batch in batches:
            t = cases.child("gradients", list(layers), batch, repeats)
            agree &= t["agree"]
            name = "[" + ",".join(map(str, layers)) + f"] batch {batch}"
            table.add(f"hand-written NumPy backprop {name}", "per call", t["hand"], "1.00x")
            bound = 1.15 if batch >= 1000 else 1.3  # issue 18: a careful person's NumPy, at every size
            ratio = t["compiled"] / t["hand"]
            table.add(f"compiled d.gradient_function() {name}", "per call", t["compiled"], f"{ratio:.2f}x hand",
                      f"<= {bound}x hand", ratio <= bound, value=ratio)
            ratio = t["exported"] / t["hand"]
            table.add(f"exported NumPy module {name}", "per call", t["exported"], f"{ratio:.2f}x hand",
                      f"<= {bound}x hand", ratio <= bound, value=ratio)
            if "torch" in t:
                speed, exported = t["torch"] / t["compiled"], t["torch"] / t["exported"]
                target = "compiled >= 2.5x faster" if batch == 1 else ""
                table.add(f"torch autograd float64 {name}", f"CPU, {t['torch_threads']} thread(s)", t["torch"],
                          f"{speed:.2f}x compiled, {exported:.2f}x exported", target,
                          (speed >= 2.5) if target else None, value=speed, exported=exported)
            else:
                table.skip(f"torch autograd {name}", "torch not installed (pip install -e .[bench])")
            if not t["agree"]:
                table.skip(f"agreement {name}", f"MISMATCH: relative error {t['relative_error']:.1e}")
    return agree


def bench_exercises(table: Table, count: int, work: str) -> None:
    if not _command_available("exercises"):
        table.skip(f"{count} exercise variants", "`nnsteps exercises` not available in this checkout")
        return
    argv = _nnsteps() + ["exercises", "tutorial", "--count", str(count), "--jobs", "2", "--format", "html",
                         "--no-progress", "-o", os.path.join(work, "exercises")]
    t = cold({"exercises": argv}, 1, work, warm_up=False)["exercises"]
    target = "<= 10 s" if count == 200 else ""
    table.add(f"{count} exercise variants of the tutorial, cold", "html, --jobs 2", t, f"{t / count * 1e3:.0f} ms/variant",
              target, (t <= 10.0) if target else None)


def bench_exports(table: Table, count: int, work: str) -> None:
    """Issue 16: the same pack with the Moodle, Canvas and PrairieLearn exports and a practice page per variant."""
    if util.find_spec("nnsteps.lms") is None:
        table.skip(f"{count} variants with platform exports", "`nnsteps exercises --lms` not available in this checkout")
        return
    # this checkout's nnsteps (`python -m`), whichever `nnsteps` comes first on PATH
    argv = [sys.executable, "-m", "nnsteps", "exercises", "tutorial", "--count", str(count), "--jobs", "2", "--format", "html",
            "--no-progress", "--lms", "moodle", "canvas", "prairielearn", "--practice", "-o", os.path.join(work, "exports")]
    t = cold({"exports": argv}, 1, work, warm_up=False)["exports"]
    target = "<= 30 s" if count == 200 else ""
    table.add(f"{count} variants + Moodle, Canvas, PrairieLearn, practice pages, cold", "html, --jobs 2", t,
              f"{t / count * 1e3:.0f} ms/variant", target, (t <= 30.0) if target else None)


def bench_grade(table: Table, count: int, work: str) -> None:
    """`nnsteps grade` on `count` answers files (right, wrong, too coarse, malformed) against the exercise pack."""
    pack = os.path.join(work, "exercises")
    if not _command_available("grade") or not os.path.isdir(os.path.join(pack, "teacher")):
        table.skip(f"grade {count} answers files", "`nnsteps grade` or the exercise pack not available in this checkout")
        return
    folder = os.path.join(work, "class")
    cases.class_answers(pack, folder, count)
    argv = _nnsteps() + ["grade", pack, folder, "--reports", os.path.join(work, "reports")]
    t = cold({"grade": argv}, 1, work, warm_up=False, ok=(0, 1))["grade"]  # 1: some files are malformed on purpose
    target = "<= 10 s" if count == 300 else ""
    table.add(f"grade {count} answers files, cold", "gradebook + HTML reports", t,
              f"{count / t:.0f} files/s", target, (t <= 10.0) if target else None)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import sympy

    from importlib import metadata

    try:
        torch = f", torch {metadata.version('torch')}"
    except metadata.PackageNotFoundError:
        torch = ", no torch"
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"SymPy {sympy.__version__}, NumPy {numpy.__version__}{torch}; load average before the run "
            f"{os.getloadavg()[0]:.2f}")


def combined(tables: list) -> Table:
    """One table of several runs: the median time, every run's ratio (their spread), met only if met in every run."""
    result = Table()
    runs = [{(r["item"], r.get("setting")): r for r in t.records} for t in tables]
    for record in tables[0].records:
        key = (record["item"], record.get("setting"))
        same = [run[key] for run in runs if key in run]
        if "skipped" in record:
            result.skip(record["item"], record["skipped"])
            continue
        seconds = [r["seconds"] for r in same if r.get("seconds") is not None]
        verdicts = [r["met"] for r in same]
        met = None if all(v is None for v in verdicts) else all(v is True for v in verdicts)
        ratios = " / ".join(r["ratio"] for r in same if r.get("ratio"))
        values = [r["value"] for r in same if r.get("value") is not None]
        result.add(record["item"], record["setting"], statistics.median(seconds) if seconds else None, ratios,
                   record["target"], met, runs=len(same), values=values, seconds_each=seconds)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (CI)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--runs", type=int, default=None, metavar="N",
                        help="run every item N times and report each run's ratio (default 2; 1 with --quick)")
    parser.add_argument("--check", action="store_true", help="exit 1 when any target is missed in any run")
    args = parser.parse_args(argv)
    quick, described = args.quick, machine()
    print(f"machine: {described}; {compile_bytecode()}", flush=True)
    tables = []
    for _ in range(args.runs or (1 if quick else 2)):
        table, figures, agree = run_once(quick)
        tables.append(table)
    table = combined(tables) if len(tables) > 1 else tables[0]
    print(table.render())
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": described, "quick": quick, "runs": len(tables),
                                               "rows": table.records, "derivation": figures, "agree": agree}, indent=1))
    if not agree:
        print("error: the gradient functions disagree", file=sys.stderr)
        return 1
    missed = [r["item"] for r in table.records if r.get("met") is False]
    if args.check and missed:
        print(f"error: {len(missed)} target(s) missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def run_once(quick: bool) -> tuple:
    """Every item once: (table, derivation figures, whether the gradient functions agree)."""
    table = Table()
    with tempfile.TemporaryDirectory() as work:
        bench_startup(table, 1 if quick else 5, work)
        figures = bench_derivation(table, QUICK_SIZES if quick else FULL_SIZES, 1 if quick else 3)
        if not quick:
            bench_document(table, 3, work)
        sizes = ((2, 3, 2, 1),) if quick else ((2, 3, 2, 1), (16, 32, 32, 10))
        agree = bench_gradients(table, sizes, (1, 1000), 3 if quick else 9)
        bench_exercises(table, 4 if quick else 200, work)
        bench_grade(table, 12 if quick else 300, work)
        page.bench_html(table, ("tutorial",) if quick else ("tutorial", "xor-softmax"), 1 if quick else 5, work)
        bench_exports(table, 4 if quick else 200, work)
    return table, figures, agree


if __name__ == "__main__":
    sys.exit(main())
