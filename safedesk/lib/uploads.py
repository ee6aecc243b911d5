"""The one upload pipeline: every file a person sends us (ticket forms, the API, later inbound
email and chat) passes `inspect_upload` / `inspect_all` before anything is stored.

What it guarantees (CASES.md B3, T14-T19, and T52 for email):

- the storage name is made here (random, no extension, no part of the client's name); the
  client's name is kept only as sanitised metadata (`clean_filename`);
- the type comes from the content (magic bytes, then a structural check) and must be on the
  allow-list (`KINDS`); the name's extension must agree with it; names and contents that are
  web pages, SVG, scripts or programs are refused whatever they are called;
- images are measured from their header before any pixel is decoded (pixel floods);
- ZIP archives are inspected from their central directory, never extracted;
- a text file is stored with every recovery phrase and private key replaced by the secret
  shield's marker (`_without_secrets`, CASES.md T62/T64), so the original never reaches storage;
- sizes per file and per message and the number of files are bounded, also while the request
  is still being parsed (`BoundedUploadHandler`).

It holds no models: apps keep their own attachment rows and call `store`, `open_stored`,
`delete_stored` and `download_response` here. The malware scanner hook is `scanner()`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import struct
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, HttpRequest
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from PIL import Image

from safedesk.lib import secretscan
from safedesk.lib.errors import InvalidInput, SafedeskError

logger = logging.getLogger("safedesk.security")

MAX_NAME_LENGTH = 120
MAX_IMAGE_FRAMES = 500
ZIP_MAX_RATIO = 100  # uncompressed : compressed, per entry and overall
FILES_SALT = "safedesk.files"


# ---- refusals ----------------------------------------------------------------------------------


class UploadRefused(InvalidInput):
    """A file that is not accepted (type, name, structure); 400."""

    code = "file_refused"
    default_message = _("This file is not accepted.")


class UploadTooLarge(SafedeskError):
    """A file or a message's files over a size limit; 413."""

    code = "file_too_large"
    status = 413
    default_message = _("The file is too large.")


class RequestTooLarge(RequestDataTooBig):
    """Raised while Django parses a request whose files cannot fit the limits: Django answers a
    SuspiciousOperation with its 400 handler (`lib.views.bad_request`), the API with its own
    handler; both read `code` and `message` from here and answer 413."""

    def __init__(self, code: str, message: str | Promise) -> None:
        self.code = code
        self.message = message
        super().__init__(code)


