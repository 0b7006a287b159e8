# shellcheck shell=bash
# The registry half of the end-to-end tier (issue 25): source it from dev/e2e.
#
#   source dev/lib/e2e-registry.sh
#   e2e_registry_node_env               before `dev/control-plane up --node`: exports
#                                       KEYOPS_NODE_REGISTRY and KEYOPS_NODE_REGISTRY_CA so that
#                                       containerd trusts the registry's CA (hosts.toml) and
#                                       bypasses its closed proxy for it
#   e2e_registry_up                     after the node is up (the registry binds the node's
#                                       address): dev/registry up, exports KEYOPS_REGISTRY*
#   e2e_release VERSION                 dev/release to it (with credentials), --no-jar; sets
#                                       E2E_DIGEST (the image digest) and E2E_IMAGE (repository)
#   e2e_pull_secret NAMESPACE [NAME]    a kubernetes.io/dockerconfigjson Secret (default regcred)
#                                       for the registry, created from a file (the password never
#                                       on a command line)
#   e2e_helm_install NAMESPACE VERSION [helm args...]
#                                       helm install $E2E_RELEASE (default keyops)
#                                       oci://REGISTRY/charts/keyops with
#                                       image.pullSecrets[0].name=regcred
#   e2e_helm_upgrade NAMESPACE VERSION [helm args...]
#                                       helm upgrade to another released version; to keep the
#                                       values set at install, pass --reset-then-reuse-values,
#                                       never --reuse-values (Helm then keeps the OLD chart's
#                                       defaults, i.e. the old image digest: seen with Helm 3.18)
#   e2e_sbom_check                      the SBOM tag of E2E_DIGEST is there and lists Debian
#                                       packages and Maven dependencies
#   e2e_pulled_from_registry NAMESPACE SELECTOR
#                                       every pod matching SELECTOR runs E2E_IMAGE@E2E_DIGEST, and
#                                       containerd holds that image under the registry's name
#                                       (pulled, not imported)
#   e2e_registry_down                   stop the registry (also safe in an EXIT trap)
#
# Expects: cwd = the repository root, PATH with helm/kubectl (dev/tools), KUBECONFIG set, and
# a fail() function (dev/e2e has one). The registry address defaults to the node's address
# (10.213.0.1, from KEYOPS_NODE_CIDR) and port 5443 (E2E_REGISTRY_PORT).

E2E_REGISTRY_PORT="${E2E_REGISTRY_PORT:-5443}"
_e2e_node_cidr="${KEYOPS_NODE_CIDR:-10.213.0.0/24}"
E2E_REGISTRY="${E2E_REGISTRY:-${_e2e_node_cidr%.*}.1:$E2E_REGISTRY_PORT}"
E2E_REGISTRY_WORK="${E2E_REGISTRY_WORK:-$(mktemp -d)}"
E2E_RELEASE="${E2E_RELEASE:-keyops}"

e2e_registry_node_env() {
  export KEYOPS_NODE_REGISTRY="$E2E_REGISTRY"
  KEYOPS_NODE_REGISTRY_CA="$(dev/registry ca "$E2E_REGISTRY")"
  export KEYOPS_NODE_REGISTRY_CA
}

e2e_registry_up() {
  # Each run starts from an empty registry: the releases of an earlier run (the cache outlives
  # it) would make dev/release refuse this run's versions.
  dev/registry wipe "$E2E_REGISTRY" >/dev/null || fail "dev/registry wipe $E2E_REGISTRY"
  dev/registry up "$E2E_REGISTRY" >/dev/null || fail "dev/registry up $E2E_REGISTRY"
  eval "$(dev/registry env "$E2E_REGISTRY")"
  # What a user's machine holds after `docker login`: one auth file for helm pull/install.
  (umask 077 && python3 - "$KEYOPS_REGISTRY" "$KEYOPS_REGISTRY_USER" "$KEYOPS_REGISTRY_PASSWORD_FILE" \
    > "$E2E_REGISTRY_WORK/auth.json") <<'PY'
import base64, json, sys
host, user, pw = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().strip()
json.dump({"auths": {host: {"auth": base64.b64encode(f"{user}:{pw}".encode()).decode()}}}, sys.stdout)
PY
}

e2e_release() {
  local version="$1"
  dev/release "$KEYOPS_REGISTRY" --version "$version" --username "$KEYOPS_REGISTRY_USER" \
    --password-file "$KEYOPS_REGISTRY_PASSWORD_FILE" --ca-file "$KEYOPS_REGISTRY_CA" --no-jar \
    > "$E2E_REGISTRY_WORK/release-$version.out" || fail "dev/release $KEYOPS_REGISTRY --version $version"
  E2E_DIGEST="$(cat operator/target/keyops-image.digest)"
  E2E_IMAGE="$KEYOPS_REGISTRY/keyops"
}

