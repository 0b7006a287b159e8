{{- define "keyops.name" -}}keyops{{- end -}}

{{- define "keyops.fullname" -}}
{{- if contains "keyops" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-keyops" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "keyops.labels" -}}
app.kubernetes.io/name: keyops
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "keyops.selectorLabels" -}}
app.kubernetes.io/name: keyops
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keyops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "keyops.fullname" .) .Values.serviceAccount.name }}
{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{/* The image by digest when image.digest is set (what a release pins), else by tag. */}}
{{- define "keyops.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs in each namespace it manages: only the verbs it uses. */}}
{{- define "keyops.rules" -}}
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys", "reencryptionjobs"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys/status", "reencryptionjobs/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys/finalizers", "reencryptionjobs/finalizers"]
  verbs: ["update"]
# KeyRing policies (issue 13): a KeyRing creates the keys of its rotations and the
# ReencryptionJobs that follow them.
- apiGroups: ["keyops.dev"]
  resources: ["keyrings"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["keyops.dev"]
  resources: ["keyrings/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["keyops.dev"]
  resources: ["keyrings/finalizers"]
  verbs: ["update"]
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys", "reencryptionjobs"]
  verbs: ["create"]
# Secrets: keyops reads customer key Secrets (secretRef, credentialsSecretRef) and owns the
# managed-material and <keyRing>-keyring Secrets. RBAC cannot restrict list/watch/create by
# name, so this is as tight as the API allows; use watchNamespaces to bound it.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["get", "create", "patch"]
# patch: a ReencryptionJob's suspend and windows pause and resume its Job (spec.suspend).
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# A ReencryptionJob reads its storage claim (one GET before it starts, and while it is stalled)
# to say when the claim is missing or unbound.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get"]
{{- end -}}
