"""Malware scanners for the tests, named by SAFEDESK_UPLOAD_SCANNER like a real one would be.

`EicarScanner` flags the EICAR anti-virus test file (the string every real scanner reports as
"Eicar-Test-Signature") and calls everything else clean. `DownScanner` behaves like a scanner
daemon that cannot be reached. `FlakyScanner` is down until the test brings it back.
"""

from __future__ import annotations

from typing import IO, ClassVar

from safedesk.lib.uploads import ScanResult, Verdict

# Split so that no scanner on a developer's machine quarantines this source file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!" + b"$H+H*"


class EicarScanner:
    def scan(self, stream: IO[bytes], *, name: str) -> ScanResult:
        data = stream.read()
        if EICAR in data:
            return ScanResult(Verdict.INFECTED, signature="Eicar-Test-Signature")
        return ScanResult(Verdict.CLEAN)


class DownScanner:
    def scan(self, stream: IO[bytes], *, name: str) -> ScanResult:
        raise ConnectionRefusedError("clamd is not listening")


class FlakyScanner:
    up: ClassVar[bool] = False

    def scan(self, stream: IO[bytes], *, name: str) -> ScanResult:
        if not FlakyScanner.up:
            return ScanResult(Verdict.ERROR)
        return EicarScanner().scan(stream, name=name)
