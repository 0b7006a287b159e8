"""The pyarrow half of dev/test-parquet: keyrings, pyarrow-written PME files in every variant of the
key tools, and a reader that checks every file's rows (the Java half is
parquet/src/test/java/dev/keyops/parquet/interop/PyarrowInterop.java, same rows).

    pq_interop.py keyrings DIR RING          keyring-A.json (A Primary), keyring-AB.json (A Retired,
                                             B Primary), keyring-B.json (B only); prints A and B
    pq_interop.py write DIR KEYRING RING     writes py-*.parquet (and sidecars) with keyring KEYRING
    pq_interop.py read DIR KEYRING [--expect-fail]   reads every *.parquet in DIR
    pq_interop.py keys DIR                   the ring key ids each file's key material names
    pq_interop.py rotate DIR KEYRING         pyarrow's rotate_master_keys on external key material
    pq_interop.py classify DIR OLD NEW       prints: files, how many read with OLD, with NEW; fails
                                             when a file reads back equal with neither

A file that does not read back equal fails the run with its name; no key material is printed.
"""

import argparse
import base64
import datetime
import glob
import json
import os
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe

import keyops_parquet

ROWS = 1000
NO_CACHE = datetime.timedelta(seconds=0)


def expected_table():
    return pa.table({"id": pa.array(range(ROWS), pa.int64()),
                     "ssn": pa.array(["%09d" % (i * 7919) for i in range(ROWS)]),
                     "amount": pa.array([i * 0.25 for i in range(ROWS)], pa.float64())})


def variants(ring, pinned_key_id):
    """(file name, EncryptionConfiguration kwargs) of every variant pyarrow writes."""
    alias = "ring-" + ring
    out = []
    for internal in (True, False):
        for double in (True, False):
            for plain in (False, True):
                name = "py-%s-%s-%s-columnkeys.parquet" % (
                    "int" if internal else "ext", "double" if double else "single",
                    "plainfooter" if plain else "encfooter")
                out.append((name, dict(footer_key=alias, column_keys={alias: ["ssn"]},
                                       internal_key_material=internal, double_wrapping=double,
                                       plaintext_footer=plain)))
    out.append(("py-int-double-encfooter-uniform.parquet",
                dict(footer_key=alias, uniform_encryption=True, internal_key_material=True,
                     double_wrapping=True)))
    out.append(("py-ext-single-encfooter-uniform.parquet",
                dict(footer_key=alias, uniform_encryption=True, internal_key_material=False,
                     double_wrapping=False)))
    # the footer key pinned to a key id, the column key following the ring
    out.append(("py-int-single-encfooter-pinned.parquet",
                dict(footer_key=pinned_key_id, column_keys={alias: ["ssn"]},
                     internal_key_material=True, double_wrapping=False)))
    return out


def cmd_keyrings(args):
    os.makedirs(args.dir, exist_ok=True)
    a, b = uuid.uuid4().hex, uuid.uuid4().hex

    def entry(kid, name, state, material):
        return {"keyId": kid, "name": name, "state": state, "provider": "managed",
                "material": base64.b64encode(material).decode("ascii")}

    ma, mb = os.urandom(32), os.urandom(32)
    docs = {
        "keyring-A.json": (a, [entry(a, args.ring + "-a", "Primary", ma)]),
        "keyring-AB.json": (b, [entry(a, args.ring + "-a", "Retired", ma),
                                entry(b, args.ring + "-b", "Primary", mb)]),
        "keyring-B.json": (b, [entry(b, args.ring + "-b", "Primary", mb)]),
    }
    for name, (primary, keys) in docs.items():
        with open(os.path.join(args.dir, name), "w", encoding="utf-8") as f:
            json.dump({"format": 1, "namespace": "interop", "keyRing": args.ring,
                       "primaryKeyId": primary, "keys": keys}, f)
    print(a, b)


def cmd_write(args):
    os.makedirs(args.dir, exist_ok=True)
    factory = keyops_parquet.crypto_factory()
    conn = keyops_parquet.kms_connection_config(args.keyring)
    primary = keyops_parquet.KeyringFile(args.keyring).current().primary_key_id
    table = expected_table()
    for name, kwargs in variants(args.ring, primary):
        path = os.path.join(args.dir, name)
        config = pe.EncryptionConfiguration(cache_lifetime=NO_CACHE, **kwargs)
        props = factory.file_encryption_properties(conn, config, path)
        pq.write_table(table, path, encryption_properties=props, row_group_size=300)
        print("wrote", name)


def cmd_write_plain(args):
    """The same table without encryption, for the worker's --parquet-encrypt-plaintext."""
    os.makedirs(args.dir, exist_ok=True)
    pq.write_table(expected_table(), os.path.join(args.dir, "py-plain.parquet"), row_group_size=300)
    print("wrote py-plain.parquet")