def _mb(size: int) -> str:
    """A limit in MB as people write it: 10, 2.5, 0.1."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


# ---- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_message_bytes: int
    max_files: int
    max_pixels: int
    zip_max_entries: int
    zip_max_uncompressed_bytes: int
    max_text_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        # Read at call time, not import time: tests and a reloaded configuration see new values.
        return cls(
            max_file_bytes=settings.SAFEDESK_UPLOAD_MAX_FILE_BYTES,
            max_message_bytes=settings.SAFEDESK_UPLOAD_MAX_MESSAGE_BYTES,
            max_files=settings.SAFEDESK_UPLOAD_MAX_FILES,
            max_pixels=settings.SAFEDESK_UPLOAD_MAX_PIXELS,
            zip_max_entries=settings.SAFEDESK_UPLOAD_ZIP_MAX_ENTRIES,
            zip_max_uncompressed_bytes=settings.SAFEDESK_UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES,
            max_text_bytes=settings.SAFEDESK_UPLOAD_MAX_TEXT_BYTES,
        )


# ---- names -------------------------------------------------------------------------------------

# Extensions refused as the last one of a name, whatever the content: pages, vector images that
# carry script, scripts, programs and server configuration.
DENIED_EXTENSIONS = frozenset(
    [
        "html",
        "htm",
        "xhtml",
        "shtml",
        "shtm",
        "mht",
        "mhtml",
        "xht",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "xslt",
        "hta",
        "js",
        "mjs",
        "cjs",
        "jsx",
        "ts",
        "tsx",
        "vbs",
        "vbe",
        "wsf",
        "wsh",
        "jse",
        "php",
        "php2",
        "php3",
        "php4",
        "php5",
        "php7",
        "php8",
        "phtml",
        "phar",
        "pht",
        "phps",
        "asp",
        "aspx",
        "ascx",
        "ashx",
        "asmx",
        "cer",
        "jsp",
        "jspx",
        "cfm",
        "cgi",
        "pl",
        "pm",
        "py",
        "pyc",
        "pyw",
        "rb",
        "sh",
        "bash",
        "zsh",
        "csh",
        "ksh",
        "ps1",
        "psm1",
        "psd1",
        "bat",
        "cmd",
        "com",
        "exe",
        "scr",
        "msi",
        "msp",
        "mst",
        "dll",
        "cpl",
        "sys",
        "drv",
        "ocx",
        "jar",
        "class",
        "apk",
        "app",
        "dmg",
        "iso",
        "img",
        "vhd",
        "lnk",
        "url",
        "reg",
        "inf",
        "ini",
        "htaccess",
        "htpasswd",
        "swf",
        "xap",
        "application",
        "gadget",
        "msc",
        "pif",
    ]
)
# Extensions refused anywhere in a name ("shell.php.png"): what a web server might execute or
# render from a name with several extensions.
DENIED_INNER_EXTENSIONS = frozenset(
    [
        "html",
        "htm",
        "xhtml",
        "shtml",
        "svg",
        "js",
        "php",
        "php3",
        "php4",
        "php5",
        "php7",
        "phtml",
        "phar",
        "asp",
        "aspx",
        "jsp",
        "cgi",
        "pl",
        "py",
        "exe",
        "htaccess",
    ]
)
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
# Controls (CR, LF, NUL ...), format characters (zero-width, bidi overrides), surrogates,
# private use, unassigned, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class CleanName:
    stem: str
    extensions: tuple[str, ...]  # lower-cased, in order; the last one is the type's

    @property
    def extension(self) -> str:
        return self.extensions[-1] if self.extensions else ""

    def with_extension(self, ext: str) -> str:
        return f"{self.stem}.{ext}"


def clean_filename(raw: Any) -> CleanName:
    """The client's file name as safe metadata: no path, no control or invisible characters, no
    characters Windows refuses, no reserved device names, at most MAX_NAME_LENGTH characters.
    Chinese and other letters stay. Never used as a storage path."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    # Invisible characters go first, so that no later check can be dodged with one (a zero-width
    # space before ".htaccess" defeated a dot check in a peer: CASES.md row 39).
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    # A name is written text like any other: a recovery phrase or key in it is replaced before
    # the name is stored or shown (the secret shield's scanner; markers have no dots or slashes).
    text = secretscan.redact(text)[0]
    text = " ".join(text.split())
    # Windows ignores trailing dots and spaces ("x.php." is x.php): drop them before reading the
    # extensions; a leading dot (".htaccess") still counts as one.
    text = text.rstrip(" .")
    first, *rest = [part.strip() for part in text.split(".")]
    rest = [part for part in rest if part]
    extensions = tuple(part.lower() for part in rest)
    if not rest:
        stem = first
    elif first:
        stem = ".".join([first, *rest[:-1]])
    else:
        stem = ".".join(rest[:-1])  # a leading dot: ".htaccess" is all extension
    stem = stem.strip(" .")
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    ext = extensions[-1] if extensions else ""
    room = MAX_NAME_LENGTH - (len(ext) + 1 if ext else 0)
    stem = stem[: max(room, 1)].rstrip(" .") or "file"
    return CleanName(stem=stem, extensions=extensions)


# ---- types -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]

    @property
    def canonical(self) -> str:
        return self.extensions[0]


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("png", "PNG", "image/png", ("png",)),
        Kind("jpeg", "JPEG", "image/jpeg", ("jpg", "jpeg", "jpe", "jfif")),
        Kind("gif", "GIF", "image/gif", ("gif",)),
        Kind("webp", "WebP", "image/webp", ("webp",)),
        Kind("pdf", "PDF", "application/pdf", ("pdf",)),
        Kind("zip", "ZIP", "application/zip", ("zip",)),
        Kind("text", "text", "text/plain; charset=utf-8", ("txt", "log", "csv", "tsv", "json", "md")),
    )
}
TEXT_TYPES = {"csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8"}
_IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}

