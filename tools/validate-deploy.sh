#!/usr/bin/env bash
# Validate Herald's deployment files without a cluster or a Docker engine:
#
#   1. tools   helm and kubeconform (go install), Kubernetes JSON schemas (from the PyPI package
#              kubernetes-validate), a docker compose binary (the Go module
#              github.com/docker/compose/v2, built locally) when `docker compose` is missing,
#              and a small Python venv with PyYAML. All cached under <repo>/.cache.
#   2. compose `docker compose config -q` (Compose-spec validation, interpolation, depends_on),
#              plus the project's own rules (deploy/validate/check_compose.py): ports on
#              127.0.0.1, migrate/topics ordering, env names per docs/runtime-conventions.md,
#              identical Dockerfiles.
#   3. helm    dependency build, `helm lint --strict` of both charts, values docs (@param).
#   4. k8s     `helm template` of several value sets | kubeconform -strict against the offline
#              schemas, plus Herald's manifest rules (deploy/validate/check_manifests.py), and
#              renders that must fail (no image tag, `latest`, missing secrets).
#
# Every check bites: the script first feeds kubeconform a deliberately broken manifest and
# requires it to be rejected. Exits non-zero on any failure. A second run reuses .cache.
#
# Usage: bash tools/validate-deploy.sh           (from anywhere; needs go and python3)
# Env:   HERALD_VALIDATE_K8S_VERSION (default 1.33.0) Kubernetes version to validate against.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
BIN="$CACHE/bin"
VENV="$CACHE/validate-venv"
SCHEMAS="$CACHE/k8s-schemas"

HELM_MODULE="helm.sh/helm/v3/cmd/helm"
HELM_VERSION="v3.22.0"
KUBECONFORM_MODULE="github.com/yannh/kubeconform/cmd/kubeconform"
KUBECONFORM_VERSION="v0.8.0"
COMPOSE_MODULE="github.com/docker/compose/v2"
COMPOSE_VERSION="v2.40.3"
K8S_SCHEMAS_PACKAGE="kubernetes-validate"
K8S_SCHEMAS_PACKAGE_VERSION="1.37.0"
K8S_VERSION="${HERALD_VALIDATE_K8S_VERSION:-1.33.0}"
PYYAML_VERSION="6.0.3"
TEST_TAG="0.0.0-validate"

SERVICE_CHART="$ROOT/deploy/helm/herald-service"
UMBRELLA_CHART="$ROOT/deploy/helm/herald"

# helm keeps its caches here, not in the user's home
export HELM_CACHE_HOME="$CACHE/helm/cache" HELM_CONFIG_HOME="$CACHE/helm/config" \
       HELM_DATA_HOME="$CACHE/helm/data"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

SUMMARY=()
step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
done_() { SUMMARY+=("$*"); printf '    ok: %s\n' "$*"; }
die() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# 1. tools
# ---------------------------------------------------------------------------------------------
step "tools (cached in ${CACHE#"$ROOT"/})"
mkdir -p "$BIN"

