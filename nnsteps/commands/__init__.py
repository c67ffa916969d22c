"""One module per subcommand, each with `add_parser(subparsers)` and `run(args) -> exit code`.

Command modules import SymPy/NumPy inside `run` only, so `nnsteps --help` stays fast.
"""

# the order in which `nnsteps --help` lists them
COMMAND_MODULES = ("derive", "render", "check", "exercises", "grade", "export", "train", "explain", "report",
                   "examples")


def whole_number(text: str, least: int = 0) -> int:
    """An argparse type: a whole number of at least `least`."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least {least}")
    return value


def limits_of(args):
    """The budgets of this run: NO_LIMITS with --no-limits, else DEFAULT_LIMITS (nnsteps.derive.limits)."""
    from ..derive.limits import DEFAULT_LIMITS, NO_LIMITS

    return NO_LIMITS if getattr(args, "no_limits", False) else DEFAULT_LIMITS


def check_digits(digits: int, limits, field: str = "--digits") -> int:
    """Significant digits to show: from 1 to limits.shown_digits."""
    from ..derive.errors import SpecError

    if not 1 <= digits <= limits.shown_digits:
        raise SpecError(field, f"{digits} must be a whole number from 1 to {limits.shown_digits}")
    return digits


def positive_number(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return whole_number(text, least=1)
