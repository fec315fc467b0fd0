"""Where the stack keeps things: jars in `<root>/.cache`, live state in `<root>/.stack`.

Both folders are gitignored. `HERALD_STACK_DIR` moves the state folder elsewhere (tests, or a
second stack beside the first).
"""

from __future__ import annotations

import os
from pathlib import Path

from herald_stack.errors import StackError

STATE_DIR_ENV = "HERALD_STACK_DIR"


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding uv.lock: the workspace root.

    Without `start`, look above the working directory first, then above this file, so the
    command works from anywhere inside the checkout and from outside it too.
    """
    candidates = [start] if start is not None else [Path.cwd(), Path(__file__)]
    for candidate in candidates:
        for folder in [candidate.resolve(), *candidate.resolve().parents]:
            if (folder / "uv.lock").is_file():
                return folder
    raise StackError(f"no uv.lock found above {', '.join(map(str, candidates))}")


def cache_dir() -> Path:
    """Downloaded artefacts that survive `herald-stack down` (the Kafka jars)."""
    return find_repo_root() / ".cache"


def state_dir() -> Path:
    """Data, logs and pid files of the running stack."""
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override).resolve() if override else find_repo_root() / ".stack"
