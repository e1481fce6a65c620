"""Files offered to save: a CSV table (UTF-8) and the audit log's export, with the name the
browser saves them as."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from fastapi.responses import Response, StreamingResponse

__all__ = ["AUDIT_MEDIA", "audit_download", "csv_download"]


#: The audit log's export formats and their media types.
AUDIT_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def audit_download(chunks: Iterator[str], fmt: str) -> StreamingResponse:
    """The audit log's export (``fmt``: jsonl or csv) streamed as an attachment."""
    return StreamingResponse(
        chunks,
        media_type=AUDIT_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="tocsin-audit.{fmt}"'},
    )


def csv_download(text: str, filename: str, headers: Mapping[str, str] | None = None) -> Response:
    """``text`` (CSV) as an attachment called ``filename``, with ``headers`` besides."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**(headers or {}), "Content-Disposition": f'attachment; filename="{filename}"'},
    )
