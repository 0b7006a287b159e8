"""Errors of keyops-parquet. Messages name what is wrong and what to do; never key material."""


class KeyopsParquetError(Exception):
    """Base class of every error keyops-parquet raises."""


class KeyringError(KeyopsParquetError):
    """The keyring file cannot be read or is not a keyops keyring.json (format 1)."""


class MasterKeyError(KeyopsParquetError):
    """A master key identifier that cannot be used to wrap (unknown form, other ring, no Primary,
    a key that may not encrypt)."""


class UnknownKeyError(KeyopsParquetError):
    """A wrapped key names a keyops key that the keyring does not hold."""


class KeyUnusableError(KeyopsParquetError):
    """The keyring names the key but its ring key cannot be obtained (bad material, provider
    unwrap refused or not supported)."""


class WrappedKeyError(KeyopsParquetError):
    """A wrapped-key string that is not in the keyops1 format, or that does not authenticate."""
