"""keyops keys as master keys of Parquet Modular Encryption in pyarrow (docs/parquet.md)."""

from .errors import (KeyopsParquetError, KeyringError, KeyUnusableError, MasterKeyError,
                     UnknownKeyError, WrappedKeyError)
from .keyring import Keyring, KeyringFile
from .kms_client import (KEYRING_PATH_PROPERTY, KeyopsKmsClient, crypto_factory,
                         kms_client_factory, kms_connection_config)
from .providers import AwsKmsUnwrapper, TransitUnwrapper, default_unwrappers
from .wrapped_key import RingKeyAead, format_wrapped, parse_wrapped

__all__ = [
    "KeyopsParquetError", "KeyringError", "KeyUnusableError", "MasterKeyError", "UnknownKeyError",
    "WrappedKeyError", "Keyring", "KeyringFile", "KEYRING_PATH_PROPERTY", "KeyopsKmsClient",
    "crypto_factory", "kms_client_factory", "kms_connection_config", "AwsKmsUnwrapper",
    "TransitUnwrapper", "default_unwrappers", "RingKeyAead", "format_wrapped", "parse_wrapped",
]
