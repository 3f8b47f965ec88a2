"""Issue 19 part 10: the editor's script uploads an image (X-Requested-With: fetch) and gets JSON:
the markdown to insert, or the refusal in Chinese with a 4xx (C14: the image's source)."""
import io

from PIL import Image


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 400), (30, 90, 160)).save(buf, format="PNG")
    return buf.getvalue()


def test_the_editor_upload_answers_json(client_as):
    c = client_as("contributor")
    r = c.post("/assets/upload", headers={"X-Requested-With": "fetch"},
               data={"source": "own", "file": (io.BytesIO(_png()), "pasted.png")}, content_type="multipart/form-data")
    assert r.status_code == 201 and r.json["markdown"] == f"![](/assets/{r.json['id']})"
    assert c.get(r.json["url"]).status_code == 200


def test_a_refused_editor_upload_says_why(client_as):
    c = client_as("contributor")
    r = c.post("/assets/upload", headers={"X-Requested-With": "fetch"},
               data={"source": "", "file": (io.BytesIO(_png()), "pasted.png")}, content_type="multipart/form-data")
    assert 400 <= r.status_code < 500 and r.json["error"] and "C14" in r.get_data(as_text=True)
    r = c.post("/assets/upload", headers={"X-Requested-With": "fetch"}, data={"source": "own"},
               content_type="multipart/form-data")
    assert r.status_code == 422 or r.status_code == 400
    assert "图片" in r.json["error"]
