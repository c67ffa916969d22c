"""Shared fixtures: external tools (chromium, pdflatex, ...) skip a test when missing, but fail it under CI=true."""

import importlib.util
import os
import shutil
import tempfile

import pytest

# The typeset-formula cache (render/mathcache.py) of this test session: a fresh folder, never the user's ~/.cache;
# inherited by every nnsteps subprocess the tests start.
os.environ["NNSTEPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="nnsteps-test-cache-")


def _require(*tools: str) -> None:
    """Each tool is an absolute path, a command on PATH, or `python:<module>`."""
    missing = []
    for tool in tools:
        if tool.startswith("python:"):
            found = importlib.util.find_spec(tool[7:]) is not None
        else:
            found = os.access(tool, os.X_OK) if os.path.isabs(tool) else shutil.which(tool) is not None
        if not found:
            missing.append(tool.replace("python:", "python package "))
    if missing:
        hint = "pip install the python package" if any("python package" in m for m in missing) else ""
        message = f"missing tool: {', '.join(missing)} (install with .ci/install-tools.sh{hint and '; ' + hint})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def require_tools():
    """require_tools("pdflatex", "python:playwright"): skip (or fail in CI) unless all are present."""
    return _require
