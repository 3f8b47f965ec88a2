"""Server-side browser sessions (U3 U4): one UserSession row per login.

The Flask session cookie carries a random token (Flask-Login's user id); the table holds only the
token's SHA-256. A request is logged in while its row is open and the user's session_version is the
one the row began under, so ending the row (logout) or bumping the version (a password change, a
lock, a departure: every session of the user) ends the session on the server: a copied cookie
stops working. No Flask here but the request-free database session: the views own the cookie."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from cms import workdays
from cms.auth.models import User, UserSession
from cms.extensions import db

LAST_SEEN_EVERY = timedelta(minutes=5)  # coarse, so a page view does not write on every request


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user: User, ip: str = "", user_agent: str = "") -> str:
    """A new session for `user`: its token, for the cookie. Committed."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_key(token), user_id=user.id, session_version=user.session_version,
                               ip=(ip or "")[:64], user_agent=(user_agent or "")[:255]))
    db.session.commit()
    user.session_token = token
    return token


def load(token: str | None) -> User | None:
    """The active user whose open session `token` names, or None."""
    if not token or len(token) > 128:
        return None
    row = db.session.get(UserSession, _key(token))
    if row is None or row.ended_at is not None:
        return None
    user = row.user
    if not user.is_active or user.session_version != row.session_version:
        return None
    now = workdays.now()
    if now - row.last_seen_at > LAST_SEEN_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user


def end(token: str | None, reason: str = "logout") -> None:
    """End the session `token` names (logout). Committed."""
    if not token:
        return
    db.session.execute(update(UserSession).where(UserSession.id == _key(token), UserSession.ended_at.is_(None))
                       .values(ended_at=workdays.now(), end_reason=reason))
    db.session.commit()


def end_all(user: User, reason: str) -> int:
    """End every open session of `user`, in the caller's transaction; also bumps session_version,
    so a session begun in a race with this ends too. How many were open."""
    user.session_version += 1
    return db.session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.ended_at.is_(None))
                              .values(ended_at=workdays.now(), end_reason=reason)).rowcount


def open_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.session_version == user.session_version).order_by(UserSession.created_at.desc())))


def purge(older_than_days: int = 30) -> int:
    """Ended sessions, and sessions idle for `older_than_days`, are dropped (not committed)."""
    cutoff = workdays.now() - timedelta(days=older_than_days)
    return db.session.execute(delete(UserSession).where(
        (UserSession.ended_at < cutoff) | (UserSession.last_seen_at < cutoff))).rowcount
