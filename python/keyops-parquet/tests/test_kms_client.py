import datetime
import itertools
import os
import re
import shutil
import tempfile
import unittest

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe

import keyops_parquet as kp
from keyops_parquet import KeyopsKmsClient, KeyringFile, MasterKeyError, UnknownKeyError
from keyops_parquet.kms_client import keyring_path
from keyops_parquet.wrapped_key import parse_wrapped

from support import SecretVolume, document, key_id, managed


class MasterKeyTest(unittest.TestCase):
    def setUp(self):
        self.volume = SecretVolume()
        self.addCleanup(self.volume.remove)
        self.a, self.b, self.s = key_id(), key_id(), key_id()
        self.keys = {k: managed(k, "Staged") for k in (self.a, self.b, self.s)}
        self.publish({self.a: "Primary", self.b: "Retired", self.s: "Staged"}, self.a)
        self.client = KeyopsKmsClient(KeyringFile(self.volume.path))

    def publish(self, states, primary):
        self.volume.publish(document([dict(self.keys[k], state=v) for k, v in states.items()],
                                     primary))

    def test_ring_alias_wraps_with_the_primary(self):
        kid, _ = parse_wrapped(self.client.wrap_key(bytes(16), "ring-events"))
        self.assertEqual(self.a, kid)

    def test_ring_alias_follows_a_rotation_without_a_restart(self):
        wrapped_a = self.client.wrap_key(b"k" * 16, "ring-events")
        self.publish({self.a: "Retired", self.b: "Retired", self.s: "Primary"}, self.s)
        self.assertEqual(self.s, parse_wrapped(self.client.wrap_key(bytes(16), "ring-events"))[0])
        self.assertEqual(b"k" * 16, self.client.unwrap_key(wrapped_a, "ring-events"))

    def test_another_rings_alias_is_refused(self):
        with self.assertRaisesRegex(MasterKeyError, "names key ring 'orders', but .* is key ring "
                                                    "'events'.*mount the orders-keyring"):
            self.client.wrap_key(bytes(16), "ring-orders")

    def test_a_ring_without_primary_is_refused(self):
        self.publish({self.s: "Staged"}, None)
        with self.assertRaisesRegex(MasterKeyError, "has no Primary key yet.*activate"):
            self.client.wrap_key(bytes(16), "ring-events")

    def test_a_primary_key_id_wraps(self):
        self.assertEqual(self.a, parse_wrapped(self.client.wrap_key(bytes(16), self.a))[0])

    def test_staged_retired_and_unknown_key_ids_do_not_wrap(self):
        for kid, message in [(self.s, "is Staged"), (self.b, "is Retired"),
                             (key_id(), "is not a key of key ring default/events")]:
            with self.subTest(message=message):
                with self.assertRaisesRegex(MasterKeyError, message):
                    self.client.wrap_key(bytes(16), kid)

    def test_other_forms_are_refused(self):
        for mk in ["events", "ring", self.a.upper(), "ring-", "kms:%s" % self.a, ""]:
            with self.subTest(mk=mk):
                with self.assertRaises(MasterKeyError):
                    self.client.wrap_key(bytes(16), mk)

    def test_unwrap_uses_the_key_id_inside_the_wrapped_key(self):
        wrapped = self.client.wrap_key(b"x" * 16, "ring-events")
        self.assertEqual(b"x" * 16, self.client.unwrap_key(wrapped, "whatever-the-file-says"))

    def test_a_key_id_master_key_must_match_the_wrapped_key(self):
        wrapped = self.client.wrap_key(b"x" * 16, "ring-events")
        self.assertEqual(b"x" * 16, self.client.unwrap_key(wrapped, self.a))
        with self.assertRaisesRegex(kp.WrappedKeyError, "names masterKeyID %s but its key is "
                                                        "wrapped by ring key %s" % (self.b, self.a)):
            self.client.unwrap_key(wrapped, self.b)

    def test_every_state_unwraps(self):
        for kid in (self.a, self.b, self.s):
            wrapped = self.client.keyring_file.aead(kid).wrap(kid, b"y" * 24)
            self.assertEqual(b"y" * 24, self.client.unwrap_key(wrapped, "ring-events"))

    def test_a_dropped_key_no_longer_unwraps(self):
        wrapped = self.client.wrap_key(b"x" * 16, "ring-events")
        self.publish({self.s: "Primary"}, self.s)
        with self.assertRaisesRegex(UnknownKeyError, "keyops key %s is not in" % self.a):
            self.client.unwrap_key(wrapped, "ring-events")


