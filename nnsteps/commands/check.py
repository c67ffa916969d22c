"""`nnsteps check SPEC ANSWERS [--json] [--report FILE] [--rtol R] [--atol A]`: grade hand-computed numbers."""

import json

EXIT_WRONG = 1


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "check", help="grade hand-computed numbers: first wrong step, carried errors, likely mistake",
        description="Grade an answers file ([answers] table of quantity names and numbers) against a spec. "
                    "A number is right when the correct value, rounded to the digits written, equals it. "
                    "Exit 0: all right; 1: some wrong; 2: bad spec or answers file.")
    parser.add_argument("spec", help="spec file or built-in name")
    parser.add_argument("answers", help="answers file (TOML/JSON) or a shipped name such as tutorial000-printed")
    parser.add_argument("--json", action="store_true", help="print JSON for autograders")
    parser.add_argument("--report", metavar="FILE", help="also write a report with worked steps (.html or .md)")
    parser.add_argument("--rtol", type=_non_negative, metavar="R", help="relative tolerance instead of the rounding rule")
    parser.add_argument("--atol", type=_non_negative, metavar="A", help="absolute tolerance instead of the rounding rule")
    parser.add_argument("--digits", type=int, default=6, help="significant digits of the correct values shown (default 6)")


def _non_negative(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of at least 0")
    return value


def run(args) -> int:
    from ..answers import load_answers
    from ..derive.derivation import derive
    from ..derive.errors import SpecError
    from ..derive.grading import Tolerance, grade
    from ..spec import load_spec

    report_format = None
    if args.report:
        report_format = _report_format(args.report)
        if report_format is None:
            raise SpecError("--report", f"{args.report}: name a .html or .md file")
    from . import check_digits, limits_of

    limits = limits_of(args)
    check_digits(args.digits, limits)
    spec = load_spec(args.spec, limits)
    answers = load_answers(args.answers, spec)
    derivation = derive(spec)
    result = grade(derivation, answers, Tolerance(args.rtol, args.atol))
    if args.json:
        print(json.dumps(result.to_json(), indent=1, ensure_ascii=False))
    else:
        print(grade_table(result, spec, digits=args.digits))
    if report_format:
        write_report(derivation, result, args.report, report_format, args.answers, args.digits)
    return 0 if result.all_right else EXIT_WRONG


def _report_format(path: str):
    lowered = path.lower()
    return "html" if lowered.endswith((".html", ".htm")) else "md" if lowered.endswith(".md") else None


def verdict(row) -> str:
    """The last column: ✓, or ✗ with first-step, carried and diagnosis notes."""
    if row.right:
        return "✓"
    parts = ["✗"]
    if row.first_wrong:
        parts.append("← first wrong step")
    if row.carried:
        parts.append(f"carried: right given your {', '.join(row.carried_from)}")
    for diagnosis in row.diagnoses:
        parts.append(f"likely: {diagnosis.description} [{diagnosis.name}]")
    if not row.carried and not row.diagnoses and not row.note:
        parts.append("no catalogued mistake gives this number")
    if row.note:
        parts.append(row.note)
    return parts[0] + " " + "; ".join(parts[1:]) if len(parts) > 1 else parts[0]


def grade_table(result, spec, digits: int = 6) -> str:
    """The text table: quantity | theirs | correct | verdict, in the order of the computation."""
    from ..derive.errors import one_line
    from ..render.numbers import format_number

    header = ("quantity", "theirs", "correct", "")
    body = [(row.name, row.answer.text, format_number(row.correct, digits), verdict(row)) for row in result.rows]
    widths = [max(len(r[i]) for r in [header] + body) for i in range(3)]
    lines = [f"Checking {len(result.rows)} answer{'s' if len(result.rows) != 1 else ''} against "
             + one_line(spec.name + (f" ({spec.title})" if spec.title else "")), ""]  # user text: no terminal escapes
    for row in [header] + body:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    wrong = result.wrong
    lines.append("")
    if not wrong:
        lines.append(f"All {len(result.rows)} right.")
        return "\n".join(lines)
    carried = sum(1 for row in wrong if row.carried)
    summary = f"{len(result.rows) - len(wrong)} of {len(result.rows)} right; first wrong step: {result.first_wrong.name}"
    if carried:
        summary += f"; {carried} of the {len(wrong)} wrong follow from earlier wrong numbers"
    lines.append(summary + ".")
    return "\n".join(lines)


def correct_steps(ctx, q) -> tuple:
    """The worked step of one quantity, with the derivation's numbers, as render records."""
    from ..render.backward import batch_step, delta_route, hidden_delta_step, output_delta_step
    from ..render.closing import first_step_gradients, update_step
    from ..render.forward import cost_section, neuron_step, receptor_step, sample_cost
    from ..render.records import Math, Paragraph, text

    d, L, s = ctx.d, ctx.spec.depth, q.sample or 1
    k = q.indices[-1] if q.indices else None
    if _through_special_layers(ctx.spec, q):
        return _given_step(ctx, q)
    if q.kind == "z":
        return (receptor_step(ctx, q.layer, k, s),)
    if q.kind in ("x", "yhat") and (q.layer or L) >= 1:
        return (neuron_step(ctx, q.layer or L, k, s),)
    if q.kind == "J":
        if q.sample is None:
            return cost_section(ctx, range(1, ctx.spec.n_samples + 1)).items
        return (ctx.step(sample_cost(ctx, s), d.cost, s, value=ctx.number(d.backward.sample_costs[s - 1])),)
    if q.kind == "dx":
        return (ctx.step(ctx.partial(sample_cost(ctx, s), d.net.x(L, k)), d.backprop.dJ_dx(k), s),)
    if q.kind == "delta":
        return (output_delta_step(ctx, k, s) if q.layer == L else hidden_delta_step(ctx, q.layer, k, s),)
    if q.kind in ("dW", "db"):  # through the delta for the first samples, then the batch sum
        i, n = (q.indices[0] if q.kind == "dW" else None), ctx.spec.n_samples
        routes = tuple(delta_route(ctx, q.layer, i, k, sample) for sample in range(1, min(n, 3) + 1))
        return routes + (batch_step(ctx, q.layer, i, k),)
    if q.kind in ("W", "b") and q.after and ctx.spec.steps == 1:
        i = q.indices[0] if q.kind == "W" else None
        return (update_step(ctx, q.layer, i, k, first_step_gradients(ctx)),)
    return _given_step(ctx, q)


def _through_special_layers(spec, q) -> bool:
    """Whether the dense worked step of a quantity would miss a dropout or batch-norm row (its value is shown)."""
    from ..render.regularizers import special_layers

    special, layer = special_layers(spec), q.layer or spec.depth
    if q.kind in ("x", "yhat", "delta"):
        return layer in special
    return q.kind in ("dx", "dW", "db", "W", "b") and any(m >= layer for m in special)


def _given_step(ctx, q) -> tuple:
    from ..exercises import quantity_tex
    from ..render.records import Math, Paragraph, text

    symbol, words = quantity_tex(ctx, q)
    value = ctx.num(ctx.number(ctx.d.quantity_value(q)))
    return (Paragraph(text(f"{words.capitalize() or 'Given'}:")), Math(f"{symbol} = {value}"))


def write_report(derivation, result, path: str, fmt: str, answers_name: str, digits: int = 6) -> None:
    """The report: every answer with its verdict, then the correct worked step of each wrong one."""
    from pathlib import Path

    from ..exercises import quantity_tex
    from ..files import write_output
    from ..render.context import Context
    from ..render.environment import environment
    from ..render.numbers import format_number
    from ..render.records import Group, Paragraph, text

    ctx = Context(derivation, digits=digits)
    rows, worked = [], []
    for row in result.rows:
        symbol, words = quantity_tex(ctx, row.answer.quantity)
        rows.append({"name": row.name, "symbol": symbol, "theirs": row.answer.text, "right": row.right,
                     "correct": format_number(row.correct, digits), "rule": row.rule, "verdict": verdict(row),
                     "first": row.first_wrong})
        if not row.right:
            title = text(f"{row.name}: yours {row.answer.text}, correct {format_number(row.correct, digits)}")
            items = correct_steps(ctx, row.answer.quantity) + (Paragraph(text(verdict(row))),)
            anchor = "step-" + "".join(c if c.isalnum() else "-" for c in row.answer.quantity.name)
            worked.append(Group(anchor, title, tuple(items)))
    wrong = result.wrong
    summary = (f"All {len(rows)} answers are right." if not wrong else
               f"{len(rows) - len(wrong)} of {len(rows)} answers are right; the first wrong step is "
               f"{result.first_wrong.name}.")
    tolerance = result.tolerance
    values = dict(title=f"Check of {Path(str(answers_name)).name} against {derivation.spec.title or derivation.spec.name}",
                  summary=summary, rows=rows, worked=tuple(worked), spec_name=derivation.spec.name,
                  answers_name=str(answers_name), figures={},
                  tolerance="" if not tolerance.given else
                  f" (here replaced by |yours - correct| <= {tolerance.atol or 0:g} + {tolerance.rtol or 0:g} |correct|)")
    if fmt == "html":
        from ..render.html import assets

        values["assets"] = assets("")
    write_output(path, environment(fmt).get_template(f"check_report.{fmt}").render(**values), field="--report")
