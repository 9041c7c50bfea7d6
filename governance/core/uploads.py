"""Uploads streamed to disk and capped while they stream: a huge body fails early, never fills a disk.

Django's default handlers keep small files in memory and give no size limit for files at all. This
handler writes every file part to a temporary file and counts the bytes of all file parts of a request as
they arrive; past ``MAX_UPLOAD_BYTES`` it deletes what it wrote and raises :class:`UploadTooLarge` (413
problem+json naming the field). A declared ``Content-Length`` beyond the cap is refused before any byte
is read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from governance.core.exceptions import ApplicationError

# Multipart framing and the form's text fields (config JSON) on top of the files' own bytes.
ENVELOPE_BYTES = 1 << 20


class UploadTooLarge(ApplicationError):
    """The uploaded file is larger than the deployment accepts (MAX_UPLOAD_BYTES)."""

    status = 413
    code = "payload_too_large"


def upload_too_large(field: str, limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"The upload is larger than the {limit} bytes this service accepts (MAX_UPLOAD_BYTES); "
        "share large files through source_uri instead.",
        field=field,
    )


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Temporary-file upload handler that refuses a request's files past ``MAX_UPLOAD_BYTES`` in total."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = int(settings.MAX_UPLOAD_BYTES)
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > self.limit + ENVELOPE_BYTES:
            raise upload_too_large("file", self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.upload_interrupted()  # delete what was written
            raise upload_too_large(self.field_name or "file", self.limit)
        return super().receive_data_chunk(raw_data, start)
