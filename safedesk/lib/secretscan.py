"""Find wallet secrets in text: BIP39 recovery phrases and private keys (pure, no models).

`scan(text)` returns where the secrets are; `safety.shield` (the service boundary) removes them
before anything is stored, logged, indexed or sent. What is found:

* **Recovery phrases** of 12, 15, 18, 21 or 24 words from any BIP39 wordlist the `mnemonic`
  package ships, compared after NFKD normalisation and case folding, whose checksum holds.
  Words may be separated by anything that is not a letter (spaces, the ideographic space,
  commas of both widths, newlines, numbering such as `1.` `1)` `①`, stray punctuation) or, for
  the Chinese lists, by nothing at all. Every window of the right length whose checksum holds
  is found, so a phrase is found wherever it sits, whatever its neighbours are.
* **Partial phrases**: runs of at least `PARTIAL_WORDS` separated words of one wordlist, without
  a valid checksum (a phrase with a typo, or part of one).
* **Private keys**: WIF and extended private keys (xprv, yprv, zprv, tprv, …) whose base58check
  checksum holds; 128-hex-digit seeds; 64-hex-digit keys, unless the text just around names
  them a transaction's id (txid, hash, 交易哈希, an explorer's `/tx/` link) — and a
  `0x`-prefixed one only when the text before calls it a key (`0x…64` is what an Ethereum transaction hash looks like);
  PEM private key blocks (`-----BEGIN … PRIVATE KEY-----`, to their END line); encrypted
  wallet files (a JSON object with a `ciphertext`, such as an Ethereum keystore), whole.

Public values — addresses, extended public keys, transaction hashes — are not secrets and are
left alone. Chinese running text is the hard case: nearly every common character is in the
Chinese wordlists, and one window of twelve in sixteen passes a 12-word checksum by chance. A
window of characters written together (no separators) therefore counts only when it does not
read as language (`_reads_random`).
"""

from __future__ import annotations

import contextvars
import hashlib
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

# Finding kinds (stable: stored in audit counts, shown in the evaluation).
MNEMONIC = "bip39_mnemonic"
PARTIAL = "bip39_partial"
SEED_HEX = "bip39_seed_hex"
XPRV = "bip32_xprv"
WIF = "wif"
HEX_KEY = "hex_privkey"
PEM_KEY = "pem_private_key"
KEYSTORE = "keystore"

PHRASE_LENGTHS = (12, 15, 18, 21, 24)
# Separated wordlist words in a row, without a valid checksum, that count as part of a phrase:
# in a list (one per line, numbered, comma-separated) PARTIAL_WORDS; otherwise, as in running
# English, where common words are in the list too, PARTIAL_WORDS_SPACED.
PARTIAL_WORDS = 8
PARTIAL_WORDS_SPACED = 12
# A window of Chinese characters written together (no separators) counts only when it does not
# read as language, or repeats a few characters (what the corner-case phrases look like):
JOINED_MAX_WORDS = 1  # at most this many neighbouring pairs that are words of jieba's dictionary
JOINED_MIN_LOG_RANK = 5.3  # and a mean log(rank + 1) in the frequency-ordered list of at least this
MAX_GAP = 12  # characters between two words of one phrase (", 12. " and the like)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int


# ---- wordlists -------------------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A token is one Han character (the Chinese lists are single characters, often written without
# spaces) or a run of other letters (with combining marks, for text that is not NFC: the
# Japanese list's kana with dakuten decompose under NFKD).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f"
# Numerals that are not decimal digits (①, ⑴, ², ½ …) count as numbering, not as letters.
_NUMERALS = (
    "\u00b2\u00b3\u00b9\u00bc-\u00be\u2150-\u218f\u2460-\u24ff\u2776-\u2793"
    "\u3220-\u3229\u3251-\u325f\u3280-\u3289\u32b1-\u32bf"
)
_TOKEN = re.compile(f"[{_HAN}]|(?:(?![{_HAN}{_NUMERALS}])[^\\W\\d_]|[{_MARKS}])+")
_TOKEN_RUNS = re.compile(f"([{_HAN}]+)|(?:(?![{_HAN}{_NUMERALS}])[^\\W\\d_]|[{_MARKS}])+")  # the same, Han runs whole
# A number before a phrase's first word ("1." "1)" "①") goes with the phrase.
_NUMBERING = re.compile(
    r"(?:[(（]?\d{1,2}[.)）、:：]|#\d{1,2}|[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf\u2776-\u2793])\s?$"
)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).casefold()


def _bare(folded: str) -> str:
    """A folded word without its combining marks."""
    return "".join(c for c in folded if not unicodedata.combining(c))


