"""A table offered as a file to save: CSV, UTF-8, with the name the browser saves it as."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import Response

__all__ = ["csv_download"]


def csv_download(text: str, filename: str, headers: Mapping[str, str] | None = None) -> Response:
    """``text`` (CSV) as an attachment called ``filename``, with ``headers`` besides."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**(headers or {}), "Content-Disposition": f'attachment; filename="{filename}"'},
    )
