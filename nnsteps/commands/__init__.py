"""One module per subcommand, each with `add_parser(subparsers)` and `run(args) -> exit code`.

Command modules import SymPy/NumPy inside `run` only, so `nnsteps --help` stays fast.
"""

# the order in which `nnsteps --help` lists them
COMMAND_MODULES = ("derive", "render", "check", "exercises", "export", "train", "examples")
