from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField


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
