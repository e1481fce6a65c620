"""Persistence: SQLAlchemy tables, query functions that take an explicit connection or
session, Alembic migrations. SQLite (default, WAL) and PostgreSQL behave the same."""
