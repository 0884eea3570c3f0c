"""Find the files of several SSDA903 returns, given as files or folders, oldest return first.

Returns are ordered by a four-digit year in the folder or file name when every one has one,
else kept in the order given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from disruption.exceptions import FileUnreadable

__all__ = ["PathsArg", "as_paths", "find_files"]

_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")

PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def as_paths(paths: PathsArg) -> list[Path]:
    """The paths given, as a list (a single path is accepted).

    Args:
        paths: A file or folder, or several.

    Returns:
        The paths.
    """
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _year_of(path: Path) -> int | None:
    for name in (path.name, path.parent.name):
        found = _YEAR_IN_NAME.findall(name)
        if found:
            return int(found[-1])
    return None


def find_files(paths: PathsArg, kind: str) -> list[tuple[int, Path]]:
    """The CSV files of one kind in returns given as files or folders, oldest return first.

    Args:
        paths: Files or folders, one per return (a single path is accepted).
        kind: ``"episode"`` or ``"header"``: a folder's files whose name contains it
            (case-insensitively) are taken; a file given directly is taken as it is.

    Returns:
        ``(return index, file)`` pairs; return 0 is the oldest.

    Raises:
        FileUnreadable: A folder holds no such file, or a path does not exist.
    """
    given = as_paths(paths)
    years = [_year_of(p) for p in given]
    order = list(range(len(given)))
    if given and all(y is not None for y in years):
        order.sort(key=lambda i: years[i] or 0)
    found: list[tuple[int, Path]] = []
    for index, i in enumerate(order):
        path = given[i]
        if path.is_dir():
            files = sorted(
                f
                for f in path.iterdir()
                if f.is_file() and kind in f.name.lower() and f.suffix.lower() == ".csv"
            )
            if not files:
                raise FileUnreadable(str(path), f"the folder holds no {kind} CSV file")
            found.extend((index, f) for f in files)
        elif path.exists():
            found.append((index, path))
        else:
            raise FileUnreadable(str(path), "no such file or folder")
    return found
