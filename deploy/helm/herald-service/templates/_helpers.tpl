{{/*
Helpers of the generic Herald service chart. Every define is namespaced `herald-service.*`
(defines are global across a chart and its subcharts; an un-namespaced name would collide).
*/}}

{{/* Chart name, overridable. Under the umbrella chart the alias (e.g. "contacts") is .Chart.Name. */}}
{{- define "herald-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name (as `helm create`): release-name + chart name, unless the release name
already contains the chart name. Truncated to leave room for a "-consumer" suffix.
*/}}
{{- define "herald-service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 53 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "herald-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Herald service this release runs (contacts, consent, ...). */}}
{{- define "herald-service.serviceName" -}}
{{- $svc := required "serviceName is required (contacts, consent, campaigns, dispatcher, receipts or analytics)" .Values.serviceName }}
{{- if not (has $svc (list "contacts" "consent" "campaigns" "dispatcher" "receipts" "analytics")) }}
{{- fail (printf "serviceName %q is not a Herald service (contacts, consent, campaigns, dispatcher, receipts, analytics)" $svc) }}
{{- end }}
{{- $svc }}
{{- end }}

{{/* Environment variable prefix of the service's settings: HERALD_CONTACTS_ ... */}}
{{- define "herald-service.envPrefix" -}}
{{- printf "HERALD_%s_" (include "herald-service.serviceName" . | upper) }}
{{- end }}

{{/* Common labels. */}}
{{- define "herald-service.labels" -}}
helm.sh/chart: {{ include "herald-service.chart" . }}
{{ include "herald-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Values.global.image.tag | default .Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: herald
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels (immutable on Deployments: never add to these). */}}
{{- define "herald-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels / selector labels of one process. Call with (dict "root" $ "component" "api"). */}}
{{- define "herald-service.componentLabels" -}}
{{ include "herald-service.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "herald-service.componentSelectorLabels" -}}
{{ include "herald-service.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Name of one process's resources: <fullname>-<component>. */}}
{{- define "herald-service.componentName" -}}
{{- printf "%s-%s" (include "herald-service.fullname" .root) .component }}
{{- end }}

{{/* Metadata annotations shared by every resource (may be empty). */}}
{{- define "herald-service.commonAnnotations" -}}
{{- with .Values.commonAnnotations }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/* ServiceAccount of the Deployments. */}}
{{- define "herald-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "herald-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
ServiceAccount of the migrations hook Job. A ServiceAccount created by this chart is a normal
release resource, so it does not exist yet when a pre-install hook runs: in that case the Job
uses the namespace's "default" account unless migrations.serviceAccountName names another.
*/}}
{{- define "herald-service.migrationsServiceAccountName" -}}
{{- if .Values.migrations.serviceAccountName }}
{{- .Values.migrations.serviceAccountName }}
{{- else if .Values.serviceAccount.create }}
{{- "default" }}
{{- else }}
{{- include "herald-service.serviceAccountName" . }}
{{- end }}
{{- end }}

{{/*
Image reference. The tag is required and must be immutable: an empty tag or `latest` fails the
render, so every rollout names exactly what it deploys.
*/}}
{{- define "herald-service.image" -}}
{{- $repository := required "image.repository is required" .Values.image.repository }}
{{- $tag := .Values.image.tag | default .Values.global.image.tag | toString }}
{{- $tag = required "image.tag (or global.image.tag) is required: set an immutable version, e.g. --set global.image.tag=1.4.2" $tag }}
{{- if eq (lower $tag) "latest" }}
{{- fail "image.tag must not be \"latest\": set an immutable version" }}
{{- end }}
{{- if .Values.global.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .Values.global.image.registry) $repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" $repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/* imagePullSecrets of a pod (global + chart), as a YAML list or nothing. */}}
{{- define "herald-service.imagePullSecrets" -}}
{{- $secrets := concat (.Values.global.imagePullSecrets | default list) (.Values.imagePullSecrets | default list) | uniq }}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  {{- if kindIs "map" . }}
  - name: {{ .name }}
  {{- else }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Environment of one process. Call with (dict "root" $ "component" "api"|"consumer"|"relay"|"migrate").
Settings follow docs/runtime-conventions.md: HERALD_<SERVICE>_<GROUP>__<FIELD>.
*/}}
{{- define "herald-service.env" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $prefix := include "herald-service.envPrefix" $root }}
{{- $bootstrap := $v.kafka.bootstrapServers | default $v.global.kafka.bootstrapServers }}
{{- $otlp := $v.telemetry.otlpEndpoint | default $v.global.telemetry.otlpEndpoint -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),service.instance.id=$(POD_NAME)"
- name: {{ $prefix }}DB__URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required: a Secret holding the service's postgresql+asyncpg:// URL" $v.database.existingSecret }}
      key: {{ $v.database.urlKey }}
- name: {{ $prefix }}KAFKA__BOOTSTRAP_SERVERS
  value: {{ required "kafka.bootstrapServers (or global.kafka.bootstrapServers) is required" $bootstrap | quote }}
# so that `kubectl exec <pod> -- herald-admin ...` (apikey, dlq replay) works in any Herald pod
- name: HERALD_ADMIN_KAFKA__BOOTSTRAP_SERVERS
  value: {{ $bootstrap | quote }}
- name: {{ $prefix }}API__HOST
  value: "0.0.0.0"
- name: {{ $prefix }}API__PORT
  value: {{ $v.api.port | quote }}
{{- if has .component (list "consumer" "relay") }}
- name: {{ $prefix }}HEALTH__HOST
  value: "0.0.0.0"
- name: {{ $prefix }}HEALTH__PORT
  value: {{ (index $v .component).port | quote }}
{{- end }}
- name: {{ $prefix }}TELEMETRY__OTLP_ENDPOINT
  value: {{ $otlp | quote }}
- name: {{ $prefix }}LOG_LEVEL
  value: {{ $v.logLevel | quote }}
{{- range $name, $value := $v.env }}
- name: {{ $name }}
  value: {{ tpl (toString $value) $root | quote }}
{{- end }}
{{- range $name, $ref := $v.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secretEnv.%s.name is required" $name) $ref.name }}
      key: {{ required (printf "secretEnv.%s.key is required" $name) $ref.key }}
      {{- if hasKey $ref "optional" }}
      optional: {{ $ref.optional }}
      {{- end }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by Deployments and the migrations Job. */}}
{{- define "herald-service.podCommon" -}}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- include "herald-service.imagePullSecrets" . }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The writable /tmp of a read-only root filesystem. */}}
{{- define "herald-service.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}
