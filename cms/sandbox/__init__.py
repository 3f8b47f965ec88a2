"""Local emulators of the platforms the CMS publishes to, speaking WECHAT_API.md over real HTTP.

    from cms.sandbox import create_sandbox_blueprint
    app.register_blueprint(create_sandbox_blueprint())   # at the root: no url_prefix

Paths (the base URLs the adapters are pointed at):
    /mp/cgi-bin/...            official account (token, stable_token, media/uploadimg, material/add_material,
                               draft/*, freepublish/*, message/mass/{sendall,get,preview}, comment/*)
    /toutiao/open/v1/...       Toutiao-style channel (token, image/upload, article/{create,publish,status})
    /qy/cgi-bin/...            WeCom (gettoken, message/send, user/get); its page /sandbox/wecom/ (wecom.py)
    /mch/...                   WeChat Pay v2 (transfers, gettransferinfo, downloadfundflow); its page
                               /sandbox/pay/ and POST /sandbox/pay/control (pay.py, pay_http.py)
    /sandbox/                  what the platforms hold: accounts, drafts, published articles
    /sandbox/articles/<id>     a published article as a phone shows it (?idx=N for article N, 1-based)
    /sandbox/media/<id>.<ext>  uploaded images served back
    /sandbox/state.json        the same as JSON
    POST /sandbox/control      the switches, as JSON (all keys optional, applied in this order):
        {"reset": true,
         "appid": "wx..."                 scope of the settings, faults and expiry below (omit: global),
         "add_account": {"appid", "secret"?, "kind"?: "service"|"subscription", "name"?},
         "add_toutiao_account": {"app_id", "secret"?, "name"?},
         "latency_ms": 200, "token_expires_in": 7200, "token_grace": 300, "publish_delay": 0,
         "review_delay": 0, "push_quota": null, ... (any key of models.DEFAULT_SETTINGS),
         "clear_faults": true,
         "faults": [{"path": "draft/add", "errcode": -1, "times": 2},
                    {"path": "freepublish/submit", "http_status": 500, "times": 1}],
         "publish_outcome": {"status": 3, "fail_idx": [1], "times": 1},
         "callback": {"url", "token", "encoding_aes_key"?, "mode"?: "plaintext"|"compatible"|"safe"}
                                          the account's server configuration ("appid" beside it or inside;
                                          null or no url: none); mass sends and finished freepublish jobs
                                          then push MASSSENDJOBFINISH / PUBLISHJOBFINISH to it (callbacks.py)
         "mass_outcome": {"status": "send fail" | "err(20013)", "times": 1},
         "callback_delay": 1.0, "callback_retry_delay": 1.0, "callback_timeout": 5, "followers": 1000,
         "toutiao_reject": {"reason": "...", "times": 1},
         "expire_tokens": true, "advance": 3600, "reset_quota": true,
         "add_comment": {"msg_data_id", "index", "openid", "content"}}
      → {"ok": true, ...} or HTTP 400 {"ok": false, "error": "..."}

The state is one `SandboxState` (`bp.state`, and `app.extensions["sandbox"]` once registered), one small
object per concern (state.py lists them: `state.draft`, `state.mass`, `state.toutiao`, ...); tests
drive the same switches on it directly: `state.inject_fault(...)`, `state.expire_tokens()`,
`state.configure(...)`, `state.advance(...)`, `state.add_account(...)`, `state.add_comment(...)`,
`state.set_callback(appid, url, token, key, mode)`, `state.fail_next_mass(...)`; `state.deliveries` records
each push (its tries and our answers) and `state.wait_deliveries()` waits for them to end. Pushes
carry the sandbox clock (`advance` moves it, and a CMS refuses a timestamp far from its own).
Accounts appear on first use of any appid whose secret is "sandbox-secret".
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from cms.sandbox import mp, pages, pay_http, toutiao, wecom
from cms.sandbox.state import SANDBOX_SECRET, ApiError, SandboxState

__all__ = ["create_sandbox_blueprint", "get_state", "SandboxState", "ApiError", "SANDBOX_SECRET"]


def create_sandbox_blueprint(state: SandboxState | None = None) -> Blueprint:
    """The sandbox blueprint (name "sandbox", no url_prefix) with a fresh state unless one is given."""
    state = state if state is not None else SandboxState()
    bp = Blueprint("sandbox", __name__, template_folder="templates")
    bp.state = state

    @bp.record_once
    def _registered(setup_state) -> None:
        app = setup_state.app
        app.extensions["sandbox"] = state
        csrf = app.extensions.get("csrf")  # Flask-WTF: platform calls carry no CSRF token
        if csrf is not None:
            csrf.exempt(bp)

    mp.register(bp, state)
    toutiao.register(bp, state)
    wecom.register(bp, state)
    pay_http.register(bp, state)
    pages.register(bp, state)
    return bp


def get_state(app: Flask | None = None) -> SandboxState:
    """The sandbox state of `app` (default: the current app)."""
    return (app or current_app).extensions["sandbox"]
