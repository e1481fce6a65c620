"""secrets at rest: room for encrypted site secrets (``enc:`` and a Fernet token)

The values themselves are encrypted when Tocsin starts with a key (a migration cannot know
the key): ``SiteSecrets.seal_plain`` (docs/security.md#secrets).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site_secrets", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.String(length=128), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    # Encrypted values do not fit the old column, and Tocsin before 0020 cannot read them.
    longest = op.get_bind().execute(sa.text("SELECT max(length(value)) FROM site_secrets"))
    if (longest.scalar() or 0) > 128:
        raise RuntimeError("site_secrets holds encrypted values: the old schema cannot hold them")
    with op.batch_alter_table("site_secrets", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.Text(), type_=sa.String(length=128), existing_nullable=False
        )