# Markup and code that a browser (or a server) would run, looked for in every accepted type but
# ZIP: a "PNG" that carries a page, a "text" file that is one.
_ACTIVE = re.compile(
    rb"<\s*/?\s*(?:script|html|svg|iframe|object|embed|body|frameset|applet)\b|<\?php|<!doctype\s+html|<%@?\s",
    re.IGNORECASE,
)
# How the start of a file makes browsers sniff it as a page or XML (WHATWG MIME sniffing).
_SNIFFED_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml|<!--|<!doctype|<(?:head|title|style|div|table|font|a|b|p|br|h1|img|meta|link|form)[\s>/])",
    re.IGNORECASE,
)
_PDF_ACTIVE = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)(?=[\s()<>\[\]{}/%]|\Z)"
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_NESTED_ARCHIVE_EXT = frozenset(
    [
        "zip",
        "rar",
        "7z",
        "tar",
        "gz",
        "tgz",
        "bz2",
        "tbz",
        "xz",
        "txz",
        "zst",
        "lz",
        "lzma",
        "z",
        "cab",
        "arj",
        "ace",
        "jar",
        "war",
        "apk",
        "iso",
    ]
)
_NESTED_ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"Rar!",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
)


def _refuse(code: str, message: str | Promise, **params: Any) -> UploadRefused:
    return UploadRefused(message, code=code, field="files", **params)


def detect_kind(data: bytes) -> Kind:
    """The allow-listed kind of this content, from its first bytes; UploadRefused otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return KINDS["gif"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return KINDS["webp"]
    if data.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return KINDS["zip"]
    if _is_text(data):
        return KINDS["text"]
    raise _refuse(
        "file_type_not_allowed",
        _("This type of file is not accepted. Send images (PNG, JPEG, GIF, WebP), PDF, plain text or ZIP."),
    )


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    # Tab, line breaks, form feed and ESC (coloured logs) are text; other controls mean binary.
    return not any((ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b") or ch == "\x7f" for ch in text)


def _check_active(data: bytes, kind: Kind) -> None:
    if kind.key == "zip":
        return
    if _ACTIVE.search(data) or (kind.key == "text" and _SNIFFED_START.search(data[:1024])):
        raise _refuse(
            "file_active_content",
            _("This file contains web page or script code, which we do not accept. Send a screenshot or a PDF."),
        )


def _check_image(data: bytes, kind: Kind, limits: Limits) -> None:
    invalid = _refuse("invalid_image", _("This image is damaged or not what its type says. Export it again."))
    too_large = UploadTooLarge(
        _("This image is too large: at most %(pixels)d million pixels.") % {"pixels": limits.max_pixels // 1_000_000},
        code="image_too_large",
        field="files",
    )
    # Pillow's own bomb check (warning above the limit, error above twice it) backs ours up.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads the header only; no pixel is decoded here or in verify().
            with Image.open(io.BytesIO(data), formats=[_IMAGE_FORMATS[kind.key]]) as img:
                width, height = img.size
                if width < 1 or height < 1:
                    raise invalid
                if width * height > limits.max_pixels:
                    raise too_large
                if int(getattr(img, "n_frames", 1)) > MAX_IMAGE_FRAMES:
                    raise too_large
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except SafedeskError:
        raise
    except Exception:  # Pillow raises many types for broken files (OSError, SyntaxError, struct.error ...)
        raise invalid from None


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:] or b"startxref" not in data[-4096:]:
        raise _refuse("invalid_pdf", _("This PDF is damaged or incomplete. Export it again."))
    # Names may be written with #xx escapes (/J#61vaScript): read them plain before looking.
    plain = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    if _PDF_ACTIVE.search(plain):
        raise _refuse(
            "pdf_active_content",
            _("This PDF contains scripts, embedded files or actions, which we do not accept. Print it to a new PDF."),
        )


def _zip_declared_entries(data: bytes) -> int | None:
    """The entry count from the end-of-central-directory record, read before zipfile parses it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    total = int(struct.unpack("<H", data[end + 10 : end + 12])[0])
    return None if total == 0xFFFF else total


