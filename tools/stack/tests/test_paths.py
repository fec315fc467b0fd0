from pathlib import Path

import pytest

from herald_stack.errors import StackError
from herald_stack.paths import STATE_DIR_ENV, cache_dir, find_repo_root, state_dir


def test_repo_root_is_the_nearest_folder_with_uv_lock(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").touch()
    nested = tmp_path / "services" / "contacts" / "src"
    nested.mkdir(parents=True)

    assert find_repo_root(nested) == tmp_path


def test_repo_root_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"no uv\.lock"):
        find_repo_root(tmp_path)


def test_default_folders_live_in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    root = find_repo_root()

    assert (root / "pyproject.toml").is_file()
    assert cache_dir() == root / ".cache"
    assert state_dir() == root / ".stack"


def test_state_dir_can_be_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "elsewhere"))

    assert state_dir() == tmp_path / "elsewhere"
