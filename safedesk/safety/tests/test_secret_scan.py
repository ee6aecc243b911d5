"""The secret scanner (`lib.secretscan`): recovery phrases in every wordlist and with every
separator, private keys, and the public values and ordinary text it must leave alone."""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from safedesk.lib import secretscan
from safedesk.lib.secretscan import Finding, redact, scan
from safedesk.safety.evaluation import evaluate

ABANDON_12 = "abandon " * 11 + "about"  # BIP39's first test vector
ZH_12 = "的 的 的 的 的 的 的 的 的 的 的 在"  # the same entropy in the simplified Chinese list


def _covered(text: str, findings: list[Finding], start: int, end: int, *, letters_only: bool = False) -> bool:
    marks = [False] * len(text)
    for f in findings:
        for i in range(f.start, f.end):
            marks[i] = True
    return all(marks[i] for i in range(start, end) if not letters_only or text[i].isalpha())


def test_it_finds_a_twelve_word_phrase_and_leaves_the_text_around_it() -> None:
    text = f"Hi, my wallet words are {ABANDON_12} please help"
    [found] = scan(text)
    assert found.kind == secretscan.MNEMONIC
    assert text[found.start : found.end] == ABANDON_12
    redacted, _ = redact(text)
    assert redacted == f"Hi, my wallet words are {secretscan.MARKERS[secretscan.MNEMONIC]} please help"
    assert redact(redacted) == (redacted, [])  # a redacted text passes again unchanged


@pytest.mark.parametrize(
    "separator",
    [" ", "\u3000", ", ", "，", "、", "\n", " - ", "; "],
)
def test_it_finds_phrases_with_any_separator_and_mixed_case(separator: str) -> None:
    words = ABANDON_12.split()
    words[3] = words[3].upper()
    words[7] = words[7].title()
    text = "请帮忙看一下" + separator.join(words) + "。谢谢"
    assert [f.kind for f in scan(text)] == [secretscan.MNEMONIC]
    zh_phrase = separator.join(ZH_12.split())
    zh = "我的助记词是" + zh_phrase + "对吗"
    assert _covered(zh, scan(zh), 6, 6 + len(zh_phrase), letters_only=True)


@pytest.mark.parametrize("style", ["{n}.{w}", "{n}. {w}", "{n}){w}", "({n}) {w}", "{c}{w}", "#{n} {w}"])
def test_it_finds_numbered_phrases(style: str) -> None:
    circled = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫"
    parts = [style.format(n=i + 1, w=w, c=circled[i]) for i, w in enumerate(ABANDON_12.split())]
    text = "words:\n" + "\n".join(parts) + "\nthanks"
    found = scan(text)
    assert found and found[0].kind == secretscan.MNEMONIC
    assert _covered(text, found, text.index(parts[0]), text.index("\nthanks"), letters_only=True)


def test_it_finds_chinese_phrases_written_without_separators_but_not_chinese_text() -> None:
    phrase = "的的的的的的的的的的的在"
    text = "花呗还款" + phrase + "怎么办"
    assert _covered(text, scan(text), 4, 4 + len(phrase))
    sentences = [
        "我的花呗账单已经还清了但是额度还没有恢复请问是什么原因",
        "为什么我的借呗额度突然降低了我一直按时还款的",
        "提币到外部钱包一直没有到账已经过去两个小时了请帮忙查一下",
    ]
    for s in sentences:
        assert scan(s) == [], s


def test_it_finds_every_dev_vector_in_every_language(eval_data: Path) -> None:
    vectors = json.loads((eval_data / "bip39_vectors" / "vectors_dev.json").read_text(encoding="utf-8"))
    missed = []
    for lang, rows in vectors.items():
        for _entropy, phrase, seed, xprv in rows:
            for text, start, end, words in (
                (f"这是 {phrase} 谢谢", 3, 3 + len(phrase), True),
                (f"seed {seed} ok", 5, 5 + len(seed), False),
                (f"backup: {xprv}.", 8, 8 + len(xprv), False),
            ):
                if not _covered(text, scan(text), start, end, letters_only=words):
                    missed.append((lang, text[start:end][:40]))
    assert missed == []


