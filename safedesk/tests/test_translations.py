"""Both catalogues are complete and current: no string of the source is missing, empty or fuzzy."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_Hans", "en")

pytestmark = pytest.mark.skipif(shutil.which("msgcmp") is None, reason="GNU gettext (msgcmp) is not installed")


def _catalogue(locale: str) -> Path:
    return ROOT / "safedesk" / "locale" / locale / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The message template extracted from the source right now, in a scratch copy of the package."""
    work = tmp_path_factory.mktemp("messages")
    copy = work / "safedesk"
    shutil.copytree(
        ROOT / "safedesk",
        copy,
        ignore=shutil.ignore_patterns("tests", "__pycache__", "content", "static", "*.mo"),
    )
    safedesk = ROOT / ".venv" / "bin" / "safedesk"
    subprocess.run(
        [str(safedesk), "makemessages", "-l", "zh_Hans", "--keep-pot", "--no-location", "-v", "0"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return copy / "locale" / "django.pot"


@pytest.mark.parametrize("locale", LOCALES)
def test_it_translates_every_message(locale: str, fresh_template: Path) -> None:
    # msgcmp fails when a message of the template is missing or untranslated in the catalogue.
    result = subprocess.run(
        ["msgcmp", str(_catalogue(locale)), str(fresh_template)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("locale", LOCALES)
def test_it_has_no_empty_or_fuzzy_entries(locale: str) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(_catalogue(locale))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_it_speaks_chinese() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Help center") != "Help center"
