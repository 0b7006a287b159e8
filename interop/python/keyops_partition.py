"""A reader of keyops partitions, format version 1, written from docs/partition-format.md alone.

It shares no code with the Java library; it needs only the `cryptography` package. It is the
proof that the document is complete: dev/test runs test_vectors.py against the published test
vectors.

    python3 keyops_partition.py --keyring keyring.json PARTITION > plain.bin

Nothing is written to the output until the whole partition has authenticated.
"""

import argparse
import base64
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"KOPS"
VERSION = 1
PREFIX_SIZE = 24
SLOT_SIZE = 96
SLOT_OFFSETS = (24, 120)
HEADER_SIZE = 216
BODY_HEADER_SIZE = 40
SALT_SIZE = 32
NONCE_PREFIX_SIZE = 7
SEGMENT_SIZE = 1048576
TAG_SIZE = 16


class PartitionError(Exception):
    """A partition that cannot be read."""


class NotEncrypted(PartitionError):
    """A plain file where an encrypted partition is required (section 2)."""


class Corrupt(PartitionError):
    """A partition that does not parse or fails authentication."""


class UnknownKey(PartitionError):
    """No slot's key id is in the keyring."""


class Keyring:
    """The ring keys of a keyring.json (section 1), by key id (32 hex characters).

    gcpKms keys need `unwrap(kms_key_name, wrapped_key, associated_data) -> bytes`; without it
    they are unusable.
    """

    def __init__(self, document, unwrap=None):
        if document.get("format") != 1:
            raise ValueError("keyring.json has format %r; this reader reads format 1"
                             % document.get("format"))
        self.primary_key_id = document.get("primaryKeyId")
        self._entries = {e["keyId"]: e for e in document.get("keys") or []}
        self._unwrap = unwrap
        self._keys = {}

    @classmethod
    def load(cls, path, unwrap=None):
        with open(path, "rb") as f:
            return cls(json.loads(f.read().decode("utf-8")), unwrap)

    def __contains__(self, key_id):
        return key_id in self._entries

    def ring_key(self, key_id):
        """The 32-byte ring key, or None when it is unusable."""
        if key_id not in self._keys:
            e = self._entries[key_id]
            key = None
            try:
                if e.get("material") is not None:
                    key = base64.b64decode(e["material"], validate=True)
                elif e.get("wrappedKey") is not None and self._unwrap is not None:
                    key = self._unwrap(e["kmsKeyName"], base64.b64decode(e["wrappedKey"]),
                                       (e.get("associatedData") or "").encode("utf-8"))
            except Exception:  # an unusable key, not a corrupt partition; never echo material
                key = None
            self._keys[key_id] = key if key is not None and len(key) == 32 else None
        return self._keys[key_id]


def _parse_slot(raw):
    if raw == bytes(SLOT_SIZE):
        return None
    key_id = raw[0:16].hex()
    (generation,) = struct.unpack(">Q", raw[16:24])
    return {"keyId": key_id, "generation": generation, "wrapped": raw[24:84]}


def read_header(f):
    """Section 2 and 3: (prefix, [slot0, slot1]); a slot is None when empty."""
    head = f.read(HEADER_SIZE)
    if len(head) < 4 or head[0:4] != MAGIC:
        raise NotEncrypted("the file is not encrypted (no KOPS magic)")
    if len(head) < HEADER_SIZE:
        raise Corrupt("the header is truncated")
    if head[4] != VERSION:
        raise Corrupt("unsupported format version %d" % head[4])
    slots = [_parse_slot(head[o:o + SLOT_SIZE]) for o in SLOT_OFFSETS]
    if slots[0] is None and slots[1] is None:
        raise Corrupt("both key slots are empty")
    return head[0:PREFIX_SIZE], slots


def _slot_order(slots):
    present = [s for s in slots if s is not None]
    if len(present) == 2 and present[1]["generation"] > present[0]["generation"]:
        present.reverse()  # highest generation first; on a tie, slot 0
    return present


