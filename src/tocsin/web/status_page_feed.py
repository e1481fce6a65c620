"""``/status/history.atom``: the newest public incidents and maintenances as an Atom feed
(RFC 4287), each entry with its updates, newest first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.store.status_incidents import MAINTENANCE, PublicIncident
from tocsin.web.routing import web_router
from tocsin.web.session import runtime_of

__all__ = ["router"]

router = web_router()
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50


def _tag(site_url: str, i: PublicIncident) -> str:
    """A stable entry id (RFC 4151 tag URI): the host, the day it began, its number."""
    host = urlsplit(site_url).hostname or "tocsin"
    return f"tag:{host},{i.created_at:%Y-%m-%d}:/status/incidents/{i.id}"


def _content(i: PublicIncident) -> str:
    parts = []
    for u in i.updates:
        when = u.created_at.strftime("%b %d, %H:%M UTC")
        status = u.status.replace("_", " ").capitalize()
        parts.append(
            f"<p><small>{when}</small><br><strong>{status}</strong> - {escape(u.body)}</p>"
        )
    return "".join(parts)


def feed(site_url: str, name: str, updated: str, found: list[PublicIncident]) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "en"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            child.text = text
        return child

    add(root, "id", f"{site_url}/history")
    add(root, "title", f"{name} status history")
    add(root, "updated", updated)
    add(root, "link", rel="alternate", type="text/html", href=f"{site_url}/history")
    add(root, "link", rel="self", type="application/atom+xml", href=f"{site_url}/history.atom")
    author = add(root, "author")
    add(author, "name", name)
    for i in found:
        entry = add(root, "entry")
        add(entry, "id", _tag(site_url, i))
        add(entry, "published", i.created_at.isoformat())
        add(entry, "updated", i.updated_at.isoformat())
        kind = "Maintenance" if i.kind == MAINTENANCE else "Incident"
        add(entry, "title", i.name)
        add(entry, "link", rel="alternate", type="text/html", href=f"{site_url}/incidents/{i.id}")
        add(entry, "category", term=kind.lower(), label=kind)
        add(entry, "content", _content(i), type="html")
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode()


@router.get("/status/history.atom")
async def history_feed(request: Request) -> Response:
    service = runtime_of(request).status_page
    site, found, _ = await run_in_threadpool(service.listing, None, limit=ENTRIES)
    body = feed(site.url, site.page.name, site.page.updated_at.isoformat(), found)
    return Response(
        body,
        media_type="application/atom+xml",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
