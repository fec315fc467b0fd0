"""Project rules for docker-compose.yml and the Dockerfiles, checked without a Docker engine.

`docker compose config` (run by tools/validate-deploy.sh when a compose binary is available)
validates the file against the Compose specification. This script checks what the spec cannot
know, and is the only compose check when no compose binary can be had:

- the file parses (YAML anchors and `<<` merges resolved) and `${VAR:?msg}` variables are set;
- every depends_on names a defined service with a valid condition, healthy-conditions point at
  services with a healthcheck, completed-conditions at one-shot (`restart: "no"`) jobs;
- every published port is bound to 127.0.0.1;
- per service (docs/runtime-conventions.md): <svc>-migrate/-api/-consumer/-relay exist with the
  right command, environment (prefix, database, ports, 0.0.0.0 binds) and /healthz healthchecks;
  long-running processes wait for their migrate job and for the topics job;
- the dispatcher's SMPP password uses the required-value syntax;
- the six services/<svc>/Dockerfile are identical except for the service name, and each
  ENTRYPOINT is herald-<svc>; build contexts and bind-mounted files exist.

Usage: python check_compose.py REPO_ROOT [RESOLVED.json]
  RESOLVED.json  output of `docker compose config --format json`: when given, the rules run on
                 compose's own resolution of anchors, merges and variables (authoritative);
                 otherwise the file is parsed here with PyYAML.
"""

# ruff: noqa: T201  (a command-line check prints to the terminal, as tools/** may)

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

SERVICES = {
    # service: (api port, consumer health port, relay health port) per docs/runtime-conventions.md
    "contacts": (8101, 8201, 8301),
    "consent": (8102, 8202, 8302),
    "campaigns": (8103, 8203, 8303),
    "dispatcher": (8104, 8204, 8304),
    "receipts": (8105, 8205, 8305),
    "analytics": (8106, 8206, 8306),
}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.checks = 0

    def expect(self, ok: bool, message: str) -> None:
        self.checks += 1
        if not ok:
            self.errors.append(message)


