"""Read an encrypted Parquet file with pyarrow through the keyops keyring.

    KEYOPS_KEYRING=/etc/keyops/keyring.json python read_events.py events.parquet

Any key still in the keyring (Staged, Primary or Retired) decrypts; a file on a key that was
dropped fails with "keyops key <id> is not in key ring ...". See docs/parquet.md.
"""

import sys

import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe

import keyops_parquet


def main(path):
    factory = keyops_parquet.crypto_factory()
    kms = keyops_parquet.kms_connection_config()
    props = factory.file_decryption_properties(kms, pe.DecryptionConfiguration(), path)
    table = pq.read_table(path, decryption_properties=props)
    print(table.to_pandas().to_string() if hasattr(table, "to_pandas") and _has_pandas()
          else table.to_pydict())


def _has_pandas():
    try:
        import pandas  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main(*sys.argv[1:])
