"""Files the commands write: readable by their owner only (0600), never replaced without --force.

Every command that writes a file or a folder goes through :func:`new_file` or
:func:`new_folder`: an existing file (or a folder with anything in it) is refused with
:class:`~disruption.exceptions.OutputExists` before any work, so nothing is written; a file is
written beside its target, created 0600, and moved into place only when complete.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from disruption.exceptions import OutputExists

__all__ = ["ForceOption", "new_file", "new_folder", "refuse_existing"]

ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace what is there already (a file, or a folder's files)."),
]

_PRIVATE = 0o077
"""The umask while a folder is written: files 0600, folders 0700."""


def refuse_existing(path: Path, *, force: bool) -> None:
    """Refuse a file that exists, or a folder with anything in it, unless ``force``.

    Raises:
        OutputExists: When ``path`` is there and ``force`` is not given.
    """
    if force or not (path.exists() or path.is_symlink()):
        return
    if path.is_dir() and not any(path.iterdir()):
        return
    raise OutputExists(str(path))


@contextlib.contextmanager
def new_file(path: Path, *, force: bool) -> Iterator[Path]:
    """A file to write in place of ``path``: created 0600, moved onto ``path`` when complete.

    Args:
        path: The file the command writes.
        force: Replace ``path`` if it exists.

    Yields:
        A new empty file (0600) beside ``path``, for the writer to fill.

    Raises:
        OutputExists: When ``path`` exists and ``force`` is not given (nothing is written).
    """
    refuse_existing(path, force=force)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such folder")
    import tempfile  # here: it imports random and shutil, which `disruption --help` need not

    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    part = Path(name)
    try:
        yield part
        os.chmod(part, 0o600)  # the writer may have replaced the file
        if force:
            os.replace(part, path)
        else:
            _place(part, path)
    finally:
        part.unlink(missing_ok=True)


def _place(part: Path, path: Path) -> None:
    """Move ``part`` to ``path`` unless a file appeared there meanwhile."""
    try:
        os.link(part, path)  # fails if path exists: no file is ever replaced
    except FileExistsError:
        raise OutputExists(str(path)) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise OutputExists(str(path)) from None
        os.replace(part, path)


@contextlib.contextmanager
def new_folder(path: Path, *, force: bool) -> Iterator[Path]:
    """A folder to write into: what is created in it is 0600 (folders 0700).

    Args:
        path: The folder.
        force: Write into it even if it holds files already (those written are replaced).

    Yields:
        ``path``.

    Raises:
        OutputExists: When ``path`` holds anything and ``force`` is not given (nothing is
            written).
    """
    refuse_existing(path, force=force)
    started = time.time() - 1
    old = os.umask(_PRIVATE)
    try:
        yield path
    finally:
        os.umask(old)
    if path.is_dir():  # files replaced in place keep their mode: make every new one private
        for written in path.rglob("*"):
            if not written.is_symlink() and written.stat().st_mtime >= started:
                written.chmod(0o700 if written.is_dir() else 0o600)