class KeyringPathTest(unittest.TestCase):
    """The keyring path is found as the Java KmsClient finds it."""

    def test_custom_conf_then_environment_then_instance_url(self):
        env = {"KEYOPS_KEYRING": "/env/keyring.json"}
        conn = pe.KmsConnectionConfig(kms_instance_url="file:///url/keyring.json",
                                      custom_kms_conf={"keyops.parquet.keyring": "/p/k.json"})
        self.assertEqual("/p/k.json", keyring_path(conn, env))
        conn = pe.KmsConnectionConfig(kms_instance_url="file:///url/keyring.json")
        self.assertEqual("/env/keyring.json", keyring_path(conn, env))
        self.assertEqual("/url/keyring.json", keyring_path(conn, {}))
        conn = pe.KmsConnectionConfig(kms_instance_url="/plain/keyring.json")
        self.assertEqual("/plain/keyring.json", keyring_path(conn, {}))
        self.assertEqual("/env/keyring.json", keyring_path(pe.KmsConnectionConfig(), env))

    def test_the_connection_config_derives_instance_id_and_token_from_the_path(self):
        conn = kp.kms_connection_config("/p/../p/k.json")
        self.assertEqual({"keyops.parquet.keyring": "/p/k.json"}, conn.custom_kms_conf)
        self.assertRegex(conn.kms_instance_id, "^keyops-[0-9a-f]{16}$")
        self.assertEqual(conn.kms_instance_id, conn.key_access_token)
        self.assertNotEqual(conn.kms_instance_id, kp.kms_connection_config("/q/k.json")
                            .kms_instance_id)
        self.assertEqual("", conn.kms_instance_url, "no path is recorded in the files")
        old = os.environ.get("KEYOPS_KEYRING")
        self.addCleanup(lambda: os.environ.__setitem__("KEYOPS_KEYRING", old) if old
                        else os.environ.pop("KEYOPS_KEYRING", None))
        os.environ["KEYOPS_KEYRING"] = "/env/keyring.json"
        self.assertEqual({"keyops.parquet.keyring": "/env/keyring.json"},
                         kp.kms_connection_config().custom_kms_conf)
        del os.environ["KEYOPS_KEYRING"]
        with self.assertRaisesRegex(kp.KeyringError, "needs the path of the mounted keyring"):
            kp.kms_connection_config()

    def test_nowhere_says_where_to_set_it(self):
        with self.assertRaisesRegex(kp.KeyringError, "does not know where the keyring is"):
            keyring_path(pe.KmsConnectionConfig(), {})


TABLE = pa.table({"id": pa.array(range(1000), pa.int64()),
                  "ssn": pa.array(["%09d" % (i * 7919) for i in range(1000)]),
                  "amount": pa.array([i * 0.25 for i in range(1000)])})


