"""Issue #4's property, end to end: any mnemonic `mnemonic` generates, in a supported language,
with any supported separator, placed anywhere in random text, is redacted at the boundary, and no
word of it survives in the stored rows, the audit log, the search query log, the emails sent or
the log output. (The scanner's own property test, with more examples, is in
safedesk/safety/tests/test_secret_scan.py; this one takes the whole path and so fewer.)

"No word survives" is checked as: every word of the phrase that the surrounding text does not
also contain is absent from everything stored or sent."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from mnemonic import Mnemonic

from safedesk.audit.models import AuditEvent
from safedesk.lib import secretscan
from safedesk.search import services as search_services
from safedesk.search.models import ZeroResultQuery
from safedesk.tickets import services
from safedesk.tickets.models import Message, Ticket

LANGUAGES = ["english", "chinese_simplified", "chinese_traditional", "spanish", "french", "korean"]
SEPARATORS = [" ", "\u3000", ", ", "，", "\n", "、", " - "]
NUMBERINGS = ["", "{n}. ", "{n}) ", "{c}"]
CIRCLED = "".join(chr(0x2460 + i) for i in range(20)) + "㉑㉒㉓㉔"
_generators = {lang: Mnemonic(lang) for lang in LANGUAGES}
_filler = st.text(alphabet=st.sampled_from(list("abcdefgh ijklmnop 提币到账请帮忙 \n0123456789.,")), max_size=40)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).casefold()


@pytest.fixture
def log_stream() -> Any:
    handler = next(h for h in logging.getLogger("safedesk").handlers if any(f for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    handler.setStream(old)  # type: ignore[attr-defined]


@pytest.mark.django_db
@examples(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lang=st.sampled_from(LANGUAGES),
    strength=st.sampled_from([128, 160, 192, 224, 256]),
    separator=st.sampled_from(SEPARATORS),
    numbering=st.sampled_from(NUMBERINGS),
    before=_filler,
    after=_filler,
    seed=st.binary(min_size=32, max_size=32),
)
def test_no_word_of_a_generated_phrase_survives_anywhere(
    alice: Any,
    agent_sam: Any,
    smtp_server: Any,
    run_tasks: Any,
    log_stream: Any,
    settings: Any,
    lang: str,
    strength: int,
    separator: str,
    numbering: str,
    before: str,
    after: str,
    seed: bytes,
) -> None:
    settings.SAFEDESK_TICKET_RATE_PER_HOUR = 0  # many tickets in one test
    words = _generators[lang].to_mnemonic(seed[: strength // 8]).split(" ")
    phrase = separator.join(numbering.format(n=i + 1, c=CIRCLED[i]) + w for i, w in enumerate(words))
    text = f"{before} {phrase} {after}"

    def submit(text: str) -> tuple[list[str], list[str]]:
        """Everything stored, and everything emailed, for one ticket with `text` in it."""
        smtp_server.clear()
        log_stream.seek(0)
        log_stream.truncate()
        ZeroResultQuery.objects.all().delete()
        subject = f"help {text}" if len(text) < 190 else "help"  # a subject longer than 200 is refused
        ticket = services.submit_ticket(alice, services.TicketInput(subject=subject, body=text))
        services.add_reply(ticket, f"again: {text}", actor=alice)
        search_services.record_query(query=text, lang="en", hits=0)  # over 200 characters: not logged
        logging.getLogger("safedesk.tickets").warning("customer wrote %s", text)
        services.reply_as_agent(ticket, services.AgentReply(body="We are looking into it."), actor=agent_sam)
        run_tasks()
        ticket = Ticket.objects.get(pk=ticket.pk)
        stored = [ticket.subject, *Message.objects.filter(ticket=ticket).values_list("body", flat=True)]
        stored += [str(e.data) for e in AuditEvent.objects.filter(target_ref=ticket.ref)]
        stored += list(ZeroResultQuery.objects.values_list("query", flat=True))
        stored.append(log_stream.getvalue())
        return stored, [m.subject + m.text + m.html for m in smtp_server.messages]

    # What the pipeline writes around any text (markers, templates): words found there say
    # nothing about the phrase.
    base_stored, base_mail = submit(f"{before} x {after}")
    stored, mail = submit(text)
    assert mail, "the path sends emails"
    for word in {_fold(w) for w in words}:
        for found, baseline in ((stored, base_stored), (mail, base_mail)):
            if _present(word, _fold("\n".join(baseline))):
                continue
            assert not _present(word, _fold(_unmarked("\n".join(found)))), (lang, word, phrase)


def _unmarked(text: str) -> str:
    """Without the shield's own markers ("助记词已删除" has wordlist characters)."""
    for marker in set(secretscan.MARKERS.values()):
        text = text.replace(marker, " ")
    return text


def _present(word: str, text: str) -> bool:
    if word.isascii() or any("a" <= c <= "z" for c in word):
        # Latin words as whole words: "able" is part of "table".
        return re.search(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", text) is not None
    return word in text
