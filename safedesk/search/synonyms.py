"""The bilingual synonym list, expanded at query time (no re-indexing after an edit).

The map is cached in the process and rebuilt when the version key in the shared cache changes;
services bump that key after every committed edit.
"""

from __future__ import annotations

import threading
import uuid

from django.core.cache import cache

from safedesk.search import tokenize
from safedesk.search.versions import ensure_version

# Seeded by migration 0002; agents edit the list afterwards at search/synonyms/.
SEED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("提币", "提现", "取款", "withdraw", "withdrawal", "cash out"),
    ("手续费", "费用", "费率", "fee", "charge", "commission"),
    ("冻结", "被冻结", "frozen", "freeze"),
    ("解冻", "unfreeze", "unfrozen"),
    (
        "验证器",
        "谷歌验证器",
        "身份验证器",
        "authenticator",
        "google authenticator",
        "2fa",
        "双重验证",
        "二次验证",
        "两步验证",
        "two-factor",
        "mfa",
    ),
    ("锁定", "锁住", "被锁", "locked", "lock", "lockout"),
    ("解锁", "unlock"),
    ("账户", "账号", "帐户", "帐号", "account"),
    ("充值", "充币", "存款", "deposit", "top up"),
    ("到账", "入账", "arrive", "arrived", "credited", "received"),
    ("丢失", "丢了", "遗失", "lost", "lose", "losing", "missing"),
    ("助记词", "恢复短语", "recovery phrase", "seed phrase", "mnemonic", "seed words"),
    ("私钥", "private key"),
    ("密码", "password", "passcode"),
    ("忘记", "忘了", "forgot", "forgotten", "forget"),
    ("登录", "登陆", "login", "log in", "sign in", "signin"),
    ("注册", "开户", "register", "sign up", "signup"),
    ("重置", "reset"),
    ("找回", "恢复", "recover", "recovery", "restore"),
    ("验证码", "动态码", "verification code", "otp", "one-time code"),
    ("短信", "sms", "text message"),
    ("邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"),
    ("手机", "手机号", "phone", "mobile", "phone number"),
    ("实名认证", "身份认证", "身份验证", "kyc", "identity verification"),
    ("钓鱼", "钓鱼网站", "phishing", "fake site"),
    ("诈骗", "骗局", "骗子", "scam", "fraud", "scammer"),
    ("客服", "customer service", "support"),
    ("被盗", "盗号", "stolen", "hacked", "compromised"),
    ("地址", "address"),
    ("白名单", "whitelist", "allowlist"),
    ("转账", "transfer", "send"),
    ("交易哈希", "哈希", "txid", "tx hash", "transaction hash"),
    ("交易", "transaction", "trade"),
    ("钱包", "wallet"),
    ("网络", "链", "network", "chain", "blockchain"),
    ("更新", "升级", "update", "upgrade"),
    ("应用", "app", "application", "客户端"),
    ("限额", "额度", "limit", "limits"),
    ("延迟", "慢", "delay", "delayed", "pending", "slow"),
    ("失败", "fail", "failed", "error", "报错"),
    ("取消", "撤销", "cancel"),
    ("退款", "refund"),
    ("最低", "最小", "minimum", "min"),
)

VERSION_KEY = "search:synonyms:version"

Variant = tuple[str, ...]


class _Cached:
    def __init__(self) -> None:
        self.version: str | None = None
        self.expansions: dict[Variant, tuple[Variant, ...]] = {}
        self.longest = 1
        self.lock = threading.Lock()


_cached = _Cached()


def variant(term: str) -> Variant:
    """A synonym term as the query analyser sees it: a sequence of index terms."""
    return tuple(tokenize.query_terms(term))


def build(groups: list[list[str]]) -> dict[Variant, tuple[Variant, ...]]:
    merged: dict[Variant, set[Variant]] = {}
    for terms in groups:
        variants = {v for v in (variant(t) for t in terms) if v}
        for v in variants:
            merged.setdefault(v, set()).update(variants)
    return {k: tuple(sorted(v, key=lambda x: (x != k, len(x), x))) for k, v in merged.items()}


def _load() -> list[list[str]]:
    from safedesk.search.models import SynonymGroup

    return [g.term_list() for g in SynonymGroup.objects.only("terms")]


def current_version() -> str:
    """The synonym version in the shared cache, created if missing."""
    return ensure_version(VERSION_KEY)


def expansions(version: str | None = None) -> tuple[dict[Variant, tuple[Variant, ...]], int]:
    """The current map (variant → all its synonyms, itself first) and its longest key. `version`
    is the current synonym version when the caller has just read it."""
    version = version or current_version()
    if version != _cached.version:
        with _cached.lock:
            if version != _cached.version:
                table = build(_load())
                _cached.expansions = table
                _cached.longest = max((len(k) for k in table), default=1)
                _cached.version = version
    return _cached.expansions, _cached.longest


def invalidate() -> None:
    """Every process rebuilds its map on its next search (call after commit)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _cached.version = None