class PyarrowRoundTripTest(unittest.TestCase):
    """pyarrow's CryptoFactory with keyops' KmsClient, every variant of the key tools."""

    def setUp(self):
        self.volume = SecretVolume()
        self.addCleanup(self.volume.remove)
        self.dir = tempfile.mkdtemp(prefix="keyops-parquet-files-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.a = key_id()
        self.volume.publish(document([managed(self.a, "Primary")], self.a))
        self.factory = kp.crypto_factory()
        self.conn = kp.kms_connection_config(self.volume.path)

    def write(self, name, internal, double, plaintext_footer, column_keys):
        path = os.path.join(self.dir, name)
        config = pe.EncryptionConfiguration(
            footer_key="ring-events", column_keys=column_keys or None, double_wrapping=double,
            internal_key_material=internal, plaintext_footer=plaintext_footer,
            uniform_encryption=not column_keys, cache_lifetime=datetime.timedelta(seconds=0))
        props = self.factory.file_encryption_properties(self.conn, config, path)
        pq.write_table(TABLE, path, encryption_properties=props)
        return path

    def read(self, path, factory=None, conn=None):
        factory = factory or self.factory
        conn = conn or self.conn
        props = factory.file_decryption_properties(
            conn, pe.DecryptionConfiguration(cache_lifetime=datetime.timedelta(seconds=0)), path)
        return pq.read_table(path, decryption_properties=props)

    def test_every_variant_round_trips(self):
        for internal, double, plain, keyed in itertools.product([True, False], repeat=4):
            columns = {"ring-events": ["ssn"]} if keyed else {}
            name = "t-%d%d%d%d.parquet" % (internal, double, plain, keyed)
            with self.subTest(name=name):
                path = self.write(name, internal, double, plain, columns)
                self.assertTrue(self.read(path).equals(TABLE))
                sidecar = os.path.join(self.dir, "_KEY_MATERIAL_FOR_" + name + ".json")
                self.assertEqual(not internal, os.path.exists(sidecar))
                with open(path, "rb") as f:
                    head = f.read(4)
                # pyarrow 26 writes an encrypted footer under uniform encryption even when a
                # plaintext footer is asked for (docs/parquet.md, limits)
                self.assertEqual(b"PAR1" if plain and keyed else b"PARE", head)

    def test_without_the_key_pyarrow_reports_keyops_error(self):
        path = self.write("x.parquet", True, False, False, {"ring-events": ["ssn"]})
        other = key_id()
        self.volume.publish(document([managed(other, "Primary")], other))
        fresh = kp.crypto_factory()  # no cached keys from the write
        with self.assertRaisesRegex(Exception, "keyops key %s is not in key ring" % self.a):
            self.read(path, factory=fresh)

    def test_one_factory_two_keyrings_each_reader_uses_its_own(self):
        """The key tools cache clients per instance id and fall back to the instance URL recorded
        in the file: a reader's own keyring path must win over both."""
        path = self.write("w.parquet", True, False, False, {"ring-events": ["ssn"]})
        other_volume = SecretVolume()
        self.addCleanup(other_volume.remove)
        b = key_id()
        other_volume.publish(document([managed(b, "Primary")], b))
        self.assertTrue(self.read(path).equals(TABLE))  # cached client and keys for self.conn
        with self.assertRaisesRegex(Exception, "keyops key %s is not in" % self.a):
            self.read(path, conn=kp.kms_connection_config(other_volume.path))

    def test_one_factory_two_keyrings_of_one_ring_never_share_a_cached_kek(self):
        """Double wrapping caches KEKs per access token and masterKeyID: ring-events of a second
        keyring (another Primary) must not get the first keyring's KEK."""
        other_volume = SecretVolume()
        self.addCleanup(other_volume.remove)
        b = key_id()
        other_volume.publish(document([managed(b, "Primary")], b))
        for volume, kid, name in [(self.volume, self.a, "k1.parquet"),
                                  (other_volume, b, "k2.parquet")]:
            config = pe.EncryptionConfiguration(footer_key="ring-events", uniform_encryption=True,
                                                double_wrapping=True, internal_key_material=False)
            path = os.path.join(self.dir, name)
            props = self.factory.file_encryption_properties(
                kp.kms_connection_config(volume.path), config, path)
            pq.write_table(TABLE, path, encryption_properties=props)
            with open(os.path.join(self.dir, "_KEY_MATERIAL_FOR_" + name + ".json")) as f:
                text = f.read()
            self.assertEqual({kid}, set(re.findall("keyops1:([0-9a-f]{32}):", text)), name)

    def test_plaintext_footer_is_readable_without_keys_only_where_unencrypted(self):
        path = self.write("p.parquet", True, False, True, {"ring-events": ["ssn"]})
        table = pq.read_table(path, columns=["id", "amount"])
        self.assertEqual(TABLE.select(["id", "amount"]), table)
        with self.assertRaises(Exception):
            pq.read_table(path, columns=["ssn"])

    def test_the_file_names_the_alias_and_the_wrapped_keys_name_the_key(self):
        path = self.write("e.parquet", False, False, False, {})
        sidecar = os.path.join(self.dir, "_KEY_MATERIAL_FOR_e.parquet.json")
        with open(sidecar, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('\\"masterKeyID\\":\\"ring-events\\"', text)
        self.assertIn("keyops1:%s:" % self.a, text)
        self.assertTrue(os.path.exists(path))


if __name__ == "__main__":
    unittest.main()
