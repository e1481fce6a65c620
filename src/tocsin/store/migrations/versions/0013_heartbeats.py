"""heartbeat monitors

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_salt", sa.String(length=32), nullable=False),
        sa.Column("token_rotated_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("counting_from", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("last_ping_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_ping_source", sa.String(length=32), nullable=True),
        sa.Column("pings", sa.Integer(), nullable=False),
        sa.Column("down_since", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("down_reason", sa.String(length=16), nullable=True),
        sa.Column("alert_labels", sa.JSON(), nullable=True),
        sa.Column("retired_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
