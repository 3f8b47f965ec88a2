"""The token retry both wechatpy clients share, done once.

wechatpy re-fetches the token and re-sends on 40001/40014/42001 recursively without bound; our
clients retry a call once (WECHAT_API.md 3: "refresh token, retry once"), and let connection
errors out as WeChatClientException (errcode None) instead of wechatpy's unwrapped requests errors.

Before the retry the client drops its process's copy of the token (the storage's read cache,
cms.platforms.storage) and reads the shared storage again: when another process has refreshed the
token already, the retry goes out with that one and nothing is fetched. When the storage still holds
the refused token (or none), or the one it holds is refused too, a new one is fetched (under the
shared lock) and the call sent with it: one refresh at most."""
from __future__ import annotations

import requests
from wechatpy.exceptions import WeChatClientException

TOKEN_ERRORS = (40001, 40014, 42001)


def forget_copies(session, *keys: str) -> None:
    """The platform refused a token: drop this process's copies of it (a storage with a read
    cache has `forget`), so the next read sees what the shared storage holds now."""
    forget = getattr(session, "forget", None)
    if forget is not None:
        forget(*keys)


def unreachable(cls, client, e: requests.RequestException) -> WeChatClientException:
    """The platform could not be reached (or answered non-2xx): an error with no errcode."""
    return cls(errcode=None, errmsg=str(e), client=client, request=getattr(e, "request", None),
               response=getattr(e, "response", None))


class RetryTokenOnce:
    """Mixed in before a wechatpy client class; the client sets `self._local = threading.local()`."""

    def refresh_refused(self, refused: str | None) -> None:
        """Get a fresh token after the platform refused `refused` (clients may force harder)."""
        self.fetch_access_token()

    def _request(self, method, url_or_endpoint, **kwargs):
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except requests.RequestException as e:  # wechatpy lets connection errors through unwrapped
            raise unreachable(WeChatClientException, self, e) from e

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        result = res if isinstance(res, dict) else self._decode_result(res)
        errcode = result.get("errcode") if isinstance(result, dict) else None
        try:
            errcode = int(errcode) if errcode is not None else None
        except (TypeError, ValueError):
            errcode = None
        if not (self.auto_retry and errcode in TOKEN_ERRORS):
            return super()._handle_result(res, method, url, result_processor, **kwargs)
        if getattr(self._local, "retrying", False):
            raise WeChatClientException(errcode, result.get("errmsg", errcode), client=self,
                                        request=getattr(res, "request", None), response=res)
        self._local.retrying = True
        try:
            refused = kwargs.get("params", {}).get("access_token")
            forget_copies(self.session, self.access_token_key, self.access_token_expires_at_key)
            stored = self.session.get(self.access_token_key)
            if stored and stored != refused:  # another process has refreshed it: take theirs
                kwargs["params"]["access_token"] = stored
                try:
                    return self._request(method=method, url_or_endpoint=url, result_processor=result_processor,
                                         **kwargs)
                except WeChatClientException as e:
                    if e.errcode not in TOKEN_ERRORS:
                        raise
                    refused = stored  # retired already too: fetch the live one after all
            self.refresh_refused(refused)
            kwargs["params"]["access_token"] = self.session.get(self.access_token_key)
            return self._request(method=method, url_or_endpoint=url, result_processor=result_processor, **kwargs)
        finally:
            self._local.retrying = False