def open_data_key(prefix, slots, keyring):
    """Section 4: (data key, the slot that opened it)."""
    first_error = None
    for slot in _slot_order(slots):
        try:
            if slot["keyId"] not in keyring:
                raise UnknownKey("key %s is not in the keyring" % slot["keyId"])
            ring_key = keyring.ring_key(slot["keyId"])
            if ring_key is None:
                raise UnknownKey("key %s is unusable" % slot["keyId"])
            aad = prefix + bytes.fromhex(slot["keyId"]) + struct.pack(">Q", slot["generation"])
            wrapped = slot["wrapped"]
            try:
                data_key = AESGCM(ring_key).decrypt(wrapped[0:12], wrapped[12:60], aad)
            except InvalidTag:
                raise Corrupt("key slot (key %s, generation %d) fails authentication"
                              % (slot["keyId"], slot["generation"]))
            if len(data_key) != 32:
                raise Corrupt("the data key is not 32 bytes")
            return data_key, slot
        except PartitionError as e:
            first_error = first_error or e
    raise first_error


def decrypt_segments(f, file_size, prefix, data_key):
    """Section 5: yields the plaintext of each segment, in order. `f` is at offset 216."""
    body_header = f.read(BODY_HEADER_SIZE)
    if len(body_header) != BODY_HEADER_SIZE or body_header[0] != BODY_HEADER_SIZE:
        raise Corrupt("the body header is truncated or malformed")
    salt = body_header[1:1 + SALT_SIZE]
    nonce_prefix = body_header[1 + SALT_SIZE:BODY_HEADER_SIZE]
    segment_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=prefix).derive(data_key)
    gcm = AESGCM(segment_key)
    position = HEADER_SIZE + BODY_HEADER_SIZE
    index = 0
    while True:
        full = SEGMENT_SIZE - HEADER_SIZE - BODY_HEADER_SIZE if index == 0 else SEGMENT_SIZE
        remaining = file_size - position
        last = remaining <= full
        size = remaining if last else full
        if size < TAG_SIZE:
            raise Corrupt("the body is truncated (segment %d)" % index)
        segment = f.read(size)
        if len(segment) != size:
            raise Corrupt("the body is truncated (segment %d)" % index)
        nonce = nonce_prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")
        try:
            yield gcm.decrypt(nonce, segment, None)
        except InvalidTag:
            raise Corrupt("segment %d fails authentication (tampered or truncated)" % index)
        position += size
        index += 1
        if last:
            return


def inspect(path):
    """The header of a partition: {"partitionId", "slots"} (slots without wrapped keys)."""
    with open(path, "rb") as f:
        prefix, slots = read_header(f)
    return {"partitionId": prefix[8:24].hex(),
            "slots": [None if s is None else {"keyId": s["keyId"], "generation": s["generation"]}
                      for s in slots]}


def decrypt(path, keyring):
    """(plaintext bytes, key id of the partition). Raises a PartitionError."""
    with open(path, "rb") as f:
        file_size = os.fstat(f.fileno()).st_size
        prefix, slots = read_header(f)
        data_key, slot = open_data_key(prefix, slots, keyring)
        return b"".join(decrypt_segments(f, file_size, prefix, data_key)), slot["keyId"]


def main(argv=None):
    p = argparse.ArgumentParser(description="Decrypt a keyops partition (format 1) to stdout.")
    p.add_argument("--keyring", required=True, help="keyring.json")
    p.add_argument("partition")
    a = p.parse_args(argv)
    try:
        plain, key_id = decrypt(a.partition, Keyring.load(a.keyring))
    except PartitionError as e:
        print("%s: %s" % (a.partition, e), file=sys.stderr)
        return 1
    sys.stdout.buffer.write(plain)
    print("%s: key %s, %d bytes" % (a.partition, key_id, len(plain)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
