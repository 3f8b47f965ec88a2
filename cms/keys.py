"""The SECRET_KEY and the encryption keys: from the configuration when given (scaled out),
otherwise generated once into instance/ (on one machine), atomically so that two processes
starting together agree on one key."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet


def read_or_create(path: Path, make) -> str:
    """The file's content; created with make() when missing. The write goes to a temporary
    file that is hard-linked into place: exactly one process wins, the others read its key."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(make())
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def private_file(path: str | Path) -> None:
    """Create `path` empty with mode 0600 when it does not exist yet, so a file that SQLite is
    about to create (it makes its -wal and -shm files with the database's mode) is readable by this
    user only: the database holds sealed secrets, password hashes and the audit trail. An existing
    file keeps the mode its operator gave it. A missing directory is not made: the database then
    fails as SQLite would fail (and /healthz says so)."""
    path = Path(path)
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def private_sqlite(url: str) -> None:
    """private_file for the file a sqlite:/// URL names (nothing for :memory: or another database)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:"):
        private_file(parsed.database)


def secret_key(config: dict, instance_path: str) -> str:
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    return read_or_create(Path(instance_path) / "secret_key", lambda: secrets.token_urlsafe(48))


def encryption_keys(config: dict, instance_path: str) -> list[str]:
    keys = config.get("ENCRYPTION_KEYS")
    if isinstance(keys, str):
        keys = json.loads(keys) if keys.strip().startswith("[") else [k.strip() for k in keys.split(",")]
    if keys:
        return list(keys)
    text = read_or_create(Path(instance_path) / "encryption_keys",
                          lambda: json.dumps([Fernet.generate_key().decode()]))
    return json.loads(text)


def fernet(keys: list[str]) -> MultiFernet:
    """Encrypts with the newest key, decrypts with any (keys rotate: newest first)."""
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
