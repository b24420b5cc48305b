"""The Imports page and /api/imports: uploads go through `import_file` one transaction per file.

The upload is a real registered format: the Chase checking CSV of the bank connector's fixtures,
read from there (and corrupted in one cell here), so it stays what that connector reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from web_store import NOW, add_everything, csrf_from, log_in

from sasame.config import Settings
from sasame.connectors import REGISTRY
from sasame.core.clock import fixed_clock
from sasame.db import transaction
from sasame.models import AuditLog, BankTransaction, SourceFile, SourceRecord
from sasame.web import security, uploads
from sasame.web.app import create_app

FIXTURE = Path(__file__).parents[1] / "connectors" / "bank" / "fixtures" / "chase_checking.csv"
CHASE = FIXTURE.read_bytes()
CHASE_CORRUPT = CHASE.replace(b"-250.00", b"-25O.00")
"""The same statement with one amount mistyped (a letter O for a zero) on line 5."""
CHASE_TITLE = "Bank statement (CSV: Chase, Capital One, Wells Fargo, or a saved mapping)"
CORRUPT_ERROR = "chase_corrupt.csv, row 5, column 'Amount': '-25O.00' is not an amount"


@pytest.fixture
def both_store(engine: Engine) -> Engine:
    """The hand-written store (with its owner) on SQLite and on PostgreSQL, for what writes data."""
    add_everything(engine)
    return engine


@pytest.fixture
def both_owner(both_store: Engine) -> Iterator[TestClient]:
    settings = Settings(database_url="sqlite://", secret_key="test-secret")
    with TestClient(create_app(both_store, settings, fixed_clock(NOW))) as client:
        assert log_in(client).status_code == 303
        yield client


@pytest.fixture
def store(sqlite_store: Engine) -> Engine:
    """The checks of the form, the page and the security run on the quicker SQLite copy alone."""
    return sqlite_store


def token(client: TestClient) -> str:
    return csrf_from(client.get("/imports").text)


def upload(client: TestClient, *files: tuple[str, bytes], **fields: str) -> str:
    """Post files through the page's form (token first, as the page sends it) and return the HTML."""
    response = client.post(
        "/imports",
        data={"csrf_token": token(client), **fields},
        files=[("files", (name, content, "text/csv")) for name, content in files],
    )
    assert response.status_code == 200, response.text
    return response.text


def results(html: str) -> list[str]:
    """Return the result blocks' text, one per file, tags stripped and whitespace collapsed."""
    blocks = re.findall(r'<article class="result" data-result="\w+">(.*?)</article>', html, re.S)
    return [text_of(block) for block in blocks]


def section_text(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="panel" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return text_of(match.group(1))


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def counts(engine: Engine) -> tuple[int, int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count(BankTransaction.id))) or 0,
            session.scalar(select(func.count(SourceFile.id))) or 0,
            session.scalar(select(func.count(SourceRecord.id))) or 0,
        )


def test_uploading_a_file_imports_it_and_shows_its_summary(both_owner: TestClient, both_store: Engine):
    records_before = counts(both_store)[2]
    html = upload(both_owner, ("chase_checking.csv", CHASE))
    assert results(html) == [
        f"chase_checking.csv imported {CHASE_TITLE} · 5 rows read "
        "Records Created Updated Unchanged Bank transaction 5 0 0 "
        "Money in the file Bank transactions $2,163.74"
    ]
    assert "1 imported" in html
    assert counts(both_store) == (5, 1, records_before + 5)
    with transaction(both_store) as session:
        kept = session.scalars(select(SourceFile)).one()
        assert (kept.name, kept.format, kept.size_bytes) == ("chase_checking.csv", "bank.csv", len(CHASE))
        amounts = sorted(t.amount for t in session.scalars(select(BankTransaction)))
    assert amounts == [Decimal(a) for a in ("-250.00", "-6.60", "-6.60", "1188.21", "1238.73")]


def test_the_same_file_again_changes_nothing(both_owner: TestClient, both_store: Engine):
    upload(both_owner, ("chase_checking.csv", CHASE))
    before = counts(both_store)
    html = upload(both_owner, ("statement copy.csv", CHASE))
    assert results(html) == [
        f"statement copy.csv imported {CHASE_TITLE} · 5 rows read "
        "Records Created Updated Unchanged Bank transaction 0 0 5 "
        "Money in the file Bank transactions $2,163.74"
    ]
    assert counts(both_store) == before  # the same bytes: the kept file is recognised by its digest


