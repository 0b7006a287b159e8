"""pyarrow's KmsClient over a keyops keyring: keyops keys are the Parquet master keys."""

import hashlib
import os
import threading

import pyarrow.parquet.encryption as pe

from .errors import KeyringError, MasterKeyError, WrappedKeyError
from .keyring import KeyringFile
from .providers import default_unwrappers
from .wrapped_key import is_key_id, parse_wrapped

KEYRING_PATH_PROPERTY = "keyops.parquet.keyring"
KEYRING_PATH_ENV = "KEYOPS_KEYRING"
KMS_INSTANCE_URL_DEFAULT = "DEFAULT"
RING_PREFIX = "ring-"


class KeyopsKmsClient(pe.KmsClient):
    """Wraps Parquet keys with keyops ring keys (format keyops1, docs/parquet-keys.md).

    master_key_identifier: `ring-<keyRing>` (the ring's current Primary) or a 32-hex key id of a
    Primary key. unwrap_key uses the key id inside the wrapped string, whatever the file's
    masterKeyID says, so files stay readable after a rotation for as long as their key is in the
    keyring (in any state).
    """

    def __init__(self, keyring_file):
        super().__init__()
        if not isinstance(keyring_file, KeyringFile):
            keyring_file = KeyringFile(keyring_file, default_unwrappers())
        self.keyring_file = keyring_file

    def resolve_master_key(self, master_key_identifier, keyring=None):
        """The key id that wraps for master_key_identifier now."""
        keyring = keyring or self.keyring_file.current()
        mk = master_key_identifier
        if isinstance(mk, str) and mk.startswith(RING_PREFIX):
            ring = mk[len(RING_PREFIX):]
            if ring != keyring.key_ring:
                raise MasterKeyError(
                    "master key %r names key ring %r, but %s is key ring %r's keyring: mount the "
                    "%s-keyring Secret, or use master key ring-%s"
                    % (mk, ring, keyring.source, keyring.key_ring, ring, keyring.key_ring))
            if keyring.primary_key_id is None:
                raise MasterKeyError(
                    "key ring %r has no Primary key yet (%s has no primaryKeyId): activate a key "
                    "(spec.activate: true) and wait until it is Primary" % (ring, keyring.source))
            return keyring.primary_key_id
        if is_key_id(mk):
            entry = keyring.entries.get(mk)
            if entry is None:
                raise MasterKeyError("master key %s is not a key of %s: use ring-%s for the "
                                     "ring's Primary" % (mk, keyring.describe(), keyring.key_ring))
            state = entry.get("state")
            if state != "Primary":
                raise MasterKeyError(
                    "master key %s is %s in %s: only the Primary key wraps new keys (Staged keys "
                    "decrypt only until activated; Retired keys never encrypt again); use "
                    "ring-%s to follow the Primary" % (mk, state, keyring.describe(),
                                                       keyring.key_ring))
            return mk
        raise MasterKeyError(
            "master key %r is neither ring-<keyRing> (the ring's Primary) nor a 32-lowercase-hex "
            "keyops key id" % (mk,))

    def wrap_key(self, key_bytes, master_key_identifier):
        keyring = self.keyring_file.current()
        key_id = self.resolve_master_key(master_key_identifier, keyring)
        return self.keyring_file.aead(key_id, keyring).wrap(key_id, key_bytes)

    def unwrap_key(self, wrapped_key, master_key_identifier):
        key_id, sealed = parse_wrapped(wrapped_key)
        if is_key_id(master_key_identifier) and master_key_identifier != key_id:
            raise WrappedKeyError(
                "the key material names masterKeyID %s but its key is wrapped by ring key %s: the "
                "key material was edited or mixed up" % (master_key_identifier, key_id))
        return self.keyring_file.aead(key_id).unwrap(key_id, sealed)


def keyring_path(kms_connection_config=None, env=None):
    """Where the keyring file is, as the Java KmsClient finds it: custom_kms_conf
    ["keyops.parquet.keyring"], then the environment variable KEYOPS_KEYRING, then the connection's
    kms_instance_url (a path or file: URL). The URL comes last because the key tools store the
    writer's in every file and hand it to a reader that sets none: a path on another machine."""
    env = os.environ if env is None else env
    conf = getattr(kms_connection_config, "custom_kms_conf", None) or {}
    if conf.get(KEYRING_PATH_PROPERTY):
        return conf[KEYRING_PATH_PROPERTY]
    if env.get(KEYRING_PATH_ENV):
        return env[KEYRING_PATH_ENV]
    url = getattr(kms_connection_config, "kms_instance_url", None)
    if url and url != KMS_INSTANCE_URL_DEFAULT:
        path = url[len("file:"):] if url.startswith("file:") else url
        while path.startswith("//"):
            path = path[1:]
        return path
    raise KeyringError(
        "keyops KmsClient does not know where the keyring is: pass "
        "keyops_parquet.kms_connection_config('/etc/keyops/keyring.json') (custom_kms_conf %s), "
        "or set the environment variable %s to the mounted keyring.json, or kms_instance_url"
        % (KEYRING_PATH_PROPERTY, KEYRING_PATH_ENV))


def instance_id(path):
    """keyops- and 16 hex characters of the SHA-256 of the keyring path (as Java's
    ParquetCrypto derives it)."""
    return "keyops-" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]


def kms_connection_config(keyring_path=None):
    """A KmsConnectionConfig for the mounted keyring.json at keyring_path.

    The path goes into custom_kms_conf keyops.parquet.keyring (not into the files); the KMS
    instance id and the key access token are derived from it, as in Java's
    ParquetCrypto.configuration: the key tools cache KmsClients per instance id and
    key-encryption keys per access token and masterKeyID, so two keyrings in one process need
    two of each. Without a path, the one in $KEYOPS_KEYRING now.
    """
    if keyring_path is None:
        keyring_path = os.environ.get(KEYRING_PATH_ENV)
        if not keyring_path:
            raise KeyringError("kms_connection_config() needs the path of the mounted "
                               "keyring.json, or the environment variable %s" % KEYRING_PATH_ENV)
    path = os.path.abspath(os.fspath(keyring_path))
    return pe.KmsConnectionConfig(kms_instance_id=instance_id(path),
                                  key_access_token=instance_id(path),
                                  custom_kms_conf={KEYRING_PATH_PROPERTY: path})


class _Factory:
    """One KeyringFile per path for the process, so a KMS unwrap happens once per key."""

    def __init__(self, unwrappers):
        self._unwrappers = unwrappers
        self._files = {}
        self._lock = threading.Lock()

    def __call__(self, kms_connection_config):
        path = os.path.abspath(keyring_path(kms_connection_config))
        with self._lock:
            if path not in self._files:
                unwrappers = self._unwrappers if self._unwrappers is not None \
                    else default_unwrappers()
                self._files[path] = KeyringFile(path, unwrappers)
            return KeyopsKmsClient(self._files[path])


def kms_client_factory(unwrappers=None):
    """The kms_client_factory for pyarrow.parquet.encryption.CryptoFactory."""
    return _Factory(unwrappers)


def crypto_factory(unwrappers=None):
    """A CryptoFactory whose KmsClient is keyops'."""
    return pe.CryptoFactory(kms_client_factory(unwrappers))
