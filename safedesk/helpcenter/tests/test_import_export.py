from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from safedesk.helpcenter import files, services
from safedesk.helpcenter.models import Article, ArticleRevision, ArticleTranslation, Category, Status
from safedesk.search.models import SearchDocument

DEMO = Path(__file__).resolve().parents[2] / "demo" / "content"

CATEGORIES = """\
- slug: account
  name: {zh-hans: 账户与登录, en: Account and sign-in}
  position: 1
- slug: fees
  name: {zh-hans: 手续费, en: Fees}
  position: 2
"""

LOCKED_ZH = """\
---
key: account-locked
category: account
lang: zh-hans
title: 账户被锁定怎么办？
status: published
tags: [登录, 锁定]
questions:
  - 账户被锁了怎么办
---
请等待 **30 分钟**。
"""

LOCKED_EN = """\
---
key: account-locked
category: account
lang: en
title: My account is locked
slug: account-locked
status: draft
tags: [sign-in]
questions: [my account is locked]
---

Wait 30 minutes.
"""


def write(folder: Path, name: str, text: str) -> None:
    path = folder / "articles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "categories.yaml").write_text(CATEGORIES, encoding="utf-8")
    write(tmp_path, "account-locked.zh-hans.md", LOCKED_ZH)
    write(tmp_path, "account-locked.en.md", LOCKED_EN)
    return tmp_path


def test_it_imports_categories_articles_and_statuses(db: Any, folder: Path, admin_root: Any) -> None:
    result = services.import_articles(folder, actor=admin_root)
    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
    assert Category.objects.get(slug="fees").name_zh_hans == "手续费"
    article = Article.objects.get(key="account-locked")
    assert article.tags == ["sign-in", "登录", "锁定"] and article.created_by == admin_root
    zh = ArticleTranslation.objects.get(article=article, lang="zh-hans")
    assert (zh.slug, zh.status, zh.body, zh.questions) == (
        "账户被锁定怎么办",
        Status.PUBLISHED,
        "请等待 **30 分钟**。",
        ["账户被锁了怎么办"],
    )
    en = ArticleTranslation.objects.get(article=article, lang="en")
    assert (en.slug, en.status) == ("account-locked", Status.DRAFT)
    assert set(SearchDocument.objects.values_list("lang", flat=True)) == {"zh-hans"}


def test_it_is_idempotent(db: Any, folder: Path, admin_root: Any) -> None:
    services.import_articles(folder, actor=admin_root)
    revisions = ArticleRevision.objects.count()
    again = services.import_articles(folder, actor=admin_root)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 2, [])
    assert ArticleRevision.objects.count() == revisions


def test_it_updates_what_changed(db: Any, folder: Path, admin_root: Any) -> None:
    services.import_articles(folder, actor=admin_root)
    write(folder, "account-locked.en.md", LOCKED_EN.replace("status: draft", "status: published"))
    result = services.import_articles(folder, actor=admin_root)
    assert (result.updated, result.unchanged) == (1, 1)
    assert ArticleTranslation.objects.get(lang="en").status == Status.PUBLISHED


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("bad.en.md", "no front matter", "front matter"),
        ("bad.en.md", "---\n[unclosed\n---\nbody", "YAML"),
        ("bad.en.md", "---\n- a list\n---\nbody", "mapping"),
        ("bad.en.md", "---\nkey: other\ncategory: account\ntitle: T\n---\nbody", "does not match"),
        ("bad.en.md", "---\nkey: bad\ncategory: nowhere\ntitle: T\n---\nbody", "unknown category"),
        ("bad.en.md", "---\nkey: bad\ncategory: account\n---\nbody", "title"),
        ("bad.en.md", "---\nkey: bad\ncategory: account\ntitle: T\nstatus: live\n---\nbody", "status"),
        ("bad.en.md", "---\nkey: bad\ncategory: account\ntitle: T\ntags: oops\n---\nbody", "tags"),
        ("bad.en.md", "---\nkey: bad\ncategory: account\ntitle: T\n---\nnul \x00 here", "not allowed"),
        ("bad.en.md", "---\nkey: bad\ncategory: account\ntitle: !!python/object/apply:os.system [id]\n---\nb", "YAML"),
        ("Bad Name.md", "---\ntitle: T\n---\n", "file name"),
    ],
)
def test_it_reports_bad_files_without_stopping(
    db: Any, folder: Path, admin_root: Any, name: str, text: str, reason: str
) -> None:
    write(folder, name, text)
    result = services.import_articles(folder, actor=admin_root)
    assert result.created == 2
    [error] = result.errors
    assert error.startswith(name) and reason in error
    assert not Article.objects.filter(key="bad").exists()


def test_it_round_trips_through_export(db: Any, folder: Path, tmp_path: Path, admin_root: Any) -> None:
    services.import_articles(folder, actor=admin_root)
    out = tmp_path / "export"
    exported = services.export_articles(out, actor=admin_root)
    assert (exported.categories, exported.files) == (2, 2)
    parsed = files.read_folder(out)
    assert parsed.errors == []
    by_name = {d.filename: d for d in parsed.articles}
    assert by_name["account-locked.zh-hans.md"].title == "账户被锁定怎么办？"
    assert by_name["account-locked.en.md"].status == "draft"
    again = services.import_articles(out, actor=admin_root)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 2, [])
    # A second export of the same content is byte-identical.
    second = tmp_path / "export2"
    services.export_articles(second, actor=admin_root)
    for path in out.rglob("*.*"):
        assert (second / path.relative_to(out)).read_bytes() == path.read_bytes()


def test_it_imports_the_demo_content(db: Any, admin_root: Any) -> None:
    result = services.import_articles(DEMO, actor=admin_root)
    assert result.errors == [] and result.created > 0
    assert services.import_articles(DEMO, actor=admin_root).unchanged == result.created


def test_it_runs_the_management_commands(db: Any, folder: Path, tmp_path: Path, admin_root: Any, capsys: Any) -> None:
    call_command("articles_import", str(folder), "--actor", admin_root.email)
    assert "created 2" in capsys.readouterr().out
    out = tmp_path / "out"
    call_command("articles_export", str(out))
    assert (out / "articles" / "account-locked.en.md").is_file()
    with pytest.raises(CommandError):
        call_command("articles_import", str(folder), "--actor", "nobody@example.com")
    with pytest.raises(CommandError):
        call_command("articles_import", str(tmp_path / "missing"))
    write(folder, "broken.en.md", "nothing")
    with pytest.raises(CommandError):
        call_command("articles_import", str(folder))
