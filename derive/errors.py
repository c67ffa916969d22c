"""Errors by meaning, each naming the field of the spec it concerns."""


def one_line(text: str) -> str:
    """Escape control characters (newlines from user text) so that an error stays on one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


class NnstepsError(Exception):
    """Base of every error nnsteps raises on purpose; `field` names what to fix."""

    kind = "error"

    def __init__(self, field: str, message: str):
        self.field = one_line(field)
        self.message = one_line(message)
        super().__init__(f"{self.field}: {self.message}" if self.field else self.message)

    def __reduce__(self):  # pickled by worker processes (`nnsteps exercises --jobs`) with both arguments
        return self.__class__, (self.field, self.message)


class SpecError(NnstepsError):
    """The input is wrong: a spec, answers file or argument that cannot be used."""


class UnsupportedError(NnstepsError):
    """The input is valid, but nnsteps does not do what it asks."""


class NumericalError(NnstepsError):
    """The numbers went wrong: overflow, log(0), or two gradient methods disagree."""


class ToolMissingError(NnstepsError):
    """An external program (pdflatex, chromium) is needed and not installed."""
