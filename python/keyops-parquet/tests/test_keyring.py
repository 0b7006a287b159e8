import base64
import json
import os
import unittest

from keyops_parquet import (KeyringError, KeyringFile, KeyUnusableError, UnknownKeyError)
from keyops_parquet.wrapped_key import parse_wrapped

from support import SecretVolume, document, key_id, managed


class KeyringFileTest(unittest.TestCase):
    def setUp(self):
        self.volume = SecretVolume()
        self.addCleanup(self.volume.remove)
        self.a = key_id()

    def test_reloads_when_the_kubelet_swaps_the_symlink(self):
        self.volume.publish(document([managed(self.a, "Primary")], self.a))
        keyring = KeyringFile(self.volume.path)
        self.assertEqual(self.a, keyring.current().primary_key_id)
        b = key_id()
        self.volume.publish(document([managed(self.a, "Retired"), managed(b, "Primary")], b))
        self.assertEqual(b, keyring.current().primary_key_id)
        self.assertEqual(2, keyring.reloads)
        keyring.current()
        self.assertEqual(2, keyring.reloads, "an unchanged file is not re-read")

    def test_a_changed_material_is_never_served_from_the_cache(self):
        first, second = os.urandom(32), os.urandom(32)
        self.volume.publish(document([managed(self.a, "Primary", material=first)], self.a))
        keyring = KeyringFile(self.volume.path)
        wrapped = keyring.aead(self.a).wrap(self.a, bytes(16))
        self.volume.publish(document([managed(self.a, "Primary", material=second)], self.a))
        with self.assertRaisesRegex(Exception, "does not authenticate"):
            keyring.aead(self.a).unwrap(*parse_wrapped(wrapped))

    def test_keeps_the_last_good_keyring_while_the_file_is_missing(self):
        self.volume.publish(document([managed(self.a, "Primary")], self.a))
        keyring = KeyringFile(self.volume.path)
        os.rename(os.path.join(self.volume.root, "..data"),
                  os.path.join(self.volume.root, "..gone"))
        self.assertEqual(self.a, keyring.current().primary_key_id)

    def test_a_missing_file_at_start_says_what_to_mount(self):
        with self.assertRaisesRegex(KeyringError, "cannot read keyring file .*mount the "
                                                  "<keyRing>-keyring Secret"):
            KeyringFile(os.path.join(self.volume.root, "keyring.json"))

    def test_bad_documents_are_refused_with_what_is_wrong(self):
        dup = managed(self.a, "Primary")
        cases = [
            ("not json", "is not UTF-8 JSON"),
            (json.dumps([1]), "is not a JSON object"),
            (json.dumps({"format": 2, "keys": []}), "has format 2; keyops-parquet reads format 1"),
            (json.dumps(document([{"keyId": "ABC", "state": "Primary"}])),
             "keyId 'ABC', not 32 lowercase hex"),
            (json.dumps(document([dup, dup], self.a)), "appears twice"),
            (json.dumps(document([], self.a)), "primaryKeyId %s is not among its keys" % self.a),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                self.volume.publish(text)
                with self.assertRaisesRegex(KeyringError, message):
                    KeyringFile(self.volume.path)

    def test_bad_material_is_unusable_and_never_echoed(self):
        for material, message in [("AAAA", "is 3 bytes, a ring key is 32"),
                                  ("!!" + "A" * 42, "not standard Base64"),
                                  (base64.b64encode(bytes(32)).decode()[:-2] + "B=",
                                   "not canonical")]:
            with self.subTest(message=message):
                entry = managed(self.a, "Primary")
                entry["material"] = material
                self.volume.publish(document([entry], self.a))
                with self.assertRaisesRegex(KeyUnusableError, message) as caught:
                    KeyringFile(self.volume.path).aead(self.a)
                self.assertNotIn(material, str(caught.exception))

    def test_an_unknown_key_names_the_ring(self):
        self.volume.publish(document([managed(self.a, "Primary")], self.a))
        other = key_id()
        with self.assertRaisesRegex(UnknownKeyError, "keyops key %s is not in key ring "
                                                     "default/events" % other):
            KeyringFile(self.volume.path).aead(other)

    def test_a_kms_key_is_unwrapped_once_per_process_across_reloads(self):
        ring_key = os.urandom(32)
        calls = []

        def unwrap(entry):
            calls.append(entry["keyId"])
            return ring_key

        entry = {"keyId": self.a, "name": "t", "state": "Primary", "provider": "transit",
                 "kmsKeyName": "events", "wrappedKey": base64.b64encode(b"vault:v1:x").decode(),
                 "associatedData": "keyops/v1/default/events/t",
                 "transit": {"address": "http://127.0.0.1:1", "mount": "transit"}}
        self.volume.publish(document([entry], self.a))
        keyring = KeyringFile(self.volume.path, {"transit": unwrap})
        wrapped = keyring.aead(self.a).wrap(self.a, bytes(16))
        b = key_id()
        self.volume.publish(document([entry, managed(b, "Staged")], self.a))
        self.assertEqual(bytes(16), keyring.aead(self.a).unwrap(*parse_wrapped(wrapped)))
        self.assertEqual([self.a], calls)

    def test_a_kms_key_without_an_unwrapper_says_how_to_get_one(self):
        entry = {"keyId": self.a, "state": "Primary", "provider": "gcpKms",
                 "kmsKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
                 "wrappedKey": base64.b64encode(b"x").decode(), "associatedData": "a"}
        self.volume.publish(document([entry], self.a))
        with self.assertRaisesRegex(KeyUnusableError, "gcpKms key: keyops-parquet has no "
                                                      "unwrapper.*unwrappers=\\{'gcpKms'"):
            KeyringFile(self.volume.path).aead(self.a)

    def test_an_unwrapper_failure_is_unusable_with_its_reason(self):
        def refuse(entry):
            raise RuntimeError("403 permission denied on transit/decrypt/events")

        entry = {"keyId": self.a, "state": "Primary", "provider": "transit",
                 "kmsKeyName": "events", "wrappedKey": base64.b64encode(b"v").decode()}
        self.volume.publish(document([entry], self.a))
        keyring = KeyringFile(self.volume.path, {"transit": refuse})
        with self.assertRaisesRegex(KeyUnusableError, "unwrapping its data key failed: 403"):
            keyring.aead(self.a)


if __name__ == "__main__":
    unittest.main()
