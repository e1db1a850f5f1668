{{- define "registry-cache.labels" -}}
app.kubernetes.io/name: registry-cache
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "registry-cache.selector" -}}
app.kubernetes.io/name: registry-cache
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
