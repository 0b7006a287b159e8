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

{{/* Names of the image pull Secrets, comma-separated, each once: image.pullSecrets, then the
older imagePullSecrets. The operator pod, the `helm test` pod and (through
KEYOPS_WORKER_IMAGE_PULL_SECRETS) the rebuild worker pods all use this one list. */}}
{{- define "keyops.pullSecretNames" -}}
{{- $names := list -}}
{{- range concat (default list .Values.image.pullSecrets) (default list .Values.imagePullSecrets) -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- join "," (uniq $names) -}}
{{- end -}}

{{/* imagePullSecrets of a pod spec, indented by the caller (nindent). */}}
{{- define "keyops.imagePullSecrets" -}}
{{- with include "keyops.pullSecretNames" . -}}
imagePullSecrets:
{{- range splitList "," . }}
  - name: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
The rules the operator needs in each namespace it manages: only the verbs its code uses
(`grep -rn "client\." operator/src/main`, and the informers JOSDK runs for it). Checked on a real
API server by RotationOnRealApiTest and QuietOperatorOnRealApiTest, which run the operator
impersonating this ServiceAccount.
*/}}
{{- define "keyops.rules" -}}
# The primary resources: informers (list, watch), reads (get), finalizer and spec/metadata writes
# (patch, update).
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys", "reencryptionjobs"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["keyops.dev"]
  resources: ["encryptionkeys/status", "reencryptionjobs/status"]
  verbs: ["patch", "update"]
# Owner references with blockOwnerDeletion (material and keyring Secrets, rekey Jobs) need update
# on the owner's finalizers where OwnerReferencesPermissionEnforcement is on.
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
# Secrets: one informer restricted by the label keyops.dev/component (keyops' own material and
# <keyRing>-keyring Secrets), and single-name watches (fieldSelector metadata.name) of the
# customer Secrets keys reference. RBAC cannot scope list/watch by label or by names unknown at
# install time: use watchNamespaces to bound it. create (material, keyring), patch (the keyring
# is merge-patched), delete (crypto-shredding, an emptied ring); never update.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Events, aggregated: the same reason on the same object patches one Event's count.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["get", "create", "patch"]
# The Indexed Job of a ReencryptionJob (created, watched, deleted with it; patched only to pause
# and resume it: spec.suspend, from the ReencryptionJob's suspend and windows) and its pods
# (watched, their termination messages read).
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Claims: a ReencryptionJob reads its storage claims (a GET each before it starts, and while it is
# stalled) to say when one is missing or unbound, and lists those its selector matches when it
# starts; the KeyRing controller watches the claims of the watched namespaces (an informer: a
# KeyRing's spec.storage.selector declares every matching claim, including new ones). Read only.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch"]
{{- end -}}
