"""The one definition of the characters user text may not carry into an output: line breaks and invisible controls."""

import re

# C0 (tab, newline, CR, VT, FF...), DEL, C1 (NEL...), U+2028/2029, and lone surrogates (no UTF-8 file can hold
# one). Any of them can end a comment (Python, TeX, TOML), start a paragraph in a TeX argument, end a Markdown
# heading, or be refused by a parser; in user text each becomes a space, or an escape where the format has one.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# the same, keeping tab and newline: text of several lines (valid in HTML and XML 1.0)
CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def spaced(text) -> str:
    """Text on one line: every line break and control character replaced by a space."""
    return CONTROL.sub(" ", str(text))