def read_one(factory, conn, path):
    props = factory.file_decryption_properties(
        conn, pe.DecryptionConfiguration(cache_lifetime=NO_CACHE), path)
    return pq.read_table(path, decryption_properties=props)


def cmd_read(args):
    files = sorted(glob.glob(os.path.join(args.dir, "*.parquet")))
    if not files:
        sys.exit("no *.parquet files in %s" % args.dir)
    conn = keyops_parquet.kms_connection_config(args.keyring)
    want = expected_table().to_pydict()
    bad = []
    for path in files:
        factory = keyops_parquet.crypto_factory()  # no keys cached from another file
        name = os.path.basename(path)
        try:
            got = read_one(factory, conn, path).to_pydict()
        except Exception as e:  # pyarrow's message, with keyops' reason inside
            if args.expect_fail:
                print("refused", name, "(%s)" % str(e).splitlines()[0][:160])
                continue
            bad.append("%s does not read with pyarrow: %s" % (name, e))
            continue
        if args.expect_fail:
            bad.append("%s read without the key it was written with" % name)
        elif got != want:
            bad.append("%s: rows differ from what was written" % name)
        else:
            print("read", name, len(got["id"]), "rows")
    for b in bad:
        print("FAIL:", b, file=sys.stderr)
    print("%d files, %d failed" % (len(files), len(bad)))
    sys.exit(1 if bad else 0)


def file_key_ids(path):
    """The ring key ids named in a file's key material (footer key_metadata or sidecar), without
    decrypting anything: the wrapped keys are keyops1:<keyId>:..., found in the bytes."""
    sidecar = os.path.join(os.path.dirname(path), "_KEY_MATERIAL_FOR_" +
                           os.path.basename(path) + ".json")
    sources = [path] + ([sidecar] if os.path.exists(sidecar) else [])
    ids = set()
    for source in sources:
        with open(source, "rb") as f:
            data = f.read()
        start = 0
        while True:
            i = data.find(b"keyops1:", start)
            if i < 0:
                break
            ids.add(data[i + 8:i + 40].decode("ascii"))
            start = i + 8
    return sorted(ids)


def cmd_keys(args):
    for path in sorted(glob.glob(os.path.join(args.dir, "*.parquet"))):
        print(os.path.basename(path), ",".join(file_key_ids(path)))


def cmd_classify(args):
    """Each file must read back equal with the old keyring or with the new one (crash safety)."""
    files = sorted(glob.glob(os.path.join(args.dir, "*.parquet")))
    want = expected_table().to_pydict()
    counts, bad = [0, 0], []
    for path in files:
        for i, keyring in enumerate((args.old, args.new)):
            try:
                got = read_one(keyops_parquet.crypto_factory(),
                               keyops_parquet.kms_connection_config(keyring), path).to_pydict()
            except Exception:
                continue
            if got == want:
                counts[i] += 1
                break
        else:
            bad.append(os.path.basename(path))
    print(len(files), counts[0], counts[1])
    for name in bad:
        print("FAIL: %s reads back with neither keyring" % name, file=sys.stderr)
    sys.exit(1 if bad else 0)


def cmd_rotate(args):
    factory = keyops_parquet.crypto_factory()
    conn = keyops_parquet.kms_connection_config(args.keyring)
    for path in sorted(glob.glob(os.path.join(args.dir, "*.parquet"))):
        name = os.path.basename(path)
        if os.path.exists(os.path.join(args.dir, "_KEY_MATERIAL_FOR_" + name + ".json")):
            factory.rotate_master_keys(conn, path, double_wrapping=False,
                                       cache_lifetime_seconds=0)
            print("rotated", name)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("keyrings")
    s.add_argument("dir")
    s.add_argument("ring")
    s.set_defaults(run=cmd_keyrings)
    s = sub.add_parser("write")
    s.add_argument("dir")
    s.add_argument("keyring")
    s.add_argument("ring")
    s.set_defaults(run=cmd_write)
    s = sub.add_parser("write-plain")
    s.add_argument("dir")
    s.set_defaults(run=cmd_write_plain)
    s = sub.add_parser("read")
    s.add_argument("dir")
    s.add_argument("keyring")
    s.add_argument("--expect-fail", action="store_true")
    s.set_defaults(run=cmd_read)
    s = sub.add_parser("keys")
    s.add_argument("dir")
    s.set_defaults(run=cmd_keys)
    s = sub.add_parser("classify")
    s.add_argument("dir")
    s.add_argument("old")
    s.add_argument("new")
    s.set_defaults(run=cmd_classify)
    s = sub.add_parser("rotate")
    s.add_argument("dir")
    s.add_argument("keyring")
    s.set_defaults(run=cmd_rotate)
    args = p.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
