"""Keyrings on disk for the tests, laid out as the kubelet lays out a Secret volume: the file
is a symlink through `..data` to a timestamped directory, replaced by swapping `..data`."""

import base64
import json
import os
import shutil
import tempfile
import uuid


def key_id():
    return uuid.uuid4().hex


def managed(kid, state, name=None, material=None):
    material = material if material is not None else os.urandom(32)
    return {"keyId": kid, "name": name or "key-" + kid[:6], "state": state,
            "provider": "managed", "material": base64.b64encode(material).decode("ascii")}


def document(keys, primary=None, ring="events", namespace="default"):
    doc = {"format": 1, "namespace": namespace, "keyRing": ring, "keys": keys}
    if primary is not None:
        doc["primaryKeyId"] = primary
    return doc


class SecretVolume:
    """A directory like a mounted Secret: keyring.json -> ..data/keyring.json."""

    def __init__(self, root=None):
        self.root = root or tempfile.mkdtemp(prefix="keyops-parquet-test-")
        self.path = os.path.join(self.root, "keyring.json")
        self._generation = 0

    def publish(self, doc):
        self._generation += 1
        target = os.path.join(self.root, "..%d_%s" % (self._generation, uuid.uuid4().hex[:6]))
        os.mkdir(target)
        with open(os.path.join(target, "keyring.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(doc) if not isinstance(doc, str) else doc)
        tmp_link = os.path.join(self.root, "..data_tmp")
        os.symlink(os.path.basename(target), tmp_link)
        old = os.path.realpath(os.path.join(self.root, "..data")) \
            if os.path.islink(os.path.join(self.root, "..data")) else None
        os.replace(tmp_link, os.path.join(self.root, "..data"))  # the atomic swap
        if not os.path.islink(self.path):
            os.symlink("..data/keyring.json", self.path)
        if old:
            shutil.rmtree(old)
        return self.path

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