def test_a_corrupted_cell_is_refused_with_its_row_and_column_and_writes_nothing(
    both_owner: TestClient, both_store: Engine
):
    before = counts(both_store)
    html = upload(both_owner, ("chase_corrupt.csv", CHASE_CORRUPT))
    assert results(html) == [
        f"chase_corrupt.csv not imported nothing from this file was written {CORRUPT_ERROR}"
    ]
    assert "0 imported, 1 refused" in html
    assert "sasame-upload" not in html  # the temporary copy's path never shows
    assert counts(both_store) == before


def test_one_bad_file_does_not_stop_the_others(owner: TestClient, store: Engine):
    html = upload(owner, ("chase_corrupt.csv", CHASE_CORRUPT), ("chase_checking.csv", CHASE))
    blocks = results(html)
    assert blocks[0].endswith(CORRUPT_ERROR)
    assert blocks[1].startswith("chase_checking.csv imported")
    assert counts(store)[:2] == (5, 1)


def test_the_format_can_be_chosen_instead_of_detected(owner: TestClient, store: Engine):
    html = upload(owner, ("chase_checking.csv", CHASE), format="etsy.sold_orders")
    assert results(html)[0].startswith("chase_checking.csv not imported")
    assert counts(store)[:2] == (0, 0)
    assert '<option value="etsy.sold_orders" selected>' in html
    html = upload(owner, ("chase_checking.csv", CHASE), format="bank.csv")
    assert results(html)[0].startswith(f"chase_checking.csv imported {CHASE_TITLE}")


def test_a_form_without_files_or_with_an_unknown_format_says_so(owner: TestClient, store: Engine):
    empty = owner.post(
        "/imports",
        data={"csrf_token": token(owner)},
        files=[("files", ("", b"", "application/octet-stream"))],  # what a browser sends for none
    )
    assert empty.status_code == 400
    assert "Choose at least one file to import." in empty.text
    unknown = owner.post(
        "/imports",
        data={"csrf_token": token(owner), "format": "nope"},
        files=[("files", ("a.csv", CHASE, "text/csv"))],
    )
    assert unknown.status_code == 400
    assert "Format: &#39;nope&#39; is not a format sasame reads; choose one from the list." in unknown.text
    assert counts(store)[:2] == (0, 0)


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    owner: TestClient, store: Engine, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 400)
    html = upload(owner, ("chase_checking.csv", CHASE))
    assert results(html)[0].endswith(
        "chase_checking.csv: is 0.0 MiB, more than the 0 MiB the dashboard takes in one file; "
        "import it with `sasame import` instead"
    )
    assert counts(store)[:2] == (0, 0)
    monkeypatch.setattr(security, "MAX_UPLOAD_BYTES", 300)
    response = owner.post(
        "/imports",
        data={"csrf_token": token(owner)},
        files=[("files", ("chase_checking.csv", CHASE, "text/csv"))],
    )
    assert response.status_code == 413
    assert "upload too large" in response.text


def test_the_imported_files_list_shows_each_file(both_owner: TestClient, both_store: Engine):
    assert "No files imported yet." in both_owner.get("/imports").text
    upload(both_owner, ("chase_checking.csv", CHASE))
    html = both_owner.get("/imports").text
    text = section_text(html, "imported-files")
    # Imported at 19:00 UTC, shown in the store's New York time; 5 raw rows point to the file.
    assert f"chase_checking.csv {CHASE_TITLE} 494 Bytes 2025-03-20 15:00 5" in text
    assert "1 file, newest first" in text


def test_the_page_lists_every_format_and_the_rejected_webhooks(owner: TestClient, store: Engine):
    html = owner.get("/imports").text
    assert 'enctype="multipart/form-data"' in html
    assert 'id="rejected-webhooks"' not in html  # shown only when there are some
    for file_format in REGISTRY:
        assert f'<td>{file_format.title}</td><td class="mono">{file_format.name}</td>' in html.replace(
            "&amp;", "&"
        )
    with transaction(store) as session:
        session.add(
            AuditLog(
                occurred_at=NOW,
                actor="webhook:shopify",
                action="webhook_rejected",
                rule="signature verification",
                inputs={"topic": "orders/create", "remote_address": "203.0.113.9", "body_bytes": 10},
                outcome="rejected: signature does not match",
            )
        )
    html = owner.get("/imports").text
    text = section_text(html, "rejected-webhooks")
    assert "2025-03-20 15:00 /webhooks/shopify orders/create 203.0.113.9 signature does not match" in text


