"""Escaping user text for TeX, Markdown, HTML and XML; `Raw` marks markup that templates must print unchanged."""

from __future__ import annotations

import re
import unicodedata

from ..derive.usertext import CONTROL_BUT_LINES, spaced

class Raw(str):
    """Trusted markup (math, figures) that the TeX and Markdown environments print as it is."""


def one_line(value) -> str:
    """Text with every line break and control character replaced by a space."""
    return spaced(value)


def printable(value) -> str:
    """Text with control characters replaced by spaces, newlines and tabs kept (valid in HTML and XML 1.0)."""
    return CONTROL_BUT_LINES.sub(" ", str(value))


_TEX = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': "''", "\u2013": "--", "\u2014": "---", "\u2018": "`", "\u2019": "'", "\u201c": "``",
    "\u201d": "''", "\u2026": r"\ldots{}", "\u00a0": "~", "\u00d7": r"\(\times\)", "\u2212": "-",
}
# letters that pdflatex's default utf8 input encoding sets with the default OT1 fonts
_LATIN = set("àáâäçèéêëìíîïñòóôöùúûüýÿÀÁÂÄÇÈÉÊËÌÍÎÏÑÒÓÔÖÙÚÛÜÝßæÆœŒøØåÅ")


def tex_escape(value) -> str:
    """Plain text -> TeX source that prints it: specials escaped, other non-ASCII reduced to ASCII."""
    if isinstance(value, Raw):
        return str(value)
    out = []
    for char in one_line(value):  # never a newline: a blank line in a macro argument is a "Runaway argument"
        if char in _TEX:
            out.append(_TEX[char])
        elif ord(char) < 128:
            out.append(char if char.isprintable() else " ")
        elif char in _LATIN:
            out.append(char)
        else:
            ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
            out.append(tex_escape(ascii_form) if ascii_form else "?")
    return "".join(out)


_FRACTION = re.compile(r"\\frac\{\\partial ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{\\partial ([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_WORDS = {"partial": "d", "cdot": "*", "times": "x", "circ": "o", "to": "->", "cdots": "...", "ldots": "...",
          "top": "T", "quad": " ", "qquad": "  "}
_SILENT = re.compile(r"\\(left|right|bigl|bigr|mathbf|boldsymbol|operatorname|mathrm|text|hat|tilde)\b")


def plain_math(latex: str) -> str:
    """Inline LaTeX from the printer as plain ASCII for a PDF bookmark: w^(1)_1,1, dJ/dw^(3)_2,1, delta^(2)_1."""
    text = _FRACTION.sub(r"d\1/d\2", str(latex))
    text = _SILENT.sub("", text)
    text = re.sub(r"\\([a-zA-Z]+)", lambda m: _WORDS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(text.replace("{", "").replace("}", "").split())


_MARKDOWN = set("\\`*_{}[]<>#+!|~$")


def md_escape(value) -> str:
    """Plain text -> Markdown that shows it literally (no emphasis, links, HTML or math)."""
    if isinstance(value, Raw):
        return str(value)
    text = one_line(value)  # a newline would end a heading or a table row and start a Markdown block
    out = []
    for index, char in enumerate(text):
        if char in _MARKDOWN:
            out.append("\\" + char)
        elif char == "&":
            out.append("&amp;")
        elif char in "-+" and index == 0 and text[1:2] in ("", " "):  # a list bullet, if the text opens a line
            out.append("\\" + char)
        elif char in ".)" and text[:index].isdigit() and text[index + 1:index + 2] in ("", " "):  # "1." or "1)"
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def md_code(value) -> Raw:
    """Text as a Markdown code span (CommonMark): on one line, fenced by more backticks than it holds in a row."""
    text = one_line(value)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return Raw(f"{fence}{pad}{text}{pad}{fence}")


def html_text(value):
    """The HTML environment's finalize: control characters out of user text; markup and numbers left alone."""
    return value if not isinstance(value, str) or hasattr(value, "__html__") else printable(value)


_TEX_CODE = set("\\{}$&#%_^~\"'<>|`-")  # characters that TeX or its fonts would read otherwise: set by their codes
CODE_WIDTH = 88  # characters per printed line of a TeX listing; longer lines continue after a hook arrow


def tex_code(value) -> Raw:
    """A listing as TeX: every line in typewriter type, specials as {\\char N}, spaces kept, long lines wrapped."""
    lines = []
    for line in printable(value).expandtabs(4).split("\n"):
        pieces = [line[i:i + CODE_WIDTH] for i in range(0, len(line), CODE_WIDTH)] or [""]
        for number, piece in enumerate(pieces):
            out = [r"\(\hookrightarrow\)~" if number else ""]
            for char in piece:
                if char in _TEX_CODE:
                    out.append(f"{{\\char{ord(char)}}}")
                elif char == " ":
                    out.append("~")
                elif ord(char) < 128:
                    out.append(char if char.isprintable() else "~")
                else:
                    out.append(tex_escape(char))
            lines.append(r"\mbox{}" + "".join(out))
    return Raw("\\par\\noindent{\\ttfamily\\footnotesize " + "\\\\\n".join(lines) + "\\par}")


def md_code_block(value, language: str = "") -> Raw:
    """A listing as a fenced Markdown code block, fenced by more backticks than any run it holds."""
    text = printable(value).rstrip("\n")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Raw(f"{fence}{re.sub('[^A-Za-z0-9]', '', language)}\n{text}\n{fence}")
