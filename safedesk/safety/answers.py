"""What the verifier tells people, in both languages: every answer is written out in English and
in Chinese whatever the page's language, so that someone who forwards it to a relative reads it
in either (issue #4: "every answer bilingual")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _

from safedesk.safety.verifier import Status, Verdict

LANGS = ("en", "zh-hans")


@dataclass(frozen=True)
class Answer:
    lang: str
    headline: str
    advice: str
    reasons: list[str]


def _reason(code: str, verdict: Verdict) -> str:
    official = verdict.official.display if verdict.official else ""
    texts = {
        "homoglyph": _(
            "It uses look-alike characters (letters of another alphabet, 0 for o, rn for m) to pass for our name."
        ),
        "punycode": _("It is an internationalised name (written xn--…) that shows look-alike letters."),
        "typo": _("It differs from our %(official)s by a letter or two.") % {"official": official},
        "added_word": _("It adds words such as “support”, “help” or “客服” to our name."),
        "subdomain_trick": _("Our name is only the beginning of the address: the site really belongs to someone else."),
        "other_suffix": _("It is our name with another ending (such as .co or .net instead of ours)."),
        "similar_number": _("The number differs from our %(official)s by a digit or two.") % {"official": official},
        "other_platform": _("It uses our name or number on another platform, store or service than our official one."),
        "same_name": _("It is an app with the name of ours but a different listing."),
        "name_in_local_part": _("It puts our name in front of an email service that is not ours."),
        "similar_address": _("It starts and ends like one of our addresses but is a different one: address poisoning."),
    }
    return texts.get(code, _("It resembles one of our official channels."))


def _in(lang: str, verdict: Verdict) -> Answer:
    shown = verdict.channel.display
    with translation.override(lang):
        if verdict.status == Status.OFFICIAL and verdict.official is not None:
            headline = _("Official: %(channel)s is our %(label)s.") % {
                "channel": shown,
                "label": verdict.official.label(lang),
            }
            advice = _(
                "You may use it. Even here, support will never ask for your recovery phrase, private key, "
                "password or 2FA codes."
            )
        elif verdict.status == Status.SCAM:
            headline = _("Known scam: %(channel)s is used by scammers. It is NOT an official channel.") % {
                "channel": shown
            }
            advice = _(
                "Do not contact it and send it nothing. If you have shared your recovery phrase or private key "
                "with it, move your funds to a new wallet now, then tell us what happened."
            )
        elif verdict.status == Status.LOOKALIKE and verdict.official is not None:
            headline = _("Look-alike: %(channel)s is NOT an official channel. It imitates our %(official)s.") % {
                "channel": shown,
                "official": verdict.official.display,
            }
            advice = _(
                "Do not use it. Use only the channels this page calls official, and report this one so that we "
                "can warn others."
            )
        else:
            headline = _("Not official: %(channel)s is NOT an official channel.") % {"channel": shown}
            advice = _(
                "We do not know it. Do not trust it with money or secrets; use only the channels this page calls "
                "official. If someone sent it to you as our support, report it."
            )
        if verdict.former is not None and verdict.former.valid_until is not None:
            advice = (
                _("It was our %(label)s until %(date)s; it is no longer.")
                % {
                    "label": verdict.former.label(lang),
                    "date": formats.date_format(verdict.former.valid_until, "DATE_FORMAT"),
                }
                + " "
                + advice
            )
        reasons = [_reason(code, verdict) for code in verdict.reasons]
    return Answer(lang, headline, advice, reasons)


def answers(verdict: Verdict, *, first: str) -> list[Answer]:
    """Both languages, the page's own first."""
    order = sorted(LANGS, key=lambda lang: lang != ("zh-hans" if first.startswith("zh") else "en"))
    return [_in(lang, verdict) for lang in order]


def as_json(verdict: Verdict, *, first: str) -> dict[str, Any]:
    both = answers(verdict, first=first)
    official = verdict.official
    body: dict[str, Any] = {
        "status": verdict.status,
        "channel": {
            "kind": verdict.channel.kind,
            "platform": verdict.channel.platform,
            "value": verdict.channel.value,
            "display": verdict.channel.display,
        },
        "reasons": list(verdict.reasons),
        "message": both[0].headline,
        "advice": both[0].advice,
        "answers": {a.lang: {"headline": a.headline, "advice": a.advice, "reasons": a.reasons} for a in both},
        "official": None,
        "former_until": verdict.former.valid_until.isoformat()
        if verdict.former and verdict.former.valid_until
        else None,
    }
    if official is not None:
        body["official"] = {
            "id": str(official.public_id),
            "kind": official.kind,
            "display": official.display,
            "label": {"en": official.label_en, "zh-hans": official.label_zh},
        }
    return body
