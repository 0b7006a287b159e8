"""Unwrappers of the keyring's KMS-wrapped ring keys, as the workload's own identity.

Each is a callable(entry) -> the 32-byte ring key, given the keyring.json entry. They make the
same calls as the Java library (docs/embedding.md): Transit `decrypt` with associated_data =
Base64(UTF-8 associatedData); AWS KMS `Decrypt` with KeyId and the entry's encryption context.
Cloud KMS (gcpKms) is not built in; pass your own callable for it.
"""

import base64
import json
import os
import ssl
import urllib.error
import urllib.request

from .errors import KeyUnusableError

DEFAULT_JWT_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"


class TransitUnwrapper:
    """OpenBao / Vault Transit decrypt over HTTP(S) (the standard library's urllib).

    Authentication, as the Java TransitDataKeyUnwrapper: KEYOPS_TRANSIT_TOKEN_FILE (re-read for
    every call) or Kubernetes auth with KEYOPS_TRANSIT_ROLE (KEYOPS_TRANSIT_AUTH_MOUNT, default
    kubernetes; KEYOPS_TRANSIT_JWT_FILE); KEYOPS_TRANSIT_CA_FILE for an https address.
    """

    def __init__(self, token_file=None, role=None, auth_mount="kubernetes",
                 jwt_file=DEFAULT_JWT_FILE, ca_file=None, timeout=10.0):
        self.token_file = token_file
        self.role = role
        self.auth_mount = auth_mount
        self.jwt_file = jwt_file
        self.timeout = timeout
        self._context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    @classmethod
    def from_environment(cls, env=None):
        env = os.environ if env is None else env
        return cls(token_file=env.get("KEYOPS_TRANSIT_TOKEN_FILE"),
                   role=env.get("KEYOPS_TRANSIT_ROLE"),
                   auth_mount=env.get("KEYOPS_TRANSIT_AUTH_MOUNT") or "kubernetes",
                   jwt_file=env.get("KEYOPS_TRANSIT_JWT_FILE") or DEFAULT_JWT_FILE,
                   ca_file=env.get("KEYOPS_TRANSIT_CA_FILE"))

    def _call(self, address, path, body, token=None, namespace=None):
        request = urllib.request.Request(
            address.rstrip("/") + "/v1/" + path, data=json.dumps(body).encode("utf-8"),
            method="POST", headers={"Content-Type": "application/json"})
        if token:
            request.add_header("X-Vault-Token", token)
        if namespace:
            request.add_header("X-Vault-Namespace", namespace)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self._context) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            detail = ""
            try:
                detail = " ".join("; ".join(
                    json.loads(e.read().decode("utf-8")).get("errors") or []).split())
            except Exception:
                pass
            raise KeyUnusableError("Transit %s at %s answered HTTP %d%s%s" % (
                path, address, e.code, (": " + detail) if detail else "",
                (" (the workload's policy needs: path \"%s\" { capabilities = [\"update\"] })"
                 % path) if e.code == 403 else "")) from None
        except (urllib.error.URLError, OSError) as e:
            raise KeyUnusableError("Transit at %s unreachable: %s" % (
                address, getattr(e, "reason", e))) from None

    def _token(self, transit):
        if self.token_file:
            with open(self.token_file, "r", encoding="utf-8") as f:
                return f.read().strip()
        if self.role:
            with open(self.jwt_file, "r", encoding="utf-8") as f:
                jwt = f.read().strip()
            answer = self._call(transit["address"], "auth/%s/login" % self.auth_mount,
                                {"role": self.role, "jwt": jwt},
                                namespace=transit.get("namespace"))
            return answer["auth"]["client_token"]
        raise KeyUnusableError("a transit key needs a Transit token: set KEYOPS_TRANSIT_TOKEN_FILE "
                               "or KEYOPS_TRANSIT_ROLE (Kubernetes auth)")

    def __call__(self, entry):
        transit = entry.get("transit") or {}
        if not transit.get("address"):
            raise KeyUnusableError("transit key %s has no transit.address" % entry.get("keyId"))
        mount = (transit.get("mount") or "transit").strip("/")
        ciphertext = base64.b64decode(entry["wrappedKey"]).decode("utf-8")
        body = {"ciphertext": ciphertext,
                "associated_data": base64.b64encode(
                    (entry.get("associatedData") or "").encode("utf-8")).decode("ascii")}
        answer = self._call(transit["address"], "%s/decrypt/%s" % (mount, entry["kmsKeyName"]),
                            body, self._token(transit), transit.get("namespace"))
        plaintext = (answer.get("data") or {}).get("plaintext")
        if plaintext is None:
            raise KeyUnusableError("Transit decrypt returned no plaintext")
        return base64.b64decode(plaintext)


class AwsKmsUnwrapper:
    """AWS KMS Decrypt with boto3 (pip install keyops-parquet[aws]) and its default credentials
    chain (IRSA, Pod Identity, environment, instance profile)."""

    def __init__(self, client_factory=None):
        self._client_factory = client_factory
        self._clients = {}

    def _client(self, region, endpoint):
        key = (region, endpoint)
        if key not in self._clients:
            if self._client_factory is not None:
                self._clients[key] = self._client_factory(region, endpoint)
            else:
                try:
                    import boto3
                except ImportError:
                    raise KeyUnusableError("an awsKms key needs boto3: pip install "
                                           "'keyops-parquet[aws]'") from None
                self._clients[key] = boto3.client("kms", region_name=region,
                                                  endpoint_url=endpoint or None)
        return self._clients[key]

    def __call__(self, entry):
        aws = entry.get("awsKms") or {}
        client = self._client(aws.get("region"), aws.get("endpoint"))
        try:
            answer = client.decrypt(CiphertextBlob=base64.b64decode(entry["wrappedKey"]),
                                    KeyId=aws.get("keyId") or entry.get("kmsKeyName"),
                                    EncryptionContext=aws.get("encryptionContext") or {})
        except Exception as e:
            raise KeyUnusableError(
                "AWS KMS Decrypt of key %s refused: %s (the workload's role needs kms:Decrypt on "
                "%s with this encryption context)" % (entry.get("keyId"), e, aws.get("keyId"))) \
                from None
        return answer["Plaintext"]


def default_unwrappers(env=None):
    """transit and awsKms unwrappers configured from the environment (no gcpKms)."""
    return {"transit": TransitUnwrapper.from_environment(env), "awsKms": AwsKmsUnwrapper()}
