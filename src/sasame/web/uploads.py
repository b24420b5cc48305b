"""Files uploaded to the Imports page or `POST /api/imports`, imported exactly like `sasame import`.

Each file goes through the one `import_file` the CLI and the watched folder use, in a transaction
of its own: a bad file leaves the database as it was and does not stop the files after it. The
upload is written to a temporary folder under its original name (so `source_file.name` and every
message name the file the owner chose, never the temporary path) and removed afterwards.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import traceback
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile

from sasame.core.errors import UserError
from sasame.ingest.queries import format_titles
from sasame.ingest.service import ImportSummary, import_file

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_FILE_BYTES = 50 * MIB
"""Far above a year of a small store's exports; bigger files belong to `sasame import`."""
MAX_FILES = 20
FILES_FIELD = "files"
FORMAT_FIELD = "format"
MAX_NAME_BYTES = 200


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the owner's browser gave it and its (spooled) bytes."""

    name: str
    file: BinaryIO
    size: int


@dataclass(frozen=True)
class UploadRequest:
    uploads: list[Upload]
    format_name: str | None


@dataclass(frozen=True)
class UploadResult:
    """What happened to one file: its import summary, or the one-line reason it was refused."""

    file: str
    summary: ImportSummary | None = None
    error: str | None = None

    @property
    def is_imported(self) -> bool:
        return self.summary is not None


async def read_upload_form(request: Request) -> tuple[UploadRequest, list[UploadFile]]:
    """Parse the multipart form: the files and the optional format; a bad form is a UserError.

    Returns the Starlette files too, for the caller to close once the imports are done.
    """
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=10)
    except HTTPException as error:  # Starlette's answer to a malformed or oversized form
        raise UserError(f"the upload could not be read: {error.detail}") from error
    format_name = str(form.get(FORMAT_FIELD) or "").strip() or None
    files = [item for item in form.getlist(FILES_FIELD) if isinstance(item, UploadFile)]
    # A file input left empty still sends one part with no name and no bytes.
    chosen = [item for item in files if item.filename]
    if format_name is not None and format_name not in format_titles():
        raise UserError(f"format: {format_name!r} is not a format sasame reads; choose one from the list")
    if not chosen:
        raise UserError("choose at least one file to import")
    uploads = [
        Upload(name=safe_name(item.filename or ""), file=item.file, size=item.size or 0) for item in chosen
    ]
    return UploadRequest(uploads=uploads, format_name=format_name), files


def safe_name(filename: str) -> str:
    """Return the file's own name without any folder a browser sent, fit to be a file name here."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(character if character.isprintable() else "_" for character in name).strip()
    if name in ("", ".", ".."):
        return "upload"
    stem, suffix = os.path.splitext(name)
    suffix = suffix[:16]
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


def import_uploads(
    sessions: sessionmaker[Session], request: UploadRequest, *, now: datetime
) -> list[UploadResult]:
    """Import each upload in its own transaction, in the order given; errors stay with their file."""
    format_name = request.format_name
    return [import_upload(sessions, upload, now=now, format_name=format_name) for upload in request.uploads]


def import_upload(
    sessions: sessionmaker[Session], upload: Upload, *, now: datetime, format_name: str | None = None
) -> UploadResult:
    """Import one upload like `sasame import`: committed whole, or (on any error) not at all."""
    if upload.size > MAX_FILE_BYTES:
        size = upload.size / MIB
        return UploadResult(
            upload.name,
            error=(
                f"{upload.name}: is {size:.1f} MiB, more than the {MAX_FILE_BYTES // MIB} MiB the dashboard "
                f"takes in one file; import it with `sasame import` instead"
            ),
        )
    with tempfile.TemporaryDirectory(prefix="sasame-upload-") as folder:
        path = Path(folder) / upload.name
        upload.file.seek(0)
        with path.open("wb") as copy:
            shutil.copyfileobj(upload.file, copy, length=MIB)
        try:
            with sessions() as session, session.begin():
                summary = import_file(session, path, now=now, format_name=format_name)
        except UserError as error:
            return UploadResult(upload.name, error=_named(str(error), path, upload.name))
        except Exception as error:
            # A bug must not cost the other files their import; it is logged with its traceback.
            log.exception("%s: unexpected error while importing an upload", upload.name)
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            message = f"{upload.name}: unexpected error (please report it): {detail}"
            return UploadResult(upload.name, error=_named(message, path, upload.name))
    warnings = [_named(warning, path, upload.name) for warning in summary.warnings]
    return UploadResult(upload.name, summary=replace(summary, file=upload.name, warnings=warnings))


def _named(text: str, path: Path, name: str) -> str:
    """Put the owner's file name where a message names the temporary copy."""
    return text.replace(str(path), name)
