"""`nnsteps check SPEC ANSWERS [--json] [--report FILE] [--significant-digits N] [--rtol R] [--atol A]`, or
`nnsteps check SPEC --template [-o FILE]`: grade hand-computed numbers, or write a blank answers file."""

import json

EXIT_WRONG = 1


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "check", help="grade hand-computed numbers: first wrong step, carried errors, too coarse answers, likely "
             "mistake; --template writes a blank answers file",
        description="Grade an answers file ([answers] table of quantity names and numbers) against a spec. "
                    "A number is right when the correct value, rounded to the digits written, equals it, and it "
                    "carries enough significant digits (default 3) unless it is exact; a number that rounds right "
                    "with fewer digits is too coarse. "
                    "Exit 0: all right; 1: some wrong or too coarse; 2: bad spec or answers file.")
    parser.add_argument("spec", help="spec file or built-in name")
    parser.add_argument("answers", nargs="?",
                        help="answers file (TOML/JSON) or a shipped name such as tutorial000-printed")
    parser.add_argument("--template", action="store_true",
                        help="write a blank answers file (the quantities the spec's [exercise] asks, in order) instead")
    parser.add_argument("-o", "--output", metavar="FILE", help="with --template: write it to FILE (default: print it)")
    parser.add_argument("--significant-digits", type=_digits_setting, metavar="N",
                        help="least significant digits an answer must carry unless exact (default: the answers file's "
                             "[precision], else the spec's [exercise], else 3; 0 turns the policy off)")
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


def _digits_setting(text: str) -> int:
    import argparse

    from ..fields import MAX_SIGNIFICANT_DIGITS

    if not (text.isascii() and text.isdigit()) or int(text) > MAX_SIGNIFICANT_DIGITS:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 0 to {MAX_SIGNIFICANT_DIGITS}")
    return int(text)


def significant_digits(flag, answers_file, spec) -> int:
    """The precision policy: the command line, else the answers file's [precision], else the spec's [exercise]."""
    from ..derive.grading import DEFAULT_SIGNIFICANT_DIGITS

    for setting in (flag, answers_file.significant_digits if answers_file else None,
                    spec.exercise.significant_digits if spec.exercise else None):
        if setting is not None:
            return setting
    return DEFAULT_SIGNIFICANT_DIGITS


def run(args) -> int:
    from ..answers_file import read_answers_file
    from ..derive.derivation import derive
    from ..derive.errors import SpecError
    from ..derive.grading import Tolerance, grade
    from ..spec import load_spec

    if args.template:
        return write_template(args)
    if args.answers is None:
        raise SpecError("answers", "name an answers file to check, or write a blank one with --template")
    if args.output:
        raise SpecError("--output", "writes the blank answers file of --template; a report is --report FILE")
    report_format = None
    if args.report:
        report_format = _report_format(args.report)
        if report_format is None:
            raise SpecError("--report", f"{args.report}: name a .html or .md file")
    from . import check_digits, limits_of

    limits = limits_of(args)
    check_digits(args.digits, limits)
    spec = load_spec(args.spec, limits)
    answers_file = read_answers_file(args.answers, spec)
    derivation = derive(spec)
    tolerance = Tolerance(args.rtol, args.atol, significant_digits(args.significant_digits, answers_file, spec))
    result = grade(derivation, answers_file.answers, tolerance)
    if args.json:
        print(json.dumps(result.to_json(), indent=1, ensure_ascii=False))
    else:
        print(grade_table(result, spec, digits=args.digits))
    if report_format:
        write_report(derivation, result, args.report, report_format, args.answers, args.digits)
    return 0 if result.all_right else EXIT_WRONG


def write_template(args) -> int:
    """The blank answers file of the spec's asked quantities, printed or written to -o FILE."""
    from ..answers_template import template_for
    from ..derive.errors import SpecError
    from ..files import write_output
    from ..spec import load_spec
    from . import limits_of

    if args.answers is not None:
        raise SpecError("--template", "writes a blank answers file: give the spec alone")
    spec = load_spec(args.spec, limits_of(args))
    text = template_for(spec, significant_digits(args.significant_digits, None, spec))
    if args.output:
        write_output(args.output, text, field="--output")
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def _report_format(path: str):
    lowered = path.lower()
    return "html" if lowered.endswith((".html", ".htm")) else "md" if lowered.endswith(".md") else None


def verdict(row) -> str:
    """The last column: ✓, or ✗ with first-step, carried and diagnosis notes."""
    if row.right:
        return "✓"
    if row.coarse:
        return "~ too coarse: right at the digits written, but give more significant digits"
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
    lines += ["", f"Precision: {result.tolerance.policy_text()}.", summary_line(result)]
    return "\n".join(lines)


def summary_line(result) -> str:
    """All right, or how many are right, too coarse and wrong, and the first wrong step."""
    total, wrong, coarse = len(result.rows), result.wrong, result.coarse
    if result.all_right:
        return f"All {total} right."
    summary = f"{result.right_count} of {total} right"
    if coarse:
        summary += f"; {len(coarse)} too coarse"
    if wrong:
        summary += f"; first wrong step: {result.first_wrong.name}"
        carried = sum(1 for row in wrong if row.carried)
        if carried:
            summary += f"; {carried} of the {len(wrong)} wrong follow from earlier wrong numbers"
    return summary + "."


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
    from ..quantity_tex import quantity_tex
    from ..render.records import Math, Paragraph, text

    symbol, words = quantity_tex(ctx, q)
    value = ctx.num(ctx.number(ctx.d.quantity_value(q)))
    return (Paragraph(text(f"{words.capitalize() or 'Given'}:")), Math(f"{symbol} = {value}"))


def write_report(derivation, result, path: str, fmt: str, answers_name: str, digits: int = 6, assets_folder: str = "",
                 student: str = "") -> None:
    """The report: every answer with its verdict, then the correct worked step of each wrong one."""
    from pathlib import Path

    from ..quantity_tex import quantity_tex
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
                     "status": row.status,
                     "correct": format_number(row.correct, digits), "rule": row.rule, "verdict": verdict(row),
                     "first": row.first_wrong})
        if row.status == "wrong":
            title = text(f"{row.name}: yours {row.answer.text}, correct {format_number(row.correct, digits)}")
            items = correct_steps(ctx, row.answer.quantity) + (Paragraph(text(verdict(row))),)
            anchor = "step-" + "".join(c if c.isalnum() else "-" for c in row.answer.quantity.name)
            worked.append(Group(anchor, title, tuple(items)))
    summary = summary_line(result)
    tolerance = result.tolerance
    whose = f"{student}'s answers" if student else Path(str(answers_name)).name
    values = dict(title=f"Check of {whose} against {derivation.spec.title or derivation.spec.name}",
                  summary=summary, rows=rows, worked=tuple(worked), spec_name=derivation.spec.name,
                  answers_name=str(answers_name), figures={}, precision=tolerance.policy_text(),
                  tolerance="" if not tolerance.given else
                  f" (here replaced by |yours - correct| <= {tolerance.atol or 0:g} + {tolerance.rtol or 0:g} |correct|)")
    if fmt == "html":
        from ..render.html import assets

        values["assets"] = assets("", assets_folder)
    write_output(path, environment(fmt).get_template(f"check_report.{fmt}").render(**values), field="--report")
