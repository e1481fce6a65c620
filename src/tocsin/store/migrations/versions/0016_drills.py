"""drills and tabletop exercises

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("drill", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "drill_runs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("occurrence", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("incident_id", _ID, nullable=True),
        sa.Column("fired_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_drill_runs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_drill_runs")),
    )
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_runs_schedule"), ["schedule"], unique=False)
    op.create_table(
        "tabletop_sessions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("started_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("finished_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tabletop_sessions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tabletop_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tabletop_sessions_state"), ["state"], unique=False)
    op.create_table(
        "tabletop_answers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=100), nullable=False),
        sa.Column("answered_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["tabletop_sessions.id"],
            name=op.f("fk_tabletop_answers_session_id_tabletop_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tabletop_answers")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tabletop_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tabletop_answers_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tabletop_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tabletop_answers_session_id"))
    op.drop_table("tabletop_answers")
    with op.batch_alter_table("tabletop_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tabletop_sessions_state"))
    op.drop_table("tabletop_sessions")
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_runs_schedule"))
    op.drop_table("drill_runs")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("drill")
