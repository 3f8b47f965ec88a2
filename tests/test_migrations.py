"""`flask db upgrade` from an empty database yields exactly the models' schema (on SQLite, and on
PostgreSQL when CMS_TEST_DATABASE_URL is set)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cms.extensions import db
from cms.search_schema import include_object


def test_migrations_match_the_models(empty_app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_enforces_foreign_keys_and_wal(empty_app):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL always enforces them
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_search_index_exists(empty_app):
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name='post_fts'").scalar() == "post_fts"
        else:
            # a bound parameter: psycopg reads a bare % in the statement as a placeholder
            found = conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE :name"),
                                 {"name": "trgm_%"}).scalar()
            assert found == 2
