"""`flask db upgrade` from an empty database yields exactly the models' schema (on SQLite, and on
PostgreSQL when CMS_TEST_DATABASE_URL is set)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cms.extensions import db


def test_migrations_match_the_models(empty_app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_enforces_foreign_keys_and_wal(empty_app):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL always enforces them
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