def _check_zip(data: bytes, limits: Limits) -> None:
    declared = _zip_declared_entries(data)
    too_many = _refuse(
        "zip_too_many_entries",
        _("This archive lists too many files (at most %(max)d).") % {"max": limits.zip_max_entries},
    )
    if declared is not None and declared > limits.zip_max_entries:
        raise too_many
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _refuse("invalid_zip", _("This archive is damaged. Create it again.")) from None
    if len(entries) > limits.zip_max_entries:
        raise too_many
    total = 0
    packed = 0
    for entry in entries:
        _check_zip_entry(archive, entry)
        total += entry.file_size
        packed += entry.compress_size
        if entry.file_size and (entry.compress_size == 0 or entry.file_size / entry.compress_size > ZIP_MAX_RATIO):
            raise _refuse("zip_ratio", _("This archive is compressed suspiciously well (a zip bomb?)."))
    if total > limits.zip_max_uncompressed_bytes:
        raise UploadTooLarge(
            _("This archive would unpack to more than %(mb)s MB.") % {"mb": _mb(limits.zip_max_uncompressed_bytes)},
            code="zip_too_large_unpacked",
            field="files",
        )
    if packed and total / packed > ZIP_MAX_RATIO:
        raise _refuse("zip_ratio", _("This archive is compressed suspiciously well (a zip bomb?)."))


def _check_zip_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    name = entry.filename
    segments = re.split(r"[/\\]", name)
    if (
        "\x00" in name
        or name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name)
        or any(s in {"..", "."} for s in segments)
    ):
        raise _refuse("zip_unsafe_path", _("This archive contains a file with a path outside the archive."))
    mode = (entry.external_attr >> 16) & 0o170000
    if mode == 0o120000:
        raise _refuse("zip_symlink", _("This archive contains a symbolic link, which we do not accept."))
    if mode not in (0, 0o100000, 0o040000):
        raise _refuse("zip_special_file", _("This archive contains a special file, which we do not accept."))
    if entry.flag_bits & 0x1:
        raise _refuse(
            "zip_encrypted", _("This archive is password-protected; we cannot check it. Send it unprotected.")
        )
    if entry.is_dir():
        return
    leaf = clean_filename(segments[-1])
    if leaf.extension in _NESTED_ARCHIVE_EXT:
        raise _refuse("zip_nested_archive", _("This archive contains another archive. Send the files in one archive."))
    if leaf.extension in DENIED_EXTENSIONS or DENIED_INNER_EXTENSIONS.intersection(leaf.extensions):
        raise _refuse("zip_dangerous_entry", _("This archive contains programs, scripts or web pages."))
    try:
        with archive.open(entry) as member:
            head = member.read(8)  # a few bytes to recognise an archive inside; nothing is extracted
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise _refuse("invalid_zip", _("This archive is damaged. Create it again.")) from None
    if head.startswith(_NESTED_ARCHIVE_MAGIC):
        raise _refuse("zip_nested_archive", _("This archive contains another archive. Send the files in one archive."))


# ---- inspection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed every check, ready to be stored."""

    name: str  # sanitised, with the extension of its kind
    kind: Kind
    content_type: str
    data: bytes  # what is stored: a text file without its secrets; `size` and `sha256` are of it
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _read(source: Any, limit: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[: limit + 1])
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(limit + 1)
    if not isinstance(data, bytes):
        raise _refuse("invalid_file", _("The file could not be read."))
    return data


