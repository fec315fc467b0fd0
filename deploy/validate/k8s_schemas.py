"""Turn the Kubernetes JSON schemas shipped by the PyPI package `kubernetes-validate`
into the standalone, one-file-per-kind layout that kubeconform reads offline.

kubernetes-validate ships, per Kubernetes version, `<kind>-<group>-<version>.json` files whose
`$ref`s point at a shared `/api/_definitions.json` (resolved against an https `$id`, which
kubeconform would try to download). Here every top-level kind gets its own file with the
definitions it reaches copied under `$defs` and its refs rewritten to `#/$defs/...`, so no
network is needed. Output layout (kubeconform `-schema-location` template):

    <out>/<vX.Y.Z>-standalone{,-strict}/<kind>-<group>-<version>.json

Usage: python k8s_schemas.py SRC_SCHEMA_ROOT K8S_VERSION OUT_DIR
  SRC_SCHEMA_ROOT  the package's `kubernetes_validate/kubernetes-json-schema` directory
  K8S_VERSION      e.g. 1.33.0 (directories `v1.33.0-local` and `v1.33.0-local-strict` must exist)
"""

# ruff: noqa: T201  (a command-line check prints to the terminal, as tools/** may)

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXTERNAL_PREFIX = "/api/_definitions.json#/$defs/"
INTERNAL_PREFIX = "#/$defs/"


def _rewrite(node: Any, seen: set[str]) -> Any:
    """Copy `node`, rewriting external refs to internal ones and collecting referenced names."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if value.startswith(EXTERNAL_PREFIX):
                    name = value[len(EXTERNAL_PREFIX) :]
                elif value.startswith(INTERNAL_PREFIX):
                    name = value[len(INTERNAL_PREFIX) :]
                else:
                    raise ValueError(f"unexpected $ref {value!r}")
                seen.add(name)
                out[key] = INTERNAL_PREFIX + name
            else:
                out[key] = _rewrite(value, seen)
        return out
    if isinstance(node, list):
        return [_rewrite(item, seen) for item in node]
    return node


def convert(src_dir: Path, out_dir: Path) -> int:
    definitions: dict[str, Any] = json.loads((src_dir / "_definitions.json").read_text())["$defs"]
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(src_dir.glob("*.json")):
        if path.name.startswith("_"):
            continue
        schema = json.loads(path.read_text())
        if "x-kubernetes-group-version-kind" not in schema:
            continue  # only top-level kinds are looked up by kubeconform
        names: set[str] = set()
        standalone = _rewrite(schema, names)
        standalone.pop("$id", None)
        defs: dict[str, Any] = {}
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in defs:
                continue
            found: set[str] = set()
            defs[name] = _rewrite(definitions[name], found)
            pending.extend(found - defs.keys())
        if defs:
            standalone["$defs"] = dict(sorted(defs.items()))
        (out_dir / path.name).write_text(json.dumps(standalone, separators=(",", ":")))
        count += 1
    return count


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    root, version, out = Path(sys.argv[1]), sys.argv[2].lstrip("v"), Path(sys.argv[3])
    for suffix in ("", "-strict"):
        src = root / f"v{version}-local{suffix}"
        if not src.is_dir():
            print(f"error: {src} not found in kubernetes-validate", file=sys.stderr)
            return 1
        n = convert(src, out / f"v{version}-standalone{suffix}")
        print(f"k8s schemas: {n} kinds -> {out / f'v{version}-standalone{suffix}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
