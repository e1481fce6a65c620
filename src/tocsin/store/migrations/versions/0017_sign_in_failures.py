"""failed sign-ins per account and per address (backoff and lockout)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 21:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
