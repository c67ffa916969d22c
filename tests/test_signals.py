"""Signals, pipes and memory: Ctrl-C and kill end with one line and exit 130/143, leave no folder and no worker behind;
a closed pipe ends quietly (141); MemoryError and RecursionError are one line, exit 2."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nnsteps.commands.derive
from nnsteps.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_TERMINATED, main

NNSTEPS = [sys.executable, "-m", "nnsteps"]

SLOW_SPEC = """
title = "A few seconds of full-detail rendering"
layers = [4, 12, 12, 3]
activations = ["tanh", "tanh", "softmax"]
loss = "cross_entropy"
learning_rate = 0.1

[init]
seed = 1

[data]
X = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.1, 0.2, 0.3]]
Y = [[1, 0, 0], [0, 1, 0]]
"""


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name: [state, ppid, ...]; None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        fields = _stat(int(entry)) if entry.isdigit() else None
        if fields and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def wait_for(condition, seconds: float = 120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the process never reached the state to interrupt")


def staged_variant(folder: Path) -> bool:
    """A variant folder is being written in a staged pack (under its student/ or teacher/ part)."""
    return any(stage.name.startswith(".nnsteps-stage-") and any(p.name.startswith("v") for p in stage.glob("*/*"))
               for stage in folder.iterdir() if stage.is_dir())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
@pytest.mark.parametrize("signum, code, line", [(signal.SIGTERM, EXIT_TERMINATED, "terminated"),
                                                (signal.SIGINT, EXIT_INTERRUPTED, "interrupted")])
def test_stopping_exercises_stops_its_workers_and_leaves_nothing(signum, code, line, tmp_path):
    process = subprocess.Popen([*NNSTEPS, "exercises", "--count", "400", "--jobs", "2", "--no-progress"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers = []
    try:
        workers = wait_for(lambda: len(children(process.pid)) >= 2 and staged_variant(tmp_path) and children(process.pid))
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)  # returns: no worker holds the pipes open
    finally:
        if process.poll() is None:
            process.kill()
        for pid in workers:  # a failed test must not leave orphans either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode == code, err
    assert err.decode().strip() == line and out == b""
    assert not [pid for pid in workers if alive(pid)]
    assert os.listdir(tmp_path) == []  # neither exercises-tutorial/ nor its staging folder


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps (Linux)")
def test_ctrl_c_during_render_is_one_line_and_130(tmp_path):
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_SPEC)
    out = tmp_path / "out"
    process = subprocess.Popen([*NNSTEPS, "render", str(spec), "--detail", "full", "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # NumPy is loaded once the command runs; the derivation and documents take seconds after that
        wait_for(lambda: "_multiarray_umath" in Path(f"/proc/{process.pid}/maps").read_text())
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert stderr.decode() == "interrupted\n" and stdout == b""
    assert sorted(os.listdir(tmp_path)) == ["slow.toml"]


def test_a_closed_pipe_ends_quietly_with_141():
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        result = subprocess.run([*NNSTEPS, "derive"], stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert result.returncode == EXIT_BROKEN_PIPE == 141
    assert result.stderr == b""


def test_head_of_derive_prints_no_error():
    result = subprocess.run(f"{sys.executable} -m nnsteps derive --json xor-softmax | head -n 1", shell=True,
                            capture_output=True, timeout=120)
    assert result.returncode == 0 and result.stdout == b"{\n"
    assert result.stderr == b""  # neither BrokenPipeError nor "Exception ignored"


@pytest.mark.parametrize("error, expected", [(MemoryError(), "error: out of memory"),
                                             (RecursionError("maximum recursion depth exceeded"), "error: input nested too deeply")])
def test_memory_and_recursion_errors_are_one_line(error, expected, monkeypatch, capsys):
    def run(args):
        raise error

    monkeypatch.setattr(nnsteps.commands.derive, "run", run)
    handler = signal.getsignal(signal.SIGTERM)
    assert main(["derive"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert signal.getsignal(signal.SIGTERM) is handler  # main() restores the caller's SIGTERM handler


def test_memory_error_in_a_real_process_is_one_line(tmp_path):
    # an address-space limit makes a large allocation fail for real, wherever it happens
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30));"
            "import nnsteps.commands.derive as d;"
            "d.run = lambda args: bytearray(1 << 31) and 0;"
            "from nnsteps.cli import main; sys.exit(main(['derive']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: out of memory") and result.stderr.count("\n") == 1
