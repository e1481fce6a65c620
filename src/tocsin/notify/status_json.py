"""Atlassian Statuspage's public API v2 shapes, so the widgets, monitors and scripts that
read a Statuspage page read Tocsin's unchanged.

What this follows (field names, nesting and types):

* the page's API description every Statuspage page publishes at ``/api`` (e.g.
  metastatuspage.com/api, githubstatus.com/api): ``summary.json``, ``status.json``,
  ``components.json``, ``incidents.json``, ``incidents/unresolved.json``,
  ``scheduled-maintenances.json``, ``.../upcoming.json`` and ``.../active.json``, each an
  object with ``page`` ({id, name, url, time_zone, updated_at}) and its list;
* real responses of such pages kept as fixtures in public code (for instance an
  ``incidents.json`` of status.myemma.com and a ``summary.json`` of status.instructure.com,
  found with the project's code search), and the TypeScript types of the ``statuspage.io``
  npm client (dist/interfaces/Result.d.ts: Component with ``group``, ``group_id``,
  ``only_show_if_degraded``, ``showcase``, ``start_date``; ScheduledMaintenance = Incident
  plus ``scheduled_for`` and ``scheduled_until``);
* Atlassian's "Enable webhook notifications" (support.atlassian.com/statuspage/docs/
  enable-webhook-notifications/) for the webhook body: ``meta`` (unsubscribe,
  documentation), ``page`` (id, status_indicator, status_description), then ``incident``
  or ``component_update`` with ``component``; and a real Statuspage component webhook kept
  as a test fixture in public code (zulip's zerver/webhooks/statuspage/fixtures/
  component_status_update.json) for what the page leaves out: ``meta.generated_at``,
  ``component_update.component_type`` ("Component"), and the component's ``updated_at``,
  ``position``, ``description``, ``showcase``, ``page_id`` and ``group_id``. Statuspage
  sends a ``component_update`` for every status change, also those an incident makes.

Timestamps are ISO 8601 with the offset, as Statuspage's. Ids are strings: a component's or
an incident's is its number; a group, which Statuspage lists among the components (with
``group: true`` and its children's ids in ``components``), is ``g`` and its number, so it
cannot collide with a component's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.domain.status_page import ComponentStatus, Overall, worst
from tocsin.store.status_incidents import MAINTENANCE, PublicIncident, Update
from tocsin.store.status_page import Component, Group, Page, StatusChange

__all__ = [
    "DOCUMENTATION",
    "Site",
    "component_json",
    "components_json",
    "incident_json",
    "page_json",
    "status_json",
    "webhook_component",
    "webhook_incident",
]

#: Where a webhook's ``meta.documentation`` points, under the page's address: the page
#: that describes the JSON API and the webhooks (as Statuspage's ``/api`` page does).
DOCUMENTATION = "/api#webhooks"


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True)
class Site:
    """What every document mentions: the page and where it is."""

    page: Page
    #: The public page's address, e.g. https://tocsin.example.com/status
    url: str


def page_json(site: Site) -> dict[str, Any]:
    return {
        "id": site.page.page_id,
        "name": site.page.name,
        "url": site.url,
        "time_zone": site.page.time_zone,
        "updated_at": iso(site.page.updated_at),
    }


def status_json(overall: Overall) -> dict[str, str]:
    return {"indicator": overall.indicator, "description": overall.description}


def component_json(site: Site, c: Component) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "status": c.status.value,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "position": c.position,
        "description": c.description,
        "showcase": c.showcase,
        "start_date": c.created_at.date().isoformat(),
        "group_id": f"g{c.group_id}" if c.group_id is not None else None,
        "page_id": site.page.page_id,
        "group": False,
        "only_show_if_degraded": c.only_show_if_degraded,
    }


def group_json(site: Site, g: Group, children: Sequence[Component]) -> dict[str, Any]:
    return {
        "id": f"g{g.id}",
        "name": g.name,
        "status": worst(c.status for c in children).value,
        "created_at": iso(g.created_at),
        "updated_at": iso(max([g.updated_at, *(c.updated_at for c in children)])),
        "position": g.position,
        "description": g.description,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": site.page.page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [str(c.id) for c in children],
    }


def components_json(
    site: Site, groups: Sequence[Group], components: Sequence[Component]
) -> list[dict[str, Any]]:
    """Every component and group, as Statuspage lists them: groups in their order, each
    followed by its components, then the ungrouped ones; groups carry their children's
    ids."""
    by_group: dict[int | None, list[Component]] = {}
    for c in components:
        by_group.setdefault(c.group_id, []).append(c)
    out: list[dict[str, Any]] = []
    for g in groups:
        children = by_group.get(g.id, [])
        out.append(group_json(site, g, children))
        out += [component_json(site, c) for c in children]
    known = {g.id for g in groups}
    for group_id, members in by_group.items():
        if group_id is None or group_id not in known:
            out += [component_json(site, c) for c in members]
    return out


def update_json(u: Update) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "status": u.status,
        "body": u.body,
        "incident_id": str(u.public_id),
        "created_at": iso(u.created_at),
        "updated_at": iso(u.created_at),
        "display_at": iso(u.created_at),
        "affected_components": [dict(a) for a in u.affected_components] or None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(
    site: Site, i: PublicIncident, components: Mapping[int, Component]
) -> dict[str, Any]:
    """A public incident (or a scheduled maintenance: the same plus ``scheduled_for`` and
    ``scheduled_until``)."""
    out: dict[str, Any] = {
        "id": str(i.id),
        "name": i.name,
        "status": i.status,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "monitoring_at": iso(i.monitoring_at),
        "resolved_at": iso(i.resolved_at),
        "impact": i.impact,
        "shortlink": f"{site.url}/incidents/{i.id}",
        "started_at": iso(i.started_at),
        "page_id": site.page.page_id,
        "incident_updates": [update_json(u) for u in i.updates],
        "components": [
            component_json(site, components[c]) for c in i.components if c in components
        ],
    }
    if i.kind == MAINTENANCE:
        out["scheduled_for"] = iso(i.scheduled_for)
        out["scheduled_until"] = iso(i.scheduled_until)
    return out


def _webhook_page(site: Site, overall: Overall) -> dict[str, Any]:
    return {
        "id": site.page.page_id,
        "status_indicator": overall.indicator,
        "status_description": overall.description,
    }


def _meta(site: Site, unsubscribe: str, generated: datetime) -> dict[str, Any]:
    return {
        "unsubscribe": unsubscribe,
        "documentation": site.url + DOCUMENTATION,
        "generated_at": iso(generated),
    }


def webhook_incident(
    site: Site,
    overall: Overall,
    incident: PublicIncident,
    components: Mapping[int, Component],
    unsubscribe: str,
    generated: datetime,
) -> dict[str, Any]:
    """The POST a webhook subscriber gets when an incident (or a maintenance) is created or
    updated."""
    return {
        "meta": _meta(site, unsubscribe, generated),
        "page": _webhook_page(site, overall),
        "incident": incident_json(site, incident, components),
    }


def webhook_component(
    site: Site,
    overall: Overall,
    component: Component,
    change: StatusChange,
    at: datetime,
    unsubscribe: str,
) -> dict[str, Any]:
    """The POST a webhook subscriber gets when a component changes status (by hand, or by
    an incident or maintenance)."""
    return {
        "meta": _meta(site, unsubscribe, at),
        "page": _webhook_page(site, overall),
        "component_update": {
            "created_at": iso(at),
            "new_status": change.new.value,
            "old_status": change.old.value,
            "id": str(change.change_id),
            "component_id": str(component.id),
            "component_type": "Component",
        },
        "component": {
            "created_at": iso(component.created_at),
            "updated_at": iso(component.updated_at),
            "id": str(component.id),
            "name": component.name,
            "status": change.new.value,
            "position": component.position,
            "description": component.description,
            "showcase": component.showcase,
            "page_id": site.page.page_id,
            "group_id": f"g{component.group_id}" if component.group_id is not None else None,
        },
    }


def affected(
    changes: Iterable[tuple[Component, ComponentStatus]],
) -> list[dict[str, str]]:
    """An update's ``affected_components``: each component it changed, old and new."""
    return [
        {
            "code": str(c.id),
            "name": c.name,
            "old_status": old.value,
            "new_status": c.status.value,
        }
        for c, old in changes
    ]
