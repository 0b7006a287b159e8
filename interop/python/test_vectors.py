"""Decrypts the published test vectors (docs/test-vectors/partition-v1) with keyops_partition.py
and checks what vectors.json says. Run: python3 -m unittest test_vectors (dev/interop does)."""

import hashlib
import json
import os
import unittest

import keyops_partition as kp

VECTORS = os.environ.get("KEYOPS_VECTORS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "test-vectors", "partition-v1")


class TestVectors(unittest.TestCase):

    def test_vectors(self):
        with open(os.path.join(VECTORS, "vectors.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        keyring = kp.Keyring.load(os.path.join(VECTORS, manifest["keyring"]))
        self.assertGreaterEqual(len(manifest["vectors"]), 8)
        for v in manifest["vectors"]:
            path = os.path.join(VECTORS, v["file"])
            with self.subTest(v["file"]):
                if v["expect"] == "plaintext":
                    plain, key_id = kp.decrypt(path, keyring)
                    self.assertEqual(v["plaintextLength"], len(plain))
                    self.assertEqual(v["plaintextSha256"], hashlib.sha256(plain).hexdigest())
                    self.assertEqual(v["keyId"], key_id)
                    info = kp.inspect(path)
                    self.assertEqual(v["partitionId"], info["partitionId"])
                    self.assertEqual(v["slots"], info["slots"])
                elif v["expect"] == "corrupt":
                    with self.assertRaises(kp.Corrupt):
                        kp.decrypt(path, keyring)
                elif v["expect"] == "not-encrypted":
                    with self.assertRaises(kp.NotEncrypted):
                        kp.decrypt(path, keyring)
                else:
                    self.fail("unknown expectation %r" % v["expect"])

    def test_a_key_missing_from_the_keyring_is_unknown_not_corrupt(self):
        with open(os.path.join(VECTORS, "keyring.json"), encoding="utf-8") as f:
            doc = json.load(f)
        with open(os.path.join(VECTORS, "vectors.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        fresh = next(v for v in manifest["vectors"] if v["file"] == "fresh-small.kpart")
        doc["keys"] = [k for k in doc["keys"] if k["keyId"] != fresh["keyId"]]
        with self.assertRaises(kp.UnknownKey):
            kp.decrypt(os.path.join(VECTORS, "fresh-small.kpart"), kp.Keyring(doc))


if __name__ == "__main__":
    unittest.main()
