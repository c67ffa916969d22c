"""The command line: subcommands, one-line errors, exit codes 0 (ok), 1 (check found wrong answers), 2 (bad input)."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_WRONG, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnsteps",
        description="Derive, check and explain backpropagation step by step for small feedforward networks.",
        epilog="SPEC is a TOML/JSON file or a built-in example name (see `nnsteps examples`); none means the tutorial example.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    derive = commands.add_parser("derive", help="print every quantity of the forward and backward pass")
    derive.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    derive.add_argument("--json", action="store_true", help="print JSON instead of a table")
    derive.add_argument("--sample", type=int, default=1, metavar="N", help="which sample's per-sample values to show (1-based)")
    derive.add_argument("--digits", type=int, default=6, help="significant digits in the table (default 6)")

    examples = commands.add_parser("examples", help="list the built-in example specs, or print one")
    examples.add_argument("name", nargs="?", help="print this example's spec file")
    return parser


def _derive(args) -> int:
    from .network import Network

    derivation = Network.from_file(args.spec or "tutorial").derive()
    if args.json:
        print(json.dumps(derivation.to_json(), indent=1))
        return EXIT_OK
    from .table import derivation_table

    print(derivation_table(derivation, sample=args.sample, digits=args.digits))
    return EXIT_OK


def _examples(args) -> int:
    from .spec import builtin_names, builtin_text

    if args.name:
        if args.name not in builtin_names():
            from .derive.errors import SpecError

            raise SpecError("examples", f"no built-in example {args.name!r}; choose one of {', '.join(builtin_names())}")
        print(builtin_text(args.name), end="")
        return EXIT_OK
    for name in builtin_names():
        first = builtin_text(name).splitlines()[0].lstrip("# ")
        print(f"{name:<16} {first}")
    return EXIT_OK


COMMANDS = {"derive": _derive, "examples": _examples}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return COMMANDS[args.command](args)
    except Exception as error:  # one line for our errors; a traceback only with --debug
        from .derive.errors import NnstepsError

        if args.debug:
            raise
        if isinstance(error, NnstepsError):
            print(f"error: {error}", file=sys.stderr)
        elif isinstance(error, (OSError, KeyboardInterrupt)):
            print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        else:
            print(f"error: internal error ({error.__class__.__name__}: {error}); rerun with --debug and report it", file=sys.stderr)
        return EXIT_ERROR
