"""Shared fixtures: external tools (chromium, pdflatex, ...) skip a test when missing, but fail it under CI=true.

Tests run on two pytest-xdist workers (pyproject addopts: -n 2 --dist loadfile, one module per worker so module
fixtures are made once). A test marked `timing` (it asserts wall time or memory) runs alone: while it runs, the
other worker waits between two tests (a gate and a room lock, below), so its figures are those of a serial run.
"""

import contextlib
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


def pytest_configure(config):
    config.addinivalue_line("markers", "timing: asserts wall time or memory; under pytest-xdist no other test runs "
                                       "meanwhile")


@contextlib.contextmanager
def _turn(exclusive: bool):
    """A shared turn for an ordinary test, an exclusive one for a timing test, across the xdist workers of one run.

    Every test passes the gate (held only for an instant) and takes the room shared; a timing test keeps the gate
    while it waits for the room alone, so no new test starts meanwhile and it cannot be starved."""
    import fcntl  # POSIX; only under pytest-xdist

    base = os.path.join(tempfile.gettempdir(), f"nnsteps-pytest-{os.environ['PYTEST_XDIST_TESTRUNUID']}")
    with open(base + ".gate", "a") as gate, open(base + ".room", "a") as room:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(room, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(room, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Set-up, call and tear-down of each test (module fixtures made for it included) inside its turn."""
    if "PYTEST_XDIST_TESTRUNUID" not in os.environ:  # one process: every test is alone already
        yield
        return
    with _turn(item.get_closest_marker("timing") is not None):
        yield
