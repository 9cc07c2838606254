"""Write-then-rename, so nothing half-written is ever left at an output path."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facespeak.errors import OutputPathError


def check_writable(path: str | Path) -> None:
    """Raise OutputPathError (one line) unless ``path`` can be created or replaced.

    Cheap and side-effect free, so a pipeline can check every output before
    spending time on work; ``atomic_output`` checks again by creating its file.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"output path {path} is a directory")
    if path.exists() and not path.is_file():
        # A device (/dev/null), pipe or socket: renaming a file over it would replace it.
        raise OutputPathError(f"cannot write {path}: it is not a regular file")
    folder = _folder(path)
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputPathError(f"cannot write {path}: the existing file is read-only")


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``path`` with the same suffix (so
    encoders that go by the name pick the right format). On success it is
    renamed over ``path``; on any exception, KeyboardInterrupt included, it is
    deleted and ``path`` is left as it was."""
    path = Path(path)
    check_writable(path)
    tmp = _create_temp(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _create_temp(path: Path) -> Path:
    tmp = _folder(path) / f".{path.stem}-{secrets.token_hex(6)}{path.suffix}"
    try:
        # O_EXCL: never clobber someone else's file. Mode 0o666 lets the umask
        # decide the final permissions, as for any ordinary output file.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {exc.strerror or exc}") from None
    return tmp
