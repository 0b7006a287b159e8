"""The published test vectors of the keyops1 wrapped-key format (docs/test-vectors/parquet/,
docs/parquet-keys.md), which the Java KmsClient also checks: both sides produce and accept
exactly the same strings."""

import base64
import json
import os
import unittest

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyops_parquet import (KeyopsKmsClient, KeyringFile, UnknownKeyError, WrappedKeyError,
                            parse_wrapped)

VECTORS = os.environ.get("KEYOPS_PARQUET_VECTORS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "test-vectors",
    "parquet")


class TestVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(VECTORS, "vectors.json"), encoding="utf-8") as f:
            cls.vectors = json.load(f)
        cls.client = KeyopsKmsClient(KeyringFile(os.path.join(VECTORS, cls.vectors["keyring"])))

    def test_the_vectors_are_keyops1(self):
        self.assertEqual("keyops1", self.vectors["format"])
        self.assertGreaterEqual(len(self.vectors["valid"]), 3)
        self.assertGreaterEqual(len(self.vectors["invalid"]), 5)

    def test_an_independent_aes_gcm_produces_each_valid_string(self):
        for v in self.vectors["valid"]:
            with self.subTest(v["name"]):
                self.assertEqual("keyops-parquet/v1/" + v["keyId"], v["associatedData"])
                iv = bytes.fromhex(v["ivHex"])
                sealed = iv + AESGCM(base64.b64decode(v["ringKeyMaterial"])).encrypt(
                    iv, bytes.fromhex(v["keyHex"]), v["associatedData"].encode("utf-8"))
                text = "keyops1:%s:%s" % (v["keyId"], base64.b64encode(sealed).decode("ascii"))
                self.assertEqual(v["wrapped"], text)

    def test_the_kms_client_unwraps_each_valid_string(self):
        for v in self.vectors["valid"]:
            with self.subTest(v["name"]):
                self.assertEqual(v["keyId"], parse_wrapped(v["wrapped"])[0])
                self.assertEqual(bytes.fromhex(v["keyHex"]),
                                 self.client.unwrap_key(v["wrapped"],
                                                        self.vectors["ringMasterKeyId"]))

    def test_the_ring_master_key_wraps_under_the_vectors_primary(self):
        primary = self.client.keyring_file.current().primary_key_id
        wrapped = self.client.wrap_key(bytes(16), self.vectors["ringMasterKeyId"])
        self.assertEqual(primary, parse_wrapped(wrapped)[0])
        self.assertEqual(bytes(16), self.client.unwrap_key(wrapped, primary))

    def test_each_invalid_string_is_refused_as_its_vector_says(self):
        expected = {"malformed": WrappedKeyError, "unauthentic": WrappedKeyError,
                    "unknown-key": UnknownKeyError}
        for v in self.vectors["invalid"]:
            with self.subTest(v["name"]):
                if v["expect"] == "malformed":
                    with self.assertRaises(WrappedKeyError):
                        parse_wrapped(v["wrapped"])
                else:
                    parse_wrapped(v["wrapped"])  # it parses
                with self.assertRaises(expected[v["expect"]]) as caught:
                    self.client.unwrap_key(v["wrapped"], self.vectors["ringMasterKeyId"])
                if v["expect"] == "unauthentic":
                    self.assertIn("does not authenticate", str(caught.exception))
                # no error message quotes the wrapped key
                self.assertNotIn(v["wrapped"].split(":")[-1], str(caught.exception))


if __name__ == "__main__":
    unittest.main()
