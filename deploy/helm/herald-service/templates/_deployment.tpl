{{/*
One Deployment per process (api, consumer, relay) from this single template, so the three can
never drift apart. Call with (dict "root" $ "component" "api"|"consumer"|"relay").
Each process serves /healthz (liveness: the process is alive) and /readyz (readiness: its DB and
Kafka are reachable) and /metrics on its own HTTP port.
*/}}
{{- define "herald-service.deployment" -}}
{{- $root := .root }}
{{- $component := .component }}
{{- $c := index $root.Values $component }}
{{- $ctx := dict "root" $root "component" $component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "herald-service.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "herald-service.componentLabels" $ctx | nindent 4 }}
  {{- with (include "herald-service.commonAnnotations" $root) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "herald-service.componentSelectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      {{- $annotations := merge (dict) ($root.Values.podAnnotations | default dict) }}
      {{- if $root.Values.metrics.scrapeAnnotations }}
      {{- $_ := set $annotations "prometheus.io/scrape" "true" }}
      {{- $_ := set $annotations "prometheus.io/port" (toString $c.port) }}
      {{- $_ := set $annotations "prometheus.io/path" "/metrics" }}
      {{- end }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      labels:
        {{- include "herald-service.componentLabels" $ctx | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "herald-service.serviceAccountName" $root }}
      {{- include "herald-service.podCommon" $root | nindent 6 }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      {{- with $root.Values.topologySpreadConstraints }}
      {{- /* constraints without a labelSelector get this process's selector labels */}}
      {{- $constraints := list }}
      {{- range . }}
      {{- $item := deepCopy . }}
      {{- if not $item.labelSelector }}
      {{- $_ := set $item "labelSelector" (dict "matchLabels" (include "herald-service.componentSelectorLabels" $ctx | fromYaml)) }}
      {{- end }}
      {{- $constraints = append $constraints $item }}
      {{- end }}
      topologySpreadConstraints:
        {{- toYaml $constraints | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "herald-service.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # the image's ENTRYPOINT is herald-<service>; the argument picks the process
          args:
            - {{ $component }}
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
          env:
            {{- include "herald-service.env" $ctx | nindent 12 }}
          {{- with $root.Values.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          {{- if and (eq $component "api") (gt (int $c.preStopSleepSeconds) 0) }}
          lifecycle:
            preStop:
              # keep serving while the endpoint removal propagates to every proxy
              exec:
                command: ["sleep", "{{ $c.preStopSleepSeconds }}"]
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "herald-service.tmpVolume" $root | nindent 8 }}
{{- end }}
