"""The agent guard: staff text for a customer (a public reply, a macro) that asks for a recovery
phrase, a private key, a password or a 2FA code is refused with an explanation, and the refusal
is an audit event supervisors see (CASES.md B12 T66: insider and compromised-agent risk).

It looks for a request, not for a mention: a sentence counts when it has an asking word and a
secret's name, and no word that says not to ("we will never ask for your recovery phrase",
"不要把助记词告诉任何人" pass). Sentences are split at . ! ? 。！？ ； and newlines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        if not asks:
            continue
        for kind, pattern in _SECRET_RES.items():
            if kind == "password" and _ABOUT_A_NEW_ONE.search(sentence):
                continue
            for m in pattern.finditer(sentence):
                if any(m.start() - end <= NEAR and start - m.end() <= NEAR for start, end in asks):
                    return GuardHit(kind)
    return None


EXPLANATIONS = {
    "recovery_phrase": _("This text asks the customer for their recovery phrase."),
    "private_key": _("This text asks the customer for a private key."),
    "password": _("This text asks the customer for a password."),
    "two_factor": _("This text asks the customer for a 2FA or verification code."),
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
