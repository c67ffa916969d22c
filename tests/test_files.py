"""Nothing partial, nothing stray: atomic writes that never follow a symlink, all-or-nothing sets, staged exercise folders."""

import errno
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import nnsteps.files as files
from nnsteps.cli import main
from nnsteps.derive.errors import SpecError
from nnsteps.files import file_stem, write_atomic, write_files
from nnsteps.pipeline import RenderOptions, render

STAGED = re.compile(r"^\.nnsteps-stage-|\.tmp$")


def tree(folder: Path) -> dict:
    """Relative path -> bytes (files), 'link -> target' (symlinks) or None (folders), hidden entries included."""
    out = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            out[key] = f"link -> {os.readlink(path)}" if path.is_symlink() else None if path.is_dir() else path.read_bytes()
    return out


def no_strays(folder: Path) -> None:
    strays = [name for name in tree(folder) if any(STAGED.search(part) for part in Path(name).parts)]
    assert not strays, strays


# -- the slug ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["/../../../../tmp/rt_x", "..", ".", "", "../..", ".hidden", "a/b\\c", "\n\t", "x" * 400,
                                  "C:\\Windows", "~root", "-rf", "名前"])
def test_slug_is_one_plain_visible_name(name):
    stem = file_stem(name)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", stem), stem
    assert stem not in (".", "..") and not stem.startswith(".") and len(stem) <= files.MAX_STEM


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_slug_stays_inside_the_folder(name):
    stem = file_stem(name)
    assert stem and "/" not in stem and not stem.startswith((".", "-"))
    base = Path("/base")
    assert Path(os.path.normpath(base / f"exercises-{stem}")).parent == base


