"""A fresh instance's database, key and queue files are readable by their owner only (mode 0600):
the database holds sealed secrets, password hashes and the audit trail (issue 13 part 7)."""
import os
import stat

import pytest

from cms import keys
from cms.extensions import db
from tests.conftest import BASE_CONFIG


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # as a default login shell has it: files would come out 0644
    yield
    os.umask(old)


def test_a_fresh_database_is_0600_and_so_are_its_wal_files(tmp_path, open_umask):
    from flask_migrate import upgrade

    from cms import create_app

    path = tmp_path / "instance" / "cms.db"
    path.parent.mkdir()  # as create_app makes instance/
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM user").scalar()
            assert _mode(path) == 0o600
            for suffix in ("-wal", "-shm"):
                wal = path.with_name(path.name + suffix)
                assert wal.exists() and _mode(wal) == 0o600, suffix
        db.session.remove()
        db.engine.dispose()


def test_an_existing_database_keeps_its_mode(tmp_path, open_umask):
    path = tmp_path / "cms.db"
    path.write_bytes(b"")
    os.chmod(path, 0o640)
    keys.private_sqlite(f"sqlite:///{path}")
    assert _mode(path) == 0o640
    keys.private_sqlite("sqlite://")  # in memory: nothing to make
    keys.private_sqlite("postgresql://u@localhost/cms")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cms.db"]


def test_fresh_key_files_are_0600(tmp_path, open_umask):
    secret = keys.secret_key({}, str(tmp_path))
    sealing = keys.encryption_keys({}, str(tmp_path))
    assert _mode(tmp_path / "secret_key") == 0o600 and _mode(tmp_path / "encryption_keys") == 0o600
    assert keys.secret_key({}, str(tmp_path)) == secret and keys.encryption_keys({}, str(tmp_path)) == sealing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encryption_keys", "secret_key"]  # no temp left


def test_a_fresh_queue_database_is_0600(tmp_path, open_umask):
    from cms.tasks import make_huey

    path = tmp_path / "q" / "huey.db"
    huey = make_huey(f"sqlite:///{path}")
    assert huey.pending_count() == 0  # a working queue on that file
    assert _mode(path) == 0o600


def test_a_missing_directory_is_not_made(tmp_path):
    keys.private_sqlite(f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert not (tmp_path / "missing").exists()
