"""The keyring.json of a `<keyRing>-keyring` Secret (README "The keyring Secret", format 1).

Kubernetes updates a Secret volume by swapping a symlink, so KeyringFile re-reads the file whenever
what the path resolves to changed (device, inode, size, modification time), checked on every use.
Ring keys of managed and secretRef keys are their `material`; gcpKms, transit and awsKms keys carry
a wrapped data key that an unwrapper for that provider turns into the ring key (see providers.py),
once per key per process: unwrapped keys stay cached across reloads.
"""

import base64
import binascii
import json
import os
import threading

from .errors import KeyringError, KeyUnusableError, UnknownKeyError
from .wrapped_key import RingKeyAead, is_key_id

FORMAT = 1
STATES = ("Staged", "Primary", "Retired")


class Keyring:
    """One parsed keyring.json: the ring's keys by key id. Holds no unwrapped material."""

    def __init__(self, document, source="keyring.json"):
        self.source = source
        if not isinstance(document, dict):
            raise KeyringError("%s is not a JSON object: mount keyring.json of the "
                               "<keyRing>-keyring Secret" % source)
        if document.get("format") != FORMAT:
            raise KeyringError("%s has format %r; keyops-parquet reads format 1: upgrade "
                               "keyops-parquet" % (source, document.get("format")))
        self.namespace = document.get("namespace")
        self.key_ring = document.get("keyRing")
        self.primary_key_id = document.get("primaryKeyId")
        keys = document.get("keys") or []
        if not isinstance(keys, list):
            raise KeyringError("%s: 'keys' is not a list" % source)
        self.entries = {}
        for e in keys:
            key_id = e.get("keyId") if isinstance(e, dict) else None
            if not is_key_id(key_id):
                raise KeyringError("%s: a key has keyId %r, not 32 lowercase hex characters"
                                   % (source, key_id))
            if key_id in self.entries:
                raise KeyringError("%s: key id %s appears twice" % (source, key_id))
            self.entries[key_id] = e
        if self.primary_key_id is not None and self.primary_key_id not in self.entries:
            raise KeyringError("%s: primaryKeyId %s is not among its keys"
                               % (source, self.primary_key_id))

    @classmethod
    def parse(cls, data, source="keyring.json"):
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise KeyringError("%s is not UTF-8 JSON (%s): mount keyring.json of the "
                               "<keyRing>-keyring Secret" % (source, type(e).__name__)) from None
        return cls(document, source)

    def describe(self):
        return "key ring %s/%s (%s)" % (self.namespace, self.key_ring, self.source)


def _decode_material(key_id, material):
    try:
        key = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise KeyUnusableError("key %s: its material is not standard Base64" % key_id) from None
    if base64.b64encode(key).decode("ascii") != material:
        raise KeyUnusableError("key %s: its material is not canonical Base64" % key_id)
    if len(key) != 32:
        raise KeyUnusableError("key %s: its material is %d bytes, a ring key is 32"
                               % (key_id, len(key)))
    return key


class KeyringFile:
    """A mounted keyring.json, re-read when it changes; hands out one AEAD per ring key.

    unwrappers maps a provider name (gcpKms, transit, awsKms) to a callable(entry) -> 32 bytes that
    unwraps that entry's `wrappedKey` (providers.default_unwrappers() gives transit and awsKms).
    """

    def __init__(self, path, unwrappers=None):
        self.path = os.fspath(path)
        self._unwrappers = dict(unwrappers or {})
        self._lock = threading.Lock()
        self._signature = None
        self._keyring = None
        # (keyId, provider, material-or-wrappedKey) -> RingKeyAead; survives reloads, so a KMS
        # unwrap happens once per key per process, and changed material is never served stale.
        self._aeads = {}
        self.reloads = 0
        self.current()

    def _stat(self):
        st = os.stat(self.path)
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def current(self):
        """The keyring as it is on disk now."""
        with self._lock:
            try:
                signature = self._stat()
                if signature != self._signature:
                    with open(self.path, "rb") as f:
                        data = f.read()
                    keyring = Keyring.parse(data, self.path)
                    self._keyring, self._signature = keyring, signature
                    self.reloads += 1
            except OSError as e:
                if self._keyring is None:
                    raise KeyringError("cannot read keyring file %s (%s): mount the "
                                       "<keyRing>-keyring Secret as a volume there"
                                       % (self.path, e.strerror or e)) from None
                # keep the last good keyring while the volume is being swapped
            return self._keyring

    def aead(self, key_id, keyring=None):
        """The AES-256-GCM of ring key key_id (any state), from the given or current keyring."""
        keyring = keyring or self.current()
        entry = keyring.entries.get(key_id)
        if entry is None:
            raise UnknownKeyError(
                "keyops key %s is not in %s: the key was dropped, or this is another key ring's "
                "keyring (restore the key or mount the right <keyRing>-keyring)"
                % (key_id, keyring.describe()))
        provider = entry.get("provider")
        if entry.get("material") is not None:
            cache_key = (key_id, "material", entry["material"])
        else:
            cache_key = (key_id, provider, entry.get("wrappedKey"), entry.get("kmsKeyName"))
        with self._lock:
            cached = self._aeads.get(cache_key)
        if cached is not None:
            return cached
        if entry.get("material") is not None:
            ring_key = _decode_material(key_id, entry["material"])
        elif entry.get("wrappedKey") is not None:
            unwrap = self._unwrappers.get(provider)
            if unwrap is None:
                raise KeyUnusableError(
                    "key %s is a %s key: keyops-parquet has no unwrapper for provider %s (%s)"
                    % (key_id, provider, provider, _HOW.get(provider, "unknown provider")))
            try:
                ring_key = unwrap(entry)
            except KeyUnusableError:
                raise
            except Exception as e:  # the provider's message, never material
                raise KeyUnusableError("key %s (%s): unwrapping its data key failed: %s"
                                       % (key_id, provider, e)) from None
            if ring_key is None or len(ring_key) != 32:
                raise KeyUnusableError("key %s (%s): the unwrapped data key is not 32 bytes"
                                       % (key_id, provider))
        else:
            raise KeyUnusableError("key %s has neither material nor wrappedKey in %s"
                                   % (key_id, keyring.describe()))
        built = RingKeyAead(ring_key)
        with self._lock:
            return self._aeads.setdefault(cache_key, built)


_HOW = {
    "gcpKms": "Cloud KMS unwrap is not built into the Python package: pass "
              "unwrappers={'gcpKms': your_function} or read these files with the Java KmsClient",
    "transit": "set KEYOPS_TRANSIT_TOKEN_FILE or KEYOPS_TRANSIT_ROLE, see docs/parquet.md",
    "awsKms": "install keyops-parquet[aws] (boto3), see docs/parquet.md",
}