# -- one file --------------------------------------------------------------------
def test_write_atomic_replaces_a_planted_link_and_leaves_its_target(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    write_atomic(link, "new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "victim"]


def test_write_atomic_keeps_the_mode_and_makes_missing_folders(tmp_path):
    path = tmp_path / "a" / "b" / "file.txt"
    write_atomic(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    path.chmod(0o640)
    write_atomic(path, "again")
    assert path.read_text() == "again" and path.stat().st_mode & 0o777 == 0o640


def test_write_atomic_failure_leaves_nothing(tmp_path, monkeypatch):
    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", no_space)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "new" / "deeper" / "file.txt", "text")
    assert list(tmp_path.iterdir()) == []  # the temporary file and the folders made for it are gone


def test_write_atomic_refuses_a_folder(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "dir", "text")
    assert tree(tmp_path) == {"dir": None}


# -- a set of files: render --------------------------------------------------------
def failing_writer(monkeypatch, failure, on_call: int = 2):
    real, calls = files.write_new, []

    def writer(path, data):
        calls.append(path)
        if len(calls) == on_call:
            raise failure
        real(path, data)

    monkeypatch.setattr(files, "write_new", writer)
    return calls


@pytest.fixture
def rendered(tmp_path):
    """An output folder holding an earlier rendering (with changed contents) and a file of the user's."""
    out = tmp_path / "out"
    render("tutorial", out, RenderOptions())
    for path in out.iterdir():
        path.write_text(f"earlier {path.name}")
    (out / "notes.txt").write_text("mine")
    return out


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_render_on_a_full_disk_or_ctrl_c_changes_nothing(rendered, monkeypatch, failure):
    before = tree(rendered)
    calls = failing_writer(monkeypatch, failure)
    with pytest.raises(SpecError if isinstance(failure, OSError) else KeyboardInterrupt) as error:
        render("tutorial", rendered, RenderOptions())
    assert len(calls) == 2
    if isinstance(failure, OSError):
        assert error.value.field == "--output" and "No space left on device" in str(error.value)
    assert tree(rendered) == before


def test_render_into_a_new_folder_on_a_full_disk_leaves_no_folder(tmp_path, monkeypatch):
    failing_writer(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    assert main(["render", "-o", str(tmp_path / "new" / "out")]) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_rolls_back_the_files_already_moved(rendered, monkeypatch):
    before = tree(rendered)
    real, moved = os.replace, []

    def replace(source, target):
        if ".nnsteps-stage-" in str(source) and ".previous" not in str(source):
            moved.append(target)
            if len(moved) == 3:
                raise OSError(errno.EIO, "Input/output error")
        real(source, target)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(SpecError):
        render("tutorial", rendered, RenderOptions())
    assert len(moved) == 3 and tree(rendered) == before


def test_render_replaces_links_and_leaves_nothing_staged(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "tutorial.html").symlink_to(victim)
    written = render("tutorial", out, RenderOptions())
    assert victim.read_text() == "precious" and not (out / "tutorial.html").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)


def test_all_examples_are_written_all_or_none(tmp_path, monkeypatch):
    import nnsteps.pipeline as pipeline

    real = pipeline.render_files

    def render_files(source, options):
        if source.name == "tanh-sigmoid":  # the command passes each example's loaded spec
            raise SpecError("spec", "broken on purpose")
        return real(source, options)

    monkeypatch.setattr(pipeline, "render_files", render_files)
    assert main(["render", "--all-examples", "--to", "md", "-o", str(tmp_path / "out")]) == 2
    assert list(tmp_path.iterdir()) == []


def test_write_files_refuses_names_with_folders(tmp_path):
    for name in ("../x", ".hidden", "a/b", ".."):
        with pytest.raises(ValueError):
            write_files(tmp_path, {name: "x"})
    assert list(tmp_path.iterdir()) == []


# -- single-file outputs: export -o, train -o, check --report ------------------------------
@pytest.mark.parametrize("command", [["export", "--to", "numpy", "-o"], ["export", "--to", "latex", "-o"],
                                     ["train", "--steps", "3", "--every", "0", "-o"],
                                     ["check", "xor-softmax", "tutorial000-printed", "--report"]])
def test_single_outputs_never_follow_a_link(command, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    name = "report.md" if command[0] == "check" else "out.txt"
    link = tmp_path / name
    link.symlink_to(victim)
    assert main([*command, str(link)]) in (0, 1)  # check: 1 when the shipped answers hold mistakes
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "victim"])


def test_single_output_into_a_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "dir").mkdir()
    assert main(["export", "--to", "numpy", "-o", str(tmp_path / "dir")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --output: cannot write") and len(err.strip().splitlines()) == 1
    assert tree(tmp_path) == {"dir": None}


# -- exercise sets -------------------------------------------------------------------
def exercises(*args) -> int:
    return main(["exercises", *map(str, args), "--no-progress", "--format", "md", "--jobs", "1"])


def test_hostile_name_stays_in_the_working_folder(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    escape = tmp_path / "escaped"
    spec = tmp_path / "evil.toml"
    spec.write_text(f'name = "{"/.." * 30}{escape}"\n' + load_tutorial())
    monkeypatch.chdir(work)
    assert exercises(spec, "--count", 1) == 0
    assert not escape.exists()
    (made,) = os.listdir(work)
    assert made == "exercises-" + file_stem(f'{"/.." * 30}{escape}') and "/" not in made and (work / made / "teacher/manifest.json").is_file()


def load_tutorial() -> str:
    from nnsteps.spec import builtin_text

    return builtin_text("tutorial")


def test_rerun_refuses_without_force_and_replaces_whole_with_it(tmp_path, capsys):
    out = tmp_path / "set"
    assert exercises("tutorial", "--count", 3, "-o", out) == 0
    before = tree(out)
    capsys.readouterr()
    assert exercises("tutorial", "--count", 2, "-o", out) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: --output: ") and "--force" in err
    assert tree(out) == before
    assert exercises("tutorial", "--count", 2, "-o", out, "--force") == 0
    assert sorted(p.name for p in (out / "teacher").iterdir()) == ["manifest.csv", "manifest.json", "v001", "v002"]  # no stale v003
    assert json.loads((out / "teacher/manifest.json").read_text())["count"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_force_replaces_a_planted_link_not_its_target(tmp_path):
    out = tmp_path / "exercises-tutorial"
    assert exercises("tutorial", "--count", 1, "-o", out) == 0
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (out / "teacher/v001" / "spec.toml").unlink()
    (out / "teacher/v001" / "spec.toml").symlink_to(victim)
    assert exercises("tutorial", "--count", 1, "-o", out, "--force") == 0
    assert victim.read_text() == "precious"
    assert not (out / "teacher/v001" / "spec.toml").is_symlink() and "layers" in (out / "teacher/v001" / "spec.toml").read_text()


def test_force_never_deletes_a_folder_nnsteps_did_not_make(tmp_path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("years of work")
    assert exercises("tutorial", "--count", 1, "-o", mine, "--force") == 2
    assert "no teacher/manifest.json" in capsys.readouterr().err
    assert tree(mine) == {"chapter1.tex": b"years of work"}
    link = tmp_path / "link"
    link.symlink_to(mine)
    assert exercises("tutorial", "--count", 1, "-o", link, "--force") == 2
    assert "symbolic link" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert exercises("tutorial", "--count", 1, "-o", empty) == 0  # an empty folder holds nothing to lose
    assert (empty / "teacher/manifest.json").is_file()
    assert exercises("tutorial", "--count", 1, "-o", ".") == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_leaves_nothing(jobs, tmp_path, capsys):
    from test_exercises import SPEC

    spec = tmp_path / "tight.toml"
    spec.write_text(SPEC.replace("margin = 0.1", "margin = 100"))  # no draw can be nice: the workers fail
    before = sorted(os.listdir(tmp_path))
    out = tmp_path / "new" / "set"
    assert main(["exercises", str(spec), "--count", "4", "--jobs", str(jobs), "-o", str(out), "--no-progress"]) == 2
    assert "error: exercise: no draw in" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == before  # neither the set, nor assets/, nor the parent made for it


def test_html_set_has_its_assets_and_nothing_staged(tmp_path):
    out = tmp_path / "set"
    assert main(["exercises", "--count", "2", "--jobs", "2", "-o", str(out), "--no-progress"]) == 0
    for part in ("student", "teacher"):  # each part links its own copy: either may be handed on alone
        assert (out / part / "assets").is_dir() and any((out / part / "assets").iterdir())
    assert sorted(os.listdir(tmp_path)) == ["set"]
    no_strays(out)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~files._umask())