def _file_too_large(shown: str, limits: Limits) -> UploadTooLarge:
    return UploadTooLarge(
        _("“%(name)s” is too large: at most %(mb)s MB per file.") % {"name": shown, "mb": _mb(limits.max_file_bytes)},
        code="file_too_large",
        field="files",
    )


def inspect_upload(
    name: Any, source: Any, *, limits: Limits | None = None, text_budget: int | None = None
) -> CheckedUpload:
    """Every check for one file (its name and its bytes, or a file object). Raises UploadRefused
    (400) or UploadTooLarge (413) with a stable code; returns the file ready to store.
    `text_budget`: how many bytes of text may still be read for secrets in this message (the
    limit's whole budget when not given)."""
    limits = limits or Limits.from_settings()
    budget = limits.max_text_bytes if text_budget is None else text_budget
    clean = clean_filename(name)
    shown = clean.with_extension(clean.extension) if clean.extension else clean.stem
    data = _read(source, limits.max_file_bytes)
    if len(data) > limits.max_file_bytes:
        raise _file_too_large(shown, limits)
    if not data:
        raise _refuse("empty_file", _("“%(name)s” is empty.") % {"name": shown})
    if clean.extension in DENIED_EXTENSIONS or DENIED_INNER_EXTENSIONS.intersection(clean.extensions[:-1]):
        raise _refuse(
            "file_type_not_allowed",
            _("Files like “%(name)s” are not accepted: no web pages, scripts or programs.") % {"name": shown},
        )
    kind = detect_kind(data)
    _check_active(data, kind)
    if clean.extension and clean.extension not in kind.extensions:
        raise _refuse(
            "file_extension_mismatch",
            _("“%(name)s” is a %(kind)s file, but its name says otherwise. Rename it to end in .%(ext)s.")
            % {"name": shown, "kind": kind.label, "ext": kind.canonical},
        )
    if kind.key in _IMAGE_FORMATS:
        _check_image(data, kind, limits)
    elif kind.key == "pdf":
        _check_pdf(data)
    elif kind.key == "zip":
        _check_zip(data, limits)
    # Only text files are read for secrets. Not covered yet (issue #4): text inside ZIP entries
    # (they would have to be unpacked and the archive rebuilt), PDFs (text in compressed content
    # streams) and images (a photo of the backup card needs OCR): those are stored as sent.
    if kind.key == "text":
        if len(data) > budget:
            # Checked before the scan: the scan is the work this bounds.
            raise UploadTooLarge(
                _(
                    "The text files of one message may hold at most %(kb)s KB together: each is read for "
                    "recovery phrases and keys before we keep it. Send a shorter extract."
                )
                % {"kb": limits.max_text_bytes // 1024},
                code="text_files_too_large",
                field="files",
            )
        data = _without_secrets(data)
        # A marker can be longer than what it replaced (twelve Chinese characters written
        # together): what is stored must still fit the limit.
        if len(data) > limits.max_file_bytes:
            raise _file_too_large(shown, limits)
    ext = clean.extension or kind.canonical
    content_type = TEXT_TYPES.get(ext, kind.content_type) if kind.key == "text" else kind.content_type
    return CheckedUpload(
        name=clean.with_extension(ext),
        kind=kind,
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _without_secrets(data: bytes) -> bytes:
    """A text file's bytes with every recovery phrase and private key replaced by its marker
    (`secretscan.redact`, which also counts the removals into the request's `collect()`, like
    the text fields': the sender is warned and the audit event gets the counts).

    `detect_kind` calls a file text only when it decodes as strict UTF-8 (with or without a
    byte order mark; UTF-16, GBK or Latin-1 files are refused before this), so the decoding
    cannot fail here. Should that rule ever loosen, `surrogateescape` keeps every byte that is
    not UTF-8 exactly as it was, on the way in and out, instead of refusing or replacing it; a
    byte order mark stays too (it decodes to U+FEFF, which the scanner treats as a separator).
    A file without secrets is returned as it came, byte for byte.

    It runs in the request, since nothing may be stored before it: about 0.3 s per MB of log
    text on our machine, up to 4 s per MB for text made only of wordlist characters; the text
    files of one message are bounded by `SAFEDESK_UPLOAD_MAX_TEXT_KB` for that reason."""
    text = data.decode("utf-8", errors="surrogateescape")
    redacted, findings = secretscan.redact(text)
    if not findings:
        return data
    return redacted.encode("utf-8", errors="surrogateescape")


def inspect_all(files: Sequence[tuple[Any, Any]], *, limits: Limits | None = None) -> list[CheckedUpload]:
    """The files of one message, as (name, bytes or file object) pairs: the count and total size
    first, then each file. Refusals say which file; nothing is stored either way."""
    limits = limits or Limits.from_settings()
    if len(files) > limits.max_files:
        raise _refuse(
            "too_many_files",
            _("At most %(max)d files can be attached to one message.") % {"max": limits.max_files},
        )
    checked: list[CheckedUpload] = []
    total = 0
    text = 0
    for name, source in files:
        item = inspect_upload(name, source, limits=limits, text_budget=limits.max_text_bytes - text)
        total += item.size
        if item.kind.key == "text":
            text += item.size
        if total > limits.max_message_bytes:
            raise UploadTooLarge(
                _("The attached files are too large together: at most %(mb)s MB per message.")
                % {"mb": _mb(limits.max_message_bytes)},
                code="attachments_too_large",
                field="files",
            )
        checked.append(item)
    return checked


def log_refusal(exc: SafedeskError, *, who: str, where: str) -> None:
    """One security log line per refused upload: who, where and why, never the name or bytes."""
    logger.warning("upload refused code=%s who=%s where=%s", exc.code, who, where)


# ---- storage -----------------------------------------------------------------------------------


def new_storage_name(prefix: str) -> str:
    """Random, without extension, fanned out over two directory levels; nothing from the client."""
    token = uuid.uuid4().hex
    return f"{prefix}/{token[:2]}/{token[2:4]}/{token}"


def store(items: Iterable[CheckedUpload], *, prefix: str) -> list[str]:
    """Writes the files through Django's storage API and returns their storage names. On any
    failure the ones already written are removed, so a refused or failed request leaves none."""
    stored: list[str] = []
    try:
        for item in items:
            name = new_storage_name(prefix)
            saved = default_storage.save(name, ContentFile(item.data))
            if saved != name:
                raise RuntimeError("storage changed a generated name")
            stored.append(saved)
    except BaseException:
        delete_stored(stored)
        raise
    return stored


def delete_stored(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("could not delete stored file %s", name)


def open_stored(name: str) -> IO[bytes]:
    handle: IO[bytes] = default_storage.open(name, "rb")
    return handle


# ---- serving -----------------------------------------------------------------------------------

# Whatever a file contains, the browser must treat it as a download from a sandboxed nowhere.
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def _ascii_fallback(name: str) -> str:
    """For the few clients that ignore filename*: the name in ASCII, or "download" with its
    extension when nothing of it is ASCII."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""

    def plain(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9._()\- ]", "_", ascii_text).strip(" ._")

    base = plain(stem) or "download"
    return f"{base}.{plain(ext)}" if plain(ext) else base


def content_disposition(name: str) -> str:
    """RFC 6266 with the RFC 5987 form for any name: an ASCII fallback and the UTF-8 name."""
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(storage_name: str, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(open_stored(storage_name), content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- the files origin (CASES.md T16) ------------------------------------------------------------


def files_origin() -> str:
    return str(getattr(settings, "SAFEDESK_FILES_ORIGIN", "") or "")


def files_token(payload: dict[str, str]) -> str:
    """A short-lived signed token naming a file and the user it was issued to; the download view
    on the files origin checks both again (`read_files_token`)."""
    return signing.dumps(payload, salt=FILES_SALT, compress=False)


def read_files_token(token: str) -> dict[str, str] | None:
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=FILES_SALT, max_age=settings.SAFEDESK_FILES_URL_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not all(isinstance(v, str) for v in payload.values()):
        return None
    return payload


# ---- the malware scanner hook ------------------------------------------------------------------


class Verdict(StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    ERROR = "error"  # the scanner could not decide (down, timed out, refused): try again later


@dataclass(frozen=True)
class ScanResult:
    verdict: Verdict
    signature: str = ""  # what the scanner found, e.g. "Eicar-Test-Signature"


class Scanner(Protocol):
    """What `SAFEDESK_UPLOAD_SCANNER` names: a class built without arguments whose `scan` reads
    the file and answers clean, infected (with the signature) or error. It runs in the job
    worker, never in a request, so it may talk to a local daemon (clamd) or a service."""

    def scan(self, stream: IO[bytes], *, name: str) -> ScanResult: ...


_scanners: dict[str, Scanner] = {}


def scanner() -> Scanner | None:
    """The configured scanner, or None when scanning is off (the default)."""
    path = str(getattr(settings, "SAFEDESK_UPLOAD_SCANNER", "") or "")
    if not path:
        return None
    if path not in _scanners:
        _scanners[path] = import_string(path)()
    return _scanners[path]


def scan_stored(storage_name: str, *, name: str) -> ScanResult:
    """Scans one stored file with the configured scanner. Any failure of the scanner (or of
    reading the file) is an ERROR verdict: the file stays held, and a later sweep tries again."""
    active = scanner()
    if active is None:
        return ScanResult(Verdict.CLEAN)
    try:
        with open_stored(storage_name) as stream:
            result = active.scan(stream, name=name)
    except Exception:  # the scanner is a plug-in: whatever it raises means "not decided"
        logger.exception("malware scanner failed on %s", storage_name)
        return ScanResult(Verdict.ERROR)
    if not isinstance(result, ScanResult) or result.verdict not in set(Verdict):
        return ScanResult(Verdict.ERROR)
    return result


# ---- while Django parses a request -------------------------------------------------------------

_REFUSAL_ATTR = "_safedesk_upload_refusal"


class BoundedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS. A request whose body cannot fit the limits is refused at
    once (413); a file over the per-file limit, or the files past the per-message total, are
    skipped while parsing (never buffered) and the refusal is kept for the view (`refusal_of`),
    which shows the form again with the error."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limits = Limits.from_settings()
        self.total = 0

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        budget = self.limits.max_message_bytes + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if content_length and content_length > budget:
            raise RequestTooLarge(
                "attachments_too_large",
                _("The attached files are too large together: at most %(mb)s MB per message.")
                % {"mb": _mb(self.limits.max_message_bytes)},
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.total += len(raw_data)
        if start + len(raw_data) > self.limits.max_file_bytes:
            self._keep(
                UploadTooLarge(
                    _("A file is too large: at most %(mb)s MB per file.") % {"mb": _mb(self.limits.max_file_bytes)},
                    code="file_too_large",
                    field="files",
                )
            )
            raise SkipFile()
        if self.total > self.limits.max_message_bytes:
            self._keep(
                UploadTooLarge(
                    _("The attached files are too large together: at most %(mb)s MB per message.")
                    % {"mb": _mb(self.limits.max_message_bytes)},
                    code="attachments_too_large",
                    field="files",
                )
            )
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _keep(self, error: SafedeskError) -> None:
        if self.request is not None and getattr(self.request, _REFUSAL_ATTR, None) is None:
            setattr(self.request, _REFUSAL_ATTR, error)


def refusal_of(request: HttpRequest) -> SafedeskError | None:
    """The refusal BoundedUploadHandler kept while parsing this request, if any."""
    error = getattr(request, _REFUSAL_ATTR, None)
    return error if isinstance(error, SafedeskError) else None


def request_files(request: HttpRequest, field: str = "files") -> list[tuple[str, Any]]:
    """The files of a multipart form as (client name, file) pairs for `inspect_all`; raises the
    refusal kept while parsing (so the form can be shown again with it)."""
    error = refusal_of(request)
    if error is not None:
        raise error
    return [(f.name or "", f) for f in request.FILES.getlist(field)]
