"""Official-account logins and the access tokens of every platform (WECHAT_API.md 1.1): `GET token`
(always a new token, the old one lives on `token_grace` seconds), `POST stable_token` (the live
token, renewed near its end or by a rate-limited force_refresh), the check every authenticated call
goes through, and `expire_tokens`. Toutiao (toutiao_state.py) and WeCom (wecom.py) issue and check
their tokens through the same store (platform "toutiao" / "wecom")."""

from __future__ import annotations

from dataclasses import dataclass

from cms.sandbox.core import Core
from cms.sandbox.models import SANDBOX_SECRET, Account, ApiError, same_day


@dataclass
class Token:
    value: str
    platform: str  # "mp" | "toutiao" | "wecom"
    owner: str  # appid / app_id / corpid
    source: str  # "token" | "stable" | "toutiao" | "gettoken"
    issued_at: float
    expires_at: float
    revoked_at: float | None = None  # from this moment: 40001


class Auth:
    """The token store (`state.auth`; `state.tokens` is its dict, by token value)."""

    def __init__(self, core: Core):
        self.core = core
        self.lock = core.lock

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, Token] = {}

    def login(self, appid: str | None, secret: str | None) -> Account:
        """The official account of an appid and secret (made on first use with the sandbox's secret).
        Called under the lock, as `issue` and `live` are."""
        if not appid:
            raise ApiError(41002, "appid missing")
        if not secret:
            raise ApiError(41004, "appsecret missing")
        acct = self.core.accounts.get(appid)
        if acct is None:
            if secret != SANDBOX_SECRET:
                raise ApiError(40013, "invalid appid")
            acct = self.core.add_account(appid, secret, kind=self.core.default_kind)
        if secret != acct.secret:
            raise ApiError(40125, "invalid appsecret")
        return acct

    def issue(self, platform: str, owner: str, source: str) -> Token:
        now = self.core.now()
        ttl = self.core.setting("token_expires_in", owner)
        tok = Token(
            value=f"SBX_{platform}_{self.core.new_id(48)}",
            platform=platform,
            owner=owner,
            source=source,
            issued_at=now,
            expires_at=now + ttl,
        )
        self.tokens[tok.value] = tok
        return tok

    def live(self, value: str | None) -> Token | None:
        tok = self.tokens.get(value) if value else None
        now = self.core.now()
        if tok is None or now >= tok.expires_at or (tok.revoked_at is not None and now >= tok.revoked_at):
            return None
        return tok

    def mp_token(self, grant_type: str | None, appid: str | None, secret: str | None) -> dict:
        """GET token: always a new token; the previous one keeps working `token_grace` seconds."""
        with self.lock:
            if grant_type != "client_credential":
                raise ApiError(40002, "invalid grant_type")
            acct = self.login(appid, secret)
            now = self.core.now()
            acct.token_calls = [t for t in acct.token_calls if same_day(t, now)]
            if len(acct.token_calls) >= self.core.setting("token_daily_limit", acct.appid):
                raise ApiError(45009, "reach max api daily quota limit")
            acct.token_calls.append(now)
            old = self.tokens.get(acct.token) if acct.token else None
            if old is not None:
                end = now + self.core.setting("token_grace", acct.appid)
                old.revoked_at = end if old.revoked_at is None else min(old.revoked_at, end)
            tok = self.issue("mp", acct.appid, "token")
            acct.token = tok.value
            return {"access_token": tok.value, "expires_in": int(tok.expires_at - now)}

    def stable_token(self, body: dict) -> dict:
        """POST stable_token: the live token; renewed in its last 5 minutes (the old one lives on to
        its expiry) or by force_refresh (the old one dies at once; 20 a day, 30 s apart)."""
        with self.lock:
            if body.get("grant_type") != "client_credential":
                raise ApiError(40002, "invalid grant_type")
            acct = self.login(body.get("appid"), body.get("secret"))
            now = self.core.now()
            live = self.live(acct.stable)
            force = body.get("force_refresh") in (True, 1, "true", "1")
            if force:
                acct.force_refreshes = [t for t in acct.force_refreshes if same_day(t, now)]
                if len(acct.force_refreshes) >= self.core.setting("force_refresh_daily_limit", acct.appid):
                    raise ApiError(45009, "reach max api daily quota limit (force_refresh)")
                recent = acct.force_refreshes and now - acct.force_refreshes[-1] < self.core.setting(
                    "force_refresh_interval", acct.appid
                )
                if live is not None and recent:
                    return {"access_token": live.value, "expires_in": int(live.expires_at - now)}
                acct.force_refreshes.append(now)
                if live is not None:
                    live.revoked_at = now
                live = None
            elif live is not None and live.expires_at - now <= self.core.setting(
                "stable_renew_window", acct.appid
            ):
                live = None  # renew; the old token keeps working until it expires
            if live is None:
                live = self.issue("mp", acct.appid, "stable")
                acct.stable = live.value
            return {"access_token": live.value, "expires_in": int(live.expires_at - now)}

    def check(self, value: str | None, platform: str) -> str:
        """The owner (appid / app_id) of a usable token, else 41001 / 42001 / 40001."""
        with self.lock:
            if not value:
                raise ApiError(41001, "access_token missing")
            tok = self.tokens.get(value)
            if tok is None or tok.platform != platform:
                raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
            now = self.core.now()
            if now >= tok.expires_at:
                raise ApiError(42001, "access_token expired")
            if tok.revoked_at is not None and now >= tok.revoked_at:
                raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
            return tok.owner

    def owner(self, value: str | None) -> str | None:
        with self.lock:
            tok = self.tokens.get(value) if value else None
            return tok.owner if tok else None

    def expire(self, appid: str | None = None) -> int:
        """Expire every access token now (of one appid / app_id, or all): the next call gets 42001."""
        with self.lock:
            now, n = self.core.now(), 0
            for tok in self.tokens.values():
                if (appid is None or tok.owner == appid) and tok.expires_at > now:
                    tok.expires_at = now
                    n += 1
            return n