def test_it_finds_wif_keys_and_leaves_addresses_and_invalid_strings(eval_data: Path) -> None:
    data = json.loads((eval_data / "bitcoin_key_io" / "key_io_dev.json").read_text(encoding="utf-8"))
    for encoded, payload, meta in data["valid"]:
        text = f"my key {encoded} thanks"
        hex_text = f"私钥 {payload} 谢谢"
        if meta.get("isPrivkey"):
            assert [f.kind for f in scan(text)] == [secretscan.WIF], encoded
            assert [f.kind for f in scan(hex_text)] == [secretscan.HEX_KEY], payload
        else:
            assert scan(f"send it to {encoded} please") == [], encoded
    for item in data["invalid"]:
        assert scan(f"is {item[0]} right?") == [], item[0]


def test_it_keeps_transaction_hashes_and_public_keys() -> None:
    txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    for text in (
        f"my withdrawal txid {txid} has not arrived",
        f"交易哈希：{txid}",
        f"https://etherscan.io/tx/0x{txid}",
        f"0x{txid}",
        "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ):
        assert scan(text) == [], text


def test_it_takes_a_hex_key_when_the_text_calls_it_one() -> None:
    key = "ea577acfb5d1d14d3b7b195c321566f12f87d2b77ea3a53f68df7ebf8604a801"
    assert [f.kind for f in scan(f"private key: 0x{key}")] == [secretscan.HEX_KEY]
    assert [f.kind for f in scan(f"{key}")] == [secretscan.HEX_KEY]  # bare: it may be a key
    assert [f.kind for f in scan(f"这是我的私钥{key}")] == [secretscan.HEX_KEY]
    assert [f.kind for f in scan(key * 2)] == [secretscan.SEED_HEX]


def test_it_finds_pem_private_keys_and_keystore_ciphertext() -> None:
    pem = (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDf0j3Vn1Q0w1p2cR9wq1n9X7f9nq0cV2u8e5X6y7z8aoAoGCCqGSM49\n"
        "AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----"
    )
    text = f"here it is\n{pem}\nthanks"
    [found] = scan(text)
    assert found.kind == secretscan.PEM_KEY and text[found.start : found.end] == pem
    keystore = (
        '{"version":3,"id":"x","address":"008aeeda4d805471df9b2a5b0f38a0c3bcba786b","crypto":{"ciphertext":'
        '"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","cipherparams":{"iv":'
        '"6087dab2f9fdbbfaddc31a909735c1e6"},"cipher":"aes-128-ctr","kdf":"scrypt","mac":'
        '"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"}}'
    )
    text = f"my wallet file: {keystore} can you open it"
    [found] = scan(text)
    assert found.kind == secretscan.KEYSTORE and text[found.start : found.end] == keystore


def test_it_leaves_ordinary_text_and_partial_english_alone() -> None:
    for text in (
        "Is there any way that you can cancel that transaction for me so I can get my money back?",
        "I need to order a new card as my old one will expire soon. Can you tell me how to order a new one?",
        "abandon ability able about above absent",  # six words: too few to be a phrase
        "",
        "12345 678 90",
    ):
        assert scan(text) == [], text


def test_it_takes_a_long_list_of_wordlist_words_without_a_checksum_as_a_partial_phrase() -> None:
    partial = "\n".join(["letter", "advice", "cage", "absurd", "amount", "doctor", "acoustic", "avoid"])
    assert [f.kind for f in scan(f"are these right?\n{partial}")] == [secretscan.PARTIAL]


def test_it_scans_long_text_with_bounded_work() -> None:
    """Text that is nearly all wordlist characters or base58 must not take quadratic time: the
    windows are bounded by the longest phrase and base58 runs by _MAX_B58_RUN."""
    text = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面" * 40
    )[:4000]
    assert scan(text) == []  # the list's most common characters in a row read as text
    assert scan("1" * 100_000) == []


