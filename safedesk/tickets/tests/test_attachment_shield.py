"""The secret shield on attached text files (CASES.md B12 T62, T64): a .txt, .csv, .log … with a
recovery phrase or a private key is stored with the marker in its place, so the original never
reaches storage; the removals count like the text fields' (the sender is warned, the audit event
has the counts); a text file without secrets is stored exactly as it was sent."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from mnemonic import Mnemonic

from safedesk.audit.models import AuditEvent
from safedesk.lib import secretscan, uploads
from safedesk.lib.uploads import Limits, UploadTooLarge, inspect_upload
from safedesk.tickets import services
from safedesk.tickets.models import Attachment, Ticket

WIF = "L1RrrnXkcKut5DEMwtDthjwRcTTwED36thyL1DebVrKuwvohjMNi"
# BIP32 test vector 1, its master key.
XPRV = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
WARNING_EN = "Our support will never ask you for it."
ENGLISH = Mnemonic("english")
CHINESE = Mnemonic("chinese_simplified")


def _phrases() -> tuple[str, str, str]:
    return ENGLISH.generate(128), ENGLISH.generate(256), CHINESE.generate(128)


def _export(twelve: str, twenty_four: str, chinese: str, wif: str = WIF, xprv: str = XPRV) -> bytes:
    """A wallet export as people paste it into a file, with CRLF line ends."""
    return (
        f"Exported 2024-05-01\r\nA: {twelve}\r\nB:\r\n{twenty_four}\r\n"
        f"C: {chinese}\r\nWIF {wif}\r\nxprv: {xprv}\r\nExport done\r\n"
    ).encode()


def _stored(attachment: Attachment) -> bytes:
    with uploads.open_stored(attachment.storage_name) as handle:
        return handle.read()


def _assert_no_secret_left(stored: bytes, *phrases: str) -> None:
    text = stored.decode("utf-8")
    assert WIF not in text and XPRV not in text
    for phrase in phrases:
        assert phrase not in text
    # With the markers taken out, no word of any phrase is left (the markers' own words, such as
    # "private" or 已, may be in a wordlist).
    rest = text
    for marker in secretscan.MARKERS.values():
        rest = rest.replace(marker, " ")
    tokens = set(re.findall(r"[a-z]+", rest.lower())) | set(re.findall(r"[\u4e00-\u9fff]", rest))
    for phrase in phrases:
        assert not tokens & set(phrase.split()), tokens & set(phrase.split())


def test_it_stores_a_text_file_without_its_phrases_and_keys_and_warns_the_customer(
    alice: Any, login: Any, media_dir: Any
) -> None:
    twelve, twenty_four, chinese = _phrases()
    data = _export(twelve, twenty_four, chinese)
    # The words around the secrets are in no wordlist: any word of a phrase left is a leftover.
    assert {"exported", "export", "done", "wif", "xprv"}.isdisjoint(ENGLISH.wordlist)
    client = login(alice)
    response = client.post(
        "/tickets/new/",
        {
            "subject": "Wallet export",
            "body": "The export is attached.",
            "language": "en",
            "files": [SimpleUploadedFile("export.txt", data, content_type="text/plain")],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 303, response.content
    assert response["Safedesk-Notice"] == "secret_removed"
    assert WARNING_EN in client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()

    attachment = Attachment.objects.get()
    stored = _stored(attachment)
    _assert_no_secret_left(stored, twelve, twenty_four, chinese)
    phrase_marker = secretscan.MARKERS[secretscan.MNEMONIC]
    key_marker = secretscan.MARKERS[secretscan.WIF]
    assert stored == _export(phrase_marker, phrase_marker, phrase_marker, key_marker, key_marker)
    # The row describes the stored file, not the one that was sent.
    assert attachment.size == len(stored) != len(data)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    # The audit event counts the file's secrets with the text fields' (none here), never the words.
    ticket = Ticket.objects.get()
    created = AuditEvent.objects.get(verb="ticket.created", target_ref=ticket.ref)
    assert created.data["shield_removed"] == [[secretscan.XPRV, 1], [secretscan.MNEMONIC, 3], [secretscan.WIF, 1]]
    for event in AuditEvent.objects.all():
        assert WIF not in str(event.data) and twelve not in str(event.data)


def test_a_reply_with_a_secret_csv_is_shielded_and_its_event_has_the_counts(
    alice: Any, login: Any, media_dir: Any
) -> None:
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Withdrawal", body="stuck"))
    twelve = ENGLISH.generate(128)
    data = f"date,memo\n2024-05-01,{twelve}\n2024-05-02,{WIF}\n".encode()
    assert {"date", "memo"}.isdisjoint(ENGLISH.wordlist)
    response = login(alice).post(
        f"/tickets/{ticket.ref}/reply/",
        {"body": "my trades", "files": [SimpleUploadedFile("trades.csv", data, content_type="text/csv")]},
    )
    assert response.status_code in (302, 303), response.content
    assert response["Safedesk-Notice"] == "secret_removed"
    stored = _stored(Attachment.objects.get())
    _assert_no_secret_left(stored, twelve)
    marker_phrase, marker_wif = secretscan.MARKERS[secretscan.MNEMONIC], secretscan.MARKERS[secretscan.WIF]
    assert stored == f"date,memo\n2024-05-01,{marker_phrase}\n2024-05-02,{marker_wif}\n".encode()
    replied = AuditEvent.objects.get(verb="ticket.replied", target_ref=ticket.ref)
    assert replied.data["shield_removed"] == [[secretscan.MNEMONIC, 1], [secretscan.WIF, 1]]


def test_a_text_file_without_secrets_is_stored_byte_for_byte_and_nobody_is_warned(
    alice: Any, login: Any, media_dir: Any
) -> None:
    txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    data = (
        "\ufeff提币记录 / withdrawals\r\n"
        f"txid {txid}\r\nto bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\r\n"
        "\x1b[31merror\x1b[0m timeout\tretry\n我们已收到您的提币申请，请耐心等待。"
    ).encode()
    ticket = services.submit_ticket(alice, services.TicketInput(subject="Deposit", body="log attached"))
    response = login(alice).post(
        f"/tickets/{ticket.ref}/reply/",
        {"body": "the log", "files": [SimpleUploadedFile("wallet.log", data, content_type="text/plain")]},
    )
    assert response.status_code in (302, 303), response.content
    assert "Safedesk-Notice" not in response
    attachment = Attachment.objects.get()
    assert _stored(attachment) == data
    assert attachment.size == len(data) and attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert "shield_removed" not in AuditEvent.objects.get(verb="ticket.replied").data


def test_the_pipeline_counts_what_it_removed_and_reports_the_stored_size(db: Any) -> None:
    twelve = ENGLISH.generate(128)
    data = f"\ufeffwif: {WIF}\nmnemonic: {twelve}\n".encode()
    with secretscan.collect() as removed:
        checked = inspect_upload("notes.md", data)
    assert removed == {secretscan.WIF: 1, secretscan.MNEMONIC: 1}
    marker_wif, marker_phrase = secretscan.MARKERS[secretscan.WIF], secretscan.MARKERS[secretscan.MNEMONIC]
    assert checked.data == f"\ufeffwif: {marker_wif}\nmnemonic: {marker_phrase}\n".encode()
    assert checked.size == len(checked.data) and checked.sha256 == hashlib.sha256(checked.data).hexdigest()
    assert checked.content_type == "text/plain; charset=utf-8" and checked.name == "notes.md"
    # JSON is text too (a phrase in a keystore-like export).
    with secretscan.collect() as removed:
        inspect_upload("export.json", f'{{"memo": "{twelve}"}}'.encode())
    assert removed == {secretscan.MNEMONIC: 1}


def test_a_file_that_the_markers_would_make_too_large_is_refused(db: Any) -> None:
    # Twelve Chinese characters written together (36 bytes) become a 47-byte marker.
    joined = CHINESE.to_mnemonic(bytes([7] * 16)).replace(" ", "")
    data = f"{joined}\n".encode()
    limits = Limits(
        max_file_bytes=len(data),
        max_message_bytes=10 * len(data),
        max_files=3,
        max_pixels=1_000_000,
        zip_max_entries=10,
        zip_max_uncompressed_bytes=1_000_000,
        max_text_bytes=1_000_000,
    )
    with pytest.raises(UploadTooLarge) as refused:
        inspect_upload("words.txt", data, limits=limits)
    assert refused.value.code == "file_too_large"


def test_text_files_beyond_the_scanning_budget_are_refused_before_they_are_read(db: Any) -> None:
    """The scan runs in the request: the text files of one message are bounded (a flood of
    wordlist characters costs about 4 s per MB to read)."""
    from safedesk.lib.uploads import inspect_all

    limits = Limits(
        max_file_bytes=1_000_000,
        max_message_bytes=10_000_000,
        max_files=5,
        max_pixels=1_000_000,
        zip_max_entries=10,
        zip_max_uncompressed_bytes=1_000_000,
        max_text_bytes=3_000,
    )
    part = b"withdrawal log line\n" * 100  # 2,000 bytes
    assert len(inspect_all([("a.txt", part)], limits=limits)) == 1
    with pytest.raises(UploadTooLarge) as refused:
        inspect_all([("a.txt", part), ("b.log", part)], limits=limits)
    assert refused.value.code == "text_files_too_large"
    with pytest.raises(UploadTooLarge):
        inspect_upload("big.txt", part * 2, limits=limits)
