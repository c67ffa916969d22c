"""`nnsteps examples [NAME]`: list the built-in specs or print one."""


def add_parser(subparsers):
    parser = subparsers.add_parser("examples", help="list the built-in example specs, or print one")
    parser.add_argument("name", nargs="?", help="print this example's spec file")


def run(args) -> int:
    from ..spec import builtin_names, builtin_text

    if args.name:
        if args.name not in builtin_names():
            from ..derive.errors import SpecError

            raise SpecError("examples", f"no built-in example {args.name!r}; choose one of {', '.join(builtin_names())}")
        print(builtin_text(args.name), end="")
        return 0
    for name in builtin_names():
        # the title line, read without parsing the whole spec (keeps the command instant)
        titles = [line.split("=", 1)[1].strip().strip('"') for line in builtin_text(name).splitlines() if line.startswith("title")]
        print(f"{name:<16} {titles[0] if titles else ''}")
    return 0
