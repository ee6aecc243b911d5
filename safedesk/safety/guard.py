"""The agent guard: staff text for a customer (a public reply, a macro) that asks for a recovery
phrase, a private key, a password, a 2FA code or remote access to the customer's device, or that
links outside the desk and the official domains, is refused with an explanation, and the
refusal is an audit event supervisors see and are emailed about (CASES.md B12 T66: insider and
compromised-agent risk).

It looks for a request, not for a mention: a sentence counts when it has an asking word and a
secret's name, and no word that says not to ("we will never ask for your recovery phrase",
"不要把助记词告诉任何人" pass). Sentences are split at . ! ? 。！？ ； and newlines.

Links (`links_outside`) are every URL with a scheme, every bare domain whose ending is a public
suffix ("bitpie-help.io/login", "www.foo.com", "钱包.中国") and the domain of every e-mail address:
an address at a look-alike domain takes the customer off the desk as surely as a link does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import idna
import tldextract
from django.utils.translation import gettext_lazy as _

from safedesk.lib.errors import InvalidInput

# What is asked for, by kind (stable names: audit data, tests).
_SECRETS = {
    "recovery_phrase": (
        r"recovery\s+phrase|seed\s+phrase|seed\s+words?|secret\s+(?:recovery\s+)?phrase|mnemonic|backup\s+phrase|"
        r"(?:12|24|twelve|twenty[- ]four)\s+(?:backup\s+|secret\s+|recovery\s+|seed\s+)?words|"
        r"助记词|助記詞|恢复短语|恢復短語|种子短语|種子短語|备份短语|十二个单词|12个单词|24个单词|助记单词"
    ),
    "private_key": r"private\s+key|priv\s*key|keystore|私钥|私鑰|秘钥|秘鑰|密钥文件|keystore文件",
    "password": (
        r"password|passcode|passphrase|登录密码|登錄密碼|交易密码|交易密碼|支付密码|支付密碼|"
        r"资金密码|資金密碼|密码|密碼"
    ),
    "two_factor": (
        r"2fa|two[- ]factor|authenticator\s+code|google\s+authenticator|verification\s+code|"
        r"one[- ]time\s+(?:code|password)|"
        r"otp|sms\s+code|security\s+code|验证码|驗證碼|谷歌验证|谷歌驗證|动态码|動態碼|二次验证|二次驗證|短信码|短信碼"
    ),
    # Remote-desktop and screen-sharing tools and what they do: with them a scammer watches the
    # customer open their wallet, or moves the funds himself.
    "remote_access": (
        r"anydesk|team\s?viewer|rust\s?desk|todesk|quicksupport|quick\s+assist|sunlogin|"
        r"splashtop|ultra\s?viewer|airdroid|screen\s?connect|logmein|zoho\s+assist|supremo|"
        r"remote\s+(?:desktop|access|control|assistance|session|connection)|"
        r"screen[\s-]?shar(?:e|ing)|share\s+(?:your|the)\s+(?:screen|desktop)|screen\s+mirroring|"
        r"向日葵|远程控制|遠程控制|远程桌面|遠程桌面|远程协助|遠程協助|远程连接|遠程連接|远程操作|遠程操作|"
        r"遠端桌面|遠端控制|遠端協助|共享屏幕|屏幕共享|分享屏幕|屏幕分享|共享桌面|共享螢幕|螢幕共享|分享螢幕|螢幕分享"
    ),
}
_ASK = re.compile(
    r"\b(?:send|give|tell|share|provide|enter|type|paste|confirm|verify|reply\s+with|need|require|submit|"
    r"what\s+(?:is|are)|let\s+(?:me|us)\s+(?:know|have)|read\s+(?:out|me)|forward)\b|"
    r"提供|发送|發送|发给|發給|发一下|發一下|告诉|告訴|给我|給我|输入|輸入|填写|填寫|报一下|報一下|需要|请把|請把|麻烦|麻煩|"
    r"私信|截图发|截圖發|回复|回覆|核对|核對|验证一下|驗證一下",
    re.IGNORECASE,
)
_NOT = re.compile(
    r"\b(?:never|not|don'?t|do\s+not|no\s+one|nobody|won'?t|will\s+not|cannot|can'?t|shouldn'?t|without)\b|"
    r"不要|不会|不會|绝不|絕不|切勿|请勿|請勿|不得|不可|不能|永远不|永遠不|从不|從不|勿",
    re.IGNORECASE,
)
# What one asks a customer to do with a remote-access tool, beside the words above.
_ASK_TO_RUN = re.compile(
    r"\b(?:install|download|open|launch|run|start|grant|allow|accept|connect|join|use|turn\s+on|enable)\b|"
    r"安装|安裝|下载|下載|打开|打開|授权|授權|允许|允許|开启|開啟|运行|運行|接受|连接|連接|使用|装一下|裝一下|开一下|開一下",
    re.IGNORECASE,
)
_SECRET_RES = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in _SECRETS.items()}
_SENTENCE = re.compile(r"[.!?。！？；;\n]+")


@dataclass(frozen=True)
class GuardHit:
    kind: str  # a key of _SECRETS


class AgentGuardRefused(InvalidInput):
    """A staff text asked a customer for a secret. 400 `agent_guard`."""


# Telling a customer to change or reset a password is not asking for it.
_ABOUT_A_NEW_ONE = re.compile(
    r"reset|change|update|forgot|new\s+password|重置|修改|更改|找回|忘记|忘記|设置新|設置新", re.IGNORECASE
)
NEAR = 30  # characters between the asking words and the secret's name


def asks_for_secret(text: str) -> GuardHit | None:
    for sentence in _SENTENCE.split(text):
        if not sentence.strip() or _NOT.search(sentence):
            continue
        asks = [m.span() for m in _ASK.finditer(sentence)]
        runs = [m.span() for m in _ASK_TO_RUN.finditer(sentence)]
        if not asks and not runs:
            continue
        for kind, pattern in _SECRET_RES.items():
            if kind == "password" and _ABOUT_A_NEW_ONE.search(sentence):
                continue
            near = asks + runs if kind == "remote_access" else asks
            for m in pattern.finditer(sentence):
                if any(m.start() - end <= NEAR and start - m.end() <= NEAR for start, end in near):
                    return GuardHit(kind)
    return None


EXPLANATIONS = {
    "recovery_phrase": _("This text asks the customer for their recovery phrase."),
    "private_key": _("This text asks the customer for a private key."),
    "password": _("This text asks the customer for a password."),
    "two_factor": _("This text asks the customer for a 2FA or verification code."),
    "remote_access": _(
        "This text asks the customer to give remote access to their device (a remote-desktop or "
        "screen-sharing tool such as AnyDesk or TeamViewer)."
    ),
}


def refusal(hit: GuardHit, *, field: str) -> AgentGuardRefused:
    return AgentGuardRefused(
        _(
            "%(why)s Support never asks for it: scammers who pose as support do. Reword it (you may "
            "tell the customer never to share it). Your supervisors can see this attempt."
        )
        % {"why": EXPLANATIONS[hit.kind]},
        code="agent_guard",
        field=field,
    )


# ---- links -------------------------------------------------------------------------------------

# Dots as a browser reads them in a host (UTS 46 maps the ideographic and full-width ones to
# "."), and the "defanged" forms people write to slip a domain past a filter.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_DEFANGED_DOT = re.compile(r"\s?[\[(（{【]\s?(?:\.|dot|点|點)\s?[\])）}】]\s?", re.IGNORECASE)
# What ends a URL written in running text: space, quotes, brackets, CJK punctuation.
_URL_END = "\\s<>\"'`()\\[\\]{}（）【】「」『』《》〈〉，、；！？"
# Every repetition is bounded and every match starts where a word does, so that no text (up to
# the 20,000 characters of a reply) takes more than linear time.
_SCHEME_URL = re.compile(
    rf"\b[a-z][a-z0-9+.\-]{{0,31}}://(?P<authority>(?:[^{_URL_END}/\\\\?#@]*@)?(?:\[[0-9a-f:.]+\])?[^{_URL_END}/\\\\?#]*)"
    rf"[^{_URL_END}]*",
    re.IGNORECASE,
)
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_DOMAIN = rf"(?:{_LABEL}\.){{1,20}}{_LABEL}"
_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]{{1,64}}@(?P<domain>{_DOMAIN})")
_BARE = re.compile(rf"(?<![\w.@-])(?P<domain>{_DOMAIN})")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


@cache
def _suffixes() -> tldextract.TLDExtract:
    # The public suffix list bundled with tldextract: no network, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _same_script_edge(label: str, *, from_end: bool) -> str:
    """The run at one end of `label` in one script family (ASCII or not): in Chinese text a
    domain is written right after the words ("请访问bitpie-help.io请登录"), with no space."""
    chars = reversed(label) if from_end else iter(label)
    run: list[str] = []
    for ch in chars:
        if run and ch.isascii() != run[0].isascii():
            break
        run.append(ch)
    return "".join(reversed(run) if from_end else run)


def _ascii_host(host: str) -> str:
    """`host` as the DNS sees it: lower case, IDNA (xn--) labels, no trailing dot."""
    host = unicodedata.normalize("NFKC", host).translate(_DOTS).casefold().strip(".")
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        # Not a host IDNA 2008 accepts (a symbol, a mix of scripts): still a host a browser
        # may reach through its own rules, named here by each label's punycode.
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii") for label in host.split(".")
        )


def _domain(candidate: str) -> str | None:
    """A bare domain found in text, trimmed to where it starts and ends, if its ending is a
    public suffix (so "wallet.log", "e.g." and "v1.2.3" are not domains)."""
    labels = candidate.split(".")
    labels[0] = _same_script_edge(labels[0], from_end=True)
    labels[-1] = _same_script_edge(labels[-1], from_end=False)
    host = ".".join(labels)
    if _IPV4.fullmatch(host):
        return None  # a bare address in text is an IP (of a login, a node), not a link
    parts = _suffixes()(host)
    return host if parts.suffix and parts.domain else None


def links_outside(text: str, allowed: Callable[[str], bool]) -> list[str]:
    """The hosts that `text` links to (URLs, bare domains, e-mail addresses' domains) for which
    `allowed` says no, as the DNS writes them (lower case, IDNA), each once, in order."""
    text = _DEFANGED_DOT.sub(".", unicodedata.normalize("NFKC", text).translate(_DOTS))
    seen: list[tuple[int, str]] = []  # (where, host)

    def take_url(m: re.Match[str]) -> str:
        authority = unquote(m.group("authority")).rpartition("@")[2]  # user:pass@ is not the host
        if authority.startswith("["):
            seen.append((m.start(), authority[1:].partition("]")[0].lower()))  # an IPv6 address
        else:
            seen.append((m.start(), _ascii_host(authority.partition(":")[0])))
        return " " * len(m.group(0))

    def take_email(m: re.Match[str]) -> str:
        domain = _domain(m.group("domain"))
        if domain is not None:
            seen.append((m.start(), _ascii_host(domain)))
        return " " * len(m.group(0))

    # URLs and addresses are blanked once read (keeping the positions), so that their paths and
    # local parts are not read again as bare domains.
    rest = _EMAIL.sub(take_email, _SCHEME_URL.sub(take_url, text))
    for m in _BARE.finditer(rest):
        domain = _domain(m.group("domain"))
        if domain is not None:
            seen.append((m.start(), _ascii_host(domain)))
    hosts: list[str] = []
    for _where, host in sorted(seen):
        if host and host not in hosts and not allowed(host):
            hosts.append(host)
    return hosts


class AgentGuardLinkRefused(AgentGuardRefused):
    """A staff text linked outside the desk and the official domains. 400 `agent_guard_link`."""


SHOWN_HOSTS = 5


def link_refusal(hosts: list[str], *, field: str) -> AgentGuardLinkRefused:
    shown = ", ".join(hosts[:SHOWN_HOSTS]) + (" …" if len(hosts) > SHOWN_HOSTS else "")
    return AgentGuardLinkRefused(
        _(
            "Staff messages may link only to this help desk and our official domains; scammers "
            "who pose as support send look-alike links. Remove or replace: %(hosts)s. Your "
            "supervisors can see this attempt."
        )
        % {"hosts": shown},
        code="agent_guard_link",
        field=field,
    )
