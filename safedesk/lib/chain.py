"""Format checks for what customers paste about on-chain transfers: transaction hashes and
addresses. These are public data (not secrets); the checks only catch typos and wrong fields,
they do not prove that a transfer or an address exists."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

_HEX64 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# Base58 of 32 bytes (an address) or of 64 bytes (a transaction signature).
_SOLANA_LIKE = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$|^[1-9A-HJ-NP-Za-km-z]{86,88}$")


@dataclass(frozen=True)
class ChainRef:
    kind: str  # "tx" or "address"
    network: str  # evm, bitcoin, tron, solana, or "" when the form fits several
    value: str


def _b58decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            return None
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\x00" * pad + raw


def _b58check(text: str) -> bytes | None:
    raw = _b58decode(text)
    if raw is None or len(raw) < 5:
        return None
    body, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != checksum:
        return None
    return body


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def _bech32_ok(text: str) -> bool:
    if text.lower() != text and text.upper() != text:
        return False
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > 90:
        return False
    hrp, data = text[:pos], text[pos + 1 :]
    if hrp not in {"bc", "tb"} or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]
    # 1 for bech32 (segwit v0), 0x2BC830A3 for bech32m (taproot and later).
    return _bech32_polymod(values) in {1, 0x2BC830A3}


def classify(value: str) -> ChainRef | None:
    """What `value` is (after trimming), or None when it is neither a transaction hash nor an
    address in a form we know."""
    text = value.strip()
    if _HEX64.match(text):
        return ChainRef("tx", "evm" if text.startswith("0x") else "", text.lower())
    if _EVM_ADDRESS.match(text):
        # Lowercase: the checksum capitals (EIP-55) are not checked here and must not make one
        # address two.
        return ChainRef("address", "evm", text.lower())
    if text.startswith("T") and len(text) == 34:
        body = _b58check(text)
        if body is not None and len(body) == 21 and body[0] == 0x41:
            return ChainRef("address", "tron", text)
    if text[:1] in {"1", "3", "m", "n", "2"} and 25 <= len(text) <= 35:
        body = _b58check(text)
        if body is not None and len(body) == 21 and body[0] in {0x00, 0x05, 0x6F, 0xC4}:
            return ChainRef("address", "bitcoin", text)
    if text.lower().startswith(("bc1", "tb1")) and _bech32_ok(text):
        return ChainRef("address", "bitcoin", text.lower())
    if _SOLANA_LIKE.match(text):
        raw = _b58decode(text)
        if raw is not None and len(raw) == 32:
            return ChainRef("address", "solana", text)
        if raw is not None and len(raw) == 64:
            return ChainRef("tx", "solana", text)
    return None
