"""The article folder format, read and written (no database here; services.py does the writing).

    <folder>/categories.yaml           - a list of {slug, name: {zh-hans, en}, position}
    <folder>/articles/<key>.<lang>.md  - YAML front matter between `---` lines, then Markdown

Front matter keys: key, category, lang, title, slug (optional), status (published|draft),
tags (list), questions (list). YAML is parsed with safe_load only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from safedesk.helpcenter.models import LANGS, Status

FILENAME = re.compile(r"^(?P<key>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>zh-hans|en)\.md$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
MAX_FILE_BYTES = 512 * 1024
KNOWN_KEYS = {"key", "category", "lang", "title", "slug", "status", "tags", "questions"}


@dataclass(frozen=True)
class CategoryEntry:
    slug: str
    name_zh_hans: str
    name_en: str
    position: int


@dataclass(frozen=True)
class ArticleFile:
    filename: str
    key: str
    category: str
    lang: str
    title: str
    slug: str
    status: str
    tags: list[str]
    questions: list[str]
    body: str


@dataclass
class ParsedFolder:
    categories: list[CategoryEntry] = field(default_factory=list)
    articles: list[ArticleFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    return path.read_bytes().decode("utf-8")


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ValueError(f"{name} must be a list of texts")
    return [str(v) for v in value]


def parse_categories(text: str) -> list[CategoryEntry]:
    data = yaml.safe_load(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError("categories.yaml must be a list")
    entries: list[CategoryEntry] = []
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"entry {i} is not a mapping")
        slug, name, position = item.get("slug"), item.get("name"), item.get("position", 0)
        if not isinstance(slug, str) or not slug:
            raise ValueError(f"entry {i} has no slug")
        if isinstance(name, str):
            name = {"zh-hans": name, "en": name}
        if not isinstance(name, dict) or not all(isinstance(name.get(lang), str) for lang in LANGS):
            raise ValueError(f"entry {i} ({slug}) needs name.zh-hans and name.en")
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise ValueError(f"entry {i} ({slug}) has an invalid position")
        entries.append(CategoryEntry(slug=slug, name_zh_hans=name["zh-hans"], name_en=name["en"], position=position))
    return entries


def parse_article(filename: str, text: str) -> ArticleFile:
    """Raise ValueError (with a reason a person can act on) for anything that does not fit."""
    m = FILENAME.match(filename)
    if m is None:
        raise ValueError("the file name must be <key>.<zh-hans|en>.md")
    text = text.removeprefix("\ufeff")
    fm = FRONT_MATTER.match(text)
    if fm is None:
        raise ValueError("no front matter (the file must start with a line of ---)")
    try:
        meta = yaml.safe_load(fm.group("yaml"))
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    unknown = set(map(str, meta)) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown front matter keys: {', '.join(sorted(unknown))}")
    key, lang = meta.get("key", m["key"]), meta.get("lang", m["lang"])
    if key != m["key"]:
        raise ValueError(f"key {key!r} does not match the file name")
    if lang != m["lang"]:
        raise ValueError(f"lang {lang!r} does not match the file name")
    category, title = meta.get("category"), meta.get("title")
    if not isinstance(category, str) or not category:
        raise ValueError("category is missing")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("title is missing")
    slug = meta.get("slug") or ""
    if not isinstance(slug, str):
        raise ValueError("slug must be a text")
    status = meta.get("status", Status.DRAFT)
    if status not in Status.values:
        raise ValueError("status must be published or draft")
    return ArticleFile(
        filename=filename,
        key=m["key"],
        category=category,
        lang=m["lang"],
        title=title,
        slug=slug,
        status=str(status),
        tags=_str_list(meta.get("tags"), "tags"),
        questions=_str_list(meta.get("questions"), "questions"),
        body=text[fm.end() :],
    )


def read_folder(folder: Path) -> ParsedFolder:
    parsed = ParsedFolder()
    cats = folder / "categories.yaml"
    if cats.is_file():
        try:
            parsed.categories = parse_categories(_read_text(cats))
        except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
            parsed.errors.append(f"categories.yaml: {exc}")
    articles = folder / "articles"
    if not articles.is_dir():
        parsed.errors.append(f"{articles}: no articles folder")
        return parsed
    for path in sorted(articles.iterdir()):
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        try:
            parsed.articles.append(parse_article(path.name, _read_text(path)))
        except UnicodeDecodeError:
            parsed.errors.append(f"{path.name}: not valid UTF-8")
        except ValueError as exc:
            parsed.errors.append(f"{path.name}: {exc}")
    return parsed


def dump_article(doc: ArticleFile) -> str:
    meta: dict[str, Any] = {
        "key": doc.key,
        "category": doc.category,
        "lang": doc.lang,
        "title": doc.title,
        "slug": doc.slug,
        "status": doc.status,
        "tags": list(doc.tags),
        "questions": list(doc.questions),
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{doc.body.rstrip()}\n"


def dump_categories(entries: list[CategoryEntry]) -> str:
    data = [
        {"slug": c.slug, "name": {"zh-hans": c.name_zh_hans, "en": c.name_en}, "position": c.position} for c in entries
    ]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_folder(folder: Path, categories: list[CategoryEntry], docs: list[ArticleFile]) -> None:
    articles = folder / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / "categories.yaml", dump_categories(categories))
    for doc in docs:
        # Keys are validated slugs ([a-z0-9-]) and langs come from a fixed list: no path tricks.
        assert FILENAME.match(doc.filename), doc.filename
        _write_atomic(articles / doc.filename, dump_article(doc))