# go_tool NAME MODULE VERSION: go install into .cache/bin once per version (stamp file).
go_tool() {
  local name="$1" module="$2" version="$3" stamp="$BIN/.$1.version"
  if [[ -x "$BIN/$name" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
    note "$name $version (cached)"
    return
  fi
  command -v go >/dev/null 2>&1 \
    || die "$name is missing and Go is not installed: install Go (https://go.dev/dl) or put $name $version in $BIN"
  note "installing $name $version: go install $module@$version"
  if ! GOBIN="$BIN" GOFLAGS="-buildvcs=false" go install "$module@$version" >"$TMP/$name.log" 2>&1; then
    cat "$TMP/$name.log" >&2
    die "cannot install $name $version with go install (see the output above)"
  fi
  echo "$version" >"$stamp"
}
go_tool helm "$HELM_MODULE" "$HELM_VERSION"
go_tool kubeconform "$KUBECONFORM_MODULE" "$KUBECONFORM_VERSION"
HELM="$BIN/helm"
KUBECONFORM="$BIN/kubeconform"

# Python venv with PyYAML for the project's checks (deploy/validate/*.py).
if [[ ! -x "$VENV/bin/python" ]] \
   || [[ "$("$VENV/bin/python" -c 'import yaml; print(yaml.__version__)' 2>/dev/null)" != "$PYYAML_VERSION" ]]; then
  note "creating ${VENV#"$ROOT"/} (PyYAML $PYYAML_VERSION)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >"$TMP/venv.log" 2>&1 \
    || { cat "$TMP/venv.log" >&2; die "cannot create a Python venv with python3 -m venv"; }
  # pinned: PyYAML 6.0.4 resolves `<<: [*a, *b]` merge lists against the YAML merge spec
  # (a later mapping overrides an earlier one), which compose files here rely on
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pyyaml==$PYYAML_VERSION" >"$TMP/pip.log" 2>&1 \
    || { cat "$TMP/pip.log" >&2; die "cannot pip install pyyaml==$PYYAML_VERSION"; }
else
  note "python venv with PyYAML (cached)"
fi
PY="$VENV/bin/python"

# Kubernetes JSON schemas. kubeconform's default source (GitHub) is unreachable here; the PyPI
# package kubernetes-validate ships the OpenAPI-derived schemas of every Kubernetes minor
# version. deploy/validate/k8s_schemas.py turns them into kubeconform's standalone layout.
SCHEMA_DIR="$SCHEMAS/v$K8S_VERSION-standalone-strict"
SCHEMA_STAMP="$SCHEMAS/.v$K8S_VERSION-from-$K8S_SCHEMAS_PACKAGE-$K8S_SCHEMAS_PACKAGE_VERSION"
if [[ -f "$SCHEMA_STAMP" && -f "$SCHEMA_DIR/deployment-apps-v1.json" ]]; then
  note "Kubernetes $K8S_VERSION schemas (cached, from $K8S_SCHEMAS_PACKAGE $K8S_SCHEMAS_PACKAGE_VERSION)"
else
  note "fetching $K8S_SCHEMAS_PACKAGE==$K8S_SCHEMAS_PACKAGE_VERSION from PyPI (JSON schemas only)"
  mkdir -p "$CACHE/downloads"
  find_wheel() {
    find "$CACHE/downloads" -maxdepth 1 -name "kubernetes_validate-$K8S_SCHEMAS_PACKAGE_VERSION-*.whl" | head -n1
  }
  wheel="$(find_wheel)"
  if [[ -z "$wheel" ]]; then
    "$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$CACHE/downloads" "$K8S_SCHEMAS_PACKAGE==$K8S_SCHEMAS_PACKAGE_VERSION" >"$TMP/dl.log" 2>&1 \
      || { cat "$TMP/dl.log" >&2; die "cannot download $K8S_SCHEMAS_PACKAGE $K8S_SCHEMAS_PACKAGE_VERSION from PyPI"; }
    wheel="$(find_wheel)"
    [[ -n "$wheel" ]] || die "pip downloaded no kubernetes-validate wheel"
  fi
  rm -rf "$TMP/kv" && mkdir -p "$TMP/kv"
  "$PY" - "$wheel" "$TMP/kv" "$K8S_VERSION" <<'PYEOF' || die "Kubernetes $K8S_VERSION schemas not found in $wheel"
import sys, zipfile
wheel, out, version = sys.argv[1:]
prefix = "kubernetes_validate/kubernetes-json-schema/"
wanted = (f"{prefix}v{version}-local/", f"{prefix}v{version}-local-strict/")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(wanted)]
    if not names:
        sys.exit(1)
    z.extractall(out, names)
PYEOF
  rm -rf "$SCHEMAS/v$K8S_VERSION-standalone" "$SCHEMA_DIR"
  "$PY" "$ROOT/deploy/validate/k8s_schemas.py" \
    "$TMP/kv/kubernetes_validate/kubernetes-json-schema" "$K8S_VERSION" "$SCHEMAS" \
    | sed 's/^/    /'
  rm -f "$SCHEMAS"/.v"$K8S_VERSION"-from-* && touch "$SCHEMA_STAMP"
fi
SCHEMA_LOCATION="$SCHEMAS/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
kubeconform_() {
  "$KUBECONFORM" -strict -summary -kubernetes-version "$K8S_VERSION" \
    -schema-location "$SCHEMA_LOCATION" "$@"
}

# docker compose: the real one if the docker CLI has the plugin, else a locally built binary.
COMPOSE=()
COMPOSE_HOW=""
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
  COMPOSE_HOW="docker compose plugin ($(docker compose version --short 2>/dev/null || echo '?'))"
  note "docker compose plugin found"
elif [[ -x "$BIN/docker-compose" && "$(cat "$BIN/.docker-compose.version" 2>/dev/null)" == "$COMPOSE_VERSION" ]]; then
  COMPOSE=("$BIN/docker-compose")
  COMPOSE_HOW="docker compose $COMPOSE_VERSION built from the Go module $COMPOSE_MODULE"
  note "docker-compose $COMPOSE_VERSION (cached)"
elif command -v go >/dev/null 2>&1; then
  # `go install module@version` refuses modules whose go.mod has replace/exclude directives
  # (docker/compose has them), so download the module and build it as the main module.
  note "no 'docker compose' plugin: building docker-compose $COMPOSE_VERSION from the Go module proxy"
  if compose_dir="$(GOFLAGS=-mod=mod go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" 2>"$TMP/compose.log" \
        | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' 2>>"$TMP/compose.log")" \
     && (cd "$compose_dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
           -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
           -o "$BIN/docker-compose" ./cmd) >>"$TMP/compose.log" 2>&1; then
    echo "$COMPOSE_VERSION" >"$BIN/.docker-compose.version"
    COMPOSE=("$BIN/docker-compose")
    COMPOSE_HOW="docker compose $COMPOSE_VERSION built from the Go module $COMPOSE_MODULE"
  else
    sed 's/^/    | /' "$TMP/compose.log" | tail -n 20
    note "WARNING: could not build docker-compose; the compose file gets the Python checks only"
  fi
