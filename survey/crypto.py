"""Small, named uses of `cryptography`: keyed hashes, key derivation and sealed boxes.

Every secret the app needs is derived from one input keying material and a purpose string,
so that a key made for one purpose can never be confused with another.
"""

from __future__ import annotations

import functools
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

NONCE_BYTES = 12
#: The padded plaintext starts with the real length in this many bytes.
LENGTH_BYTES = 4


class CannotOpen(Exception):
    """The sealed data was not made with this key (or was altered)."""


class TooLarge(ValueError):
    """The plaintext does not fit the fixed size it must be padded to."""


def derive_key(secret: bytes | str, purpose: str, length: int = 32) -> bytes:
    """HKDF-SHA256 of ``secret`` for one ``purpose``."""
    if isinstance(secret, str):
        secret = secret.encode()
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()
    ).derive(secret)


def instance_derived(secret: str, purpose: str) -> bytes:
    """:func:`derive_key` of the instance secret, its first step (HKDF's extract, which
    depends on the secret alone) done once per process: a key that must not be kept (a
    round's link key) is still derived afresh, at one HMAC instead of two."""
    return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=purpose.encode()).derive(
        _instance_prk(secret))


@functools.lru_cache(maxsize=16)
def instance_key(secret: str, purpose: str) -> bytes:
    """:func:`derive_key` of the instance secret, once per process: the secret itself is in
    the process's configuration anyway, and every request needs a few of these."""
    return instance_derived(secret, purpose)


@functools.lru_cache(maxsize=4)
def _instance_prk(secret: str) -> bytes:
    """HKDF's extract step without a salt (RFC 5869: a salt of zeros)."""
    return hmac.digest(bytes(hashes.SHA256.digest_size), secret.encode(), "sha256")


def keyed_digest(key: bytes, message: bytes | str) -> bytes:
    """HMAC-SHA256."""
    if isinstance(message, str):
        message = message.encode()
    return hmac.digest(key, message, "sha256")


def keyed_hash(key: bytes, message: bytes | str) -> str:
    """HMAC-SHA256 as 64 hex digits."""
    return keyed_digest(key, message).hex()


def seal(key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """AES-256-GCM: a fresh random nonce followed by ciphertext and tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def unseal(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except (InvalidTag, ValueError) as exc:
        raise CannotOpen from exc


def seal_padded(key: bytes, plaintext: bytes, size: int, associated: bytes = b"") -> bytes:
    """:func:`seal` of the plaintext padded to exactly ``size`` bytes, so every value sealed
    for one purpose has one length whatever it holds (a length would pair a sealed value with
    its copy in clear, docs/anonymity.md). Refuses a plaintext that does not fit."""
    if len(plaintext) > size:
        raise TooLarge(f"{len(plaintext)} bytes do not fit a sealed size of {size}")
    padded = len(plaintext).to_bytes(LENGTH_BYTES, "big") + plaintext.ljust(size, b"\0")
    return seal(key, padded, associated)


def unseal_padded(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    padded = unseal(key, sealed, associated)
    length = int.from_bytes(padded[:LENGTH_BYTES], "big")
    if length > len(padded) - LENGTH_BYTES:
        raise CannotOpen
    return padded[LENGTH_BYTES:LENGTH_BYTES + length]