@dataclass(frozen=True)
class _Lists:
    names: tuple[str, ...]
    words: dict[str, dict[int, int]]  # folded word -> {list number: index}
    simplified: dict[str, str]  # a Chinese list character -> its simplified form (same index)
    pairs: frozenset[str]  # two-character dictionary words of Chinese wordlist characters


_lists_lock = threading.Lock()


@cache
def _load() -> _Lists:
    from mnemonic import Mnemonic

    names = tuple(sorted(Mnemonic.list_languages()))
    words: dict[str, list[tuple[int, int]]] = {}
    for number, name in enumerate(names):
        for index, word in enumerate(Mnemonic(name).wordlist):
            folded = _fold(word)
            words.setdefault(folded, []).append((number, index))
            # People type Spanish, French, Turkish or Russian words without their accents
            # ("accion" for "acción"); no two words of one list differ only by them, so the
            # bare form is the same word.
            bare = _bare(folded)
            if bare != folded:
                words.setdefault(bare, []).append((number, index))
    simplified_words = Mnemonic("chinese_simplified").wordlist
    simplified: dict[str, str] = {}
    for name in ("chinese_simplified", "chinese_traditional"):
        for index, word in enumerate(Mnemonic(name).wordlist):
            simplified[word] = simplified_words[index]
    return _Lists(
        names=names,
        words={w: dict(v) for w, v in words.items()},
        simplified=simplified,
        pairs=_dictionary_pairs(frozenset(simplified_words)),
    )


def _dictionary_pairs(chars: frozenset[str]) -> frozenset[str]:
    """Two-character words of jieba's dictionary made of two Chinese wordlist characters."""
    import jieba

    found = set()
    with jieba.get_dict_file() as f:
        for raw in f:
            word = raw.decode("utf-8").split(" ", 1)[0]
            if len(word) == 2 and word[0] in chars and word[1] in chars:
                found.add(word)
    return frozenset(found)


def warm_up() -> None:
    """Load the wordlists and the dictionary pairs now (a fraction of a second) rather than in the
    first request that carries text."""
    with _lists_lock:
        _load()


# ---- recovery phrases ------------------------------------------------------------------------