e2e_pull_secret() {
  local ns="$1" name="${2:-regcred}"
  mkdir -p "$E2E_REGISTRY_WORK/secret-$ns"
  cp "$E2E_REGISTRY_WORK/auth.json" "$E2E_REGISTRY_WORK/secret-$ns/.dockerconfigjson"
  kubectl create secret generic "$name" -n "$ns" --type=kubernetes.io/dockerconfigjson \
    --from-file=.dockerconfigjson="$E2E_REGISTRY_WORK/secret-$ns/.dockerconfigjson" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null || fail "pull secret $name in $ns"
  rm -rf "$E2E_REGISTRY_WORK/secret-$ns"
}

e2e_helm_install() {
  local ns="$1" version="$2"
  shift 2
  helm install "$E2E_RELEASE" "oci://$KEYOPS_REGISTRY/charts/keyops" --version "$version" -n "$ns" \
    --ca-file "$KEYOPS_REGISTRY_CA" --registry-config "$E2E_REGISTRY_WORK/auth.json" \
    --set 'image.pullSecrets[0].name=regcred' "$@" || fail "helm install oci://$KEYOPS_REGISTRY/charts/keyops --version $version"
}

e2e_helm_upgrade() {
  local ns="$1" version="$2"
  shift 2
  helm upgrade "$E2E_RELEASE" "oci://$KEYOPS_REGISTRY/charts/keyops" --version "$version" -n "$ns" \
    --ca-file "$KEYOPS_REGISTRY_CA" --registry-config "$E2E_REGISTRY_WORK/auth.json" \
    --set 'image.pullSecrets[0].name=regcred' "$@" || fail "helm upgrade to oci://$KEYOPS_REGISTRY/charts/keyops --version $version"
}

e2e_sbom_check() {
  local ref="$KEYOPS_REGISTRY/keyops:sha256-${E2E_DIGEST#sha256:}.sbom" dir="$E2E_REGISTRY_WORK/sbom"
  mkdir -p "$E2E_REGISTRY_WORK/certs"
  cp "$KEYOPS_REGISTRY_CA" "$E2E_REGISTRY_WORK/certs/ca.crt"
  rm -rf "$dir"
  skopeo copy -q --preserve-digests --src-cert-dir "$E2E_REGISTRY_WORK/certs" \
    --authfile "$E2E_REGISTRY_WORK/auth.json" "docker://$ref" "oci:$dir:sbom" >/dev/null ||
    fail "no SBOM at $ref"
  python3 - "$dir" "$E2E_DIGEST" <<'PY' || fail "the SBOM at $ref is not the image's"
import json, sys
d, digest = sys.argv[1:]
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/sha256/{idx['manifests'][0]['digest'].split(':')[1]}"))
assert m["subject"]["digest"] == digest
bom = json.load(open(f"{d}/blobs/sha256/{m['layers'][0]['digest'].split(':')[1]}"))
purls = [c.get("purl", "") for c in bom["components"]]
assert any(p.startswith("pkg:deb/debian/libc6@") for p in purls)
assert any(p.startswith("pkg:maven/io.fabric8/kubernetes-client@") for p in purls)
PY
}

e2e_pulled_from_registry() {
  local ns="$1" selector="$2" want="$E2E_IMAGE@$E2E_DIGEST" images ids
  images="$(kubectl get pods -n "$ns" -l "$selector" -o 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u)"
  [[ "$images" == "$want" ]] || fail "pods $selector in $ns run '$images', not $want"
  # The runtime's imageID names the repository digest it pulled.
  ids="$(kubectl get pods -n "$ns" -l "$selector" -o 'jsonpath={range .items[*]}{.status.containerStatuses[0].imageID}{"\n"}{end}' | sort -u)"
  [[ -z "$ids" || "$ids" == *"$E2E_DIGEST"* ]] || fail "pods $selector in $ns report imageID '$ids'"
  local sock
  sock="$(dirname "$(dev/control-plane kubeconfig)")/containerd/containerd.sock"
  ctr -a "$sock" -n k8s.io images ls -q | grep -qxF "$want" ||
    fail "containerd holds no image $want (pulled from the registry)"
}

e2e_registry_down() {
  dev/registry down "$E2E_REGISTRY" >/dev/null 2>&1 || true
  rm -rf "$E2E_REGISTRY_WORK"
}
