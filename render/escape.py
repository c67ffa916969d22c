"""Escaping user text for TeX and Markdown; `Raw` marks LaTeX that templates must print unchanged."""

from __future__ import annotations

import unicodedata


class Raw(str):
    """Trusted markup (math, figures) that the TeX and Markdown environments print as it is."""


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
    for char in str(value):
        if char in _TEX:
            out.append(_TEX[char])
        elif ord(char) < 128:
            out.append(char if char.isprintable() or char == "\n" else " ")
        elif char in _LATIN:
            out.append(char)
        else:
            ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
            out.append(tex_escape(ascii_form) if ascii_form else "?")
    return "".join(out)


_MARKDOWN = set("\\`*_{}[]<>#+!|~$")


def md_escape(value) -> str:
    """Plain text -> Markdown that shows it literally (no emphasis, links, HTML or math)."""
    if isinstance(value, Raw):
        return str(value)
    text = str(value)
    out = []
    for index, char in enumerate(text):
        if char in _MARKDOWN:
            out.append("\\" + char)
        elif char == "&":
            out.append("&amp;")
        elif char in "-." and (index == 0 or text[index - 1] == "\n"):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
