"""The post editor and the small forms of the content pages (C3 C9 C11 C12 C14 C15)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

# C3: the five categories, in Chinese through the catalogue.
CATEGORY_LABELS = {
    "news": _l("News"),
    "internal_activity": _l("Internal employee activity"),
    "promotion": _l("External sales and promotion"),
    "employee_tools": _l("Employee tools and knowledge"),
    "recommended": _l("Recommended articles and other messages"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "rejected": _l("Returned"),
    "approved": _l("Approved"),
    "scheduled": _l("Scheduled"),
    "published": _l("Published"),
    "withdrawn": _l("Withdrawn"),
}
SOURCE_LABELS = {"": _l("(not stated)"), "original": _l("Original"), "reprint": _l("Reprint")}
URGENCY_LABELS = {"regular": _l("Regular"), "urgent": _l("Urgent")}
IMAGE_SOURCE_LABELS = {"own": _l("Our own photo"), "licensed": _l("Licensed"), "reprint": _l("Reprinted")}
SEVERITY_LABELS = {"error": _l("Error"), "warning": _l("Warning")}
FIELD_LABELS = {
    "title": _l("Post title"), "author": _l("Byline"), "digest": _l("Digest"), "body_source": _l("Body"),
    "source_kind": _l("Source kind"), "source_name": _l("Source name"), "source_url": _l("Source URL"),
    "source_author": _l("Original author"),
}
# C15 word categories (the seed list's and the usual ones; an unknown one shows its code).
WORD_CATEGORY_LABELS = {
    "illegal": _l("Illegal"), "obscene": _l("Obscene"), "gambling": _l("Gambling"), "violent": _l("Violence"),
    "terrorist": _l("Terrorism"), "rumour": _l("Rumours"), "political": _l("Political deviation"),
    "superstition": _l("Superstition"), "defamation": _l("Defamation"), "company_secret": _l("Company secrets"),
    "customer_data": _l("Customer data"), "privacy": _l("Personal privacy"),
    "advertising": _l("Advertising outside our business"),
}


def content_label(code, kind: str = "category") -> str:
    table = {"category": CATEGORY_LABELS, "status": STATUS_LABELS, "source": SOURCE_LABELS,
             "urgency": URGENCY_LABELS, "image_source": IMAGE_SOURCE_LABELS, "severity": SEVERITY_LABELS,
             "field": FIELD_LABELS, "words": WORD_CATEGORY_LABELS}[kind]
    return str(table.get(code if code is not None else "", code or ""))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PostForm(FlaskForm):
    """One editor for a new post and for an edit (the edit carries base_revision)."""

    title = StringField(_l("Post title"), validators=[DataRequired(_l("A title is required.")), Length(max=200)])
    author = StringField(_l("Byline (author)"), validators=[Length(max=64)])
    digest = TextAreaField(_l("Digest"), validators=[Length(max=400)])
    body_format = SelectField(_l("Body format"), choices=[("markdown", "Markdown"), ("html", "HTML")])
    body = TextAreaField(_l("Body"))
    category = SelectField(_l("Category (C3)"), choices=[],
                           validators=[DataRequired(_l("Choose a category (C3)."))])
    channels = CheckboxesField(_l("Target channels"), coerce=int, choices=[])
    source_kind = SelectField(_l("Source kind"), choices=[])
    source_name = StringField(_l("Source name"), validators=[Length(max=200)])
    source_url = StringField(_l("Source URL"), validators=[Length(max=1000)])
    source_author = StringField(_l("Original author"), validators=[Length(max=64)])
    urgency = SelectField(_l("Urgency (C12)"), choices=[])
    important = BooleanField(_l("Important"))
    confidential = BooleanField(_l("Confidential: unreleased company policy (C5)"))
    planned_date = DateField(_l("Planned publication date"), validators=[Optional()])
    open_comments = BooleanField(_l("Open comments"), default=True)
    # Not limited to the choices: an image the user may not use is refused by the service, which
    # names it (asset_policy); "not a valid choice" would not say why.
    cover_asset_id = SelectField(_l("Cover image"), coerce=int, choices=[], validate_choice=False)
    cover_focus_x = IntegerField(_l("Cover focus, left to right (%)"), default=50, validators=[
        Optional(), NumberRange(0, 100, _l("Between 0 and 100."))])
    cover_focus_y = IntegerField(_l("Cover focus, top to bottom (%)"), default=50, validators=[
        Optional(), NumberRange(0, 100, _l("Between 0 and 100."))])
    note = StringField(_l("Note on this revision"), validators=[Length(max=200)])
    base_revision = HiddenField()
    submit = SubmitField(_l("Save"))

    def fill(self, channels, assets) -> None:
        self.category.choices = [("", str(_l("Choose…")))] + [(k, str(v)) for k, v in CATEGORY_LABELS.items()]
        self.source_kind.choices = [(k, str(v)) for k, v in SOURCE_LABELS.items()]
        self.urgency.choices = [(k, str(v)) for k, v in URGENCY_LABELS.items()]
        from cms.labels import label

        self.channels.choices = [(c.id, f"{c.name}（{label('platform_' + c.platform)}）") for c in channels]
        self.cover_asset_id.choices = [(0, str(_l("(no cover)")))] + [
            (a.id, f"#{a.id} {a.blob.width}×{a.blob.height} {a.credit}".strip()) for a in assets]

    def to_data(self) -> dict:
        """The dict service.create_post / service.save expect."""
        return {
            "title": self.title.data or "",
            "author": self.author.data or "",
            "digest": self.digest.data or "",
            "body": {"format": self.body_format.data, "text": self.body.data or ""},
            "category": self.category.data,
            "channels": list(self.channels.data or []),
            "source": {"kind": self.source_kind.data or "", "name": self.source_name.data or "",
                       "url": self.source_url.data or "", "author": self.source_author.data or ""},
            "urgency": self.urgency.data,
            "important": bool(self.important.data),
            "confidential": bool(self.confidential.data),
            "open_comments": bool(self.open_comments.data),
            "planned_date": self.planned_date.data.isoformat() if self.planned_date.data else None,
            "cover_asset_id": self.cover_asset_id.data or None,
            "cover_focus": {"x": _percent(self.cover_focus_x.data), "y": _percent(self.cover_focus_y.data)},
        }

    def load(self, post) -> None:
        """Fill the editor from the post and its current revision (a GET of the edit page)."""
        rev = post.current
        self.title.data, self.author.data, self.digest.data = rev.title, rev.author, rev.digest
        self.body_format.data, self.body.data = rev.body_format, rev.body_source
        self.category.data = post.category
        self.channels.data = [c.id for c in post.channels]
        self.source_kind.data, self.source_name.data = rev.source_kind, rev.source_name
        self.source_url.data, self.source_author.data = rev.source_url, rev.source_author
        self.urgency.data, self.important.data = post.urgency, post.important
        self.confidential.data, self.open_comments.data = post.confidential, post.open_comments
        self.planned_date.data = post.planned_date
        self.cover_asset_id.data = rev.cover_asset_id or 0
        self.cover_focus_x.data = round(rev.cover_focus_x * 100)
        self.cover_focus_y.data = round(rev.cover_focus_y * 100)
        self.base_revision.data = str(rev.number)


def _percent(value) -> float:
    """A 0-100 form value as the fraction the service stores (an empty or bad field: the middle)."""
    return value / 100 if isinstance(value, int) and 0 <= value <= 100 else 0.5


# Service field names → form field names, for flash_refusal.
FIELD_MAP = {"body": "body", "source": "source_kind", "cover_asset_id": "cover_asset_id", "cover_focus": "cover_focus_x"}


class ActionForm(FlaskForm):
    """A button that changes state (fix, restore): CSRF-protected like every form."""

    fix = HiddenField()
    base_revision = HiddenField()
    submit = SubmitField(_l("Confirm"))


class UploadForm(FlaskForm):
    file = FileField(_l("Image file"))
    source = SelectField(_l("Source of the image (C14)"), choices=[])
    credit = StringField(_l("Credit (required for a reprinted image)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Upload"))

    def fill(self) -> None:
        self.source.choices = [("", str(_l("Choose…")))] + [(k, str(v)) for k, v in IMAGE_SOURCE_LABELS.items()]


class WordsForm(FlaskForm):
    """The forbidden-word lists (C15); one textarea per category is read from the request."""

    new_category = StringField(_l("New category (letters a-z and _)"), validators=[Length(max=32)])
    submit = SubmitField(_l("Save the lists"))
