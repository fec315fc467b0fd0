"""`herald-contacts import FILE`: streams the file, follows the job, prints the figures (the
API is a mock transport here; the API itself is tested in tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from herald_contacts.cli import cli
from herald_contacts.imports import cli_upload

JOB = {
    "id": "6bc8ee42-d2a0-4fb9-9e9e-ae8feba172ba",
    "status": "pending",
    "rows_read": 0,
    "imported": 0,
    "updated": 0,
    "unchanged": 0,
    "rejected": 0,
    "progress_pct": 0,
    "file_sha256": "a" * 64,
    "errors_url": "/v1/imports/6bc8ee42-d2a0-4fb9-9e9e-ae8feba172ba/errors.csv",
    "error": None,
}


class FakeApi:
    def __init__(self, final: dict[str, Any]) -> None:
        self.final = final
        self.polls = 0
        self.received = b""
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/v1/imports":
            self.received = request.read()
            return httpx.Response(202, json=JOB)
        if request.url.path.endswith("/errors.csv"):
            return httpx.Response(200, content=b"\xef\xbb\xbfline,column,value,reason\r\n")
        self.polls += 1
        running = {**JOB, "status": "running", "progress_pct": 40, "rows_read": 2}
        return httpx.Response(200, json=self.final if self.polls > 1 else running)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("téléphone;prénom\n0612345678;Élodie\n0612\n", encoding="utf-8")
    return path


def run(monkeypatch: pytest.MonkeyPatch, api: FakeApi, *args: str) -> tuple[int, str]:
    real_client = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        return real_client(transport=httpx.MockTransport(api.handle), **kwargs)

    monkeypatch.setattr(cli_upload.httpx, "Client", client)
    result = CliRunner().invoke(cli, ["import", *args, "--poll-seconds", "0.05"])
    return result.exit_code, result.output


def test_a_done_import_prints_its_figures(
    monkeypatch: pytest.MonkeyPatch, csv_file: Path, tmp_path: Path
) -> None:
    done = {**JOB, "status": "done", "rows_read": 2, "imported": 1, "rejected": 1}
    api = FakeApi(done)
    errors = tmp_path / "errors.csv"
    mapping = json.dumps({"téléphone": "phone"})
    code, output = run(
        monkeypatch,
        api,
        str(csv_file),
        "--api-key",
        "hk_test",
        "--mode",
        "create_only",
        "--mapping",
        mapping,
        "--errors-to",
        str(errors),
    )
    assert code == 0, output
    assert api.received == csv_file.read_bytes()
    upload = api.requests[0]
    assert upload.headers["authorization"] == "Bearer hk_test"
    assert upload.headers["content-type"] == "text/csv"
    assert upload.url.params["mode"] == "create_only"
    assert json.loads(upload.url.params["mapping"]) == {"téléphone": "phone"}
    assert "imported: 1" in output
    assert "rejected: 1" in output
    assert "refused rows: http://127.0.0.1:8101/v1/imports/" in output
    assert errors.read_bytes().startswith(b"\xef\xbb\xbfline,column")


def test_a_failed_import_exits_1_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, csv_file: Path
) -> None:
    failed = {**JOB, "status": "failed", "error": "file: a header (line 1) but no data rows"}
    code, output = run(monkeypatch, FakeApi(failed), str(csv_file), "--api-key", "hk_test")
    assert code == 1
    assert "import failed: file: a header (line 1) but no data rows" in output


def test_a_refused_file_exits_2_with_the_problem(
    monkeypatch: pytest.MonkeyPatch, csv_file: Path
) -> None:
    class Refusing(FakeApi):
        def handle(self, request: httpx.Request) -> httpx.Response:
            request.read()
            return httpx.Response(415, json={"detail": "file: this is a ZIP archive"})

    code, output = run(monkeypatch, Refusing({}), str(csv_file), "--api-key", "hk_test")
    assert code == 2
    assert "415: file: this is a ZIP archive" in output
