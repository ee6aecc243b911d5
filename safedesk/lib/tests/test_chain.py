"""chain.classify on real-format hashes and addresses, and on what must be refused."""

from __future__ import annotations

import pytest

from safedesk.lib import chain
from safedesk.lib.chain import ChainRef

EVM_TX = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
BTC_TX = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"  # the genesis coinbase
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
BTC_P2PKH = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
BTC_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BECH32M = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SOLANA = "So11111111111111111111111111111111111111112"
SOLANA_TX = "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"


def _swap(text: str, index: int, alphabet: str) -> str:
    """`text` with the character at `index` replaced by the next one in `alphabet`."""
    char = text[index]
    replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
    return text[:index] + replacement + text[index + 1 :]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EVM_TX, ChainRef("tx", "evm", EVM_TX)),
        (EVM_TX.upper().replace("0X", "0x"), ChainRef("tx", "evm", EVM_TX)),
        (BTC_TX, ChainRef("tx", "", BTC_TX)),
        (BTC_TX.upper(), ChainRef("tx", "", BTC_TX)),
        (EVM_ADDRESS, ChainRef("address", "evm", EVM_ADDRESS.lower())),
        (EVM_ADDRESS.lower(), ChainRef("address", "evm", EVM_ADDRESS.lower())),
        (BTC_P2PKH, ChainRef("address", "bitcoin", BTC_P2PKH)),
        (BTC_P2SH, ChainRef("address", "bitcoin", BTC_P2SH)),
        (BECH32, ChainRef("address", "bitcoin", BECH32)),
        (BECH32.upper(), ChainRef("address", "bitcoin", BECH32)),
        (BECH32M, ChainRef("address", "bitcoin", BECH32M)),
        (TRON, ChainRef("address", "tron", TRON)),
        (SOLANA, ChainRef("address", "solana", SOLANA)),
        (f"  {BTC_P2PKH}\n", ChainRef("address", "bitcoin", BTC_P2PKH)),
    ],
)
def test_it_classifies_real_hashes_and_addresses(value: str, expected: ChainRef) -> None:
    assert chain.classify(value) == expected


def test_it_classifies_a_solana_transaction_signature() -> None:
    assert chain.classify(SOLANA_TX) == ChainRef("tx", "solana", SOLANA_TX)


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32_CHARS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@pytest.mark.parametrize("index", [5, 17, -1])
def test_it_refuses_a_bitcoin_address_with_one_character_changed(index: int) -> None:
    assert chain.classify(_swap(BTC_P2PKH, index, B58)) is None
    assert chain.classify(_swap(BTC_P2SH, index, B58)) is None


@pytest.mark.parametrize("index", [5, 20, -1])
def test_it_refuses_a_bech32_address_with_one_character_changed(index: int) -> None:
    assert chain.classify(_swap(BECH32, index, BECH32_CHARS)) is None
    assert chain.classify(_swap(BECH32M, index, BECH32_CHARS)) is None


@pytest.mark.parametrize("index", [3, 20, -1])
def test_it_refuses_a_tron_address_with_one_character_changed(index: int) -> None:
    assert chain.classify(_swap(TRON, index, B58)) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "hello",
        "my wallet address is in the screenshot",
        "0x123",
        "0x" + "a" * 63,  # one short of a hash
        "a" * 63,
        "0x" + "a" * 65,
        "0x" + "a" * 39,  # one short of an address
        "0x" + "g" * 64,  # not hex
        "0x" + "a" * 64 + "\nsecond line",
        "bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # mixed case
        "ltc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",  # another chain's prefix
        BTC_P2PKH[:-4],  # truncated
        "T" + "1" * 33,  # TRON-shaped, no valid checksum
        "0O1Il" * 8,  # characters outside base58
        "https://etherscan.io/tx/" + EVM_TX,
    ],
)
def test_it_refuses_what_is_no_hash_or_address(value: str) -> None:
    assert chain.classify(value) is None
