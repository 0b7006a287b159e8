"""The keyops wrapped-key format for Parquet Modular Encryption (docs/parquet-keys.md).

    keyops1:<keyIdHex>:<base64>

keyIdHex is the 32-lowercase-hex keyops key id of the ring key that wraps; base64 is standard
Base64 with padding of AES-256-GCM(ring key, 12-byte random IV || ciphertext || 16-byte tag) of the
Parquet key, associated data = UTF-8 "keyops-parquet/v1/" + keyIdHex. That is the output of Tink's
AesGcm with a RAW key, which is what this module uses.
"""

import base64
import binascii
import re
import threading

import tink
from tink import aead, cleartext_keyset_handle
from tink.proto import aes_gcm_pb2, tink_pb2

from .errors import WrappedKeyError

PREFIX = "keyops1"
ASSOCIATED_DATA_PREFIX = b"keyops-parquet/v1/"
IV_SIZE = 12
TAG_SIZE = 16
# Parquet keys the key tools wrap: data keys and key-encryption keys of 128, 192 or 256 bits.
KEY_SIZES = (16, 24, 32)

_KEY_ID = re.compile(r"^[0-9a-f]{32}$")
_registered = False
_register_lock = threading.Lock()


def is_key_id(text):
    """True when text is a keyops key id: 32 lowercase hex characters."""
    return isinstance(text, str) and _KEY_ID.match(text) is not None


def associated_data(key_id):
    """The associated data of a wrap by ring key key_id."""
    return ASSOCIATED_DATA_PREFIX + key_id.encode("ascii")


def format_wrapped(key_id, sealed):
    """The wrapped-key string for ciphertext `sealed` (IV || ciphertext || tag) under key_id."""
    if not is_key_id(key_id):
        raise ValueError("key id must be 32 lowercase hex characters")
    return "%s:%s:%s" % (PREFIX, key_id, base64.b64encode(sealed).decode("ascii"))


def parse_wrapped(wrapped):
    """(key_id, sealed bytes) of a wrapped-key string; WrappedKeyError if it is not keyops1."""
    if isinstance(wrapped, bytes):
        try:
            wrapped = wrapped.decode("ascii")
        except UnicodeDecodeError:
            raise WrappedKeyError("wrapped key is not ASCII text: not a keyops1 wrapped key") from None
    parts = wrapped.split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise WrappedKeyError(
            "wrapped key does not start with 'keyops1:<keyId>:': it was not wrapped by a keyops "
            "KmsClient (check parquet.encryption.kms.client.class / the writer's KmsClient)")
    key_id, text = parts[1], parts[2]
    if not is_key_id(key_id):
        raise WrappedKeyError("wrapped key names key id %r, which is not 32 lowercase hex "
                              "characters" % key_id[:40])
    try:
        sealed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WrappedKeyError("wrapped key for key id %s: its ciphertext is not standard Base64 "
                              "with padding" % key_id) from None
    if base64.b64encode(sealed).decode("ascii") != text:
        raise WrappedKeyError("wrapped key for key id %s: its Base64 is not canonical" % key_id)
    if len(sealed) < IV_SIZE + TAG_SIZE:
        raise WrappedKeyError(
            "wrapped key for key id %s: %d bytes of ciphertext, fewer than the %d of IV and tag"
            % (key_id, len(sealed), IV_SIZE + TAG_SIZE))
    return key_id, sealed


def _register():
    global _registered
    with _register_lock:
        if not _registered:
            aead.register()
            _registered = True


class RingKeyAead:
    """Tink's AES-256-GCM (RAW output prefix) keyed by one 32-byte ring key."""

    def __init__(self, ring_key):
        if len(ring_key) != 32:
            raise ValueError("a ring key is 32 bytes")
        _register()
        keyset = tink_pb2.Keyset(primary_key_id=1)
        entry = keyset.key.add()
        entry.key_data.type_url = "type.googleapis.com/google.crypto.tink.AesGcmKey"
        entry.key_data.value = aes_gcm_pb2.AesGcmKey(version=0, key_value=bytes(ring_key)) \
            .SerializeToString()
        entry.key_data.key_material_type = tink_pb2.KeyData.SYMMETRIC
        entry.status = tink_pb2.ENABLED
        entry.key_id = 1
        entry.output_prefix_type = tink_pb2.RAW
        self._aead = cleartext_keyset_handle.from_keyset(keyset).primitive(aead.Aead)

    def wrap(self, key_id, key_bytes):
        """The wrapped-key string of key_bytes under this ring key, which has id key_id."""
        key_bytes = bytes(key_bytes)
        if len(key_bytes) not in KEY_SIZES:
            raise ValueError("keyops wraps Parquet keys of 16, 24 or 32 bytes, got %d bytes"
                             % len(key_bytes))
        return format_wrapped(key_id, self._aead.encrypt(key_bytes, associated_data(key_id)))

    def unwrap(self, key_id, sealed):
        """The key bytes inside sealed; WrappedKeyError when it does not authenticate."""
        try:
            return self._aead.decrypt(sealed, associated_data(key_id))
        except tink.TinkError:
            raise WrappedKeyError(
                "wrapped key for key id %s does not authenticate under that key: the keyring's "
                "key %s has other material than the one that wrapped it, or the wrapped key was "
                "altered" % (key_id, key_id)) from None
