"""The golden documents in tests/golden/ are exactly what the pipeline makes today, for every built-in example
(rendered into a temporary folder: output/ is the user's, whatever they render there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnsteps.commands.render import REGENERATE
from nnsteps.pipeline import render
from nnsteps.spec import builtin_names

GOLDEN = Path(__file__).resolve().parent / "golden"


def _golden_files(name: str) -> set[str]:
    return {p.name for p in GOLDEN.iterdir() if p.name == name or p.name.startswith((f"{name}.", f"{name}-"))}


@pytest.mark.parametrize("name", builtin_names())
def test_golden_documents(name, tmp_path):
    written = {p.name for p in render(name, tmp_path)}
    expected = _golden_files(name) if GOLDEN.is_dir() else set()
    assert written == expected, f"tests/golden/ is out of date for {name!r}: regenerate with `{REGENERATE}`"
    for file in sorted(written):
        fresh, golden = (tmp_path / file).read_bytes(), (GOLDEN / file).read_bytes()
        assert fresh == golden, f"tests/golden/{file} differs from a fresh rendering: regenerate with `{REGENERATE}`"


def test_rendering_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in render("xor-softmax", tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in render("xor-softmax", tmp_path / "b")}
    assert first == second
