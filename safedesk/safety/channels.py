"""Official-channel keys and look-alike detection for the "is this official support?" verifier.

Pure: no database, no network. `parse()` turns what a person pastes into a canonical `Channel`
whose `value` is compared for exact equality against the registry; `Matcher` tells whether a
channel that is *not* in the registry resembles one that is.

Parsing (`parse(raw, kind=None)` guesses; `kind=` parses only as that kind)
---------------------------------------------------------------------------
* Input longer than 2,048 characters is refused (``too_long``) before any other work, and again
  after NFKC (which can expand text), so that the cost of a query is bounded.
* NFKC first: full-width digits, "＋", "：" and "．" become ASCII, so "＋８６ ４００…" reads like
  "+86 400…". Invisible format characters (zero-width space, soft hyphen, bidi controls) are
  removed because a reader cannot see them and IDNA ignores most of them anyway.
* Defanged notation used in scam warnings ("bitpie[.]com", "hxxps://", "[@]") is re-armed, so a
  pasted warning can be checked.
* One channel per query. Extracting several channels from a sentence is the caller's job.
* Guess order: explicit scheme (tel:, mailto:, http(s):, tg:, whatsapp:, market:, itms-apps:) →
  "platform: name" ("telegram: @x", "微信: bitpie", "飞机: …") → wallet address or transaction hash
  (`safedesk.lib.chain`) → IP literal → phone number → "@name" → e-mail → URL or host → a bare
  name (letters, digits, "_", "-"), read as a handle on no particular platform.
* Phones: `phonenumbers` with `region` when there is no country code; "00" is tried as "+" when
  the region's own reading is impossible. Extensions ("ext. 5", "#5", "转5", "分机5") are parsed,
  shown in `display`, and *not* part of `value`: every extension of an official line reaches the
  official switchboard. Not `is_possible_number` → ``invalid_phone``.
* Hosts (domains and e-mail hosts): the real host of a URL is what a browser would visit:
  backslashes count as slashes, tabs and newlines are dropped, userinfo ("https://bitpie.com@
  evil.io/") is discarded (real host evil.io), the host is percent-decoded, the ideographic full
  stop "。" separates labels. Non-ASCII labels go through IDNA with UTS-46 mapping; "xn--" labels
  must decode. Empty labels, labels over 63 and hosts over 253 octets are refused. Underscores are
  allowed in ASCII labels because browsers accept them. One leading "www." is dropped (only when
  "www" is a subdomain label, so "www.com" stays).
* IP literals are accepted as kind domain (value "1.2.3.4", "[2001:db8::1]") because scam links
  use them and the verifier must be able to say "not official"; the numeric forms browsers accept
  ("http://3232235777/", "0x7f.1") are turned into dotted quads for the same reason. They never
  resemble anything.
* A host with an unknown top-level label (not in tldextract's bundled list) is still a domain;
  its last label is taken as its suffix. A single-label host is refused as a domain; in guessing
  mode a single word is read as a handle instead.
* The public suffix list is tldextract's bundled snapshot, never fetched; private suffixes are
  honoured ("bitpie.github.io" is its own registrable domain, so "x.github.io" is *not* a
  subdomain of an official "bitpie.github.io").
* E-mail: "local@host", "Name <local@host>", "mailto:…"; the local part is lower-cased (providers
  treat it case-insensitively in practice) and kept otherwise, including "+tags".
* Handles: `value` is "<platform>:<name>", lower-case, without "@". Platform aliases: tg, 电报,
  飞机/纸飞机 → telegram; twitter, 推特 → x; weixin, wx, vx, 微信 → wechat; fb, 脸书 → facebook;
  ig, ins → instagram; yt, 油管 → youtube; 微博 → weibo; wa → whatsapp. A bare "@name" (or bare
  name) without a platform gives platform "" and value ":name" — the verifier then compares the
  name against every platform. WhatsApp handles are phone numbers (E.164); digits written
  without "+" are read as international (as in wa.me links) unless only the national reading
  is a valid number. Telegram invite links (t.me/+hash, t.me/joinchat/hash) give
  "telegram:+hash"; Discord invites give "discord:<code>". Invite codes are lower-cased like
  everything else: they are random, so nobody can obtain one that differs only in case.
* Links recognised as handles: t.me, telegram.me, x.com, twitter.com, wa.me,
  api.whatsapp.com/send?phone=, discord.gg, discord.com/invite, facebook.com (and
  profile.php?id=), instagram.com, youtube.com/@name (/c/, /user/), weibo.com (/u/, /n/),
  line.me/ti/p/~name (and @name, page.line.me), tiktok.com/@name. Other paths on those sites (posts
  excepted: x.com/name/status/1 is still @name) → ``unsupported_link``, because they point to no
  account we could check. A bare platform host (plain "t.me") is a domain.
* WeChat links (weixin.qq.com, mp.weixin.qq.com, u.wechat.com) → ``wechat_link``: their path is a
  QR or article code, not the WeChat ID, so nothing official could ever equal them; the message
  asks for the ID instead.
* Apps: apps.apple.com/<cc>/app/<slug>/id<digits> → "apple:<digits>"; the slug is kept in
  `Channel.slug` (for look-alike checks only, not part of the identity).
  play.google.com/store/apps/details?id=<package> and market://details?id= → "google:<package>".
  Tracking parameters (utm_*, hl, gl, ref, fbclid, gclid, …) and fragments are dropped before
  anything is read from a query string.
* Addresses: `safedesk.lib.chain.classify`; `value` is its canonical form (hex and bech32
  lower-cased), `display` as written, `platform` the network. A transaction hash is refused with
  ``transaction_hash``, other "0x…" text with ``invalid_address``.
* Every `value` parses back into itself, with or without `kind` ("telegram:bitpie",
  "whatsapp:+852…", "apple:123…", "google:com.x", ":name"), so stored keys can be re-read.
* Refusal codes: too_long, empty, unrecognised_channel, invalid_phone, invalid_domain,
  invalid_email, invalid_handle, invalid_app, invalid_address, transaction_hash, unknown_platform,
  platform_mismatch, unsupported_link, wechat_link, unknown_kind; always with field "query".

Look-alikes (`Matcher.resemblance`)
-----------------------------------
Names (registrable domain labels, handle names, app names) are compared by their confusable
`skeleton()`: NFKC, casefold, diacritics removed, every character that Unicode's confusables data
(as bundled by confusable-homoglyphs) lists as looking like an ASCII letter or digit replaced by
it, then 0→o, 1→l, 3→e, 5→s, i/l/|→l, rn→m, vv→w, and separators dropped. 4→a, 7→t, 8→b and the
like are *not* folded: they are leetspeak rather than look-alikes, and folding them would make
names with digits ("1inch", "web3") collide more than they deceive.

What is compared with what: a domain, and the host of an e-mail address, with the hosts of
official domains *and* official e-mail addresses (registrable label for the name rules, the whole
host for the subdomain rule); a handle with official handles, and when it resembles none of them,
with the names of official domains; phone numbers and WhatsApp handles with both; apps with apps
of both stores; addresses with addresses.

Reason codes (stable; several may apply at once):

* ``homoglyph``: the name renders like the official one (same skeleton, different text), or it
  resembles the official one and uses look-alike characters (a mapped confusable, a digit
  between letters, or letters from two scripts such as Latin with Cyrillic).
* ``punycode``: the candidate host is an internationalised name ("xn--…") and the official one is
  not; the same host shows as "bіtpie.com" in one place and "xn--btpie-n2e.com" in another.
* ``typo``: Damerau-Levenshtein distance (the optimal-string-alignment variant: each character
  is edited once) between skeletons is 1 for official names of 4-8 characters and at most 2 for 9
  or more, the length being the official skeleton's; shorter names need exact equality because
  one edit of a 3-letter name is a different, often real, name. ASCII names that differ by
  look-alike letters within that distance ("bltpie", "c0inbase") get both ``homoglyph`` and
  ``typo``; a name that differs only by separators ("bit-pie") is a ``typo``, not a homoglyph,
  because the hyphen is visible. Typo candidates come from an index of deletions built once, so a
  query never compares against every official.
* ``added_word``: after removing filler words (`NOISE_WORDS`: support, help, kefu, 客服, official,
  wallet, login, verify, …, also misspelt by one letter when five letters or longer and separated:
  "bitpie_offical"), the suffix labels of official hosts when written into the name
  ("bitpie-com"), separators, and digits at the ends, the skeleton equals the official name or is
  a typo of it. Needs an official name of at least 3 characters.
* ``subdomain_trick``: a label (or the whole subdomain part) of a *different* registrable domain
  is the official name, exactly on skeleton or after removing filler words: "bitpie.com.evil.cn",
  "bitpie-com.verify.io". Typos are not looked for here: subdomain labels are free-form and typo
  matches there would flag too much.
* ``other_suffix``: same name (on skeleton), different public suffix: "bitpie.co",
  "bitpie.com.cn", "bitpie.github.io" against "bitpie.com".
* ``similar_number``: same country code, same number of national digits (at least 7), one digit
  different or two adjacent digits swapped; or the official national number inside a longer
  number (also with another country code). Numbers of fewer than 7 national digits never
  resemble: short service numbers differ by one digit all the time.
* ``other_platform``: the official name on another platform than the official account (exact on
  skeleton or after removing filler words; typos are not looked for across platforms, there are
  too many of them), an official phone number used as a WhatsApp account or the reverse, an app
  name from the other store, or a handle carrying the name of an official domain.
* ``similar_address``: an address on the same network with the same length, the same first four
  and last four characters (after the fixed prefix "0x", "T", "bc1q"…) and a different middle —
  the shape of address-poisoning attacks. Only these are compared; otherwise addresses match
  exactly or not at all.
* ``same_name``: an app with the same name (App Store slug, or Google package name without its
  generic labels: "com.bitpie.wallet" → "bitpie.wallet") as an official app in the same store,
  under a different id. Apple entries need their `slug` (keep it in the registry): without it an
  official Apple app is compared by id only.
* ``name_in_local_part``: an e-mail at an unrelated host whose local part is the official name,
  exactly or after removing filler words ("bitpie.support@gmail.com"); only looked for when the
  host itself resembles nothing.

Not look-alikes (None): an exact match; a host under an official registrable domain
("help.bitpie.com" when bitpie.com is official: whether subdomains are official is the caller's
decision); an e-mail at an official host with another local part (same reason); a handle without
platform whose name equals an official handle's name (the caller's per-platform comparison
decides).

When several officials are resembled, the strongest kind of match wins (same skeleton, then
subdomain trick, then added word, then typo), ties going to the official listed first.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import idna
import phonenumbers
import tldextract
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from safedesk.lib import chain, confusables
from safedesk.lib.errors import InvalidInput

MAX_LENGTH = 2048


class Kind(StrEnum):
    PHONE = "phone"
    DOMAIN = "domain"
    EMAIL = "email"
    HANDLE = "handle"
    APP = "app"
    ADDRESS = "address"


@dataclass(frozen=True)
class Channel:
    kind: str
    value: str
    display: str
    platform: str = ""
    # App Store slug (the name in the link); compared for look-alikes only, never for identity.
    slug: str = ""


@dataclass(frozen=True)
class Resemblance:
    official: Channel
    reasons: tuple[str, ...]


REASONS = (
    "homoglyph",
    "punycode",
    "typo",
    "added_word",
    "subdomain_trick",
    "other_suffix",
    "similar_number",
    "other_platform",
    "similar_address",
    "same_name",
    "name_in_local_part",
)


class NotAChannel(InvalidInput):
    code = "unrecognised_channel"
    default_message = _(
        "This does not look like a phone number, website, email address, account name or wallet address."
    )

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None, **params: Any) -> None:
        params.setdefault("field", "query")
        super().__init__(message, code=code, **params)


_MESSAGES: dict[str, str | Promise] = {
    "unrecognised_channel": NotAChannel.default_message,
    "empty": _("Please paste a phone number, website, email address, account name or wallet address."),
    "too_long": _("This is too long to be a phone number, website, email address, account name or wallet address."),
    "invalid_phone": _("This is not a valid phone number. Please check the digits and the country code."),
    "invalid_domain": _("This is not a valid website address."),
    "invalid_email": _("This is not a valid email address."),
    "invalid_handle": _("This is not a valid account name."),
    "unknown_platform": _("This platform is not supported."),
    "platform_mismatch": _("This link belongs to a different platform than the one chosen."),
    "invalid_app": _("This is not a valid App Store or Google Play link."),
    "invalid_address": _("This is not a wallet address in a format we know."),
    "transaction_hash": _("This looks like a transaction hash, not a wallet address or a contact."),
    "unsupported_link": _(
        "This link does not point to an account that can be checked. Please paste the account name instead."
    ),
    "wechat_link": _("WeChat links do not show the account ID. Please paste the WeChat ID instead."),
    "unknown_kind": _("This kind of channel is not supported."),
}


def _refuse(code: str) -> NotAChannel:
    return NotAChannel(_MESSAGES[code], code=code)


# --------------------------------------------------------------------------- lazy shared data

_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """Built on first use, once, even when several threads ask at the same moment."""

    def __init__(self, build: Callable[[], _T]) -> None:
        self._build = build
        self._value: _T | None = None
        self._lock = threading.Lock()

    def get(self) -> _T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value


def _build_extractor() -> tldextract.TLDExtract:
    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    # The bundled list is read on first use; do it here, under the lock, so that two threads never
    # race on the extractor's own lazy loading.
    extractor("example.com")
    return extractor


_TLD = _Lazy(_build_extractor)


_CONFUSABLES = _Lazy(confusables.ascii_table)

# --------------------------------------------------------------------------- skeletons

_DIGIT_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "3": "e", "5": "s", "i": "l", "|": "l"})
_NOT_NAME = re.compile(r"[\W_]+")
_SEPARATORS = re.compile(r"[\s._\-]+")
_LOOKALIKE_DIGIT = re.compile(r"[^\W\d_][0135]+[^\W\d_]")
_UNMIXED_SCRIPTS = frozenset({"COMMON", "INHERITED", "HAN", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def _fold(text: str) -> str:
    """NFKC, casefold, and (for non-ASCII text) diacritics dropped and confusables mapped to ASCII;
    digits and separators are kept so that words can still be told apart."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFC", confusables.strip_marks(folded)).translate(_CONFUSABLES.get())