def test_the_api_imports_files_and_lists_them(both_owner: TestClient, both_store: Engine):
    response = both_owner.post(
        "/api/imports",
        headers={"X-CSRF-Token": token(both_owner)},
        files=[
            ("files", ("chase_checking.csv", CHASE, "text/csv")),
            ("files", ("chase_corrupt.csv", CHASE_CORRUPT, "text/csv")),
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "results": [
            {
                "file": "chase_checking.csv",
                "status": "imported",
                "error": None,
                "format": "bank.csv",
                "format_title": CHASE_TITLE,
                "rows_read": 5,
                "records": {"bank_transaction": {"created": 5, "updated": 0, "unchanged": 0}},
                "money": {"bank": {"USD": "2163.74"}},
                "warnings": [],
            },
            {
                "file": "chase_corrupt.csv",
                "status": "failed",
                "error": CORRUPT_ERROR,
                "format": None,
                "format_title": None,
                "rows_read": None,
                "records": None,
                "money": None,
                "warnings": None,
            },
        ]
    }
    listed = both_owner.get("/api/imports").json()
    assert listed["total"] == 1
    assert [
        (f["name"], f["format"], f["size_bytes"], f["imported_at"], f["source_records"])
        for f in listed["files"]
    ] == [("chase_checking.csv", "bank.csv", 494, "2025-03-20T19:00:00Z", 5)]
    assert both_owner.post("/api/imports", headers={"X-CSRF-Token": token(both_owner)}, data={}).json() == {
        "detail": "choose at least one file to import"
    }


def test_uploads_without_the_csrf_token_are_refused(owner: TestClient, store: Engine):
    chase = [("files", ("chase_checking.csv", CHASE, "text/csv"))]
    for path in ("/imports", "/api/imports"):
        assert owner.post(path, files=chase).status_code == 403, path
        assert owner.post(path, data={"csrf_token": "forged"}, files=chase).status_code == 403, path
        assert owner.post(path, headers={"X-CSRF-Token": "forged"}, files=chase).status_code == 403, path
    # A token sent only after the file is not looked for: forms put it first.
    body, content_type = _multipart([("files", "a.csv", CHASE), ("csrf_token", None, token(owner).encode())])
    refused = owner.post("/imports", content=body, headers={"Content-Type": content_type})
    assert refused.status_code == 403
    assert counts(store)[:2] == (0, 0)


def test_logged_out_uploads_and_lists_are_refused(client: TestClient, store: Engine):
    page = client.get("/imports", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/imports")
    assert client.get("/api/imports").status_code == 401
    login_token = csrf_from(client.get("/login").text)  # a session token, but no login
    chase = [("files", ("chase_checking.csv", CHASE, "text/csv"))]
    posted = client.post("/imports", data={"csrf_token": login_token}, files=chase, follow_redirects=False)
    assert (posted.status_code, posted.headers["location"]) == (303, "/login?next=/imports")
    api = client.post("/api/imports", headers={"X-CSRF-Token": login_token}, files=chase)
    assert api.status_code == 401
    assert counts(store)[:2] == (0, 0)


def test_the_openapi_document_describes_the_imports_api(owner: TestClient, store: Engine):
    paths = owner.get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/imports"]) == {"get", "post"}
    body = paths["/api/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert "bank.csv" in body["properties"]["format"]["enum"]


def test_safe_name_keeps_only_the_file_name():
    assert uploads.safe_name("C:\\Users\\me\\Downloads\\orders.csv") == "orders.csv"
    assert uploads.safe_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("..") == "upload"
    assert uploads.safe_name("a\nb.csv") == "a_b.csv"
    long = uploads.safe_name("é" * 300 + ".csv")
    assert long.endswith(".csv") and len(long.encode()) <= 200


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "sasame-test-boundary"
    chunks = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def test_a_token_with_foreign_characters_is_refused_not_a_crash(owner: TestClient):
    body, content_type = _multipart([("csrf_token", None, "é".encode()), ("files", "a.csv", CHASE)])
    assert owner.post("/imports", content=body, headers={"Content-Type": content_type}).status_code == 403
    refused = owner.post(
        "/logout", content="csrf_token=%C3%A9", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert refused.status_code == 403
