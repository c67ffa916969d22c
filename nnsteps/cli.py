"""The command line: subcommands, one-line errors, exit codes 0 (ok), 1 (check found wrong answers), 2 (bad input)."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module, util

from .commands import COMMAND_MODULES

EXIT_ERROR = 2


def _available_commands() -> dict:
    """Command name -> module, for the command modules present in this installation."""
    found = {}
    for name in COMMAND_MODULES:
        if util.find_spec(f"nnsteps.commands.{name}") is not None:
            found[name] = import_module(f"nnsteps.commands.{name}")
    return found


def build_parser(commands: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnsteps",
        description="Derive, check and explain backpropagation step by step for small feedforward networks.",
        epilog="SPEC is a TOML/JSON file or a built-in example name (see `nnsteps examples`); none means the tutorial example.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    no_limits = dict(action="store_true", default=argparse.SUPPRESS,
                     help="lift the budgets of nnsteps (work, sizes, digits) for a trusted spec")
    parser.add_argument("--no-limits", **no_limits)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in commands.values():
        module.add_parser(subparsers)
    for subparser in subparsers.choices.values():  # also accepted after the command's name
        subparser.add_argument("--no-limits", **no_limits)
    return parser


def main(argv: list[str] | None = None) -> int:
    commands = _available_commands()
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return commands[args.command].run(args)
    except Exception as error:  # one line for our errors; a traceback only with --debug
        from .derive.errors import NnstepsError

        if args.debug:
            raise
        if isinstance(error, NnstepsError):
            print(f"error: {error}", file=sys.stderr)
        elif isinstance(error, OSError):
            print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        else:
            print(f"error: internal error ({error.__class__.__name__}: {error}); rerun with --debug and report it", file=sys.stderr)
        return EXIT_ERROR
