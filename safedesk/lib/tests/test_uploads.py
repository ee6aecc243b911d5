"""The shared upload pipeline (lib.uploads), on its own: names (CASES.md T15), types from the
content (T16), pixel floods and archives (T18), limits, and the same answers for a file that
arrives in an email (T52)."""

from __future__ import annotations

import email
import email.policy
import zipfile
from email.message import EmailMessage
from typing import Any

import pytest

from safedesk.lib import uploads
from safedesk.lib.tests import samples
from safedesk.lib.uploads import Limits, UploadRefused, UploadTooLarge, clean_filename, inspect_all, inspect_upload

TEXT = "订单 12345 的提币一直在处理中。\nWithdrawal pending since Monday.\n".encode()
LIMITS = Limits(
    max_file_bytes=1024 * 1024,
    max_message_bytes=2 * 1024 * 1024,
    max_files=3,
    max_pixels=40_000_000,
    zip_max_entries=20,
    zip_max_uncompressed_bytes=10 * 1024 * 1024,
    max_text_bytes=10 * 1024 * 1024,  # above the message limit: these tests are about the others
)


def refused(name: str, data: bytes, code: str, *, limits: Limits = LIMITS) -> None:
    with pytest.raises((UploadRefused, UploadTooLarge)) as caught:
        inspect_upload(name, data, limits=limits)
    assert caught.value.code == code, caught.value.message


# ---- names (T15) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\x", "x.txt"),
        ("%2e%2e%2f", "%2e%2e%2f.txt"),
        ("/tmp/x", "x.txt"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("CON", "_CON.txt"),
        ("con.txt", "_con.txt"),
        ("LPT1.log", "_LPT1.log"),
        ("name\r\n.txt", "name.txt"),
        ("report\r\nSet-Cookie: x=1.txt", "reportSet-Cookie_ x=1.txt"),
        ("提币记录 2024.TXT", "提币记录 2024.txt"),
        ("a  b\t c.txt", "a b c.txt"),
        ('what?"<x>|y*.txt', "what___x__y_.txt"),
        ("notes.txt. . ", "notes.txt"),
        ("...", "file.txt"),
        ("", "file.txt"),
    ],
)
def test_it_keeps_only_a_sanitised_name(raw: str, stored: str) -> None:
    assert inspect_upload(raw, TEXT, limits=LIMITS).name == stored


def test_it_caps_long_names_and_keeps_the_extension() -> None:
    name = inspect_upload("a" * 300 + ".txt", TEXT, limits=LIMITS).name
    assert len(name) == uploads.MAX_NAME_LENGTH and name.endswith("a.txt")
    chinese = inspect_upload("截" * 300 + ".log", TEXT, limits=LIMITS).name
    assert len(chinese) == uploads.MAX_NAME_LENGTH and chinese.endswith("截.log")


@pytest.mark.parametrize(
    "raw",
    [
        "a.txt\x00.php",
        "shell.php\x00.txt",
        ".htaccess",
        ".\u200bhtaccess",  # a zero-width space must not hide the dot (CASES.md row 39)
        ".ht\u200baccess",
        "x.php",
        "x.PHP",
        "x.php.",
        "x.php ",
        "x.phtml",
        "evil.php.txt",
        "evil.html.txt",
        "invoice\u202etxt.exe",  # right-to-left override: shows as "invoiceexe.txt"
        "run.bat",
        "app.js",
        "page.html",
        "logo.svg",
    ],
)
def test_it_refuses_names_of_pages_scripts_and_programs_whatever_the_content(raw: str) -> None:
    refused(raw, TEXT, "file_type_not_allowed")


def test_it_strips_invisible_characters_before_any_check() -> None:
    cleaned = clean_filename("re\u200bport\u202e.t\u2066xt")
    assert cleaned.stem == "report" and cleaned.extension == "txt"


# ---- types from the content (T16) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "content_type"),
    [
        ("shot.png", samples.png, "image/png"),
        ("photo.jpg", lambda: samples.image("JPEG"), "image/jpeg"),
        ("photo.JPEG", lambda: samples.image("JPEG"), "image/jpeg"),
        ("anim.gif", lambda: samples.image("GIF"), "image/gif"),
        ("pic.webp", lambda: samples.image("WEBP"), "image/webp"),
        ("statement.pdf", samples.pdf, "application/pdf"),
        ("logs.zip", lambda: samples.zip_of({"app.log": TEXT, "more/trace.txt": TEXT}), "application/zip"),
        ("notes.txt", lambda: TEXT, "text/plain; charset=utf-8"),
        ("trades.csv", lambda: b"time,pair,amount\n2024-01-01,BTC/USDT,0.5\n", "text/csv; charset=utf-8"),
        ("wallet.log", lambda: b"\xef\xbb\xbf\x1b[31merror\x1b[0m timeout\r\n", "text/plain; charset=utf-8"),
    ],
)
def test_it_accepts_the_allowed_types_by_their_content(name: str, make: Any, content_type: str) -> None:
    data = make()
    checked = inspect_upload(name, data, limits=LIMITS)
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