else
  note "WARNING: no 'docker compose' and no Go: the compose file gets the Python checks only"
fi
done_ "tools: helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION, k8s $K8S_VERSION schemas from PyPI $K8S_SCHEMAS_PACKAGE $K8S_SCHEMAS_PACKAGE_VERSION${COMPOSE_HOW:+, $COMPOSE_HOW}"

# ---------------------------------------------------------------------------------------------
# 2. docker-compose.yml and Dockerfiles
# ---------------------------------------------------------------------------------------------
step "docker-compose.yml"
cd "$ROOT"
# throwaway values for the required variables; nothing is started
REQUIRED_COMPOSE_VARS=(HERALD_SMPP_PASSWORD HERALD_ERASURE_KEY)
COMPOSE_ENV=(HERALD_SMPP_PASSWORD=validate-only HERALD_ERASURE_KEY=validate-only-erasure-key)
if ((${#COMPOSE[@]})); then
  env "${COMPOSE_ENV[@]}" "${COMPOSE[@]}" -f docker-compose.yml config -q \
    || die "docker compose config rejected docker-compose.yml"
  count="$(env "${COMPOSE_ENV[@]}" "${COMPOSE[@]}" -f docker-compose.yml config --services | wc -l)"
  done_ "compose: '${COMPOSE[*]##*/} config -q' accepts docker-compose.yml ($count services)"
  # the SMPP password and the erasure key must be required: without either, config must fail
  # and name it
  for var in "${REQUIRED_COMPOSE_VARS[@]}"; do
    if out="$(env "${COMPOSE_ENV[@]}" env -u "$var" "${COMPOSE[@]}" -f docker-compose.yml config -q 2>&1)"; then
      die "docker-compose.yml renders without $var: it must be required"
    fi
    grep -q "$var" <<<"$out" || die "unexpected compose error: $out"
    done_ "compose: refuses to render without $var"
  done
  # the project's rules then run on compose's own resolution (anchors, merges, variables)
  env "${COMPOSE_ENV[@]}" "${COMPOSE[@]}" -f docker-compose.yml config --format json \
    >"$TMP/compose.json" || die "docker compose config --format json failed"
  RESOLVED=("$TMP/compose.json")
else
  note "no compose binary: skipping 'docker compose config'; parsing the file with PyYAML instead"
  RESOLVED=()
fi
env "${COMPOSE_ENV[@]}" "$PY" deploy/validate/check_compose.py "$ROOT" "${RESOLVED[@]}" \
  | sed 's/^/    /' || die "docker-compose.yml / Dockerfiles break the project's rules (see above)"
done_ "compose + Dockerfiles: project rules (deploy/validate/check_compose.py)"

# ---------------------------------------------------------------------------------------------
# 3. Helm charts: dependencies, lint, values documentation
# ---------------------------------------------------------------------------------------------
step "helm charts"
if [[ -f "$UMBRELLA_CHART/Chart.lock" ]]; then
  "$HELM" dependency build "$UMBRELLA_CHART" >"$TMP/dep.log" 2>&1 \
    || { cat "$TMP/dep.log" >&2; die "helm dependency build failed (Chart.lock out of date? run: $HELM dependency update ${UMBRELLA_CHART#"$ROOT"/})"; }
  note "helm dependency build (Chart.lock)"
else
  "$HELM" dependency update "$UMBRELLA_CHART" >"$TMP/dep.log" 2>&1 \
    || { cat "$TMP/dep.log" >&2; die "helm dependency update failed"; }
  note "helm dependency update (wrote Chart.lock)"
fi

SERVICE_VALUES=(--set serviceName=contacts --set image.repository=herald-contacts
  --set image.tag="$TEST_TAG" --set database.existingSecret=herald-contacts-db
  --set kafka.bootstrapServers=kafka:9092)
UMBRELLA_VALUES=(--set global.image.tag="$TEST_TAG" --set global.kafka.bootstrapServers=kafka:9092
  --set dispatcher.env.HERALD_DISPATCHER_SMPP__HOST=smsc.example.test
  --set dispatcher.env.HERALD_DISPATCHER_SMPP__SYSTEM_ID=herald)

"$HELM" lint --strict "$SERVICE_CHART" "${SERVICE_VALUES[@]}" >"$TMP/lint1.log" 2>&1 \
  || { cat "$TMP/lint1.log" >&2; die "helm lint herald-service failed"; }
"$HELM" lint --strict "$UMBRELLA_CHART" "${UMBRELLA_VALUES[@]}" >"$TMP/lint2.log" 2>&1 \
  || { cat "$TMP/lint2.log" >&2; die "helm lint herald failed"; }
done_ "helm lint --strict: herald-service, herald"
"$PY" deploy/validate/check_values_docs.py "$SERVICE_CHART" "$UMBRELLA_CHART" | sed 's/^/    /' \
  || die "values.yaml documentation is incomplete (see above)"
done_ "values.yaml: every value documented with @param and listed in the chart README"

# ---------------------------------------------------------------------------------------------
# 4. Rendered manifests: kubeconform (schemas) + Herald rules
# ---------------------------------------------------------------------------------------------
step "kubernetes manifests (kubeconform -strict, Kubernetes $K8S_VERSION)"

# Self-test first: a manifest with a wrong type and a misspelt field must be rejected,
# otherwise a missing or empty schema directory would let everything "pass".
cat >"$TMP/broken.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: deliberately-broken
spec:
  replicas: "two"
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: broken}
    spec:
      containers:
        - name: broken
          image: example:1
          imagePullPolcy: Always
EOF
if kubeconform_ "$TMP/broken.yaml" >"$TMP/broken.log" 2>&1; then
  cat "$TMP/broken.log" >&2
  die "kubeconform accepted a deliberately broken manifest: the schemas are not being used"
fi
if ! grep -q "imagePullPolcy" "$TMP/broken.log" || ! grep -q "replicas" "$TMP/broken.log"; then
  cat "$TMP/broken.log" >&2
  die "kubeconform failed the broken manifest for an unexpected reason"
fi
rm -f "$TMP/broken.yaml"
done_ "kubeconform self-test: a deliberately broken Deployment is rejected"

render() { # render NAME helm-template-args... -> $TMP/NAME.yaml
  local name="$1"; shift
  "$HELM" template "$@" >"$TMP/$name.yaml" 2>"$TMP/$name.err" \
    || { cat "$TMP/$name.err" >&2; die "helm template failed for '$name'"; }
}
render service-minimal contacts "$SERVICE_CHART" "${SERVICE_VALUES[@]}"
render service-full contacts "$SERVICE_CHART" "${SERVICE_VALUES[@]}" \
  --set image.digest="sha256:$(printf '0%.0s' {1..64})" \
  --set 'imagePullSecrets[0]=regcred' \
  --set api.autoscaling.enabled=true --set consumer.autoscaling.enabled=true \
  --set relay.autoscaling.enabled=true --set relay.autoscaling.targetMemoryUtilizationPercentage=80 \
  --set consumer.pdb.enabled=true --set relay.pdb.enabled=true --set api.pdb.minAvailable=1 \
  --set serviceAccount.create=false --set serviceAccount.name=herald \
  --set telemetry.otlpEndpoint=http://otel-collector:4318 --set logLevel=DEBUG \
  --set 'topologySpreadConstraints[0].maxSkew=1' \
  --set 'topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone' \
  --set 'topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway' \
  --set 'extraEnv[0].name=EXTRA' --set-string 'extraEnv[0].value=1' \
  --set 'envFrom[0].secretRef.name=herald-contacts-extra' \
  --set 'secretEnv.HERALD_CONTACTS_SOME_TOKEN.name=herald-contacts-token' \
  --set 'secretEnv.HERALD_CONTACTS_SOME_TOKEN.key=token'
render service-consumer-only dispatcher "$SERVICE_CHART" "${SERVICE_VALUES[@]}" \
  --set serviceName=dispatcher --set api.enabled=false --set relay.enabled=false \
  --set migrations.enabled=false
render umbrella herald "$UMBRELLA_CHART" "${UMBRELLA_VALUES[@]}" --namespace herald
render umbrella-custom herald "$UMBRELLA_CHART" "${UMBRELLA_VALUES[@]}" --namespace herald \
  --set global.image.registry=registry.example.test/herald \
  --set global.telemetry.otlpEndpoint=http://otel-collector:4318 \
  --set 'global.imagePullSecrets[0]=regcred' \
  --set analytics.enabled=false --set dispatcher.consumer.replicaCount=6 \
  --set dispatcher.consumer.autoscaling.enabled=true --set contacts.api.autoscaling.enabled=true

for name in service-minimal service-full service-consumer-only umbrella umbrella-custom; do
  if out="$(kubeconform_ "$TMP/$name.yaml" 2>&1)"; then
    printf '    %-22s %s\n' "$name:" "$(tail -n 1 <<<"$out")"
  else
    printf '%s\n' "$out" >&2
    die "kubeconform: '$name' has invalid manifests"
  fi
done
resources="$(cat "$TMP"/service-*.yaml "$TMP"/umbrella*.yaml | grep -c '^kind:')"
done_ "kubeconform -strict: 5 renders, $resources resources valid against Kubernetes $K8S_VERSION"

"$PY" deploy/validate/check_manifests.py "$TMP"/service-*.yaml "$TMP"/umbrella*.yaml | sed 's/^/    /' \
  || die "rendered manifests break Herald's rules (see above)"
done_ "manifest rules: non-root, read-only fs, drop ALL, seccomp, probes, hooks, tags"

# Renders that must fail, with the message that tells the user what to set.
must_fail() { # must_fail DESCRIPTION EXPECTED-TEXT helm-template-args...
  local what="$1" expected="$2"; shift 2
  if "$HELM" template "$@" >/dev/null 2>"$TMP/fail.err"; then
    die "helm template should fail when $what"
  fi
  grep -q -- "$expected" "$TMP/fail.err" \
    || { cat "$TMP/fail.err" >&2; die "helm template failed for another reason than: $what"; }
  note "refused as expected: $what"
}
must_fail "no image tag is set" "image.tag" \
  x "$UMBRELLA_CHART" --set global.kafka.bootstrapServers=kafka:9092 \
  --set dispatcher.env.HERALD_DISPATCHER_SMPP__HOST=h --set dispatcher.env.HERALD_DISPATCHER_SMPP__SYSTEM_ID=s
must_fail "the image tag is latest" 'must not be "latest"' \
  x "$SERVICE_CHART" "${SERVICE_VALUES[@]}" --set image.tag=latest
must_fail "the global image tag is latest" 'must not be "latest"' \
  x "$UMBRELLA_CHART" "${UMBRELLA_VALUES[@]}" --set global.image.tag=latest
must_fail "the database secret is missing" "database.existingSecret" \
  x "$SERVICE_CHART" "${SERVICE_VALUES[@]}" --set database.existingSecret=
must_fail "Kafka is not configured" "bootstrapServers" \
  x "$UMBRELLA_CHART" --set global.image.tag="$TEST_TAG" \
  --set dispatcher.env.HERALD_DISPATCHER_SMPP__HOST=h --set dispatcher.env.HERALD_DISPATCHER_SMPP__SYSTEM_ID=s
must_fail "the SMPP host is missing" "HERALD_DISPATCHER_SMPP__HOST" \
  x "$UMBRELLA_CHART" --set global.image.tag="$TEST_TAG" --set global.kafka.bootstrapServers=k:9092
must_fail "a value is misspelt" "additional properties" \
  x "$SERVICE_CHART" "${SERVICE_VALUES[@]}" --set api.replicas=3
done_ "helm refuses: missing/latest tag, missing DB secret, Kafka, SMPP host, unknown values"

printf '\n==> summary\n'
printf '    - %s\n' "${SUMMARY[@]}"
printf '\nvalidate-deploy: all checks passed\n'