def _valid_checksum(indexes: list[int]) -> bool:
    n = len(indexes)
    acc = 0
    for i in indexes:
        acc = (acc << 11) | i
    checksum_bits = n // 3
    entropy = acc >> checksum_bits
    digest = hashlib.sha256(entropy.to_bytes(n * 4 // 3, "big")).digest()[0]
    return digest >> (8 - checksum_bits) == acc & ((1 << checksum_bits) - 1)


def _is_gap(gap: str) -> bool:
    """What may stand between two words of a phrase: no letters, at most MAX_GAP characters."""
    return len(gap) <= MAX_GAP and _TOKEN.search(gap) is None


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    entries: dict[int, int]  # {list number: index}


_NONE: dict[int, int] = {}


def _tokens(text: str, lists: _Lists) -> list[_Token]:
    """`_TOKEN`'s matches with their wordlist entries; a run of Han characters is matched once
    and split here (most of a Chinese text), and a common Han character is its own normal form."""
    words = lists.words
    out: list[_Token] = []
    for m in _TOKEN_RUNS.finditer(text):
        han = m.group(1)
        if han is None:
            out.append(_Token(m.start(), m.end(), words.get(_fold(m.group()), _NONE)))
            continue
        at = m.start()
        for ch in han:
            key = ch if "\u4e00" <= ch <= "\u9fff" else _fold(ch)
            out.append(_Token(at, at + 1, words.get(key, _NONE)))
            at += 1
    return out


def _phrases(text: str, lists: _Lists) -> Iterator[Finding]:
    tokens = _tokens(text, lists)
    # Runs of wordlist tokens, each two neighbours joined by a gap a phrase may have.
    run: list[_Token] = []
    for token in tokens:
        if token.entries and run and (run[-1].end == token.start or _is_gap(text[run[-1].end : token.start])):
            run.append(token)
            continue
        if len(run) >= PARTIAL_WORDS:
            yield from _in_run(text, run, lists)
        run = [token] if token.entries else []
    if len(run) >= PARTIAL_WORDS:
        yield from _in_run(text, run, lists)


def _in_run(text: str, run: list[_Token], lists: _Lists) -> Iterator[Finding]:
    """The phrases of one run, per wordlist, in stretches whose gaps are all empty (characters
    written together) or all not (separated words)."""
    for number in {n for t in run for n in t.entries}:
        indexes = [t.entries.get(number, -1) for t in run]
        start = 0
        while start < len(run):
            if indexes[start] < 0:
                start += 1
                continue
            end = start + 1
            while end < len(run) and indexes[end] >= 0:
                end += 1
            yield from _in_stretches(text, run[start:end], indexes[start:end], lists)
            start = end


def _in_stretches(text: str, run: list[_Token], indexes: list[int], lists: _Lists) -> Iterator[Finding]:
    n = len(run)
    if n < PARTIAL_WORDS:
        return
    joined = [run[k].end == run[k + 1].start for k in range(n - 1)]
    a = 0
    while a < n - 1:
        b = a
        while b < n - 1 and joined[b] == joined[a]:
            b += 1
        # gaps a … b-1 are alike: tokens a … b
        yield from _in_stretch(text, run[a : b + 1], indexes[a : b + 1], joined[a], lists)
        a = b


def _in_stretch(text: str, run: list[_Token], indexes: list[int], joined: bool, lists: _Lists) -> Iterator[Finding]:
    n = len(run)
    if n < PARTIAL_WORDS or (joined and n < PHRASE_LENGTHS[0]):
        return
    words_at: list[int] = []  # dictionary pairs among the first k neighbours (prefix sums)
    log_rank: list[float] = []  # sums of log(index + 1) (prefix sums)
    if joined:
        words_at.append(0)
        log_rank.append(0.0)
        for i in indexes:
            log_rank.append(log_rank[-1] + _LOG[i])
        for k in range(n - 1):
            a, b = text[run[k].start], text[run[k + 1].start]
            pair = lists.simplified.get(a, a) + lists.simplified.get(b, b)
            words_at.append(words_at[-1] + (pair in lists.pairs))
    covered = [False] * n
    shortest = PHRASE_LENGTHS[0]
    most_pairs = _pairs_allowed(PHRASE_LENGTHS[-1])
    for s in range(n - shortest + 1):
        if joined and words_at[s + shortest - 1] - words_at[s] > most_pairs:
            continue  # text: no longer window from here has fewer word pairs
        for length in PHRASE_LENGTHS:
            e = s + length
            if e > n:
                break
            if joined and (
                words_at[e - 1] - words_at[s] > _pairs_allowed(length)
                or not _reads_random(indexes[s:e], log_rank[e] - log_rank[s])
            ):
                continue
            if _valid_checksum(indexes[s:e]):
                yield Finding(MNEMONIC, _numbered_from(text, run[s].start), run[e - 1].end)
                for k in range(s, e):
                    covered[k] = True
    if joined:
        return  # characters written together without a checksum are ordinary text
    # Separated words of the list that no phrase covers, PARTIAL_WORDS or more in a row.
    k = 0
    while k < n:
        if covered[k]:
            k += 1
            continue
        end = k
        while end < n and not covered[end]:
            end += 1
        listed = all(_in_a_list(text[run[i].end : run[i + 1].start]) for i in range(k, end - 1))
        if end - k >= (PARTIAL_WORDS if listed else PARTIAL_WORDS_SPACED):
            yield Finding(PARTIAL, _numbered_from(text, run[k].start), run[end - 1].end)
        elif listed and ((k > 0 and covered[k - 1]) or (end < n and covered[end])):
            # Numbered or listed words that go on a phrase found beside them (an 18-word list
            # cut after its 17th word holds a valid 12-word phrase and 5 more): the same secret.
            # Only in a list: after a phrase written in a line, "please help" is prose. The span
            # takes in the neighbouring phrase word, so that the two merge into one finding.
            first = run[k - 1].start if k > 0 and covered[k - 1] else _numbered_from(text, run[k].start)
            last = run[end].end if end < n and covered[end] else run[end - 1].end
            yield Finding(PARTIAL, first, last)
        k = end


_LOG = [math.log(i + 1) for i in range(2048)]


_LISTY = re.compile(f"[\n,，、;；|/\\d{_NUMERALS}]")


def _in_a_list(gap: str) -> bool:
    """A gap that separates items of a list (a newline, a comma, a number), not words of prose."""
    return _LISTY.search(gap) is not None


def _pairs_allowed(length: int) -> int:
    """Dictionary word pairs a phrase of `length` characters written together may have: one in
    twelve characters, one more for every six beyond (a random 24-character phrase has about half
    a pair on average; more than three in 1 of 500)."""
    return JOINED_MAX_WORDS + (length - PHRASE_LENGTHS[0]) // 6


def _reads_random(indexes: list[int], log_rank_sum: float) -> bool:
    """Whether characters written together look like a phrase rather than Chinese text, for a
    window the caller has already found with few dictionary pairs (text is mostly two-character
    words; a phrase's neighbours rarely are: at most JOINED_MAX_WORDS per twelve characters). The
    Chinese lists are ordered by how common a character is: a
    phrase draws its characters evenly from all 2,048 (mean log rank about 6.6, rarely below
    5.5), while text leans on the few hundred most common ones; a phrase that repeats a few
    characters or repeats with a short period (the corner cases: 的的的…在, 壤对据人三谈我表壤对据不)
    counts too. Measured on AFQMC's sentences (18,734
    windows of twelve list characters) and on 20,000 random 12-word phrases: 0 text windows and
    97.6 % of phrases pass; a phrase that fails also lacks its separators, which is outside
    what the shield promises (docs/safety.md)."""
    n = len(indexes)
    return log_rank_sum / n >= JOINED_MIN_LOG_RANK or len(set(indexes)) <= n // 2 or _periodic(indexes)


def _periodic(indexes: list[int]) -> bool:
    """Whether the words before the last (which carries the checksum) repeat with a short period:
    entropy of one repeated byte, such as the 7f7f… and 8080… test vectors, repeats every eight
    words. At least three words must repeat."""
    n = len(indexes) - 1
    return any(all(indexes[i] == indexes[i + p] for i in range(n - p)) for p in range(1, n - 2))


def _numbered_from(text: str, start: int) -> int:
    m = _NUMBERING.search(text, max(0, start - 4), start)
    return m.start() if m else start


# ---- keys ------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_B58_RUN = re.compile(f"[{_B58}]{{51,}}")
_XPRV_PREFIXES = ("xprv", "yprv", "zprv", "tprv", "uprv", "vprv", "Yprv", "Zprv", "Uprv", "Vprv")
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(0[xX])?([0-9a-fA-F]{64}|[0-9a-fA-F]{128})(?![0-9A-Za-z])")
_MAX_B58_RUN = 400  # longer runs of base58 characters are not looked into (bounded work)
_CONTEXT = 24  # characters before a hex string that say what it is
# What names a 64-hex string as a transaction's id, just before it (or after: "… is the txid").
_TX_WORDS = re.compile(
    r"\btx\b|txid|txn|tx\s*hash|hash|transaction\s+(?:id|hash)|交易\s*(?:id|哈希|号|編號|编号)|哈希|/tx/",
    re.IGNORECASE,
)
_KEY_WORDS = re.compile(
    r"priv|private|secret|seed|key|wif|私钥|私鑰|密钥|密鑰|秘钥|秘鑰|助记词|助記詞|種子|种子", re.IGNORECASE
)


def _b58check(s: str) -> bytes | None:
    n = 0
    for ch in s:
        n = n * 58 + _B58_INDEX[ch]
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    body, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != check:
        return None
    return body


def _is_wif(s: str) -> bool:
    if s[0] not in "5KL9c":
        return False
    body = _b58check(s)
    return body is not None and body[0] in (0x80, 0xEF) and (len(body) == 33 or (len(body) == 34 and body[33] == 1))


def _is_xprv(s: str) -> bool:
    if not s.startswith(_XPRV_PREFIXES):
        return False
    body = _b58check(s)
    return body is not None and len(body) == 78 and body[45] == 0  # key data 0x00 ‖ 32-byte key


def _base58_keys(text: str) -> Iterator[Finding]:
    for m in _B58_RUN.finditer(text):
        run = m.group()
        if len(run) > _MAX_B58_RUN:
            continue
        # A key usually stands alone; it may also touch letters (`key:L1…`, `私钥L1…`), so
        # every place in the run where one could start is tried.
        for offset in range(len(run) - 50):
            for length, check, kind in (
                (52, _is_wif, WIF),
                (51, _is_wif, WIF),
                (111, _is_xprv, XPRV),
                (112, _is_xprv, XPRV),
            ):
                piece = run[offset : offset + length]
                if len(piece) == length and check(piece):
                    yield Finding(kind, m.start() + offset, m.start() + offset + length)


def _hex_keys(text: str) -> Iterator[Finding]:
    for m in _HEX_RUN.finditer(text):
        digits = m.group(2)
        if len(digits) == 128:
            yield Finding(SEED_HEX, m.start(), m.end())
            continue
        before = text[max(0, m.start() - _CONTEXT) : m.start()]
        after = text[m.end() : m.end() + 12]
        keyish = _KEY_WORDS.search(before) is not None
        txish = _TX_WORDS.search(before) is not None or _TX_WORDS.search(after) is not None
        if keyish or (not m.group(1) and not txish):
            yield Finding(HEX_KEY, m.start(), m.end())


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.DOTALL)
_CIPHERTEXT = re.compile(r"""["']ciphertext["']\s*:""", re.IGNORECASE)
_MAX_KEYSTORE = 8000  # characters looked through around a ciphertext for its object's braces


def _pem_keys(text: str) -> Iterator[Finding]:
    if "PRIVATE KEY-----" not in text:
        return
    for m in _PEM.finditer(text):
        yield Finding(PEM_KEY, m.start(), m.end())


def _keystores(text: str) -> Iterator[Finding]:
    """The outermost JSON object around each `"ciphertext":` (an Ethereum keystore keeps it in
    `"crypto": {...}`), found by counting braces (its strings are hex and names); when the braces
    do not close, the ciphertext's key and value alone."""
    for m in _CIPHERTEXT.finditer(text):
        lo = max(0, m.start() - _MAX_KEYSTORE)
        start = _opening_brace(text, m.start(), lo)
        while start > lo and (outer := _opening_brace(text, start, lo)) >= 0:
            start = outer
        end = _closing_brace(text, start, min(len(text), start + 2 * _MAX_KEYSTORE)) if start >= 0 else -1
        if start < 0 or end < 0:
            value = re.match(r"""\s*["']?[0-9a-fA-F]*["']?""", text[m.end() :])
            start, end = m.start(), m.end() + (value.end() if value else 0)
        yield Finding(KEYSTORE, start, end)


def _opening_brace(text: str, pos: int, lo: int) -> int:
    """The `{` of the innermost object around `pos`, or -1."""
    depth = 0
    for i in range(pos - 1, lo - 1, -1):
        if text[i] == "}":
            depth += 1
        elif text[i] == "{":
            if depth == 0:
                return i
            depth -= 1
    return -1


def _closing_brace(text: str, start: int, hi: int) -> int:
    depth = 0
    for i in range(start, hi):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


# ---- all together ------------------------------------------------------------------------------


def scan(text: str) -> list[Finding]:
    """Every secret in `text`, by position; overlapping findings are merged (the longer kind
    wins where two overlap), so the spans are disjoint and sorted."""
    if not text:
        return []
    found: list[Finding] = [*_base58_keys(text), *_hex_keys(text), *_pem_keys(text), *_keystores(text)]
    if _TOKEN.search(text) is not None:
        found.extend(_phrases(text, _load()))
    return _merge(found)


def _merge(found: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end > last.end:
                kind = last.kind if last.end - last.start >= f.end - f.start else f.kind
                out[-1] = Finding(kind, last.start, f.end)
            continue
        out.append(f)
    return out


# ---- removing them ------------------------------------------------------------------------------

# What stands where a secret was: both languages, since its readers (the sender, agents) may read
# either; plain brackets, so that no later scan or Markdown renderer takes it for anything.
MARKERS = {
    MNEMONIC: "[助记词已删除 · recovery phrase removed]",
    PARTIAL: "[助记词已删除 · recovery phrase removed]",
    SEED_HEX: "[钱包种子已删除 · wallet seed removed]",
    XPRV: "[私钥已删除 · private key removed]",
    WIF: "[私钥已删除 · private key removed]",
    HEX_KEY: "[私钥已删除 · private key removed]",
    PEM_KEY: "[私钥已删除 · private key removed]",
    KEYSTORE: "[钱包文件已删除 · wallet file removed]",
}

_collected: contextvars.ContextVar[Counter[str] | None] = contextvars.ContextVar("secrets_removed", default=None)


def redact(text: str) -> tuple[str, list[Finding]]:
    """`text` with every secret replaced by its marker, and what was found (spans in `text`).
    A redacted text passes again unchanged. Inside `collect()` the findings are also counted."""
    findings = scan(text)
    if not findings:
        return text, findings
    parts: list[str] = []
    last = 0
    for f in findings:
        parts.append(text[last : f.start])
        parts.append(MARKERS[f.kind])
        last = f.end
    parts.append(text[last:])
    counter = _collected.get()
    if counter is not None:
        counter.update(f.kind for f in findings)
    return "".join(parts), findings


@contextmanager
def collect() -> Iterator[Counter[str]]:
    """Counts, by kind, what `redact` removes inside the block (in this context: one request).
    Blocks nest: what an inner block counted is counted by the outer one too."""
    outer = _collected.get()
    counter: Counter[str] = Counter()
    token = _collected.set(counter)
    try:
        yield counter
    finally:
        _collected.reset(token)
        if outer is not None:
            outer.update(counter)