def _ascii_skeleton(folded: str) -> str:
    # rn/vv before i→l so that "rn" is still two letters when it is looked for.
    text = folded.replace("rn", "m").replace("vv", "w").translate(_DIGIT_LOOKALIKES)
    return _NOT_NAME.sub("", text)


def skeleton(text: str) -> str:
    """The confusable skeleton of a name: two names that render alike have the same skeleton."""
    return _ascii_skeleton(_fold(text))


def _mixed_scripts(text: str) -> bool:
    from confusable_homoglyphs.categories import alias

    scripts = {alias(c) for c in text if c.isalpha()} - _UNMIXED_SCRIPTS
    return len(scripts) > 1


# --------------------------------------------------------------------------- edit distance


def _bound(length: int) -> int:
    return 2 if length >= 9 else 1 if length >= 4 else 0


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or limit + 1 as soon as it must exceed `limit`.

    Only the diagonal band |i - j| <= limit is computed: a cell outside it is at least |i - j|
    anyway, so capping it at limit + 1 cannot change an answer within the limit."""
    if a == b:
        return 0
    width = len(b)
    if abs(len(a) - width) > limit:
        return limit + 1
    cap = limit + 1
    before: list[int] = []
    previous = [j if j <= limit else cap for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        current = [cap] * (width + 1)
        if i <= limit:
            current[0] = i
        best = current[0]
        ca = a[i - 1]
        for j in range(max(1, i - limit), min(width, i + limit) + 1):
            cb = b[j - 1]
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and before[j - 2] + 1 < value:
                value = before[j - 2] + 1
            value = min(value, cap)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return cap
        before, previous = previous, current
    return previous[width]


def _deletions(text: str, depth: int) -> set[str]:
    # Two strings within OSA distance k share a string reachable by at most k deletions from each,
    # so an index of deletions finds every typo candidate without comparing against every entry.
    found = {text}
    frontier = {text}
    for _step in range(depth):
        frontier = {word[:i] + word[i + 1 :] for word in frontier for i in range(len(word))}
        found |= frontier
    return found


def _deletion_depths(text: str, depth: int) -> dict[str, int]:
    """Each string reachable by deleting characters, with the fewest deletions that reach it."""
    found = {text: 0}
    frontier = {text}
    for step in range(1, depth + 1):
        frontier = {word[:i] + word[i + 1 :] for word in frontier for i in range(len(word))}
        for word in frontier:
            found.setdefault(word, step)
    return found


# --------------------------------------------------------------------------- filler words

NOISE_WORDS = frozenset(
    {
        "support", "help", "helpdesk", "service", "services", "official", "kefu", "客服", "team", "care",
        "desk", "center", "centre", "app", "wallet", "secure", "security", "verify", "login", "online",
        "hotline", "contact", "recovery", "customer", "kf", "guanfang", "guanwang", "官方", "官网",
        "钱包", "中心", "在线", "热线", "帮助", "服务", "安全", "验证", "登录", "找回", "人工", "www", "my",
        "get", "global", "unlock", "claim", "airdrop", "reward", "rewards", "bonus", "refund", "sync",
        "connect", "auth", "account", "update", "validate", "restore", "chat", "live", "pro", "plus", "lite",
        "new",
    }
)  # fmt: skip
# Suffix labels written into a name ("bitpie-com.io"); removed from the end only.
SUFFIX_WORDS = frozenset({"com", "net", "org", "io", "co", "cn", "hk", "info", "app", "pro", "me"})

_MAX_STATES = 64
_MAX_WORDS = 4


@dataclass(frozen=True)
class _Noise:
    words: frozenset[str]  # skeletons of NOISE_WORDS
    lengths: tuple[int, ...]  # their lengths, ascending
    fuzzy: dict[str, set[str]]  # one deletion of a word of five or more letters -> the words


def _build_noise() -> _Noise:
    words = frozenset(skeleton(w) for w in NOISE_WORDS)
    fuzzy: dict[str, set[str]] = {}
    for word in words:
        if len(word) >= 5:
            for variant in _deletions(word, 1):
                fuzzy.setdefault(variant, set()).add(word)
    return _Noise(words, tuple(sorted({len(w) for w in words})), fuzzy)


_NOISE = _Lazy(_build_noise)


def _is_noise_token(token: str) -> bool:
    if token.isdigit():
        return True
    skel = _ascii_skeleton(token)
    noise = _NOISE.get()
    if skel in noise.words:
        return True
    if len(skel) < 4:
        return False
    for variant in _deletions(skel, 1):
        for word in noise.fuzzy.get(variant, ()):
            if _distance(skel, word, 1) <= 1:
                return True
    return False


@dataclass(frozen=True)
class _Suffixes:
    """Public-suffix labels that may be written into a name ("bitpie-com"), removed from its end."""

    labels: frozenset[str]
    skeletons: frozenset[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, labels: Iterable[str]) -> _Suffixes:
        kept = frozenset(labels)
        skeletons = frozenset(_ascii_skeleton(label) for label in kept) - {""}
        return cls(kept, skeletons, tuple(sorted({len(s) for s in skeletons})))


_NO_SUFFIXES = _Suffixes(frozenset(), frozenset(), ())


def _cores(folded: str, suffixes: _Suffixes) -> tuple[str, ...]:
    """Skeletons left after removing filler words, suffix labels and digits at the ends."""
    tokens = [t for t in _SEPARATORS.split(folded) if t]
    if not tokens:
        return ()
    # At most four words off each end: enough for "official-bitpie-help-center-team", and it keeps
    # the number of combinations small for a host made of a hundred labels.
    left = 0
    while left < min(len(tokens) - 1, _MAX_WORDS) and _is_noise_token(tokens[left]):
        left += 1
    right = len(tokens)
    while right > max(1, left + 1, len(tokens) - _MAX_WORDS) and (
        _is_noise_token(tokens[right - 1]) or tokens[right - 1] in suffixes.labels
    ):
        right -= 1
    starts: set[str] = set()
    for i in range(left + 1):
        for j in range(max(i + 1, right), len(tokens) + 1):
            joined = "".join(tokens[i:j])
            starts.add(_ascii_skeleton(joined))
            trimmed = joined.strip("0123456789")
            if trimmed:
                starts.add(_ascii_skeleton(trimmed))
    full = _ascii_skeleton(folded)
    seen = set(starts)
    queue = list(starts)
    noise = _NOISE.get()
    while queue and len(seen) < _MAX_STATES:
        state = queue.pop()
        size = len(state)
        following: list[str] = []
        for length in noise.lengths:
            if length >= size:
                break
            if state[:length] in noise.words:
                following.append(state[length:])
            if state[-length:] in noise.words:
                following.append(state[:-length])
        for length in suffixes.lengths:
            if length < size and state[-length:] in suffixes.skeletons:
                following.append(state[:-length])
        stripped = state.strip("0123456789")
        if stripped and stripped != state:
            following.append(stripped)
        for nxt in following:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    seen.discard(full)
    return tuple(sorted(seen))


@dataclass(frozen=True)
class _Name:
    written: str  # NFKC, casefolded
    plain: str  # written without separators
    skel: str
    tricky: bool  # uses look-alike characters
    folded: str


def _name(text: str) -> _Name:
    written = unicodedata.normalize("NFKC", text).casefold()
    folded = _fold(written)
    tricky = bool(_LOOKALIKE_DIGIT.search(written))
    if not written.isascii():
        tricky = tricky or folded != written or _mixed_scripts(written)
    return _Name(written, _SEPARATORS.sub("", written), _ascii_skeleton(folded), tricky, folded)


def _looks_different(name: _Name, official: _Name) -> tuple[str, ...]:
    """("homoglyph",) when a name with the official skeleton is written with other characters;
    separators alone ("bit-pie") do not count, they are visible."""
    return ("homoglyph",) if name.plain != official.plain else ()


def _look_reasons(name: _Name, official: _Name) -> tuple[str, ...]:
    """Why a name with the official skeleton on the same platform is not the official name."""
    if name.plain == official.plain:
        return ("typo",) if name.written != official.written else ()
    limit = _bound(len(official.skel))
    if name.plain.isascii() and 0 < _distance(name.plain, official.plain, limit) <= limit:
        return ("homoglyph", "typo")
    return ("homoglyph",)


# --------------------------------------------------------------------------- hosts

_ASCII_LABEL = re.compile(r"[a-z0-9_\-]+")
_DOT_LIKE = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _ipv4_number(part: str) -> int | None:
    lower = part.lower()
    try:
        if lower.startswith("0x"):
            return int(lower[2:] or "0", 16)
        if len(lower) > 1 and lower.startswith("0"):
            return int(lower, 8)
        return int(lower, 10) if lower.isdigit() else None
    except ValueError:
        return None


def _browser_ipv4(host: str) -> str | None:
    """Dotted quad for the numeric hosts browsers accept (WHATWG URL), None when the host is not
    numeric; raises when it is numeric but out of range, as a browser would refuse it."""
    parts = host.split(".")
    last = parts[-1].lower()
    if not (last.isdigit() or re.fullmatch(r"0x[0-9a-f]*", last)):
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise _refuse("invalid_domain")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _refuse("invalid_domain")
    total = values[-1]
    for index, n in enumerate(values[:-1]):
        total += n << (8 * (3 - index))
    return str(ipaddress.IPv4Address(total))


def _canonical_host(raw: str) -> tuple[str, str]:
    """(ASCII host, Unicode host), or refuse."""
    host = raw.strip().translate(_DOT_LIKE)
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253 * 4:
        raise _refuse("invalid_domain")
    if host.startswith("[") and host.endswith("]"):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _refuse("invalid_domain") from None
        return f"[{address.compressed}]", f"[{address.compressed}]"
    quad = _browser_ipv4(host)
    if quad is not None:
        return quad, quad
    ascii_labels: list[str] = []
    unicode_labels: list[str] = []
    for label in host.split("."):
        if not label:
            raise _refuse("invalid_domain")
        try:
            if label.isascii():
                encoded = label.lower()
                if not _ASCII_LABEL.fullmatch(encoded):
                    raise _refuse("invalid_domain")
                shown = idna.decode(encoded) if encoded.startswith("xn--") else encoded
            else:
                encoded = idna.encode(label, uts46=True).decode("ascii")
                shown = idna.decode(encoded)
        except idna.IDNAError:
            raise _refuse("invalid_domain") from None
        if len(encoded) > 63 or "." in encoded:
            raise _refuse("invalid_domain")
        ascii_labels.append(encoded)
        unicode_labels.append(shown)
    ascii_host = ".".join(ascii_labels)
    if len(ascii_host) > 253:
        raise _refuse("invalid_domain")
    return ascii_host, ".".join(unicode_labels)


def _is_ip(host: str) -> bool:
    if host.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _split(host: str) -> tuple[str, str, str]:
    """(subdomain, registrable label, public suffix) of an ASCII host."""
    extract = _TLD.get()
    ext = extract(host, include_psl_private_domains=True)
    if not ext.domain:
        ext = extract(host, include_psl_private_domains=False)
    if ext.domain and ext.suffix:
        return ext.subdomain, ext.domain, ext.suffix
    labels = host.split(".")
    if len(labels) == 1:
        return "", labels[0], ""
    if ext.domain:
        return ".".join(labels[:-2]), labels[-2], labels[-1]
    return "", labels[0], ".".join(labels[1:])


def _registrable(host: str) -> str:
    _sub, name, suffix = _split(host)
    return f"{name}.{suffix}" if suffix else name


def _without_www(ascii_host: str, unicode_host: str) -> tuple[str, str]:
    if ascii_host.startswith("www.") and _split(ascii_host)[0].split(".")[0] == "www":
        return ascii_host[4:], unicode_host[4:]
    return ascii_host, unicode_host


def _domain_channel(raw_host: str) -> Channel:
    ascii_host, unicode_host = _canonical_host(raw_host)
    if not _is_ip(ascii_host):
        if "." not in ascii_host:
            raise _refuse("invalid_domain")
        ascii_host, unicode_host = _without_www(ascii_host, unicode_host)
    return Channel(Kind.DOMAIN.value, ascii_host, unicode_host)


# --------------------------------------------------------------------------- text tidying

_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_WRAPPERS = {'"': '"', "'": "'", "<": ">", "(": ")", "`": "`", "「": "」", "『": "』", "《": "》"}
_WRAPPERS.update({"“": "”", "‘": "’"})
_TRAILING = ",;:!?。，；：！？、…"
_REFANG = (
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE), "."),
    (re.compile(r"\[@\]|\(@\)|\[at\]", re.IGNORECASE), "@"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"^hxxp", re.IGNORECASE), "http"),
)


def _tidy(text: str) -> str:
    text = _INVISIBLE.sub("", text).strip()
    for _round in range(3):
        if len(text) >= 2 and _WRAPPERS.get(text[0]) == text[-1]:
            inner = text[1:-1]
            if text[0] not in inner and text[-1] not in inner:
                text = inner.strip()
                continue
        break
    # After the trailing strip, so that a sentence's final "。" is not read as a dot; inside the text
    # it separates host labels, as it does for IDNA.
    text = text.rstrip(_TRAILING + ".").rstrip().translate(_DOT_LIKE)
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


# --------------------------------------------------------------------------- phones

_EXTENSION = re.compile(r"\s*(?:转|轉|分机|分機|内线|內線|ext\.?|extension|x|#|;ext=)\s*(?=\d{1,8}\s*$)", re.IGNORECASE)
_PHONE_SHAPE = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*(?: ext\. \d{1,8})?")


def _phone_text(text: str) -> str:
    if text[:4].lower() == "tel:":
        text = unquote(text[4:]).strip()
    return _EXTENSION.sub(" ext. ", text, count=1)


def _looks_like_phone(text: str) -> bool:
    candidate = _phone_text(text)
    return bool(_PHONE_SHAPE.fullmatch(candidate)) and sum(c.isdigit() for c in candidate) >= 3


def _read_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # All zeros is "possible" by length alone, and no line anywhere.
    return number if number.national_number and phonenumbers.is_possible_number(number) else None


def _parse_number(text: str, region: str, *, international: bool = False) -> phonenumbers.PhoneNumber:
    cleaned = _phone_text(text)
    if not _PHONE_SHAPE.fullmatch(cleaned) or len(cleaned) > 64:
        raise _refuse("invalid_phone")
    bare = cleaned.lstrip()
    readings: list[phonenumbers.PhoneNumber | None] = []
    if international and not bare.startswith(("+", "0")):
        readings.append(_read_number("+" + bare, region))
    readings.append(_read_number(cleaned, region))
    if bare.startswith("00") and not bare.startswith("000"):
        readings.append(_read_number("+" + bare[2:], region))
    possible = [r for r in readings if r is not None]
    if not possible:
        raise _refuse("invalid_phone")
    valid = [r for r in possible if phonenumbers.is_valid_number(r)]
    return (valid or possible)[0]


def _phone_channel(text: str, region: str) -> Channel:
    number = _parse_number(text, region)
    return Channel(
        Kind.PHONE.value,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


# --------------------------------------------------------------------------- handles

PLATFORMS = frozenset(
    {
        "telegram",
        "x",
        "wechat",
        "whatsapp",
        "discord",
        "facebook",
        "instagram",
        "youtube",
        "weibo",
        "line",
        "tiktok",
        "qq",
    }
)
_PLATFORM_ALIASES = {
    "tg": "telegram", "电报": "telegram", "飞机": "telegram", "纸飞机": "telegram", "twitter": "x", "推特": "x",
    "weixin": "wechat", "wx": "wechat", "vx": "wechat", "微信": "wechat", "fb": "facebook", "脸书": "facebook",
    "ig": "instagram", "ins": "instagram", "yt": "youtube", "油管": "youtube", "微博": "weibo", "wa": "whatsapp",
}  # fmt: skip
_PREFIX = re.compile(
    r"(?P<platform>[a-z]{1,10}|电报|飞机|纸飞机|推特|微信|脸书|油管|微博)(?:号|\s*id)?\s*:\s*(?P<rest>.+)",
    re.IGNORECASE | re.DOTALL,
)
_HANDLE_NAME = re.compile(r"\w(?:[\w.\-]{0,62}\w)?")
_BARE_NAME = re.compile(r"[\w\-]{1,64}")


def _platform(value: str) -> str:
    lowered = value.strip().lower()
    canonical = _PLATFORM_ALIASES.get(lowered, lowered)
    if canonical not in PLATFORMS:
        raise _refuse("unknown_platform")
    return canonical


def _prefixed(text: str) -> tuple[str, str] | None:
    match = _PREFIX.fullmatch(text)
    if match is None:
        return None
    word = match.group("platform").lower()
    platform = _PLATFORM_ALIASES.get(word, word)
    if platform not in PLATFORMS:
        return None
    return platform, match.group("rest").strip()


def _handle_channel(platform: str, name: str, region: str, *, display: str = "") -> Channel:
    if platform == "whatsapp":
        number = _parse_number(name, region, international=True)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return Channel(Kind.HANDLE.value, f"whatsapp:{e164}", shown, "whatsapp")
    name = name.strip()
    if name.startswith("@"):
        name = name[1:]
    invite = platform == "telegram" and name.startswith("+")
    body = name[1:] if invite else name
    if not _HANDLE_NAME.fullmatch(body) or not any(c.isalnum() for c in body):
        raise _refuse("invalid_handle")
    return Channel(Kind.HANDLE.value, f"{platform}:{name.lower()}", display or f"@{name}", platform)


def _parse_handle(text: str, platform: str, region: str) -> Channel:
    if _looks_like_link(text):
        found = _parse_link(text, region, want=Kind.HANDLE)
        if found.kind != Kind.HANDLE:
            raise _refuse("invalid_handle")
        if platform and found.platform != platform:
            raise _refuse("platform_mismatch")
        return found
    prefixed = _prefixed(text)
    if prefixed is not None:
        if platform and prefixed[0] != platform:
            raise _refuse("platform_mismatch")
        platform, text = prefixed
    elif text.startswith(":"):
        text = text[1:]
    return _handle_channel(platform, text, region)


# --------------------------------------------------------------------------- apps

_APPLE_ID = re.compile(r"(?:id)?(\d{5,12})", re.IGNORECASE)
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+", re.IGNORECASE)
_GENERIC_PACKAGE_LABELS = frozenset({"com", "org", "net", "io", "co", "cn", "app", "apps", "android", "mobile"})


def _apple_channel(number: str, slug: str) -> Channel:
    slug = unquote(slug).strip().lower()
    if len(slug) > 200:
        slug = ""  # only a hint for look-alike checks; a slug this long is no app's name
    shown = f"apps.apple.com/app/{slug}/id{number}" if slug else f"apps.apple.com/app/id{number}"
    return Channel(Kind.APP.value, f"apple:{number}", shown, "apple", slug)


def _google_channel(package: str) -> Channel:
    package = package.strip()
    if not _PACKAGE.fullmatch(package) or len(package) > 150:
        raise _refuse("invalid_app")
    package = package.lower()
    return Channel(Kind.APP.value, f"google:{package}", f"play.google.com/store/apps/details?id={package}", "google")


def _parse_app(text: str, platform: str) -> Channel:
    if _looks_like_link(text):
        found = _parse_link(text, "", want=Kind.APP)
        if found.kind != Kind.APP or (platform and found.platform != platform):
            raise _refuse("invalid_app")
        return found
    store, sep, rest = text.partition(":")
    if sep and store.lower() in {"apple", "google"}:
        if platform and store.lower() != platform:
            raise _refuse("platform_mismatch")
        platform, text = store.lower(), rest.strip()
    if platform in {"apple", ""}:
        match = _APPLE_ID.fullmatch(text)
        if match:
            return _apple_channel(match.group(1), "")
    if platform in {"google", ""} and _PACKAGE.fullmatch(text):
        return _google_channel(text)
    raise _refuse("invalid_app")


def _normalise_store(platform: str) -> str:
    lowered = platform.strip().lower()
    stores = {"apple": "apple", "ios": "apple", "app store": "apple", "appstore": "apple"}
    stores |= {"google": "google", "android": "google", "google play": "google", "play": "google"}
    if lowered not in stores:
        raise _refuse("unknown_platform")
    return stores[lowered]


# --------------------------------------------------------------------------- links

_WEB_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})
_APP_SCHEMES = frozenset({"tg", "whatsapp", "market", "itms-apps", "itms-appss", "weixin", "tel", "mailto"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_TRACKING = frozenset(
    {
        "hl", "gl", "ref", "ref_src", "ref_url", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid",
        "igshid", "igsh", "si", "s", "t", "mc_cid", "mc_eid", "_ga", "_gl", "spm", "share_source",
        "share_medium", "from", "feature", "pt", "ct", "mt", "ls", "referrer", "src", "source", "lang",
    }
)  # fmt: skip
_SOCIAL_HOSTS = {
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram", "x.com": "x", "twitter.com": "x",
    "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "whatsapp.com": "whatsapp", "chat.whatsapp.com": "whatsapp",
    "discord.gg": "discord", "discord.com": "discord", "discordapp.com": "discord", "facebook.com": "facebook",
    "fb.com": "facebook", "fb.me": "facebook", "instagram.com": "instagram", "instagr.am": "instagram",
    "youtube.com": "youtube", "youtu.be": "youtube", "weibo.com": "weibo", "weibo.cn": "weibo", "line.me": "line",
    "page.line.me": "line", "lin.ee": "line", "tiktok.com": "tiktok", "weixin.qq.com": "wechat",
    "mp.weixin.qq.com": "wechat", "u.wechat.com": "wechat", "apps.apple.com": "apple", "itunes.apple.com": "apple",
    "play.google.com": "google",
}  # fmt: skip
_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.")
# First path segments that are site features rather than account names.
_RESERVED = {
    "telegram": {"share", "addstickers", "addemoji", "proxy", "socks", "setlanguage", "addtheme", "iv", "login", "c"},
    "x": {
        "home", "i", "intent", "search", "explore", "settings", "messages", "notifications", "hashtag", "share",
        "compose", "login", "signup", "tos", "privacy", "about",
    },
    "facebook": {
        "groups", "pages", "events", "watch", "marketplace", "share", "sharer", "sharer.php", "login", "help",
        "people", "photo", "photo.php", "story.php", "permalink.php", "gaming", "reel", "dialog", "l.php",
    },
    "instagram": {"p", "reel", "reels", "stories", "explore", "accounts", "direct", "tv"},
    "weibo": {"p", "status", "detail", "ttarticle", "tv", "login", "signup", "search"},
}  # fmt: skip
_NAME_SHAPES = {
    "telegram": re.compile(r"[A-Za-z0-9_]{3,32}"),
    "x": re.compile(r"[A-Za-z0-9_]{1,15}"),
    "facebook": re.compile(r"[A-Za-z0-9.\-]{1,50}"),
    "instagram": re.compile(r"[A-Za-z0-9._]{1,30}"),
    "weibo": re.compile(r"[\w\-]{1,30}"),
}


def _looks_like_link(text: str) -> bool:
    if text.startswith("//"):
        return True
    scheme = _SCHEME.match(text)
    if scheme:
        name = scheme.group(1).lower()
        if name in _WEB_SCHEMES or (name in _APP_SCHEMES and text[scheme.end() :].startswith("//")):
            return True
    head = text.split("/", 1)[0].split("?", 1)[0].lower()
    return "/" in text and "." in head and " " not in head


def _query(query: str) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        lowered = key.lower()
        if lowered.startswith("utm_") or lowered in _TRACKING:
            continue
        kept.setdefault(lowered, value)
    return kept


def _site_platform(host: str) -> str:
    if host in _SOCIAL_HOSTS:
        return _SOCIAL_HOSTS[host]
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host[len(prefix) :] in _SOCIAL_HOSTS:
            return _SOCIAL_HOSTS[host[len(prefix) :]]
    return ""


def _parse_link(text: str, region: str, *, want: Kind | None) -> Channel:
    text = re.sub(r"[\t\r\n]", "", text).replace("\\", "/")
    scheme_match = _SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme_match and scheme in _APP_SCHEMES:
        return _parse_app_scheme(scheme, text[scheme_match.end() :], region, want)
    if scheme_match and scheme in _WEB_SCHEMES:
        text = "http://" + text[scheme_match.end() :].lstrip("/")
    elif text.startswith("//"):
        text = "http:" + text
    elif scheme_match and text[scheme_match.end() :].startswith("//"):
        raise _refuse("unsupported_link")
    else:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _refuse("invalid_domain") from None
    # The host is what follows the last "@" of the authority, as browsers read it.
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host = hostport[: hostport.find("]") + 1] if "]" in hostport else hostport
    else:
        host = hostport.partition(":")[0]
    domain = _domain_channel(unquote(host))
    if want == Kind.DOMAIN:
        return domain
    platform = _site_platform(domain.value)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    query = _query(parts.query)
    if not platform or (not segments and not query):
        if want in (Kind.HANDLE, Kind.APP):
            raise _refuse("invalid_handle" if want == Kind.HANDLE else "invalid_app")
        return domain
    found = _platform_path(platform, domain.value, segments, query, region)
    if want == Kind.APP and found.kind != Kind.APP:
        raise _refuse("invalid_app")
    return found


def _parse_app_scheme(scheme: str, rest: str, region: str, want: Kind | None) -> Channel:
    if scheme == "tel":
        return _phone_channel("tel:" + rest, region)
    if scheme == "mailto":
        return _email_channel(rest)
    if scheme == "weixin":
        raise _refuse("wechat_link")
    try:
        parts = urlsplit(scheme + ":" + rest)
    except ValueError:
        raise _refuse("unsupported_link") from None
    query = _query(parts.query)
    target = (parts.netloc or parts.path.strip("/")).lower()
    if scheme == "tg":
        if target == "resolve" and query.get("domain"):
            return _handle_channel("telegram", query["domain"], region)
        if target == "join" and query.get("invite"):
            return _handle_channel("telegram", "+" + query["invite"], region, display=f"t.me/+{query['invite']}")
    elif scheme == "whatsapp":
        if target == "send" and query.get("phone"):
            return _handle_channel("whatsapp", query["phone"], region)
    elif scheme == "market":
        if target == "details" and query.get("id"):
            return _google_channel(query["id"])
    else:
        for segment in reversed(parts.path.split("/")):
            match = _APPLE_ID.fullmatch(segment)
            if match and segment.lower().startswith("id"):
                return _apple_channel(match.group(1), "")
    raise _refuse("unsupported_link")


def _platform_path(platform: str, host: str, segments: list[str], query: dict[str, str], region: str) -> Channel:
    first = segments[0] if segments else ""
    lowered = first.lower()
    if platform == "wechat":
        raise _refuse("wechat_link")
    if platform == "apple":
        for index, segment in enumerate(segments):
            match = _APPLE_ID.fullmatch(segment)
            if match and segment.lower().startswith("id"):
                slug = segments[index - 1] if index >= 1 and segments[index - 1].lower() != "app" else ""
                return _apple_channel(match.group(1), slug)
        raise _refuse("invalid_app")
    if platform == "google":
        if segments[-2:] == ["apps", "details"] and query.get("id"):
            return _google_channel(query["id"])
        raise _refuse("invalid_app")
    if platform == "telegram":
        if lowered == "s" and len(segments) > 1:
            first, lowered = segments[1], segments[1].lower()
        if lowered == "joinchat" and len(segments) > 1:
            return _handle_channel(platform, "+" + segments[1], region, display=f"t.me/+{segments[1]}")
        if first.startswith("+") and len(first) > 1:
            return _handle_channel(platform, first, region, display=f"t.me/{first}")
    elif platform == "whatsapp":
        if host == "wa.me" and first.isdigit():
            return _handle_channel(platform, first, region)
        if lowered in {"send", ""} and query.get("phone"):
            return _handle_channel(platform, query["phone"], region)
        raise _refuse("unsupported_link")
    elif platform == "discord":
        code = first if host == "discord.gg" else (segments[1] if lowered == "invite" and len(segments) > 1 else "")
        if code:
            return _handle_channel(platform, code, region, display=f"discord.gg/{code}")
        raise _refuse("unsupported_link")
    elif platform == "facebook":
        if lowered == "profile.php" and query.get("id", "").isdigit():
            return _handle_channel(platform, query["id"], region)
    elif platform == "youtube":
        if host == "youtu.be":
            raise _refuse("unsupported_link")
        if first.startswith("@") and len(first) > 1:
            return _handle_channel(platform, first, region)
        if lowered in {"c", "user"} and len(segments) > 1:
            return _handle_channel(platform, segments[1], region)
        raise _refuse("unsupported_link")
    elif platform == "weibo":
        if lowered in {"u", "n", "profile"} and len(segments) > 1:
            return _handle_channel(platform, segments[1], region)
    elif platform == "line":
        if host == "page.line.me" and first:
            return _handle_channel(platform, first.lstrip("@~"), region)
        tail = segments[-1] if len(segments) >= 3 and [s.lower() for s in segments[-3:-1]] == ["ti", "p"] else ""
        if tail.lstrip("@~"):
            return _handle_channel(platform, tail.lstrip("@~"), region)
        raise _refuse("unsupported_link")
    elif platform == "tiktok":
        if first.startswith("@") and len(first) > 1:
            return _handle_channel(platform, first, region)
        raise _refuse("unsupported_link")
    if not first or lowered in _RESERVED.get(platform, set()):
        raise _refuse("unsupported_link")
    shape = _NAME_SHAPES.get(platform)
    if shape is None or not shape.fullmatch(first):
        raise _refuse("unsupported_link")
    return _handle_channel(platform, first, region)


# --------------------------------------------------------------------------- e-mail

_LOCAL_PART = re.compile(r"[\w!#$%&'*+/=?^`{|}~\-]+(?:\.[\w!#$%&'*+/=?^`{|}~\-]+)*")
_ANGLE = re.compile(r"[^<>]*<([^<>]+)>")


def _email_channel(text: str) -> Channel:
    if text[:7].lower() == "mailto:":
        text = text[7:]
    angle = _ANGLE.fullmatch(text.strip())
    if angle:
        text = angle.group(1)
    text = unquote(text.split("?", 1)[0]).strip()
    local, sep, host = text.rpartition("@")
    if not sep or not _LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise _refuse("invalid_email")
    try:
        ascii_host, unicode_host = _canonical_host(host)
    except NotAChannel:
        raise _refuse("invalid_email") from None
    if _is_ip(ascii_host) or "." not in ascii_host:
        raise _refuse("invalid_email")
    ascii_host, unicode_host = _without_www(ascii_host, unicode_host)
    return Channel(Kind.EMAIL.value, f"{local.lower()}@{ascii_host}", f"{local}@{unicode_host}")


# --------------------------------------------------------------------------- addresses


def _address_channel(text: str) -> Channel:
    ref = chain.classify(text)
    if ref is None:
        raise _refuse("invalid_address")
    if ref.kind != "address":
        raise _refuse("transaction_hash")
    return Channel(Kind.ADDRESS.value, ref.value, text.strip(), ref.network)


# --------------------------------------------------------------------------- parse


def parse(raw: str, *, kind: str | None = None, platform: str | None = None, region: str = "CN") -> Channel:
    """The canonical channel for what a person pasted, or `NotAChannel`."""
    if not isinstance(raw, str):
        raise _refuse("unrecognised_channel")
    if len(raw) > MAX_LENGTH:
        raise _refuse("too_long")
    text = unicodedata.normalize("NFKC", raw)
    if len(text) > MAX_LENGTH:
        raise _refuse("too_long")
    tidy = _tidy(text)
    if not tidy:
        raise _refuse("unrecognised_channel" if text.strip() else "empty")
    text = tidy
    if kind is None:
        return _guess(text, _platform(platform) if platform else "", region)
    try:
        chosen = Kind(kind)
    except ValueError:
        raise _refuse("unknown_kind") from None
    if chosen == Kind.PHONE:
        return _phone_channel(text, region)
    if chosen == Kind.DOMAIN:
        return _parse_link(text, region, want=Kind.DOMAIN)
    if chosen == Kind.EMAIL:
        return _email_channel(text)
    if chosen == Kind.HANDLE:
        return _parse_handle(text, _platform(platform) if platform else "", region)
    if chosen == Kind.APP:
        return _parse_app(text, _normalise_store(platform) if platform else "")
    return _address_channel(text)


_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_HEXISH = re.compile(r"0x[0-9a-f]*", re.IGNORECASE)


def _guess(text: str, platform: str, region: str) -> Channel:
    scheme = _SCHEME.match(text)
    name = scheme.group(1).lower() if scheme else ""
    # "whatsapp:+852…", "tg:bitpie" are the prefix notation, not app links (those have "//").
    app_link = name in _APP_SCHEMES and (name in {"tel", "mailto"} or text[len(name) + 1 :].startswith("//"))
    if app_link or name in _WEB_SCHEMES or text.startswith("//"):
        found = _parse_link(text, region, want=None)
        if platform and found.kind == Kind.HANDLE and found.platform != platform:
            raise _refuse("platform_mismatch")
        return found
    prefixed = _prefixed(text)
    if prefixed is not None:
        return _parse_handle(text, platform, region)
    if text.startswith(":"):
        return _handle_channel(platform, text[1:], region)
    if name in {"apple", "google"}:
        return _parse_app(text, "")
    ref = chain.classify(text)
    if ref is not None:
        if ref.kind != "address":
            raise _refuse("transaction_hash")
        return Channel(Kind.ADDRESS.value, ref.value, text, ref.network)
    if _HEXISH.fullmatch(text):
        raise _refuse("invalid_address")
    if _DOTTED_QUAD.fullmatch(text) or (text.startswith("[") and text.endswith("]")):
        return _domain_channel(text)
    if _looks_like_phone(text):
        if platform == "whatsapp":
            return _handle_channel(platform, text, region)
        return _phone_channel(text, region)
    if text.startswith("@"):
        return _handle_channel(platform, text, region)
    if _ANGLE.fullmatch(text):
        return _email_channel(text)
    if any(c.isspace() for c in text):
        raise _refuse("unrecognised_channel")
    if "@" in text and not any(c in text for c in "/?#"):
        return _email_channel(text)
    if _looks_like_link(text) or ("." in text and not platform):
        found = _parse_link(text, region, want=None)
        if platform and found.kind == Kind.HANDLE and found.platform != platform:
            raise _refuse("platform_mismatch")
        return found
    if _BARE_NAME.fullmatch(text) and any(c.isalpha() for c in text):
        return _handle_channel(platform, text, region)
    if platform and _HANDLE_NAME.fullmatch(text):
        return _handle_channel(platform, text, region)
    raise _refuse("unrecognised_channel")


# --------------------------------------------------------------------------- matching


class _NameIndex:
    """Skeletons of official names, with an index of deletions for bounded typo search."""

    def __init__(self) -> None:
        self.exact: dict[str, list[int]] = {}
        self._near: dict[str, list[int]] = {}
        self._skels: list[str] = []
        self.longest = 0

    def add(self, skel: str, index: int) -> None:
        while len(self._skels) <= index:
            self._skels.append("")
        self._skels[index] = skel
        self.exact.setdefault(skel, []).append(index)
        self.longest = max(self.longest, len(skel))
        for variant in _deletions(skel, _bound(len(skel))):
            self._near.setdefault(variant, []).append(index)

    def near(self, skel: str) -> dict[int, int]:
        """Entries within their typo bound of `skel` (distance > 0)."""
        if len(skel) < 3 or len(skel) > self.longest + 2:
            return {}
        found: dict[int, int] = {}
        tried: set[int] = set()
        for variant, depth in _deletion_depths(skel, 2 if len(skel) >= 7 else 1).items():
            for index in self._near.get(variant, ()):
                if index in tried:
                    continue
                official = self._skels[index]
                limit = _bound(len(official))
                # A variant more deletions deep than the official's bound cannot be within it.
                if depth > limit:
                    continue
                tried.add(index)
                if abs(len(official) - len(skel)) > limit:
                    continue
                distance = _distance(skel, official, limit)
                if 0 < distance <= limit:
                    found[index] = distance
        return found


@dataclass(frozen=True)
class _Host:
    channel: Channel
    registrable: str
    suffix: str
    name: _Name
    idn: bool


@dataclass(frozen=True)
class _Handle:
    channel: Channel
    platform: str
    name: _Name


@dataclass(frozen=True)
class _Phone:
    channel: Channel
    country: int
    national: str


@dataclass(frozen=True)
class _App:
    channel: Channel
    store: str
    name: _Name


# How strong a kind of match is, to choose one official when several are resembled.
_SAME = 0  # same skeleton on the same platform (or the same number on another)
_CROSS = 1  # same skeleton on another platform or store
_SUBDOMAIN = 2
_ADDED = 3
_ADDED_CROSS = 4
_TYPO = 5
_ADDED_TYPO = 6
_SITE_NAME = 7  # a handle carrying an official site's name (8 with added words)
_LOCAL_NAME = 9


class _Hits:
    """Best (rank, reasons) per official; a lower rank is a stronger kind of match."""

    def __init__(self) -> None:
        self.found: dict[int, tuple[int, set[str]]] = {}

    def add(self, index: int, rank: int, *reasons: str) -> None:
        previous = self.found.get(index)
        if previous is None:
            self.found[index] = (rank, set(reasons))
        else:
            previous[1].update(reasons)
            self.found[index] = (min(rank, previous[0]), previous[1])

    def best(self, officials: Callable[[int], Channel]) -> Resemblance | None:
        if not self.found:
            return None
        index = min(self.found, key=lambda i: (self.found[i][0], i))
        reasons = self.found[index][1]
        return Resemblance(officials(index), tuple(r for r in REASONS if r in reasons))


def _app_name(channel: Channel) -> str:
    if channel.platform == "google" or channel.value.startswith("google:"):
        labels = channel.value.partition(":")[2].split(".")
        while len(labels) > 1 and labels[0] in _GENERIC_PACKAGE_LABELS:
            labels = labels[1:]
        return ".".join(labels)
    return channel.slug


def _address_key(channel: Channel) -> tuple[str, int, str, str] | None:
    value = channel.value
    network = channel.platform
    if not network:
        ref = chain.classify(value)
        if ref is None or ref.kind != "address":
            return None
        network = ref.network
    lowered = value.lower()
    if lowered.startswith("0x"):
        prefix = 2
    elif lowered.startswith(("bc1", "tb1")):
        prefix = 4
    elif network in ("tron", "bitcoin"):
        # A version character every address of the kind shares ("T", "1", "3").
        prefix = 1
    else:
        prefix = 0
    body = value[prefix:]
    if len(body) < 12:
        return None
    return network, len(value), body[:4], body[-4:]


class Matcher:
    """Look-alike checks against a fixed list of official channels (built once, queried often)."""

    def __init__(self, officials: Iterable[Channel]) -> None:
        self._exact: set[tuple[str, str]] = set()
        self._hosts: list[_Host] = []
        self._host_names = _NameIndex()
        self._registrables: set[str] = set()
        self._suffix_words: set[str] = set(SUFFIX_WORDS)
        self._handles: list[_Handle] = []
        self._handle_names = _NameIndex()
        self._handle_written: set[str] = set()
        self._phones: list[_Phone] = []
        self._phone_patterns: dict[tuple[int, str], list[int]] = {}
        self._phone_numbers: dict[tuple[int, str], list[int]] = {}
        self._apps: list[_App] = []
        self._app_names = _NameIndex()
        self._addresses: dict[tuple[str, int, str, str], list[Channel]] = {}
        # Shared tables are built here rather than by the first query, whose latency would then
        # include reading the confusables data.
        _NOISE.get()
        _mixed_scripts("a")
        for channel in officials:
            self._add(channel)
        self._suffixes = _Suffixes.of(self._suffix_words)

    def _add(self, channel: Channel) -> None:
        self._exact.add((channel.kind, channel.value))
        if channel.kind in (Kind.DOMAIN, Kind.EMAIL):
            host = channel.value.rpartition("@")[2] if channel.kind == Kind.EMAIL else channel.value
            if _is_ip(host):
                return
            _sub, label, suffix = _split(host)
            name = _name(_label_unicode(label))
            entry = _Host(channel, f"{label}.{suffix}" if suffix else label, suffix, name, "xn--" in host)
            self._host_names.add(name.skel, len(self._hosts))
            self._hosts.append(entry)
            self._registrables.add(entry.registrable)
            self._suffix_words.update(suffix.split("."))
        elif channel.kind == Kind.HANDLE:
            platform, _sep, name_text = channel.value.partition(":")
            if platform == "whatsapp":
                self._add_phone(channel, name_text)
                return
            name = _name(name_text)
            self._handle_names.add(name.skel, len(self._handles))
            self._handles.append(_Handle(channel, platform, name))
            self._handle_written.add(name.written)
        elif channel.kind == Kind.PHONE:
            self._add_phone(channel, channel.value)
        elif channel.kind == Kind.APP:
            store = channel.value.partition(":")[0]
            text = _app_name(channel)
            if text:
                name = _name(text)
                self._app_names.add(name.skel, len(self._apps))
                self._apps.append(_App(channel, store, name))
        elif channel.kind == Kind.ADDRESS:
            key = _address_key(channel)
            if key is not None:
                self._addresses.setdefault(key, []).append(channel)

    def _add_phone(self, channel: Channel, e164: str) -> None:
        parsed = _e164(e164)
        if parsed is None:
            return
        country, national = parsed
        index = len(self._phones)
        self._phones.append(_Phone(channel, country, national))
        self._phone_numbers.setdefault((country, national), []).append(index)
        if len(national) >= 7:
            for i in range(len(national)):
                pattern = national[:i] + "?" + national[i + 1 :]
                self._phone_patterns.setdefault((country, pattern), []).append(index)

    def resemblance(self, candidate: Channel) -> Resemblance | None:
        if (candidate.kind, candidate.value) in self._exact:
            return None
        if candidate.kind == Kind.DOMAIN:
            return self._host_resemblance(candidate.value)
        if candidate.kind == Kind.EMAIL:
            return self._email_resemblance(candidate.value)
        if candidate.kind == Kind.HANDLE:
            platform, _sep, name = candidate.value.partition(":")
            if platform == "whatsapp":
                return self._phone_resemblance(name, whatsapp=True)
            return self._handle_resemblance(platform, name)
        if candidate.kind == Kind.PHONE:
            return self._phone_resemblance(candidate.value, whatsapp=False)
        if candidate.kind == Kind.APP:
            return self._app_resemblance(candidate)
        if candidate.kind == Kind.ADDRESS:
            return self._address_resemblance(candidate)
        return None

    # -- hosts

    def _host_hits(self, host: str) -> _Hits | None:
        """None when the host is under an official registrable domain."""
        hits = _Hits()
        if _is_ip(host):
            return hits
        sub, label, suffix = _split(host)
        if (f"{label}.{suffix}" if suffix else label) in self._registrables:
            return None
        name = _name(_label_unicode(label))
        index = self._host_names
        for i in index.exact.get(name.skel, ()):
            official = self._hosts[i]
            reasons = set(_look_reasons(name, official.name))
            if suffix != official.suffix:
                reasons.add("other_suffix")
            hits.add(i, _SAME, *reasons)
        for i in index.near(name.skel):
            hits.add(i, _TYPO, "typo", *(("homoglyph",) if name.tricky else ()))
        for core in _cores(name.folded, self._suffixes):
            for i in index.exact.get(core, ()):
                if len(self._hosts[i].name.skel) >= 3:
                    hits.add(i, _ADDED, "added_word", *(("homoglyph",) if name.tricky else ()))
            for i in index.near(core):
                hits.add(i, _ADDED_TYPO, "added_word", "typo", *(("homoglyph",) if name.tricky else ()))
        if sub:
            parts = [p for p in sub.split(".") if p]
            for part in {*parts, sub} if len(parts) > 1 else set(parts):
                label_name = _name(_label_unicode(part) if "." not in part else _host_unicode(part))
                for skel in (label_name.skel, *_cores(label_name.folded, self._suffixes)):
                    for i in index.exact.get(skel, ()):
                        official = self._hosts[i]
                        if len(official.name.skel) < 3:
                            continue
                        tricky = label_name.tricky or (
                            skel == label_name.skel and label_name.plain != official.name.plain
                        )
                        hits.add(i, _SUBDOMAIN, "subdomain_trick", *(("homoglyph",) if tricky else ()))
        if "xn--" in host:
            for i in list(hits.found):
                if not self._hosts[i].idn:
                    hits.add(i, hits.found[i][0], "punycode")
        return hits

    def _host_resemblance(self, host: str) -> Resemblance | None:
        hits = self._host_hits(host)
        if hits is None:
            return None
        return hits.best(lambda i: self._hosts[i].channel)

    def _email_resemblance(self, address: str) -> Resemblance | None:
        local, _sep, host = address.rpartition("@")
        hits = self._host_hits(host)
        if hits is None:
            return None
        if not hits.found:
            name = _name(local)
            for skel in (name.skel, *_cores(name.folded, _NO_SUFFIXES)):
                for i in self._host_names.exact.get(skel, ()):
                    if len(self._hosts[i].name.skel) >= 3:
                        hits.add(i, _LOCAL_NAME, "name_in_local_part", *(("homoglyph",) if name.tricky else ()))
        return hits.best(lambda i: self._hosts[i].channel)

    # -- handles

    def _handle_resemblance(self, platform: str, text: str) -> Resemblance | None:
        name = _name(text)
        if not platform and name.written in self._handle_written:
            return None
        hits = _Hits()
        tricky = ("homoglyph",) if name.tricky else ()

        def same(i: int) -> bool:
            other = self._handles[i].platform
            return not platform or not other or other == platform

        for i in self._handle_names.exact.get(name.skel, ()):
            official = self._handles[i]
            if same(i):
                if name.written == official.name.written:
                    continue
                hits.add(i, _SAME, *_look_reasons(name, official.name))
            else:
                hits.add(i, _CROSS, "other_platform", *_looks_different(name, official.name))
        for i in self._handle_names.near(name.skel):
            if same(i):
                hits.add(i, _TYPO, "typo", *tricky)
        cores = _cores(name.folded, _NO_SUFFIXES)
        for core in cores:
            for i in self._handle_names.exact.get(core, ()):
                if len(self._handles[i].name.skel) < 3:
                    continue
                if same(i):
                    hits.add(i, _ADDED, "added_word", *tricky)
                else:
                    hits.add(i, _ADDED_CROSS, "added_word", "other_platform", *tricky)
            for i in self._handle_names.near(core):
                if same(i):
                    hits.add(i, _ADDED_TYPO, "added_word", "typo", *tricky)
        result = hits.best(lambda i: self._handles[i].channel)
        if result is not None:
            return result
        # No official account to compare with: the name of an official site still counts.
        host_hits = _Hits()
        for rank, skel in enumerate((name.skel, *cores)):
            for i in self._host_names.exact.get(skel, ()):
                site = self._hosts[i]
                if len(site.name.skel) < 3:
                    continue
                extra = ("added_word",) if rank else ()
                look = ("homoglyph",) if name.tricky or (not rank and _looks_different(name, site.name)) else ()
                host_hits.add(i, _SITE_NAME + min(rank, 1), "other_platform", *extra, *look)
        return host_hits.best(lambda i: self._hosts[i].channel)

    # -- phones

    def _phone_resemblance(self, e164: str, *, whatsapp: bool) -> Resemblance | None:
        parsed = _e164(e164)
        if parsed is None:
            return None
        country, national = parsed
        hits = _Hits()

        def kind_reason(i: int) -> tuple[str, ...]:
            official_whatsapp = self._phones[i].channel.kind == Kind.HANDLE
            return ("other_platform",) if official_whatsapp != whatsapp else ()

        for i in self._phone_numbers.get((country, national), ()):
            if kind_reason(i):
                hits.add(i, _SAME, "other_platform")
        if len(national) >= 7:
            for pos in range(len(national)):
                pattern = national[:pos] + "?" + national[pos + 1 :]
                for i in self._phone_patterns.get((country, pattern), ()):
                    if self._phones[i].national != national:
                        hits.add(i, _TYPO, "similar_number", *kind_reason(i))
            for pos in range(len(national) - 1):
                if national[pos] == national[pos + 1]:
                    continue
                swapped = national[:pos] + national[pos + 1] + national[pos] + national[pos + 2 :]
                for i in self._phone_numbers.get((country, swapped), ()):
                    hits.add(i, _TYPO, "similar_number", *kind_reason(i))
            digits = f"{country}{national}"
            for i, official in enumerate(self._phones):
                if (
                    len(official.national) >= 7
                    and official.national in digits
                    and (official.country, official.national) != (country, national)
                ):
                    hits.add(i, _ADDED_TYPO, "similar_number", *kind_reason(i))
        return hits.best(lambda i: self._phones[i].channel)

    # -- apps and addresses

    def _app_resemblance(self, candidate: Channel) -> Resemblance | None:
        text = _app_name(candidate)
        if not text:
            return None
        store = candidate.value.partition(":")[0]
        name = _name(text)
        tricky = ("homoglyph",) if name.tricky else ()
        hits = _Hits()
        for i in self._app_names.exact.get(name.skel, ()):
            official = self._apps[i]
            look = _looks_different(name, official.name)
            if official.store == store:
                hits.add(i, _SAME, *(_look_reasons(name, official.name) if look else ("same_name",)))
            else:
                hits.add(i, _CROSS, "other_platform", *look)
        for i in self._app_names.near(name.skel):
            if self._apps[i].store == store:
                hits.add(i, _TYPO, "typo", *tricky)
        for core in _cores(name.folded, _NO_SUFFIXES):
            for i in self._app_names.exact.get(core, ()):
                if self._apps[i].store == store:
                    hits.add(i, _ADDED, "added_word", *tricky)
                else:
                    hits.add(i, _ADDED_CROSS, "added_word", "other_platform", *tricky)
        return hits.best(lambda i: self._apps[i].channel)

    def _address_resemblance(self, candidate: Channel) -> Resemblance | None:
        key = _address_key(candidate)
        if key is None:
            return None
        for official in self._addresses.get(key, ()):
            if official.value != candidate.value:
                return Resemblance(official, ("similar_address",))
        return None


def _label_unicode(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return idna.decode(label)
        except idna.IDNAError:
            return label
    return label


def _host_unicode(host: str) -> str:
    return ".".join(_label_unicode(part) for part in host.split("."))


def _e164(value: str) -> tuple[int, str] | None:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    return int(number.country_code or 0), national
