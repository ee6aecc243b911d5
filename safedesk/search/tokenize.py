"""Text to search terms, identically at index time and at query time.

Chinese runs are segmented by jieba (a private tokenizer instance with our domain words, so other
apps using jieba are not affected); other word runs are lowercased and reduced by a small suffix
stemmer (lock/locked/locking, withdraw/withdrawal/withdrawals, fee/fees). Stopwords are dropped.

Changing DOMAIN_WORDS, STOPWORDS or `stem()` changes what is stored in the index: re-index after.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator

import jieba

# Words jieba's default dictionary splits badly or does not know, for wallet/exchange support.
DOMAIN_WORDS: tuple[str, ...] = (
    "验证器",
    "谷歌验证器",
    "身份验证器",
    "双重验证",
    "二次验证",
    "两步验证",
    "提币",
    "提现",
    "充币",
    "充值",
    "手续费",
    "助记词",
    "私钥",
    "冻结",
    "解冻",
    "到账",
    "锁定",
    "锁住",
    "解锁",
    "丢了",
    "丢失",
    "找回",
    "账户",
    "账号",
    "钓鱼",
    "钓鱼网站",
    "客服",
    "官方客服",
    "链上",
    "区块链",
    "哈希",
    "交易哈希",
    "钱包",
    "冷钱包",
    "热钱包",
    "地址",
    "提币地址",
    "白名单",
    "实名认证",
    "身份认证",
    "验证码",
    "短信验证码",
    "邮箱验证码",
    "登录",
    "登陆",
    "密码",
    "重置",
    "法币",
    "币币",
    "合约",
    "杠杆",
    "挂单",
    "吃单",
    "限额",
    "额度",
    "主网",
    "网络",
    "诈骗",
    "骗子",
    "被盗",
    "盗号",
    "更新",
    "升级",
    "卸载",
)

_ZH_STOP = """
的 了 吗 呢 吧 啊 呀 么 嘛 哦 是 在 我 我的 我们 你 你的 您 您的 他 她 它 和 与 及 或 也 都 就 还 又 很 被 把 让 给
对 从 这 那 这个 那个 个 一个 一下 怎么 怎样 怎么样 如何 什么 为什么 为何 怎么办 请问 请 可以 能 能否 会 要 想
没有 没 不 之 其 该 于 以 而 着 过 得 地
"""
_EN_STOP = """
a an the my your our their his her its i me we you he she it they them this that these those is am are was were
be been being do does did doing have has had having to of in on at by for with from into onto about as and or
but if then than so not no can could should would will shall may might must how what why when where which who
whom whose there here out up down off over under again just very too also get got please help hi hello dont
cant im ive
"""
STOPWORDS_ZH = frozenset(_ZH_STOP.split())
STOPWORDS_EN = frozenset(_EN_STOP.split())

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_RUN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_VOWELS = frozenset("aeiouy")

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


def _jieba() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in DOMAIN_WORDS:
                    tok.add_word(word, freq=None)
                _tokenizer = tok
    return _tokenizer


def warm_up() -> None:
    """Load the dictionary now (about a second) rather than in the first search request."""
    _jieba()


def normalize(text: str) -> str:
    # NFKC folds full-width letters and digits (Ｆｅｅ, ２ＦＡ) into their ASCII forms.
    return unicodedata.normalize("NFKC", text)


_ALL_CJK = re.compile(f"[{_CJK}]+")


@functools.lru_cache(maxsize=65536)
def is_cjk(token: str) -> bool:
    return bool(token) and _ALL_CJK.fullmatch(token) is not None


def stem(word: str) -> str:
    """A deliberately small English stemmer: plurals, -ed, -ing, -al, silent -e."""
    w = word
    if len(w) <= 3 or not w.isascii() or not w.isalpha():
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("shes", "ches", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and not w.endswith("eed"):
            base = w[: -len(suffix)]
            if len(base) >= 3 and any(c in _VOWELS for c in base):
                w = base
                if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1] not in _VOWELS:
                    w = w[:-1]
            break
    if w.endswith("al") and len(w) >= 7:
        w = w[:-2]
    if w.endswith("e") and not w.endswith("ee") and len(w) > 4:
        w = w[:-1]
    return w


@functools.lru_cache(maxsize=65536)
def word_term(word: str) -> str | None:
    """The index term of one non-Chinese word, or None when it does not count."""
    w = word.lower()
    if w in STOPWORDS_EN or (len(w) == 1 and w.isascii() and w.isalpha()):
        return None
    return stem(w)


def _runs(text: str) -> Iterator[tuple[bool, str]]:
    for match in _RUN.finditer(normalize(text)):
        if match.group(1):
            yield True, match.group(1)
        else:
            yield False, match.group(2)


def _terms(text: str, *, for_index: bool) -> list[str]:
    out: list[str] = []
    tok = _jieba()
    for cjk, run in _runs(text):
        if cjk:
            words = tok.cut_for_search(run, HMM=False) if for_index else tok.cut(run, HMM=False)
            out.extend(w for w in words if w not in STOPWORDS_ZH)
        else:
            term = word_term(run)
            if term:
                out.append(term)
    return out


def index_terms(text: str) -> list[str]:
    """Terms of a document, in order. Chinese uses jieba's search mode, which emits both the
    whole words and their dictionary sub-words (谷歌验证器 → 谷歌, 验证, 验证器, 谷歌验证器), so
    a query segmented in precise mode always finds its words."""
    return _terms(text, for_index=True)


def query_terms(text: str) -> list[str]:
    """Terms of a query, in order (jieba precise mode; HMM off so that unknown words split the
    same way whatever surrounds them)."""
    return _terms(text, for_index=False)


def last_word_is_partial(text: str) -> str | None:
    """The lowercased last non-Chinese word of `text` when it is still being typed (no space after
    it), for prefix matching in suggestions."""
    text = normalize(text)
    if not text or text[-1].isspace():
        return None
    runs = list(_RUN.finditer(text))
    if not runs or runs[-1].end() != len(text) or runs[-1].group(1):
        return None
    return runs[-1].group(2).lower()
