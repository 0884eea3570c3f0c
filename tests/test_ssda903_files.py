"""Finding the files of several returns (`disruption.ssda903.files`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from disruption.exceptions import FileUnreadable
from disruption.ssda903.files import as_paths, find_files


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("CHILD\n", encoding="utf-8")
    return path


def test_as_paths_accepts_one_path_or_several(tmp_path: Path) -> None:
    assert as_paths(str(tmp_path)) == [tmp_path]
    assert as_paths(tmp_path) == [tmp_path]
    assert as_paths([str(tmp_path), tmp_path / "a"]) == [tmp_path, tmp_path / "a"]


def test_returns_are_ordered_by_the_year_in_their_names(tmp_path: Path) -> None:
    new = touch(tmp_path / "returns_2021" / "Episodes.csv")
    old = touch(tmp_path / "returns_2019" / "SSDA903_episodes_x.CSV")
    touch(tmp_path / "returns_2019" / "header.csv")
    touch(tmp_path / "returns_2019" / "episodes.txt")
    found = find_files([tmp_path / "returns_2021", tmp_path / "returns_2019"], "episode")
    assert found == [(0, old), (1, new)]


def test_order_given_is_kept_when_a_name_has_no_year(tmp_path: Path) -> None:
    a, b = touch(tmp_path / "b_2020.csv"), touch(tmp_path / "a.csv")
    assert find_files([a, b], "episode") == [(0, a), (1, b)]


def test_missing_path_and_empty_folder_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(FileUnreadable, match="no such file"):
        find_files([tmp_path / "nope.csv"], "episode")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileUnreadable, match="holds no header CSV"):
        find_files([tmp_path / "empty"], "header")
