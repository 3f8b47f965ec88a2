"""Issue 19 part 10 in Chromium, with CSRF on: in the post editor an image pasted from the
clipboard, or dropped on the text, is uploaded (the asset endpoint, the CSRF token of the page, the
source chosen, C14) and ![](/assets/N) is inserted at the cursor; the formatting buttons wrap the
selection; the save button stays in view."""
import re

from sqlalchemy import func, select

from cms.content.models import Asset
from cms.extensions import db
from tests.browser.conftest import log_in

# A 64x64 PNG made in the page (canvas), put into a DataTransfer as a file, and sent as the event.
_EVENT = """async ([kind]) => {
  const canvas = document.createElement('canvas'); canvas.width = 640; canvas.height = 400;
  const g = canvas.getContext('2d'); g.fillStyle = '#1e5aa0'; g.fillRect(0, 0, 640, 400);
  g.fillStyle = '#fff'; g.fillRect(100, 100, 200, 120);
  const blob = await new Promise(r => canvas.toBlob(r, 'image/png'));
  const file = new File([blob], 'pasted.png', {type: 'image/png'});
  const dt = new DataTransfer(); dt.items.add(file);
  const body = document.getElementById('body');
  if (kind === 'paste') {
    body.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
  } else {
    body.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
  }
}"""


def test_paste_and_drop_an_image_into_the_editor(page):
    log_in(page, "contributor")
    page.goto(page.base + "/posts/new")
    body = page.locator("#body")
    body.fill("第一段。")
    body.evaluate("b => b.setSelectionRange(b.value.length, b.value.length)")
    before = db.session.scalar(select(func.count(Asset.id)))
    page.evaluate(_EVENT, ["paste"])
    page.wait_for_function("() => /!\\[\\]\\(\\/assets\\/\\d+\\)/.test(document.getElementById('body').value)")
    assert page.locator("#image-status").inner_text() .startswith("图片已插入")
    page.evaluate(_EVENT, ["drop"])
    page.wait_for_function(
        "() => (document.getElementById('body').value.match(/!\\[\\]\\(\\/assets\\/\\d+\\)/g) || []).length === 2")
    text = body.input_value()
    ids = [int(n) for n in re.findall(r"!\[\]\(/assets/(\d+)\)", text)]
    assert text.startswith("第一段。\n\n![](/assets/") and len(set(ids)) == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Asset.id))) == before + 2
    assert {a.source for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)))} == {"own"}
    # formatting: the selection made bold, a heading at the line's start
    body.fill("标题行")
    body.evaluate("b => b.setSelectionRange(0, 3)")
    page.locator("[data-md=bold]").click()
    assert body.input_value() == "**标题行**"
    page.locator("[data-md=heading]").click()
    assert body.input_value() == "## **标题行**"
    # the save button stays in view at the bottom while the page scrolls
    page.mouse.wheel(0, -3000)
    assert page.locator("#editor-actions button[type=submit], #editor-actions input[type=submit]").first.is_visible()
    assert page.locator("#editor-actions").evaluate("e => getComputedStyle(e).position") == "sticky"
