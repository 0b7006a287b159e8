"""Write an encrypted Parquet file with pyarrow, keyops keys as the master keys.

    pip install ./python/keyops-parquet          # from the keyops repository: pyarrow, tink
    KEYOPS_KEYRING=/etc/keyops/keyring.json python write_events.py events.parquet [RING]

The footer and the `card` column are encrypted under the key ring's current Primary
(masterKeyID ring-<RING>, default events); the other columns under the footer key. Key material
goes into a sidecar (_KEY_MATERIAL_FOR_events.parquet.json) so a rotation re-wraps the sidecar
instead of rewriting the file. See docs/parquet.md.
"""

import datetime
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe

import keyops_parquet


def main(path, ring="events"):
    table = pa.table({"id": pa.array(range(5), pa.int64()),
                      "card": ["4111-0000-0000-000%d" % i for i in range(5)],
                      "amount": [12.5, 3.0, 99.99, 0.5, 42.0]})
    factory = keyops_parquet.crypto_factory()
    kms = keyops_parquet.kms_connection_config()  # $KEYOPS_KEYRING, or pass the path
    config = pe.EncryptionConfiguration(
        footer_key="ring-" + ring,
        column_keys={"ring-" + ring: ["card"]},
        double_wrapping=False,         # no KEK cache: a rotation reaches writers at once
        internal_key_material=False,   # sidecar: rotation re-wraps it, the data stays
        cache_lifetime=datetime.timedelta(seconds=60))
    props = factory.file_encryption_properties(kms, config, path)
    pq.write_table(table, path, encryption_properties=props)
    print("wrote %s (%d rows)" % (path, table.num_rows))


if __name__ == "__main__":
    main(*sys.argv[1:])
