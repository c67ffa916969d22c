"""The command line: subcommands, one-line errors, exit codes 0 (ok), 1 (check found wrong answers), 2 (bad input).

An interrupt ends with one line and the shell's code for the signal: 130 for Ctrl-C (SIGINT), 143 for kill (SIGTERM);
output staged so far is removed. A closed standard output (`nnsteps derive | head`) ends quietly with 141, the code
of a program stopped by SIGPIPE, as `yes | head` reports it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib import import_module, util

from .commands import COMMAND_MODULES

EXIT_ERROR = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # 141


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt, so that staged output and worker pools clean up."""


def _raise_terminated(signum, frame):
    raise Terminated()


def _catch_sigterm():
    """Install the SIGTERM handler; the previous one, to restore (None when not in the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # signal handlers can only be set from the main thread
        return None


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):  # stderr closed too: the exit code says it
        pass


def _quiet_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null so that the exit's flush raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured in tests)
        pass


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
    previous = _catch_sigterm()
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before or after a command's own handling (startup, argument parsing)
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _say("terminated")
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    commands = _available_commands()
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code = commands[args.command].run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _say("terminated")
        return EXIT_TERMINATED
    except Exception as error:  # one line for our errors; a traceback only with --debug
        from .derive.errors import NnstepsError

        if args.debug:
            raise
        if isinstance(error, NnstepsError):
            _say(f"error: {error}")
        elif isinstance(error, MemoryError):
            _say("error: out of memory (MemoryError); the input needs more memory than this machine has: "
                 "try a smaller network, fewer samples or fewer steps")
        elif isinstance(error, RecursionError):
            _say("error: input nested too deeply (RecursionError); write the expression or file with less nesting")
        elif isinstance(error, OSError):
            _say(f"error: {error.__class__.__name__}: {error}")
        else:
            _say(f"error: internal error ({error.__class__.__name__}: {error}); rerun with --debug and report it")
        return EXIT_ERROR