def interpolate(text: str, env: dict[str, str], c: Checker) -> str:
    """Resolve ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err} like compose."""

    def sub(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return arg
            return value
        if op in (":?", "?"):
            c.expect(
                value is not None and (op == "?" or value != ""),
                f"required variable {name} is not set ({arg})",
            )
            return value or ""
        return value or ""

    return VAR.sub(sub, text.replace("$$", "\0")).replace("\0", "$")


def as_list(command: Any) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return command.split()
    return [str(x) for x in command]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def healthcheck_port(service: dict[str, Any]) -> int | None:
    test = " ".join(as_list((service.get("healthcheck") or {}).get("test")))
    match = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", test)
    return int(match.group(1)) if match else None


def port_text(port: Any) -> str:
    """Short syntax of a port, also for compose's resolved long syntax."""
    if isinstance(port, dict):
        host_ip = port.get("host_ip", "")
        published = port.get("published", "")
        return f"{host_ip + ':' if host_ip else ''}{published}:{port.get('target')}"
    return str(port)


def mount_source(mount: Any) -> tuple[str, str]:
    """(type, source) of a volume entry, short or long syntax."""
    if isinstance(mount, dict):
        return str(mount.get("type", "volume")), str(mount.get("source", ""))
    source = str(mount).split(":", 1)[0]
    return ("bind" if source.startswith((".", "/")) else "volume"), source


def check_compose(root: Path, c: Checker, resolved: Path | None) -> None:
    raw = (root / "docker-compose.yml").read_text()
    if resolved is not None:
        doc = json.loads(resolved.read_text())
    else:
        doc = yaml.safe_load(interpolate(raw, dict(os.environ), c))
    services: dict[str, dict[str, Any]] = doc.get("services") or {}
    c.expect(bool(services), "docker-compose.yml defines no services")
    volumes = set((doc.get("volumes") or {}).keys())

    for name, definition in services.items():
        # depends_on: defined targets, valid conditions, coherent with the target
        deps = definition.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        for target, spec in deps.items():
            c.expect(target in services, f"{name}: depends_on undefined service {target!r}")
            condition = (spec or {}).get("condition", "service_started")
            c.expect(condition in CONDITIONS, f"{name}: unknown condition {condition!r}")
            if target not in services:
                continue
            if condition == "service_healthy":
                c.expect(
                    "healthcheck" in services[target],
                    f"{name}: waits for {target} to be healthy but {target} has no healthcheck",
                )
            if condition == "service_completed_successfully":
                c.expect(
                    str(services[target].get("restart", "no")) == "no",
                    f"{name}: waits for {target} to complete but {target} restarts",
                )
        # published ports on loopback only
        for port in definition.get("ports") or []:
            text = port_text(port)
            c.expect(
                text.startswith("127.0.0.1:"),
                f"{name}: published port {text!r} is not bound to 127.0.0.1",
            )
        # build contexts and Dockerfiles exist
        build = definition.get("build")
        if build:
            context = root / (build if isinstance(build, str) else build.get("context", "."))
            c.expect(context.is_dir(), f"{name}: build context {context} missing")
            if isinstance(build, dict) and build.get("dockerfile"):
                dockerfile = context / build["dockerfile"]
                c.expect(dockerfile.is_file(), f"{name}: {dockerfile} missing")
        # volumes: named ones declared, bind sources exist
        for mount in definition.get("volumes") or []:
            kind, source = mount_source(mount)
            if kind == "bind":
                c.expect((root / source).exists(), f"{name}: bind mount source {source} missing")
            else:
                c.expect(source in volumes, f"{name}: volume {source!r} not declared")

    # infrastructure and jobs
    for required in ("kafka", "postgres", "topics", "smsc"):
        c.expect(required in services, f"service {required!r} missing")
    topics = services.get("topics", {})
    c.expect(
        as_list(topics.get("entrypoint")) + as_list(topics.get("command"))
        == ["herald-admin", "topics", "create"],
        "topics must run `herald-admin topics create`",
    )
    c.expect(
        "HERALD_ADMIN_KAFKA__BOOTSTRAP_SERVERS" in env_of(topics),
        "topics: HERALD_ADMIN_KAFKA__BOOTSTRAP_SERVERS missing",
    )
    smsc = as_list(services.get("smsc", {}).get("command"))
    c.expect(
        smsc == ["--host", "0.0.0.0", "--smpp-port", "2775", "--http-port", "8190"],
        f"smsc: unexpected command {smsc}",
    )

    # the six services x four processes
    for svc, (api_port, consumer_port, relay_port) in SERVICES.items():
        prefix = f"HERALD_{svc.upper()}_"
        ports = {"api": api_port, "consumer": consumer_port, "relay": relay_port}
        migrate = services.get(f"{svc}-migrate")
        c.expect(migrate is not None, f"{svc}-migrate missing")
        if migrate is not None:
            c.expect(as_list(migrate.get("command")) == ["migrate"], f"{svc}-migrate: command")
            c.expect(str(migrate.get("restart")) == "no", f"{svc}-migrate must not restart")
            c.expect(
                (migrate.get("depends_on") or {}).get("postgres", {}).get("condition")
                == "service_healthy",
                f"{svc}-migrate must wait for postgres to be healthy",
            )
        for process, port in ports.items():
            name = f"{svc}-{process}"
            service = services.get(name)
            c.expect(service is not None, f"{name} missing")
            if service is None:
                continue
            c.expect(as_list(service.get("command")) == [process], f"{name}: command")
            c.expect(
                (service.get("build") or {}).get("dockerfile") == f"services/{svc}/Dockerfile",
                f"{name}: must build services/{svc}/Dockerfile",
            )
            deps = service.get("depends_on") or {}
            for job in (f"{svc}-migrate", "topics"):
                c.expect(
                    (deps.get(job) or {}).get("condition") == "service_completed_successfully",
                    f"{name}: must wait for {job} to complete successfully",
                )
            env = env_of(service)
            url = env.get(f"{prefix}DB__URL", "")
            c.expect(
                url.startswith("postgresql+asyncpg://") and url.endswith(f"/herald_{svc}"),
                f"{name}: {prefix}DB__URL must be a postgresql+asyncpg URL of herald_{svc}",
            )
            c.expect(bool(env.get(f"{prefix}KAFKA__BOOTSTRAP_SERVERS")), f"{name}: Kafka env")
            c.expect(env.get(f"{prefix}API__HOST") == "0.0.0.0", f"{name}: API__HOST 0.0.0.0")
            c.expect(env.get(f"{prefix}API__PORT") == str(api_port), f"{name}: API__PORT")
            if process != "api":
                c.expect(env.get(f"{prefix}HEALTH__HOST") == "0.0.0.0", f"{name}: HEALTH__HOST")
                c.expect(env.get(f"{prefix}HEALTH__PORT") == str(port), f"{name}: HEALTH__PORT")
            c.expect(healthcheck_port(service) == port, f"{name}: healthcheck on :{port}/healthz")
            c.expect(
                f"127.0.0.1:{port}:{port}" in [port_text(p) for p in service.get("ports") or []],
                f"{name}: port {port} should be published on 127.0.0.1",
            )
    c.expect(
        "HERALD_DISPATCHER_SMPP__PASSWORD: ${HERALD_SMPP_PASSWORD:?" in raw,
        "dispatcher: HERALD_DISPATCHER_SMPP__PASSWORD must use ${HERALD_SMPP_PASSWORD:?...}",
    )
    for svc in ("consent", "dispatcher"):
        variable = f"HERALD_{svc.upper()}_ERASURE__KEY"
        c.expect(
            f"{variable}: ${{HERALD_ERASURE_KEY:?" in raw,
            f"{svc}: {variable} must use ${{HERALD_ERASURE_KEY:?...}} (required, no default)",
        )
    c.expect(
        env_of(services.get("campaigns-api", {}))
        .get("HERALD_CAMPAIGNS_CONTACTS__URL", "")
        .startswith("http://contacts-api:"),
        "campaigns: HERALD_CAMPAIGNS_CONTACTS__URL must point at contacts-api",
    )


def check_dockerfiles(root: Path, c: Checker) -> None:
    normalised: dict[str, str] = {}
    for svc in SERVICES:
        path = root / "services" / svc / "Dockerfile"
        c.expect(path.is_file(), f"{path} missing")
        if not path.is_file():
            continue
        text = path.read_text()
        c.expect(f'ENTRYPOINT ["herald-{svc}"]' in text, f"{path}: ENTRYPOINT must be herald-{svc}")
        c.expect('CMD ["api"]' in text, f'{path}: default CMD must be ["api"]')
        c.expect(f"ARG SERVICE={svc}" in text, f"{path}: ARG SERVICE={svc} missing")
        c.expect(
            re.search(r"^USER\s+(?!root|0\b)", text, re.M) is not None, f"{path}: non-root USER"
        )
        c.expect(
            "uv sync --frozen --no-dev" in text and '--package "herald-${SERVICE}"' in text,
            f"{path}: must `uv sync --frozen --no-dev --package herald-<svc>`",
        )
        normalised[svc] = text.replace(svc, "@SVC@")
    if normalised:
        reference_svc, reference = next(iter(normalised.items()))
        for svc, text in normalised.items():
            c.expect(
                text == reference,
                f"services/{svc}/Dockerfile differs from services/{reference_svc}/Dockerfile "
                "beyond the service name: keep the six files identical",
            )
    smsc = root / "tools" / "smsc" / "Dockerfile"
    c.expect(smsc.is_file(), f"{smsc} missing")
    ignore = root / ".dockerignore"
    c.expect(ignore.is_file(), ".dockerignore missing")
    if ignore.is_file():
        patterns = set(ignore.read_text().split())
        for needed in (".git", ".cache", ".stack"):
            c.expect(needed in patterns, f".dockerignore must exclude {needed}")
        c.expect(bool({".venv", "**/.venv"} & patterns), ".dockerignore must exclude .venv")


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    resolved = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    c = Checker()
    check_compose(root, c, resolved)
    check_dockerfiles(root, c)
    for error in c.errors:
        print(f"error: {error}", file=sys.stderr)
    status = "FAILED" if c.errors else "ok"
    source = "compose's resolved config" if resolved else "PyYAML parse"
    print(
        f"compose/Dockerfile rules ({source}): {c.checks} checks, {len(c.errors)} failed: {status}"
    )
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
