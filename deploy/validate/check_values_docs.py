"""Check that a chart's values.yaml documents every value with an `## @param` line and that
every `@param` names a value that exists (the bitnami readme-generator convention), and that
the chart's README.md, when there is one, lists every `@param`.

A `@param` on a map documents everything below it (e.g. `api.resources`).

Usage: python check_values_docs.py CHART_DIR [CHART_DIR ...]
"""

# ruff: noqa: T201  (a command-line check prints to the terminal, as tools/** may)

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

PARAM = re.compile(r"^\s*##\s*@param\s+(\S+)")


def leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        out: list[str] = []
        for key, value in node.items():
            out.extend(leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [prefix]


def exists(values: Any, path: str) -> bool:
    node = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check(chart: Path) -> list[str]:
    text = (chart / "values.yaml").read_text()
    values = yaml.safe_load(text) or {}
    params = [m.group(1) for line in text.splitlines() if (m := PARAM.match(line))]
    errors = [f"{chart}: @param {p} names no value" for p in params if not exists(values, p)]
    readme = chart / "README.md"
    if readme.is_file():
        readme_text = readme.read_text()
        errors += [
            f"{readme}: value {p} is not in the README's values table"
            for p in params
            if f"`{p}`" not in readme_text
        ]
    documented = set(params)
    for leaf in leaves(values):
        parts = leaf.split(".")
        if not any(".".join(parts[:i]) in documented for i in range(1, len(parts) + 1)):
            errors.append(f"{chart}: value {leaf} has no @param")
    return errors


def main() -> int:
    errors = [e for arg in sys.argv[1:] for e in check(Path(arg))]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if not errors:
        print(f"values docs: every value of {len(sys.argv) - 1} chart(s) has an @param")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
