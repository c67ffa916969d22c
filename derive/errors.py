"""Errors by meaning, each naming the field of the spec it concerns."""


class NnstepsError(Exception):
    """Base of every error nnsteps raises on purpose; `field` names what to fix."""

    kind = "error"

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class SpecError(NnstepsError):
    """The input is wrong: a spec, answers file or argument that cannot be used."""


class UnsupportedError(NnstepsError):
    """The input is valid, but nnsteps does not do what it asks."""


class NumericalError(NnstepsError):
    """The numbers went wrong: overflow, log(0), or two gradient methods disagree."""


class ToolMissingError(NnstepsError):
    """An external program (pdflatex, chromium) is needed and not installed."""
