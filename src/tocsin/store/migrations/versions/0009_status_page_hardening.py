"""status page hardening

The status page's tables get AUTOINCREMENT on SQLite (ids of deleted rows are never used
again), incident links hold the status each incident sets (``status``), the outbox names
the public incident of each row, subscribers remember their last confirmation email, email
addresses are kept in lower case, finished uptime days are kept in
``status_component_days``, and the page's row is made here (not by the first request).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:58:33.908346
"""

from __future__ import annotations

import hashlib
import secrets
import string

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Parents first: a parent's rebuild empties (cascade) or unlinks (SET NULL) its children,
#: whose rows are kept aside and put back afterwards.
_AUTOINCREMENT = [
    "status_groups",
    "status_components",
    "status_component_history",
    "public_incidents",
    "public_incident_updates",
    "status_subscribers",
    "status_notifications",
]
_UPDATE_COLUMNS = "id, public_id, status, body, created_at, created_by, affected_components"
_LINK_COLUMNS = "public_id, component_id, status"


def _autoincrement() -> None:
    """SQLite only (PostgreSQL's sequences never hand out an id twice): rebuild each table
    with AUTOINCREMENT. Foreign keys are on and cannot be turned off inside the migration's
    transaction, so dropping a parent deletes (or unlinks) its children: keep them aside."""
    run = op.execute
    run(f"CREATE TEMP TABLE keep_updates AS SELECT {_UPDATE_COLUMNS} FROM public_incident_updates")
    run(f"CREATE TEMP TABLE keep_links AS SELECT {_LINK_COLUMNS} FROM public_incident_components")
    run(
        "CREATE TEMP TABLE keep_groups AS SELECT id, group_id FROM status_components "
        "WHERE group_id IS NOT NULL"
    )
    for name in _AUTOINCREMENT:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    run(
        f"INSERT INTO public_incident_updates ({_UPDATE_COLUMNS}) "
        f"SELECT {_UPDATE_COLUMNS} FROM keep_updates"
    )
    run(
        f"INSERT INTO public_incident_components ({_LINK_COLUMNS}) "
        f"SELECT {_LINK_COLUMNS} FROM keep_links"
    )
    run(
        "UPDATE status_components SET group_id = "
        "(SELECT k.group_id FROM keep_groups k WHERE k.id = status_components.id) "
        "WHERE id IN (SELECT id FROM keep_groups)"
    )
    for name in ("keep_updates", "keep_links", "keep_groups"):
        run(f"DROP TABLE {name}")


def _seed_page(dialect: str) -> None:
    """The page's one row, unless it was made by a version that made it on first use."""
    alphabet = string.ascii_lowercase + string.digits
    page_id = "".join(secrets.choice(alphabet) for _ in range(12))
    now = (
        "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
        if dialect == "sqlite"
        else "(now() AT TIME ZONE 'UTC')"
    )
    op.execute(
        sa.text(
            "INSERT INTO status_page (id, page_id, name, time_zone, updated_at) "
            f"SELECT 1, :page_id, 'Status', 'Etc/UTC', {now} "
            "WHERE NOT EXISTS (SELECT 1 FROM status_page WHERE id = 1)"
        ).bindparams(page_id=page_id)
    )


def _lower_case_emails() -> None:
    """Email addresses in lower case, one subscription each (the confirmed, else the oldest,
    of those that differed only in case)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, address FROM status_subscribers WHERE mode = 'email' "
            "ORDER BY confirmed_at IS NULL, id"
        )
    ).all()
    kept: set[str] = set()
    for subscriber_id, address in rows:
        lower = address.strip().lower()
        if lower in kept:
            conn.execute(
                sa.text(
                    "UPDATE status_notifications SET status = 'cancelled', "
                    "last_error = 'merged with the same address' "
                    "WHERE subscriber_id = :id AND status = 'pending'"
                ),
                {"id": subscriber_id},
            )
            conn.execute(
                sa.text("DELETE FROM status_subscribers WHERE id = :id"), {"id": subscriber_id}
            )
            continue
        kept.add(lower)
        if lower != address:
            ident = hashlib.sha256(f"email\n{lower}".encode()).hexdigest()
            conn.execute(
                sa.text("UPDATE status_subscribers SET address = :a, ident = :i WHERE id = :id"),
                {"a": lower, "i": ident, "id": subscriber_id},
            )


def _claims() -> None:
    """What the active incidents and maintenances held their components at, as far as it
    can be told: an unresolved incident its components' statuses now, a maintenance in
    progress under_maintenance. Links of deleted components go."""
    op.execute(
        "DELETE FROM public_incident_components "
        "WHERE component_id NOT IN (SELECT id FROM status_components)"
    )
    op.execute(
        "UPDATE public_incident_components SET status = (SELECT c.status FROM "
        "status_components c WHERE c.id = public_incident_components.component_id) "
        "WHERE public_id IN (SELECT id FROM public_incidents "
        "WHERE kind = 'incident' AND resolved_at IS NULL)"
    )
    op.execute(
        "UPDATE public_incident_components SET status = 'under_maintenance' "
        "WHERE public_id IN (SELECT id FROM public_incidents WHERE kind = 'maintenance' "
        "AND resolved_at IS NULL AND status IN ('in_progress', 'verifying'))"
    )


def upgrade() -> None:
    op.create_table(
        "status_component_days",
        sa.Column(
            "component_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("observed", sa.Float(), nullable=False),
        sa.Column("major", sa.Float(), nullable=False),
        sa.Column("partial", sa.Float(), nullable=False),
        sa.Column("worst", sa.String(length=32), nullable=True),
        sa.Column("end_status", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint(
            "component_id", "zone", "day", name=op.f("pk_status_component_days")
        ),
    )
    with op.batch_alter_table("public_incident_components", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=32), nullable=True))

    with op.batch_alter_table("status_notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "public_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_status_notifications_public_id"), ["public_id"], unique=False
        )

    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirm_sent_at", tocsin.store.types.UTCDateTime(), nullable=True)
        )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _autoincrement()
    _seed_page(dialect)
    _lower_case_emails()
    _claims()


def downgrade() -> None:
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.drop_column("confirm_sent_at")

    with op.batch_alter_table("status_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_notifications_public_id"))
        batch_op.drop_column("public_id")

    with op.batch_alter_table("public_incident_components", schema=None) as batch_op:
        batch_op.drop_column("status")

    op.drop_table("status_component_days")
