"""Atomic output: write to a temporary file beside the target, rename it into place; and
whole folders switched in one step (``write_folder``)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import PeaceldError


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open ``path`` for writing; on success it replaces the target, on error it vanishes."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise PeaceldError(f"cannot write: {exc.strerror or exc}", file=path) from None
    try:
        if "b" in mode:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in _WRITE_ERRORS:  # the disk, not the input: one line, target untouched
            raise PeaceldError(f"cannot write: {exc.strerror}; {path.name} is untouched",
                               file=path) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` atomically."""
    with atomic_open(path, "wb", encoding=None) as handle:
        handle.write(data)


# --- whole folders ---------------------------------------------------------------------------

#: What a build folder may hold besides its outputs: the query store and its bookkeeping.
BUILD_EXTRAS = {"store", "store.sha256", ".store.lock", ".push-state.json"}


def write_folder(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Make ``out`` hold exactly ``files``, switching from the old contents in one step.

    The files are written (and synced) into a new hidden folder beside ``out`` named by a
    hash of their contents, ``.NAME-<hash>``; then ``out`` becomes a symbolic link to it,
    replaced with one ``rename``. A reader of ``out`` sees the old build or the new one,
    never a mix, whenever the process is killed or the disk fills up. The folders of older
    builds and what killed builds left behind are removed by the next build, except a
    build whose query store another process is reading.
    """
    given, out = Path(out), Path(out).absolute()
    parent, name = out.parent, out.name
    try:
        parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        for key in sorted(files):
            digest.update(f"{key}\0{len(files[key])}\0".encode())
            digest.update(files[key])
        target = parent / f".{name}-{digest.hexdigest()[:16]}"
        tmp = None
        if not _complete(target, files):
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}-tmp-{os.getpid()}-", dir=parent))
            os.chmod(tmp, 0o777 & ~_umask())
            for key in sorted(files):
                with open(tmp / key, "wb") as handle:
                    handle.write(files[key])
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp / key, 0o666 & ~_umask())
            _fsync_dir(tmp)
        with _folder_lock(parent):
            if tmp is not None:
                if target.exists() and not _complete(target, files):
                    _remove(target)
                if target.exists():
                    _remove(tmp)
                else:
                    os.rename(tmp, target)
                tmp = None
            _switch(out, target.name)
            _fsync_dir(parent)
            _clean(parent, name, target.name)
    except OSError as exc:
        if tmp is not None:
            _remove(tmp)
        raise PeaceldError(f"cannot write the build: {exc.strerror or exc}; the previous "
                           "build is untouched", file=out) from None
    return [given / key for key in files]


def _complete(folder: Path, files: dict[str, bytes]) -> bool:
    """Whether ``folder`` already holds these files (an earlier build of the same input)."""
    try:
        return all((folder / k).stat().st_size == len(v) for k, v in files.items())
    except OSError:
        return False


def _switch(out: Path, target: str) -> None:
    """Point the link ``out`` at ``target`` (a sibling) with one atomic rename."""
    if out.is_symlink() or not out.exists():
        pass
    elif out.is_dir():  # a build folder of an older peaceld: moved aside, then replaced
        stray = sorted(p.name for p in out.iterdir()
                       if p.name not in BUILD_EXTRAS and not _ours(p.name))
        if stray:
            raise PeaceldError(f"a folder holding other files ({stray[0]}, ...): "
                               "give an output folder of its own", file=out)
        os.rename(out, out.parent / f".{out.name}-old-{os.getpid()}")
    else:
        raise PeaceldError("exists and is not a folder", file=out)
    link = out.parent / f".{out.name}-link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(target, link)
    os.replace(link, out)


def _ours(name: str) -> bool:
    return name.endswith(".tmp") or name in ("peaceld.ttl", "peaceld.trig", "peaceld.nq",
                                             "summary.json") or name.startswith(".store-")


def _clean(parent: Path, name: str, current: str) -> None:
    """Remove older builds and leftovers of killed ones (never one still being read)."""
    for entry in parent.iterdir():
        if not entry.name.startswith(f".{name}-") or entry.name == current:
            continue
        rest = entry.name[len(name) + 2:]
        kind, _, tail = rest.partition("-")
        if kind in ("tmp", "link") and tail.split("-")[0].isdigit():
            if _alive(int(tail.split("-")[0])):
                continue  # another build is writing it right now
        elif not (kind == "old" or len(rest) == 16):
            continue  # not a name we make
        if entry.is_dir() and not entry.is_symlink():
            if _store_in_use(entry):
                continue
            _remove(entry)
        else:
            entry.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _store_in_use(folder: Path) -> bool:
    """Whether a query holds the store of ``folder`` (see ``store.store_lock``)."""
    lock = folder / ".store.lock"
    if not lock.exists():
        return False
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on a folder (held on the folder itself: no lock file is left)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
