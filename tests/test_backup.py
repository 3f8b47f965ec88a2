"""`flask cms backup` / `flask cms restore` (issue 18): a copy taken while someone keeps writing is
consistent (the audit chain verifies, the counts match the manifest), and restored into a fresh
instance the post still shows with its image, signed in with the same password, and the channel
secrets open with the restored keys. Restore refuses an instance that holds data. On SQLite here;
on PostgreSQL (pg_dump/pg_restore) when CMS_TEST_DATABASE_URL is set."""
from __future__ import annotations

import io
import json
import tarfile
import threading
import uuid

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from cms import create_app
from cms.extensions import db
from tests.conftest import PG_URL, _pg_admin, login


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 60, 20)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def empty_target(tmp_path):
    """The database URL of a new, empty instance (nothing created in it yet)."""
    if not PG_URL:
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'cms.db'}"
        return
    name = f"cms_r_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _instance_app(url: str):
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SQLALCHEMY_DATABASE_URI": url})


def test_backup_while_writing_then_restore_into_a_fresh_instance(app, tmp_path, empty_target, monkeypatch):
    from cms.audit.service import record, verify
    from cms.auth.service import get_by_username
    from cms.channels.models import Channel
    from cms.content import service as content

    author = get_by_username("contributor")
    asset = content.upload_asset(author, _png(), "own")
    post = content.create_post(author, {"title": "备份演练", "category": "news", "source": {"kind": "original"},
                                        "body": {"format": "markdown", "text": f"正文\n\n![现场](/assets/{asset.id})"}})
    sha, post_id, asset_id = asset.blob.sha256, post.id, asset.id
    secret = db.session.scalar(select(Channel).where(Channel.name == "星海集团")).secret()

    stop, written = threading.Event(), []

    def writer():  # another process's appends, all through the backup
        with app.app_context():
            while not stop.is_set():
                record("backup.drill", ("drill", len(written)))
                db.session.commit()
                written.append(1)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    archive = tmp_path / "cms-backup.tar.gz"
    try:
        from tests.conftest import wait_until

        wait_until(lambda: len(written) >= 3, 30, "the writer appends")
        result = app.test_cli_runner().invoke(args=["cms", "backup", str(archive)])
        wait_until(lambda: len(written) >= 6, 30, "the writer goes on after the backup")
    finally:
        stop.set()
        thread.join(30)
    assert result.exit_code == 0, result.output
    assert "Backing up" in result.output and "audit_entry" in result.output

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "keys.json"} < names and set(manifest["members"]) < names
    assert manifest["counts"]["post"] >= 1 and manifest["counts"]["blob"] >= 1
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())

    # restore into a fresh instance folder and database
    instance = tmp_path / "instance"
    monkeypatch.setenv("CMS_INSTANCE_PATH", str(instance))
    fresh = _instance_app(empty_target)
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["cms", "restore", str(archive)])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "Restoring" in result.output

    restored = _instance_app(empty_target)  # started anew: the restored keys from the instance folder
    with restored.app_context():
        checked, broken = verify()
        assert broken is None and checked == manifest["counts"]["audit_entry"]
        assert checked < manifest["counts"]["audit_entry"] + len(written)  # a snapshot, not a smear
        assert db.session.scalar(select(Channel).where(Channel.name == "星海集团")).secret() == secret
        client = login(restored.test_client(), "contributor")
        page = client.get(f"/posts/{post_id}")
        assert page.status_code == 200 and "备份演练" in page.get_data(as_text=True)
        assert f"/assets/{asset_id}" in page.get_data(as_text=True)
        image = client.get(f"/assets/{asset_id}")
        assert image.status_code == 200 and image.mimetype.startswith("image/")
        import hashlib

        assert hashlib.sha256(image.data).hexdigest() == sha

        # a second restore over the restored data is refused, saying why; nothing changed
        again = restored.test_cli_runner().invoke(args=["cms", "restore", str(archive)])
        assert again.exit_code != 0 and "empty instance" in again.output
        assert verify()[1] is None
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_archive_is_refused_before_anything_is_written(app, tmp_path, empty_target, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    assert app.test_cli_runner().invoke(args=["cms", "backup", str(archive)]).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "keys.json":
                data = data.replace(b"\"secret_key\"", b"\"secret_kex\"")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    monkeypatch.setenv("CMS_INSTANCE_PATH", str(tmp_path / "instance"))
    fresh = _instance_app(empty_target)
    with fresh.app_context():
        result = fresh.test_cli_runner().invoke(args=["cms", "restore", str(damaged)])
        assert result.exit_code != 0 and "keys.json" in result.output and "sha256" in result.output
        from cms.backup import instance_is_empty

        assert instance_is_empty()
        not_a_backup = tmp_path / "x.tar.gz"
        not_a_backup.write_bytes(b"hello")
        result = fresh.test_cli_runner().invoke(args=["cms", "restore", str(not_a_backup)])
        assert result.exit_code != 0 and "cannot read the archive" in result.output
        db.session.remove()
        db.engine.dispose()
