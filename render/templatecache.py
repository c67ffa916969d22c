"""The packaged templates compiled once and kept between runs (Jinja2 bytecode in the nnsteps cache folder).

Compiling the ~20 packaged templates costs a cold render about 45 ms; loading their code objects back costs 2 ms.
The cache lives beside the formula cache (render/mathcache.py: $NNSTEPS_CACHE_DIR, `off` turns both off) in
templates/, one file per template. A file holds a header naming the versions that shaped the code (Python, Jinja2,
the environment's options) and the SHA-1 of the template's source, then the code object (marshal, as a .pyc):
any change to the source, the options or the versions compiles again. Like Python's own bytecode cache, it is
trusted as the user's own files: it is used only in a folder the user owns that no one else may write, and a
missing, stale, unreadable or unwritable file means compiling again, never an error. Templates of a --templates
folder are never cached.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from .mathcache import folder

SUBFOLDER = "templates"


def _private(path: Path) -> bool:
    """The folder exists, belongs to this user and no one else may write into it."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not stat.S_IMODE(info.st_mode) & (stat.S_IWGRP | stat.S_IWOTH))


class TemplateCache(BytecodeCache):
    """Compiled templates of one environment (its options are `fingerprint`), one file per template in `directory`."""

    def __init__(self, directory: Path, fingerprint: str):
        self.directory = directory
        self.header_start = f"nnsteps-template {sys.implementation.cache_tag} jinja2-{jinja2.__version__} {fingerprint}"

    def _file(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}.jinja"

    def _header(self, bucket: Bucket) -> bytes:
        return f"{self.header_start} {bucket.checksum}\n".encode()

    def load_bytecode(self, bucket: Bucket) -> None:
        if not _private(self.directory):
            return
        try:
            data = self._file(bucket).read_bytes()
        except OSError:
            return
        header = self._header(bucket)
        if data.startswith(header):
            try:
                bucket.code = marshal.loads(data[len(header):])
            except (EOFError, ValueError, TypeError):
                bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(self.directory):
                return
            handle, temporary = tempfile.mkstemp(prefix=".template-", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(self._header(bucket) + marshal.dumps(bucket.code))
                os.replace(temporary, self._file(bucket))
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            return


_SHAPING = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
            "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
            "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "autoescape", "optimized",
            "intercepted_binops", "intercepted_unops")


def _described(value) -> str:
    """A function by its qualified name and how Jinja2 calls it (pass_context & co. change the compiled code)."""
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', type(value).__qualname__)}" \
               f"/{getattr(value, 'jinja_pass_arg', None)}"
    return repr(sorted(value) if isinstance(value, frozenset) else value)


def fingerprint(env: jinja2.Environment) -> str:
    """What shapes an environment's compiled code besides the template's source: its class, syntax, finalize,
    filters, tests and extensions."""
    parts = [type(env).__module__ + "." + type(env).__qualname__, _described(env.finalize)]
    parts += [f"{name}={_described(getattr(env, name, None))}" for name in _SHAPING]
    for kind in ("filters", "tests", "extensions"):
        parts += [f"{kind}.{name}={_described(value)}" for name, value in sorted(getattr(env, kind).items())]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def template_cache(env: jinja2.Environment) -> TemplateCache | None:
    """The cache of a fully built environment (its filters set), or None when the nnsteps cache is off."""
    base = folder()
    return None if base is None else TemplateCache(base / SUBFOLDER, fingerprint(env))
