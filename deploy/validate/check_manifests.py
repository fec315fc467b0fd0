"""Herald rules for rendered Kubernetes manifests (`helm template` output), on top of the
schema validation kubeconform does:

- every pod (Deployment, Job) runs as non-root with a RuntimeDefault seccomp profile, and every
  container has a read-only root filesystem, no privilege escalation and drops ALL capabilities;
- no image uses the `latest` tag or no tag at all;
- every Deployment container probes GET /healthz (liveness) and GET /readyz (readiness) on its
  own named `http` port and sets terminationGracePeriodSeconds;
- Jobs that run `migrate` or `topics create` are pre-install,pre-upgrade hooks;
- every workload carries the app.kubernetes.io/{name,instance,component,part-of} labels.

Usage: python check_manifests.py RENDERED.yaml [RENDERED.yaml ...]
"""

# ruff: noqa: T201  (a command-line check prints to the terminal, as tools/** may)

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
)


def check_pod(where: str, pod: dict[str, Any], deployment: bool, errors: list[str]) -> None:
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True:
        errors.append(f"{where}: pod securityContext.runAsNonRoot must be true")
    if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        errors.append(f"{where}: pod seccompProfile must be RuntimeDefault")
    if deployment and "terminationGracePeriodSeconds" not in pod:
        errors.append(f"{where}: terminationGracePeriodSeconds not set")
    for container in pod.get("containers") or []:
        cwhere = f"{where} container {container.get('name')}"
        sc = container.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{cwhere}: readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{cwhere}: allowPrivilegeEscalation must be false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            errors.append(f"{cwhere}: capabilities must drop ALL")
        image = str(container.get("image", ""))
        last = image.split("@", 1)[0].rsplit("/", 1)[-1]
        if ":" not in last or last.endswith(":latest"):
            errors.append(f"{cwhere}: image {image!r} needs an immutable tag")
        if not container.get("resources"):
            errors.append(f"{cwhere}: resources not set")
        if deployment:
            ports = {p.get("name") for p in container.get("ports") or []}
            if "http" not in ports:
                errors.append(f"{cwhere}: no port named http")
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = (container.get(probe) or {}).get("httpGet") or {}
                if get.get("path") != path or get.get("port") != "http":
                    errors.append(f"{cwhere}: {probe} must GET {path} on port http")


def check(docs: list[dict[str, Any]], errors: list[str]) -> int:
    count = 0
    for doc in docs:
        kind = doc.get("kind")
        meta = doc.get("metadata") or {}
        where = f"{kind} {meta.get('name')}"
        if kind not in ("Deployment", "Job"):
            continue
        count += 1
        labels = meta.get("labels") or {}
        for label in LABELS:
            if label not in labels:
                errors.append(f"{where}: label {label} missing")
        pod = doc["spec"]["template"]["spec"]
        check_pod(where, pod, kind == "Deployment", errors)
        if kind == "Job":
            args = [
                str(a)
                for c in pod.get("containers") or []
                for a in (c.get("command") or []) + (c.get("args") or [])
            ]
            if "migrate" in args or args[-2:] == ["topics", "create"]:
                hook = (meta.get("annotations") or {}).get("helm.sh/hook", "")
                if set(hook.split(",")) != {"pre-install", "pre-upgrade"}:
                    errors.append(f"{where}: must be a pre-install,pre-upgrade hook")
    return count


def main() -> int:
    errors: list[str] = []
    total = 0
    for arg in sys.argv[1:]:
        docs = [d for d in yaml.safe_load_all(Path(arg).read_text()) if d]
        total += check(docs, errors)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"manifest rules: {total} workloads checked, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
