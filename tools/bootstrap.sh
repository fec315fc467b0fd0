#!/usr/bin/env bash
# Installs what Herald needs on a fresh machine, idempotently: uv, the Python environment
# from the lockfile, Debian's PostgreSQL server, and the Apache Kafka jars from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  say "installing uv from PyPI"
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
fi
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")

say "syncing the Python workspace from uv.lock"
"$UV" sync --frozen --quiet

for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing prerequisite: $tool (Java 17 and Maven run the Kafka broker)" >&2; exit 1; }
done

say "checking PostgreSQL and the Kafka jars"
"$UV" run --frozen herald-stack prerequisites