def test_it_gives_a_name_without_extension_the_extension_of_its_content() -> None:
    assert inspect_upload("screenshot", samples.png(), limits=LIMITS).name == "screenshot.png"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("evil.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "file_active_content"),
        ("evil.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "invalid_image"),
        ("evil.png", b"<html><body onload=alert(1)>", "file_active_content"),
        ("evil.txt", b"<!DOCTYPE html><p>hi", "file_active_content"),
        ("evil.txt", b"  <a href=x>click</a>", "file_active_content"),
        ("evil.txt", b"<?xml version='1.0'?><x/>", "file_active_content"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "file_active_content"),
        ("shell.txt", b"<?php system($_GET['c']); ?>", "file_active_content"),
        ("install.png", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60, "file_type_not_allowed"),
        ("tool.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "file_type_not_allowed"),
        ("photo.png", samples.image("JPEG"), "file_extension_mismatch"),
        ("notes.pdf", TEXT, "file_extension_mismatch"),
        ("report.docx", samples.zip_of({"word/document.xml": b"<w/>"}), "file_extension_mismatch"),
        ("utf16.txt", "hello".encode("utf-16"), "file_type_not_allowed"),
        ("latin1.txt", "café".encode("latin-1"), "file_type_not_allowed"),
        ("empty.txt", b"", "empty_file"),
    ],
)
def test_it_refuses_what_the_content_says_is_not_allowed(name: str, data: bytes, code: str) -> None:
    refused(name, data, code)


def test_it_refuses_a_pdf_with_script_or_a_pdf_js_polyglot() -> None:
    good = samples.pdf()
    scripted = good.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    assert scripted != good
    refused("doc.pdf", scripted, "pdf_active_content")
    refused(
        "doc.pdf",
        good.replace(b"/Type /Catalog", b"/Type /Catalog /Names << /J#61vaScript 3 0 R >>"),
        "pdf_active_content",
    )
    # A script that is also a PDF (the header inside a comment) is not a PDF by its first bytes;
    # as text it is refused under a .pdf name, and .js is refused whatever it holds.
    polyglot = (
        b"/*%PDF-1.4 */ alert(document.cookie); /*\n1 0 obj << /Type /Catalog >> endobj\n"
        b"trailer << /Root 1 0 R >>\nstartxref\n0\n%%EOF */"
    )
    refused("polyglot.pdf", polyglot, "file_extension_mismatch")
    refused("polyglot.js", polyglot, "file_type_not_allowed")
    refused("truncated.pdf", good[: len(good) // 2], "invalid_pdf")


# ---- images and archives (T18) -----------------------------------------------------------------


def test_it_refuses_a_pixel_flood_from_the_header_alone() -> None:
    flood = samples.huge_png(50_000, 50_000)
    assert len(flood) < 200
    refused("flood.png", flood, "image_too_large")
    # Just over the limit (Pillow alone would only warn below twice its own limit).
    refused("big.png", samples.huge_png(8000, 5001), "image_too_large")


def test_it_accepts_an_image_at_the_pixel_limit() -> None:
    small = Limits(**{**LIMITS.__dict__, "max_pixels": 48})
    assert inspect_upload("ok.png", samples.png(), limits=small).kind.key == "png"
    refused("big.png", samples.image("PNG", (8, 7)), "image_too_large", limits=small)


def test_it_refuses_a_zip_bomb_without_unpacking_it() -> None:
    bomb = samples.zip_bomb(20)
    assert len(bomb) < 100_000
    refused("bomb.zip", bomb, "zip_ratio")


def test_it_refuses_a_zip_that_would_unpack_to_too_much() -> None:
    data = samples.zip_of({f"part{n}.txt": bytes(range(256)) * 4096 for n in range(12)}, compression=zipfile.ZIP_STORED)
    roomy = Limits(**{**LIMITS.__dict__, "max_file_bytes": 20 * 1024 * 1024})
    refused("big.zip", data, "zip_too_large_unpacked", limits=roomy)


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("../../etc/cron.d/evil", "zip_unsafe_path"),
        ("logs/../../evil.txt", "zip_unsafe_path"),
        ("..\\..\\evil.txt", "zip_unsafe_path"),
        ("/etc/passwd", "zip_unsafe_path"),
        ("C:/Windows/evil.txt", "zip_unsafe_path"),
        ("inner.zip", "zip_nested_archive"),
        ("backup.tar.gz", "zip_nested_archive"),
        ("setup.exe", "zip_dangerous_entry"),
        ("site/index.html", "zip_dangerous_entry"),
        ("tools/run.php.txt", "zip_dangerous_entry"),
    ],
)
def test_it_refuses_archives_with_dangerous_entries(entry: str, code: str) -> None:
    refused("logs.zip", samples.zip_of({"ok.txt": TEXT, entry: b"data"}), code)


def test_it_refuses_archives_with_links_archives_inside_or_passwords() -> None:
    link = zipfile.ZipInfo("passwd")
    link.external_attr = (0o120777 << 16) | 0x20
    refused("links.zip", samples.zip_with_info(link, b"/etc/passwd"), "zip_symlink")
    refused("nested.zip", samples.zip_of({"logs.txt": samples.zip_of({"a.txt": TEXT})}), "zip_nested_archive")
    refused("locked.zip", samples.zip_marked_encrypted(), "zip_encrypted")
    refused("broken.zip", samples.zip_of({"a.txt": TEXT})[:-30], "invalid_zip")


def test_it_refuses_archives_with_too_many_entries() -> None:
    many = samples.zip_of(
        {f"f{n}.txt": b"x" for n in range(LIMITS.zip_max_entries + 1)}, compression=zipfile.ZIP_STORED
    )
    refused("many.zip", many, "zip_too_many_entries")


# ---- limits ------------------------------------------------------------------------------------


def test_it_limits_size_per_file_per_message_and_the_number_of_files() -> None:
    refused("big.txt", b"a" * (LIMITS.max_file_bytes + 1), "file_too_large")
    assert inspect_upload("max.txt", b"a" * LIMITS.max_file_bytes, limits=LIMITS).size == LIMITS.max_file_bytes
    chunk = b"b" * (LIMITS.max_file_bytes - 10)
    with pytest.raises(UploadTooLarge) as too_large:
        inspect_all([("1.txt", chunk), ("2.txt", chunk), ("3.txt", chunk)], limits=LIMITS)
    assert too_large.value.code == "attachments_too_large" and too_large.value.status == 413
    with pytest.raises(UploadRefused) as too_many:
        inspect_all([(f"{n}.txt", TEXT) for n in range(LIMITS.max_files + 1)], limits=LIMITS)
    assert too_many.value.code == "too_many_files" and too_many.value.status == 400


# ---- serving -----------------------------------------------------------------------------------


def test_it_writes_an_rfc_6266_disposition_for_any_name() -> None:
    assert uploads.content_disposition("截图 1.png") == (
        "attachment; filename=\"1.png\"; filename*=UTF-8''%E6%88%AA%E5%9B%BE%201.png"
    )
    assert uploads.content_disposition('a"b;c\\d.txt') == (
        "attachment; filename=\"a_b_c_d.txt\"; filename*=UTF-8''a%22b%3Bc%5Cd.txt"
    )


def test_it_makes_storage_names_from_nothing_the_client_sent() -> None:
    names = {uploads.new_storage_name("tickets") for _ in range(100)}
    assert len(names) == 100
    for name in names:
        prefix, a, b, token = name.split("/")
        assert prefix == "tickets" and token.startswith(a + b) and len(token) == 32 and token.isalnum()


# ---- the same pipeline for email attachments (T52) ---------------------------------------------


def _mail_with(attachments: list[tuple[str, bytes, str]]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "c1@customer.test"
    message["To"] = "support@safedesk.localhost"
    message["Subject"] = "Withdrawal"
    message.set_content("See the files.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (".htaccess", b"AddType application/x-httpd-php .png", "file_type_not_allowed"),
        (".\u200bhtaccess", b"AddType application/x-httpd-php .png", "file_type_not_allowed"),
        ("evil.png", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "file_active_content"),
        ("invoice.pdf.exe", b"MZ\x90\x00" + b"\x00" * 60, "file_type_not_allowed"),
        ("bomb.zip", samples.zip_bomb(5), "zip_ratio"),
        ("flood.png", samples.huge_png(50_000, 50_000), "image_too_large"),
    ],
)
def test_it_answers_email_attachments_exactly_like_uploads(name: str, data: bytes, code: str) -> None:
    mail = _mail_with([(name, data, "application/octet-stream")])
    [part] = list(mail.iter_attachments())
    with pytest.raises((UploadRefused, UploadTooLarge)) as from_mail:
        inspect_all([(part.get_filename() or "", part.get_content())], limits=LIMITS)
    with pytest.raises((UploadRefused, UploadTooLarge)) as from_form:
        inspect_all([(name, data)], limits=LIMITS)
    assert from_mail.value.code == from_form.value.code == code


def test_it_accepts_a_good_email_attachment_with_a_traversal_name() -> None:
    mail = _mail_with([("../../etc/截图.png", samples.png(), "image/png")])
    [part] = list(mail.iter_attachments())
    [checked] = inspect_all([(part.get_filename() or "", part.get_content())], limits=LIMITS)
    assert checked.name == "截图.png" and checked.content_type == "image/png"
