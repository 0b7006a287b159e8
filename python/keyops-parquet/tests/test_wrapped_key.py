import base64
import os
import unittest

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyops_parquet import RingKeyAead, WrappedKeyError, format_wrapped, parse_wrapped
from keyops_parquet.wrapped_key import associated_data

from support import key_id


class WrappedKeyFormatTest(unittest.TestCase):
    def setUp(self):
        self.ring_key = os.urandom(32)
        self.kid = key_id()
        self.aead = RingKeyAead(self.ring_key)

    def test_layout_is_aes_256_gcm_iv_ciphertext_tag_with_the_documented_associated_data(self):
        dek = os.urandom(16)
        wrapped = self.aead.wrap(self.kid, dek)
        prefix, kid, text = wrapped.split(":")
        self.assertEqual("keyops1", prefix)
        self.assertEqual(self.kid, kid)
        sealed = base64.b64decode(text, validate=True)
        self.assertEqual(12 + 16 + 16, len(sealed))
        # an independent AES-GCM (the cryptography package) opens it: the layout is as documented
        opened = AESGCM(self.ring_key).decrypt(
            sealed[:12], sealed[12:], b"keyops-parquet/v1/" + self.kid.encode("ascii"))
        self.assertEqual(dek, opened)

    def test_reads_what_an_independent_implementation_wrote(self):
        dek = os.urandom(32)
        iv = os.urandom(12)
        sealed = iv + AESGCM(self.ring_key).encrypt(iv, dek, associated_data(self.kid))
        kid, parsed = parse_wrapped(format_wrapped(self.kid, sealed))
        self.assertEqual(self.kid, kid)
        self.assertEqual(dek, self.aead.unwrap(kid, parsed))

    def test_each_wrap_uses_a_fresh_iv(self):
        dek = os.urandom(16)
        self.assertNotEqual(self.aead.wrap(self.kid, dek), self.aead.wrap(self.kid, dek))

    def test_the_key_id_is_authenticated(self):
        other = key_id()
        _, sealed = parse_wrapped(self.aead.wrap(self.kid, os.urandom(16)))
        with self.assertRaisesRegex(WrappedKeyError, "does not authenticate"):
            self.aead.unwrap(other, sealed)

    def test_a_flipped_bit_does_not_authenticate(self):
        _, sealed = parse_wrapped(self.aead.wrap(self.kid, os.urandom(16)))
        bad = bytearray(sealed)
        bad[20] ^= 1
        with self.assertRaisesRegex(WrappedKeyError, "does not authenticate"):
            self.aead.unwrap(self.kid, bytes(bad))

    def test_another_ring_key_does_not_open_it(self):
        _, sealed = parse_wrapped(self.aead.wrap(self.kid, os.urandom(16)))
        with self.assertRaises(WrappedKeyError):
            RingKeyAead(os.urandom(32)).unwrap(self.kid, sealed)

    def test_malformed_strings_are_refused_with_what_is_wrong(self):
        good = self.aead.wrap(self.kid, os.urandom(16))
        _, kid, text = good.split(":")
        cases = {
            "keyops2:%s:%s" % (kid, text): "does not start with 'keyops1",
            "%s:%s" % (kid, text): "does not start with 'keyops1",
            "keyops1:%s:%s" % (kid.upper(), text): "not 32 lowercase hex",
            "keyops1:%s:%s" % (kid[:30], text): "not 32 lowercase hex",
            "keyops1:%s:%s" % (kid, text.rstrip("=")): "not standard Base64",
            "keyops1:%s:%s" % (kid, text.replace("+", "-").replace("/", "_")
                               if ("+" in text or "/" in text) else "*" + text[1:]):
                "not standard Base64",
            "keyops1:%s:%s" % (kid, base64.b64encode(os.urandom(27)).decode()):
                "27 bytes of ciphertext, fewer than the 28",
            "keyops1:%s:%s:x" % (kid, text): "does not start with 'keyops1",
            "": "does not start with 'keyops1",
        }
        for wrapped, message in cases.items():
            with self.subTest(wrapped=wrapped):
                with self.assertRaisesRegex(WrappedKeyError, message):
                    parse_wrapped(wrapped)

    def test_non_canonical_base64_is_refused(self):
        # 44 bytes -> 60 Base64 chars ending in one '='; change the last significant char so the
        # unused low bits are non-zero: it decodes to the same bytes but is not canonical.
        sealed = bytes(44)
        text = base64.b64encode(sealed).decode()
        self.assertTrue(text.endswith("A="))
        with self.assertRaisesRegex(WrappedKeyError, "not canonical"):
            parse_wrapped("keyops1:%s:%s" % (self.kid, text[:-2] + "B="))

    def test_only_parquet_key_sizes_are_wrapped(self):
        for size in (16, 24, 32):
            wrapped = self.aead.wrap(self.kid, bytes(size))
            self.assertEqual(bytes(size), self.aead.unwrap(*parse_wrapped(wrapped)))
        with self.assertRaisesRegex(ValueError, "16, 24 or 32"):
            self.aead.wrap(self.kid, bytes(20))

    def test_bytes_input_is_accepted_as_pyarrow_may_pass_it(self):
        wrapped = self.aead.wrap(self.kid, bytes(16))
        self.assertEqual((self.kid, parse_wrapped(wrapped)[1]),
                         parse_wrapped(wrapped.encode("ascii")))


if __name__ == "__main__":
    unittest.main()
