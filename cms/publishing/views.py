"""Channel administration (account administrators): the list and each channel's theme."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from cms.content.render import render_article, wrap_for_preview
from cms.content.themes import theme_to_dict
from cms.errors import Refused
from cms.permissions import requires
from cms.publishing import service
from cms.publishing.forms import ThemeForm
from cms.web import flash_refusal

bp = Blueprint("channels", __name__)

SAMPLE = """## 小标题示例

这是一段正文示例，用来查看字体、字号、颜色、行距和段落间距。[链接样式](https://example.com)

> 引用段落示例：重要的话引用出来。

- 列表第一项
- 列表第二项
"""


@bp.route("/")
@requires("channel.manage")
def index():
    return render_template("channels/index.html", channels=service.channels())


@bp.route("/<int:channel_id>/theme", methods=["GET", "POST"])
@requires("channel.manage")
def theme(channel_id: int):
    channel = service.get_channel(channel_id)
    form = ThemeForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.set_theme(channel, form.values())
        except Refused as e:
            flash_refusal(e, form)
            status = 400
        else:
            flash(_("Theme saved. Posts use it from their next save."), "success")
            return redirect(url_for("channels.theme", channel_id=channel.id))
    else:
        form.load(theme_to_dict(channel.theme_obj()))
    theme_obj = channel.theme_obj()
    sample = wrap_for_preview(render_article(SAMPLE, "markdown", theme_obj), _("Sample title"), _("Author"), theme_obj)
    return render_template("channels/theme.html", channel=channel, form=form, sample=sample), status