def test_it_meets_the_dev_set(eval_data: Path) -> None:
    report = evaluate(eval_data / "secret_shield_synth" / "dev.jsonl").as_dict()
    assert report["messages"] == 723
    assert report["recall_secret"] == 1.0, report["missed_ids"]
    assert report["fp_rate_not_secret"] == 0.0, report["flagged_ids"]


def test_it_stays_under_a_tenth_of_a_percent_false_positives_on_plain_support_text(
    eval_data: Path, tmp_path: Path
) -> None:
    with (eval_data / "banking77" / "train.csv").open(encoding="utf-8") as f:
        english = [row["text"].replace("\n", " ") for row in csv.DictReader(f)]
    chinese: list[str] = []
    for line in (eval_data / "afqmc" / "train.tsv").read_text(encoding="utf-8").splitlines():
        chinese.extend(line.split("\t")[:2])
    for name, lines in (("banking77", english), ("afqmc", chinese)):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = evaluate(path).as_dict()
        assert report["messages"] > 10_000
        assert report["fp_rate_not_secret"] <= 0.001, (name, report["flagged_ids"])


# ---- properties --------------------------------------------------------------------------------

LANGUAGES = ["english", "chinese_simplified", "chinese_traditional", "japanese", "korean", "spanish", "french"]
SEPARATORS = [" ", "\u3000", ", ", "，", "\n", "、"]
NUMBERINGS = ["", "{n}. ", "{n}.", "{n}) ", "{c}"]
CIRCLED = "".join(chr(0x2460 + i) for i in range(20)) + "㉑㉒㉓㉔"

_generators = {lang: Mnemonic(lang) for lang in LANGUAGES}
_filler = st.text(
    alphabet=st.sampled_from(
        list("abcdefghij klmnopqrstuvwxyz.,!?我的钱包在哪里为什么不能提币到账请帮忙 \n0123456789")
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lang=st.sampled_from(LANGUAGES),
    strength=st.sampled_from([128, 160, 192, 224, 256]),
    separator=st.sampled_from(SEPARATORS),
    numbering=st.sampled_from(NUMBERINGS),
    before=_filler,
    after=_filler,
    seed=st.binary(min_size=32, max_size=32),
)
def test_any_generated_phrase_anywhere_is_removed_whole(
    lang: str, strength: int, separator: str, numbering: str, before: str, after: str, seed: bytes
) -> None:
    words = _generators[lang].to_mnemonic(seed[: strength // 8]).split("\u3000" if lang == "japanese" else " ")
    parts = [numbering.format(n=i + 1, c=CIRCLED[i]) + w for i, w in enumerate(words)]
    phrase = separator.join(parts)
    text = f"{before} {phrase} {after}"
    start = len(before) + 1
    found = scan(text)
    assert _covered(text, found, start, start + len(phrase), letters_only=True), (lang, phrase)
    redacted, _ = redact(text)
    folded = unicodedata.normalize("NFKD", redacted).casefold()
    assert unicodedata.normalize("NFKD", separator.join(words)).casefold() not in folded


def test_it_takes_the_rest_of_a_numbered_list_after_a_phrase_in_it() -> None:
    # An 18-word list cut after its 17th word: a valid 12-word phrase and five more of the list.
    words = (ABANDON_12.split() + ["abandon"] * 5)[:17]
    text = "my words: " + " ".join(f"{i + 1}. {w}" for i, w in enumerate(words)) + " 18. thanks"
    redacted, found = redact(text)
    assert "abandon" not in redacted and "about" not in redacted
    assert redacted.startswith("my words: ") and redacted.endswith("thanks")
    assert len(found) == 1


@pytest.mark.parametrize("lang", ["spanish", "french", "turkish"])
def test_it_finds_phrases_typed_without_their_accents(lang: str) -> None:
    phrase = Mnemonic(lang).to_mnemonic(bytes(range(3, 19)))
    bare = "".join(c for c in unicodedata.normalize("NFKD", phrase) if not unicodedata.combining(c))
    assert bare != unicodedata.normalize("NFKD", phrase)
    redacted, found = redact(f"mis palabras: {bare} gracias")
    assert len(found) == 1 and redacted == f"mis palabras: {secretscan.MARKERS[secretscan.MNEMONIC]} gracias"
