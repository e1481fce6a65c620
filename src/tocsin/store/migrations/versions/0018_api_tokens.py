"""API tokens (personal and service; scoped, expiring, hashed, revocable), people's roles,
teams owning integrations

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 23:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), nullable=True))
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=100), nullable=True))
    op.create_table(
        "api_tokens",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("created_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("expires_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("hash", name=op.f("uq_api_tokens_hash")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_owner"))
    op.drop_table("api_tokens")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("team")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("role")
