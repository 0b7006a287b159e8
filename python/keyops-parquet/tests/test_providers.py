"""transit and awsKms keys against real local servers: OpenBao's bao binary in dev mode (KEYOPS_BAO,
from dev/openbao) and moto's AWS KMS (KEYOPS_MOTO, from dev/moto, with boto3 installed). Each test
class starts its server on a free loopback port and stops it. Without the variable the class is
skipped, and says so; dev/test-parquet always sets both."""

import base64
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

import keyops_parquet as kp
from keyops_parquet import KeyopsKmsClient, KeyringFile, KeyUnusableError
from keyops_parquet.wrapped_key import parse_wrapped

from support import SecretVolume, document, key_id

BAO = os.environ.get("KEYOPS_BAO")
MOTO = os.environ.get("KEYOPS_MOTO")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process, what):
    deadline = time.monotonic() + 60  # a failure deadline, not a speed target
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, process.returncode))
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError("%s did not answer at %s within 60 s" % (what, url))


def start(args, url, what, env=None):
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(url, process, what)
    except Exception:
        process.kill()
        process.wait()
        log.seek(0)
        raise RuntimeError("%s: %s" % (what, log.read()[-2000:].decode("utf-8", "replace")))
    return process, log


def stop(process, log):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@unittest.skipUnless(BAO, "KEYOPS_BAO (the bao binary, dev/openbao) not set: transit not tested")
class TransitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.address = "http://127.0.0.1:%d" % cls.port
        cls.process, cls.log = start(
            [BAO, "server", "-dev", "-dev-root-token-id=root",
             "-dev-listen-address=127.0.0.1:%d" % cls.port],
            cls.address + "/v1/sys/health", "bao server -dev")
        cls.api("sys/mounts/transit", {"type": "transit"})
        cls.api("transit/keys/events", {"type": "aes256-gcm96"})
        cls.api("sys/policies/acl/encrypt-only",
                {"policy": 'path "transit/encrypt/events" { capabilities = ["update"] }'})
        cls.limited = cls.api("auth/token/create", {"policies": ["encrypt-only"]})["auth"][
            "client_token"]
        cls.tokens = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        stop(cls.process, cls.log)

    @classmethod
    def api(cls, path, body, token="root"):
        request = urllib.request.Request(cls.address + "/v1/" + path,
                                         data=json.dumps(body).encode(), method="POST",
                                         headers={"X-Vault-Token": token})
        with urllib.request.urlopen(request, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text else {}

    def entry(self, ring_key, associated_data, claimed=None):
        ct = self.api("transit/encrypt/events", {
            "plaintext": base64.b64encode(ring_key).decode(),
            "associated_data": base64.b64encode(associated_data.encode()).decode()})
        kid = key_id()
        return {"keyId": kid, "name": "events-t", "state": "Primary", "provider": "transit",
                "kmsKeyName": "events",
                "transit": {"address": self.address, "mount": "transit"},
                "wrappedKey": base64.b64encode(ct["data"]["ciphertext"].encode()).decode(),
                "associatedData": claimed if claimed is not None else associated_data}

    def client(self, entry, token):
        token_file = os.path.join(self.tokens, key_id())
        with open(token_file, "w") as f:
            f.write(token)
        volume = SecretVolume()
        self.addCleanup(volume.remove)
        volume.publish(document([entry], entry["keyId"]))
        unwrapper = kp.TransitUnwrapper.from_environment({"KEYOPS_TRANSIT_TOKEN_FILE": token_file})
        return KeyopsKmsClient(KeyringFile(volume.path, {"transit": unwrapper}))

    def test_a_transit_key_wraps_and_unwraps_parquet_keys(self):
        ring_key = os.urandom(32)
        entry = self.entry(ring_key, "keyops/v1/default/events/events-t")
        client = self.client(entry, "root")
        wrapped = client.wrap_key(b"p" * 16, "ring-events")
        self.assertEqual(entry["keyId"], parse_wrapped(wrapped)[0])
        self.assertEqual(b"p" * 16, client.unwrap_key(wrapped, "ring-events"))
        # the ring key is the Transit plaintext: an independent wrap with it opens the same way
        self.assertEqual(b"q" * 16, client.unwrap_key(
            kp.RingKeyAead(ring_key).wrap(entry["keyId"], b"q" * 16), "ring-events"))

    def test_wrong_associated_data_is_refused_by_transit(self):
        entry = self.entry(os.urandom(32), "keyops/v1/default/events/events-t",
                           claimed="keyops/v1/default/events/other")
        with self.assertRaisesRegex(KeyUnusableError, "transit.*HTTP 400"):
            self.client(entry, "root").wrap_key(bytes(16), "ring-events")

    def test_a_token_without_decrypt_names_the_policy_line(self):
        entry = self.entry(os.urandom(32), "keyops/v1/default/events/events-t")
        with self.assertRaisesRegex(KeyUnusableError, 'HTTP 403.*path "transit/decrypt/events" '
                                                      r'\{ capabilities = \["update"\] \}'):
            self.client(entry, self.limited).wrap_key(bytes(16), "ring-events")


@unittest.skipUnless(MOTO, "KEYOPS_MOTO (moto_server, dev/moto) not set: awsKms not tested")
class AwsKmsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import boto3  # noqa: F401 (fails the class clearly when boto3 is missing)
        for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "eu-west-1"}.items():
            os.environ.setdefault(k, v)
        cls.port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        cls.process, cls.log = start([MOTO, "-H", "127.0.0.1", "-p", str(cls.port)],
                                     cls.endpoint + "/moto-api/", "moto_server")
        cls.kms = boto3.client("kms", region_name="eu-west-1", endpoint_url=cls.endpoint)
        cls.kms_key = cls.kms.create_key()["KeyMetadata"]["KeyId"]
        cls.kms.create_alias(AliasName="alias/events", TargetKeyId=cls.kms_key)

    @classmethod
    def tearDownClass(cls):
        stop(cls.process, cls.log)

    def entry(self, ring_key, context, claimed=None):
        blob = self.kms.encrypt(KeyId="alias/events", Plaintext=ring_key,
                                EncryptionContext=context)["CiphertextBlob"]
        return {"keyId": key_id(), "name": "events-a", "state": "Primary", "provider": "awsKms",
                "kmsKeyName": "alias/events",
                "awsKms": {"keyId": "alias/events", "region": "eu-west-1",
                           "endpoint": self.endpoint,
                           "encryptionContext": claimed if claimed is not None else context},
                "wrappedKey": base64.b64encode(blob).decode(),
                "associatedData": "keyops/" + context["keyops"]}

    def client(self, entry):
        volume = SecretVolume()
        self.addCleanup(volume.remove)
        volume.publish(document([entry], entry["keyId"]))
        return KeyopsKmsClient(KeyringFile(volume.path, {"awsKms": kp.AwsKmsUnwrapper()}))

    def test_an_aws_kms_key_wraps_and_unwraps_parquet_keys(self):
        ring_key = os.urandom(32)
        entry = self.entry(ring_key, {"keyops": "v1/default/events/events-a"})
        client = self.client(entry)
        wrapped = client.wrap_key(b"a" * 32, "ring-events")
        self.assertEqual(b"a" * 32, client.unwrap_key(wrapped, "ring-events"))
        self.assertEqual(b"b" * 16, client.unwrap_key(
            kp.RingKeyAead(ring_key).wrap(entry["keyId"], b"b" * 16), "ring-events"))

    def test_a_wrong_encryption_context_is_refused(self):
        entry = self.entry(os.urandom(32), {"keyops": "v1/default/events/events-a"},
                           claimed={"keyops": "v1/default/events/other"})
        with self.assertRaisesRegex(KeyUnusableError, "AWS KMS Decrypt of key .* refused"):
            self.client(entry).wrap_key(bytes(16), "ring-events")


if __name__ == "__main__":
    unittest.main()
