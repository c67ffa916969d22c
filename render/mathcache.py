"""Formulas already typeset (LaTeX -> MathML) kept in a file between runs, so a repeated render skips KaTeX.

The file lives in $NNSTEPS_CACHE_DIR (`off` turns the cache off), else $XDG_CACHE_HOME/nnsteps or ~/.cache/nnsteps,
and is named after the KaTeX and compaction versions, so any change to either starts a new one. It only ever saves
time: a missing, unreadable or unwritable file means typesetting again, never an error. An entry read back is used
only if it is plain MathML (MathML element names, quoted attributes, escaped text): the cache cannot put markup of
any other kind into a document.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

CACHE_ENV = "NNSTEPS_CACHE_DIR"
MAX_ENTRIES = 20_000  # about 10 MB: past it the oldest entries go
_ELEMENTS = ("math|mrow|mi|mn|mo|mtext|ms|mspace|msub|msup|msubsup|mfrac|msqrt|mroot|mstyle|mpadded|mphantom|"
             "menclose|mtable|mtr|mtd|munder|mover|munderover|mmultiscripts|mprescripts|none")
_ATTRIBUTES = ("display|mathvariant|stretchy|form|lspace|rspace|displaystyle|scriptlevel|rowspacing|columnalign|"
               "columnspacing|columnlines|rowlines|width|height|depth|voffset|accent|accentunder|notation|"
               "linethickness|minsize|maxsize|symmetric|movablelimits|largeop|mathcolor|mathbackground")
_SAFE = re.compile(rf"(?:</?(?:{_ELEMENTS})(?: (?:{_ATTRIBUTES})=\"[^\"<>&]*\")*/?>|[^<>&]|&(?:amp|lt|gt|quot|#x?[0-9a-fA-F]+);)*")


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "off", "0", "no", "false") else Path(value)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnsteps"


def is_plain_mathml(markup: str) -> bool:
    return markup.startswith("<math") and markup.endswith("</math>") and _SAFE.fullmatch(markup) is not None


def _key(latex: str, display: bool, filled: bool) -> str:
    """"d|latex" (display) or "i|latex" (inline), KaTeX's own; "fd|…", "fi|…" filled in from the formula's shape."""
    return ("f" if filled else "") + ("d|" if display else "i|") + latex


class FormulaCache:
    """`key` (versions) -> one JSON file of {"d|latex" or "i|latex": MathML}, read once, written when KaTeX typeset
    something new; in memory also {"fd|latex" or "fi|latex": MathML}, filled in from the formula's shape."""

    def __init__(self, key: str):
        base = folder()
        self.path = None if base is None else base / f"mathml-{key}.json"
        self.entries: dict[str, str] | None = None
        self.added = 0

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path else {}
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}

    def get(self, latex: str, display: bool, filled: bool = False) -> str | None:
        """KaTeX's MathML of the formula, or (filled) the one made from its shape's (render/mathml.py: mathml)."""
        if self.entries is None:
            self.entries = self._read()
        markup = self.entries.get(_key(latex, display, filled))
        return markup if markup is not None and is_plain_mathml(markup) else None

    def put(self, latex: str, display: bool, markup: str, filled: bool = False) -> None:
        if self.path is None or not is_plain_mathml(markup):
            return  # an error (KaTeX's red source) is typeset again next time
        if self.entries is None:
            self.entries = self._read()
        self.entries[_key(latex, display, filled)] = markup
        # only a KaTeX run is worth a write: a formula filled in from its shape is kept for this process only
        self.added += not filled

    def save(self) -> None:
        """Write the entries (with any another process saved meanwhile) atomically; errors are ignored."""
        if self.path is None or not self.added:
            return
        # what KaTeX typeset; a formula filled in from its shape's is made again in microseconds, and exercise
        # variants would fill the file with them
        merged = {k: v for k, v in {**self._read(), **(self.entries or {})}.items() if not k.startswith("f")}
        if len(merged) > MAX_ENTRIES:
            merged = dict(list(merged.items())[-MAX_ENTRIES:])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".mathml-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(merged, out, ensure_ascii=False, separators=(",", ":"))
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            return
        self.added = 0
