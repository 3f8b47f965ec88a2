"""`flask cms backup DEST` and `flask cms restore SRC`: one tar.gz holding a consistent copy of the
database, the instance keys and a manifest.

What is in it:
- the database, copied while the app runs and consistent at one instant: SQLite through its online
  backup API (a snapshot even while others write), PostgreSQL through `pg_dump --format=custom`
  (one transaction snapshot). Uploaded images live in the database (table `blob`), so this copy
  holds them; there is no uploads directory on disk.
- `keys.json`: the SECRET_KEY and the encryption keys (channel secrets are sealed with them: a
  database without its keys cannot open them). Keep the archive as secret as the keys.
- `manifest.json`: format, app version, schema revision, database kind, row counts, and the
  sha256 and size of every other member (checked before anything is restored).

Restore refuses an instance that holds data (any user, post or audit entry): it brings a backup
back into an empty one, never over live data. PostgreSQL needs pg_dump / pg_restore of the
server's major version on PATH (or under /usr/lib/postgresql/<n>/bin).

The functions take `step(label)`, called as each part is done (the console's progress bar)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from cms import workdays
from cms.extensions import db

FORMAT = 1
STEPS = 4  # database, keys, manifest, archive (backup) / check, database, keys, done (restore)
COUNTED = ("user", "post", "revision", "blob", "asset", "publication", "audit_entry")


class BackupError(Exception):
    """A backup or restore that cannot go on: the message says why, for the operator."""


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} not found: install the PostgreSQL client tools of the server's version")


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def counts() -> dict[str, int]:
    names = set(inspect(db.engine).get_table_names())
    out = {}
    for table in COUNTED:
        if table in names:
            out[table] = db.session.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
    return out


def _copy_sqlite(source: str, dest: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:
        with dst:
            src.backup(dst)  # one step: a snapshot of the whole file under a read lock
    finally:
        dst.close()
        src.close()


def backup(dest: str | os.PathLike, step: Callable[[str], None] = lambda _label: None) -> dict:
    """Write the archive to `dest` (a .tar.gz); return its manifest."""
    dest = Path(dest)
    url = _url()
    kind = url.get_backend_name()
    db.session.remove()
    with tempfile.TemporaryDirectory(prefix="cms-backup-") as tmp:
        tmp = Path(tmp)
        if kind == "sqlite":
            database = tmp / "database.sqlite3"
            _copy_sqlite(url.database, database)
            snapshot = f"sqlite:///{database}"
        elif kind == "postgresql":
            database = tmp / "database.pgdump"
            # the counts and pg_dump read one snapshot: exported by a repeatable-read transaction
            with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as c, c.begin():
                exported = c.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                names = set(inspect(c).get_table_names())
                rows = {t: c.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in COUNTED if t in names}
                revision = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
                done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={exported}",
                                       "--file", str(database), _libpq_url(url)], capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            snapshot = None
        else:
            raise BackupError(f"cannot back up a {kind} database")
        step("database")
        keys = tmp / "keys.json"
        keys.write_text(json.dumps({"secret_key": current_app.config["SECRET_KEY"],
                                    "encryption_keys": list(current_app.config["ENCRYPTION_KEYS"])}))
        os.chmod(keys, 0o600)
        step("keys")
        if snapshot:  # the counts are those of the copy
            from sqlalchemy import create_engine

            engine = create_engine(snapshot)
            with engine.connect() as c:
                names = set(inspect(c).get_table_names())
                rows = {t: c.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in COUNTED if t in names}
                revision = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
            engine.dispose()
        from importlib.metadata import PackageNotFoundError, version

        try:
            app_version = version("cms")
        except PackageNotFoundError:
            app_version = "unknown"
        manifest = {"format": FORMAT, "app_version": app_version, "schema_revision": revision,
                    "database": kind, "created_at": workdays.now().isoformat(), "counts": rows,
                    "members": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in (database, keys)}}
        step("manifest")
        partial = dest.with_name(dest.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode, info.mtime = len(data), 0o600, int(workdays.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            for p in (database, keys):
                tar.add(p, arcname=p.name)
        os.chmod(partial, 0o600)
        os.replace(partial, dest)
        step("archive")
    return manifest


def instance_is_empty() -> bool:
    names = set(inspect(db.engine).get_table_names())
    for table in ("user", "post", "audit_entry"):
        if table in names and db.session.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
            return False
    return True


def restore(src: str | os.PathLike, step: Callable[[str], None] = lambda _label: None) -> dict:
    """Bring the archive back into this (empty) instance; return its manifest."""
    url = _url()
    kind = url.get_backend_name()
    if not instance_is_empty():
        raise BackupError("This instance holds data (users, posts or audit entries): restore only into an empty "
                          "instance (a new database and instance folder).")
    with tempfile.TemporaryDirectory(prefix="cms-restore-") as tmp:
        tmp = Path(tmp)
        try:
            with tarfile.open(src, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (OSError, tarfile.TarError) as e:
            raise BackupError(f"cannot read the archive: {e}") from None
        try:
            manifest = json.loads((tmp / "manifest.json").read_text())
        except (OSError, ValueError):
            raise BackupError("the archive has no readable manifest.json: not a CMS backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        for name, meta in manifest["members"].items():
            path = tmp / name
            if not path.is_file() or _sha256(path) != meta["sha256"]:
                raise BackupError(f"{name} in the archive is damaged or missing (its sha256 differs from the manifest)")
        if manifest["database"] != kind:
            raise BackupError(f"the backup holds a {manifest['database']} database; this instance uses {kind}")
        step("check")
        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            target = sqlite3.connect(url.database)
            source = sqlite3.connect(tmp / "database.sqlite3")
            try:
                with target:
                    source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                                   "--dbname", _libpq_url(url), str(tmp / "database.pgdump")],
                                  capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        step("database")
        keys = json.loads((tmp / "keys.json").read_text())
        instance = Path(current_app.instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        _write_private(instance / "secret_key", keys["secret_key"])
        _write_private(instance / "encryption_keys", json.dumps(keys["encryption_keys"]))
        step("keys")
        restored = counts()
        if restored != manifest["counts"]:
            raise BackupError(f"restored counts {restored} differ from the manifest's {manifest['counts']}")
        step("done")
    manifest["keys_in_environment"] = (
        os.environ.get("CMS_SECRET_KEY", keys["secret_key"]) != keys["secret_key"]
        or bool(os.environ.get("CMS_ENCRYPTION_KEYS")))
    return manifest


def _write_private(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
