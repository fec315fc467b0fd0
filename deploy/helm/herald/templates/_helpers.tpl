{{/* Helpers of the herald umbrella chart (namespaced `herald.*`; the services use `herald-service.*`). */}}

{{- define "herald.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "herald.fullname" -}}
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

{{- define "herald.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "herald.labels" -}}
helm.sh/chart: {{ include "herald.chart" . }}
{{ include "herald.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: herald
{{- end }}

{{/*
Image of the topic-creation Job: herald-admin ships in every service image (it comes with
herald-kit); the dispatcher's is used unless topics.image is set. Same tag rules as the services.
*/}}
{{- define "herald.topicsImage" -}}
{{- $repository := .Values.topics.image.repository | default .Values.dispatcher.image.repository }}
{{- $repository = required "topics.image.repository (or dispatcher.image.repository) is required" $repository }}
{{- $tag := .Values.topics.image.tag | default .Values.dispatcher.image.tag | default .Values.global.image.tag | toString }}
{{- $tag = required "global.image.tag is required: set an immutable version, e.g. --set global.image.tag=1.4.2" $tag }}
{{- if eq (lower $tag) "latest" }}
{{- fail "image tags must not be \"latest\": set an immutable version" }}
{{- end }}
{{- if .Values.global.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .Values.global.image.registry) $repository }}
{{- end }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
