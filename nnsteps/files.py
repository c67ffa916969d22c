"""Every file nnsteps writes: safe names, atomic writes that never follow a symlink, staged all-or-nothing output."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .derive.errors import SpecError

STAGE_PREFIX = ".nnsteps-stage-"  # hidden folders that hold output until every file of it is made
MAX_STEM = 100  # characters of a name-derived file name; file systems allow 255 bytes


def file_stem(name: str, default: str = "network") -> str:
    """The one slug of a user-given name: letters, digits, dot, dash and underscore, never empty, `.`, `..` or hidden.

    No `/` survives, so a name such as "/../../tmp/x" cannot leave the output folder.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name)).strip(".-")[:MAX_STEM].rstrip(".-")
    return stem or default


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _make_folders(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (outermost first) so that a failure can take them back."""
    missing = []
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    created = []
    for candidate in reversed(missing):
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue
        created.append(candidate)
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders `_make_folders` created, innermost first, if they are still empty."""
    for folder in reversed(created):
        try:
            os.rmdir(folder)
        except OSError:
            return


def _regular_mode(path: Path) -> int | None:
    """The permission bits of an existing regular file at `path` (a symlink is not looked through), else None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_new(path: str | Path, data: str | bytes) -> None:
    """Create a file that must not exist yet (O_EXCL, O_NOFOLLOW): never opens an existing file or a planted link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(path, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(_bytes(data))
    except BaseException:
        os.unlink(path)
        raise


def write_atomic(path: str | Path, data: str | bytes, durable: bool = False) -> Path:
    """Write through a fresh temporary file in the same folder, then os.replace: never half a file.

    A symlink at `path` is replaced by the file, its target is left untouched (os.replace renames onto the
    link itself). Missing parent folders are created, and removed again if the write fails.
    """
    path = Path(path)
    created = _make_folders(path.parent)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:MAX_STEM]}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(_bytes(data))
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        mode = _regular_mode(path)
        os.chmod(temporary, mode if mode is not None else 0o666 & ~_umask())
        if os.path.isdir(path) and not os.path.islink(path):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        _remove_folders(created)
        raise
    return path


def write_output(path: str | Path, data: str | bytes, field: str = "--output") -> Path:
    """write_atomic for a file the user named: a failure is a one-line error naming the option."""
    try:
        return write_atomic(path, data)
    except OSError as error:
        raise SpecError(field, f"cannot write {path}: {error.strerror or error}") from None


def _check_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def write_files(folder: str | Path, files: dict[str, str | bytes]) -> list[Path]:
    """All of `files` (plain names) into `folder`, or none: a failure leaves the folder as it was.

    Every file is first written into a hidden staging folder inside `folder` (a full disk fails here, before
    anything is moved); then each is renamed into place. Renames need no space; if one fails all the same,
    those already moved are rolled back to the files they replaced. An interrupt (Ctrl-C, kill) rolls back too.
    """
    folder = Path(folder)
    names = [_check_name(name) for name in files]
    created = _make_folders(folder)
    stage = previous = None
    moved: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
        for name in names:
            write_new(stage / name, files[name])
        previous = stage / ".previous"
        os.mkdir(previous)
        for name in names:
            target = folder / name
            backup = None
            if os.path.lexists(target):
                if os.path.isdir(target) and not os.path.islink(target):
                    raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
                mode = _regular_mode(target)
                if mode is not None:
                    os.chmod(stage / name, mode)
                backup = previous / name
                try:
                    os.link(target, backup, follow_symlinks=False)  # the old file stays in place until replaced
                except OSError:
                    os.replace(target, backup)
            moved.append((target, backup))
            os.replace(stage / name, target)
    except BaseException:
        for target, backup in reversed(moved):
            try:
                if backup is not None:
                    os.replace(backup, target)
                elif os.path.lexists(target) and not os.path.lexists(stage / target.name):
                    os.unlink(target)  # a new file we moved in
            except OSError:
                pass
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_folders(created)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return [folder / name for name in names]


def check_output_folder(folder: Path, field: str = "--output") -> None:
    """Refuse, before any work, a folder that is a file, cannot be written, or lies inside the installed package."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SpecError(field, f"{folder} is a file, not a folder; choose a folder for the documents")
    package = Path(__file__).resolve().parent
    target = folder.resolve()
    if target == package or package in target.parents:
        raise SpecError(field, f"{folder} is inside the installed nnsteps package; choose another folder")
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise SpecError(field, f"cannot write into {folder} ({existing} is not writable); choose another folder")


# -- whole folders (exercise sets) ---------------------------------------------
def check_replaceable(folder: str | Path, force: bool, marker: str, field: str = "--output") -> None:
    """Refuse, before any work, to overwrite an existing folder: only with `force`, and only one of ours.

    Ours means it holds `marker` (e.g. manifest.json); an empty folder may always be used.
    """
    folder = Path(folder)
    if os.path.islink(folder):
        raise SpecError(field, f"{folder} is a symbolic link; name a real folder")
    if not os.path.lexists(folder):
        return
    if not folder.is_dir():
        raise SpecError(field, f"{folder} is a file, not a folder; choose another --output")
    if not any(folder.iterdir()):
        return
    if not force:
        raise SpecError(field, f"{folder} already exists; choose another folder with --output, or replace it whole with --force")
    if not os.path.isfile(folder / marker) or os.path.islink(folder / marker):
        raise SpecError(field, f"{folder} is not a folder nnsteps made (no {marker}); --force replaces only those, "
                               "choose another folder with --output")


@contextmanager
def staged_folder(destination: str | Path):
    """Yield a fresh hidden folder beside `destination`; on success it is renamed onto `destination` whole.

    On an error or an interrupt the staged folder, and any parent folder made for it, is removed. An existing
    `destination` (checked with check_replaceable first) is replaced in one rename, and deleted only after.
    """
    destination = Path(destination)
    created = _make_folders(destination.parent)
    stage = None
    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{destination.name[:40]}-", dir=destination.parent))
        yield stage
        os.chmod(stage, 0o777 & ~_umask())  # mkdtemp made it private; the result is an ordinary folder
        _rename_folder(stage, destination)
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_folders(created)
        raise


def _rename_folder(stage: Path, destination: Path) -> None:
    if not os.path.lexists(destination):
        os.rename(stage, destination)
        return
    if os.path.islink(destination) or not destination.is_dir():
        raise SpecError("--output", f"{destination} is not a folder; choose another --output")
    trash = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}old-", dir=destination.parent))
    os.rename(destination, trash / "old")
    try:
        os.rename(stage, destination)
    except BaseException:
        os.rename(trash / "old", destination)
        os.rmdir(trash)
        raise
    shutil.rmtree(trash, ignore_errors=True)  # rmtree never follows symlinks out of the old folder


def make_folder(path: str | Path) -> Path:
    """A new folder inside a staged one: os.mkdir fails on anything already there, a planted link included."""
    os.mkdir(path)
    return Path(path)
