"""runbooks

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "runbooks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("last_reviewed", sa.Date(), nullable=True),
        sa.Column("review_every", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runbooks")),
        sa.UniqueConstraint("slug", name=op.f("uq_runbooks_slug")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "incident_runbooks",
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("first_matched_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("review_asked_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_runbooks_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "slug", name=op.f("pk_incident_runbooks")),
    )
    with op.batch_alter_table("incident_runbooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_runbooks_slug"), ["slug"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incident_runbooks_review_asked_at"), ["review_asked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incident_runbooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_runbooks_review_asked_at"))
        batch_op.drop_index(batch_op.f("ix_incident_runbooks_slug"))
    op.drop_table("incident_runbooks")
    op.drop_table("runbooks")
