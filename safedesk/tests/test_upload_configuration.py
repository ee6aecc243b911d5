"""The attachment settings read from the environment (safedesk.conf): limits, the scanner, and
the files origin, which must be an origin and nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from safedesk import conf


def test_it_reads_the_upload_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("SAFEDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAFEDESK_FILES_ORIGIN", "https://files.example-usercontent.net/")
    monkeypatch.setenv("SAFEDESK_UPLOAD_MAX_FILE_MB", "5")
    monkeypatch.setenv("SAFEDESK_UPLOAD_SCANNER", "safedesk.lib.tests.scanners.EicarScanner")
    loaded = conf.load()
    assert loaded.files_origin == "https://files.example-usercontent.net"
    assert loaded.upload_max_file_mb == 5 and loaded.upload_max_files == 10
    assert loaded.upload_scanner == "safedesk.lib.tests.scanners.EicarScanner"
    for bad in ("files.example.net", "ftp://files.example.net", "https://files.example.net/path"):
        monkeypatch.setenv("SAFEDESK_FILES_ORIGIN", bad)
        with pytest.raises(conf.ConfigError):
            conf.load()
    monkeypatch.setenv("SAFEDESK_FILES_ORIGIN", "")
    monkeypatch.setenv("SAFEDESK_UPLOAD_MAX_FILES", "0")
    with pytest.raises(conf.ConfigError):
        conf.load()
