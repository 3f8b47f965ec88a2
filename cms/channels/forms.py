"""The channel forms: a channel, its AppSecret rotation, its theme (C1 C2 C10 C17), and the labels of
the stored codes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField

from cms.channels.service import FIELD_LABELS

# Chinese labels for the stored codes (C1 C2, platforms, account kinds).
LABELS = {
    "platform": {"wechat": _l("WeChat official account"), "toutiao": _l("Toutiao-style account"),
                 "website": _l("Website")},
    "channel_type": {"brand": _l("Brand promotion"), "sales": _l("Sales promotion"),
                     "employee_tools": _l("Employee tools"), "other": _l("Other")},
    "audience": {"employees": _l("Employees"), "partners": _l("Partners"), "public": _l("The public")},
    "level": {"group": _l("Group level"), "subsidiary": _l("Subsidiary level"),
              "employee_interactive": _l("Employee-interactive"), "department": _l("Department level")},
    "account_kind": {"service": _l("Service account"), "subscription": _l("Subscription account")},
    "publication_state": {"scheduled": _l("Scheduled"), "sending": _l("Sending"),
                          "submitted": _l("Submitted, the platform is working"), "published": _l("Published"),
                          "failed": _l("Failed"), "cancelled": _l("Cancelled"), "withdrawn": _l("Withdrawn"),
                          "removed_by_platform": _l("Removed by the platform")},
    "step": {"images": _l("Images"), "cover": _l("Cover"), "draft": _l("Draft"), "publish": _l("Publish"),
             "push": _l("Push"), "status": _l("Status")},
    "step_state": {"started": _l("under way"), "done": _l("done"), "refused": _l("refused")},
    "remote_id": {"thumb_media_id": _l("Cover media id"), "draft_media_id": _l("Draft media id"),
                  "publish_id": "publish_id", "article_id": "article_id", "msg_id": "msg_id",
                  "msg_data_id": "msg_data_id", "url": _l("Article URL"), "images": _l("Image URLs")},
}


# The MP console's message encryption modes (WECHAT_API.md 2), as the callback endpoint holds
# pushes to them; blank: automatic (safe with a stored EncodingAESKey, else plaintext).
CALLBACK_MODE_CHOICES = [
    ("", _l("Automatic: safe mode when an EncodingAESKey is stored, else plaintext mode")),
    ("safe", _l("Safe mode (recommended): encrypted pushes only")),
    ("compatible", _l("Compatible mode: encrypted and plaintext pushes")),
    ("plaintext", _l("Plaintext mode: signed, not encrypted")),
]


def _choices(kind: str) -> list[tuple[str, str]]:
    return list(LABELS[kind].items())


def _secret_input(**kw):
    # Never pre-filled (PasswordField renders no value), never offered by the browser's autofill.
    return {"autocomplete": "new-password", "spellcheck": "false", **kw}


class ChannelForm(FlaskForm):
    """Parses only: the service validates every value (create_channel / update_channel). Choices are
    not validated here either, so the service's messages (naming C1 C2 C17) are the ones shown."""

    name = StringField(FIELD_LABELS["name"])
    platform = SelectField(FIELD_LABELS["platform"], choices=_choices("platform"), validate_choice=False)
    channel_type = SelectField(FIELD_LABELS["channel_type"], choices=_choices("channel_type"), validate_choice=False)
    audience = SelectField(FIELD_LABELS["audience"], choices=_choices("audience"), validate_choice=False)
    level = SelectField(FIELD_LABELS["level"], choices=_choices("level"), validate_choice=False)
    account_kind = SelectField(FIELD_LABELS["account_kind"], choices=_choices("account_kind"), validate_choice=False)
    app_id = StringField(FIELD_LABELS["app_id"], render_kw={"autocomplete": "off", "spellcheck": "false"})
    app_secret = PasswordField(FIELD_LABELS["app_secret"], render_kw=_secret_input())
    callback_token = PasswordField(FIELD_LABELS["callback_token"], render_kw=_secret_input())
    encoding_aes_key = PasswordField(FIELD_LABELS["encoding_aes_key"], render_kw=_secret_input())
    callback_mode = SelectField(FIELD_LABELS["callback_mode"], choices=CALLBACK_MODE_CHOICES, validate_choice=False)
    api_base_url = StringField(FIELD_LABELS["api_base_url"], render_kw={"spellcheck": "false"})
    slug = StringField(FIELD_LABELS["slug"], render_kw={"spellcheck": "false"})
    push_quota = StringField(FIELD_LABELS["push_quota"], render_kw={"inputmode": "numeric"})
    rotation_days = StringField(FIELD_LABELS["rotation_days"], render_kw={"inputmode": "numeric"})
    manager_id = SelectField(FIELD_LABELS["manager_id"], choices=[], validate_choice=False)
    active = BooleanField(FIELD_LABELS["active"], default=True)
    submit = SubmitField(_l("Save channel"))

    def set_managers(self, users) -> None:
        self.manager_id.choices = [("", "—")] + [(str(u.id), f"{u.real_name}（{u.username}）") for u in users]

    def values(self, *, creating: bool) -> dict:
        out = {f.name: (f.data or "").strip() for f in self
               if f.name not in ("csrf_token", "submit", "active")}
        out["active"] = bool(self.active.data)
        if not creating:
            out.pop("platform", None)  # fixed once created
        return out

    def load(self, channel) -> None:
        for name in ("name", "platform", "channel_type", "audience", "level", "account_kind", "app_id",
                     "api_base_url", "slug"):
            getattr(self, name).data = getattr(channel, name) or ""
        self.push_quota.data = "" if channel.push_quota is None else str(channel.push_quota)
        self.rotation_days.data = "" if channel.rotation_days is None else str(channel.rotation_days)
        self.manager_id.data = "" if channel.manager_id is None else str(channel.manager_id)
        self.active.data = channel.active
        self.callback_mode.data = channel.callback_mode or ""


class RotateSecretForm(FlaskForm):
    new_secret = PasswordField(_l("New AppSecret"), render_kw=_secret_input())
    confirm = PasswordField(_l("New AppSecret again"), render_kw=_secret_input())
    rotate = SubmitField(_l("Rotate AppSecret"))


class ActionForm(FlaskForm):
    """A button that POSTs (with its CSRF token) and carries nothing else."""


class ThemeForm(FlaskForm):
    """Field names are Theme's own: the service validates the values (theme_from_dict)."""

    body_font = StringField(_l("Body font"))
    body_size_px = StringField(_l("Body size (px)"))
    body_color = StringField(_l("Body colour"))
    line_height = StringField(_l("Line height"))
    paragraph_spacing_px = StringField(_l("Paragraph spacing (px)"))
    title_size_px = StringField(_l("Title and heading size (px)"))
    heading_color = StringField(_l("Heading colour"))
    accent_color = StringField(_l("Accent colour (links, heading marks)"))
    quote_color = StringField(_l("Quote colour"))
    caption_size_px = StringField(_l("Caption size (px)"))
    allowed_colors = StringField(_l("Other colours allowed in posts (comma-separated)"))
    max_font_sizes = StringField(_l("Distinct font sizes before a C10 warning"))
    submit = SubmitField(_l("Save theme"))

    def values(self) -> dict:
        return {f.name: (f.data or "").strip() for f in self if f.name not in ("csrf_token", "submit")}

    def load(self, theme: dict) -> None:
        for name, value in theme.items():
            field = getattr(self, name, None)
            if field is not None:
                field.data = ", ".join(value) if isinstance(value, list) else str(value)

