"""`nnsteps derive [SPEC] [--json] [--sample N]`: every quantity as a table or JSON."""

import json


def add_parser(subparsers):
    parser = subparsers.add_parser("derive", help="print every quantity of the forward and backward pass")
    parser.add_argument("spec", nargs="?", help="spec file or built-in name (default: tutorial)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="which sample's per-sample values to show (1-based)")
    parser.add_argument("--digits", type=int, default=6, help="significant digits in the table (default 6)")


def run(args) -> int:
    from ..network import Network
    from . import check_digits, limits_of

    limits = limits_of(args)
    check_digits(args.digits, limits)
    derivation = Network.from_file(args.spec or "tutorial", limits).derive()
    if args.json:
        print(json.dumps(derivation.to_json(), indent=1))
        return 0
    from ..table import derivation_table

    print(derivation_table(derivation, sample=args.sample, digits=args.digits))
    return 0
