"""remediation actions and their runs

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.store.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remediation_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("approver", sa.String(length=100), nullable=True),
        sa.Column("self_approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("result", sa.Integer(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("created_at", tocsin.store.types.UTCDateTime(), nullable=False),
        sa.Column("approved_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("started_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", tocsin.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_remediation_runs_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_runs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_remediation_runs_action_created_at", ["action", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_remediation_runs_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_remediation_runs_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remediation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remediation_runs_state"))
        batch_op.drop_index(batch_op.f("ix_remediation_runs_incident_id"))
        batch_op.drop_index("ix_remediation_runs_action_created_at")
    op.drop_table("remediation_runs")
