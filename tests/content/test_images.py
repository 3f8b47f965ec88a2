"""cms/content/images.py: uploads sniffed, validated and re-encoded; platform fitting; cover crops.

Every fixture image is made here with Pillow, in memory.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageSequence, PngImagePlugin

from cms.content import image_limits, images
from cms.content.image_limits import DEFAULT_MAX_PIXELS, too_many_pixels
from cms.content.images import (
    MSG_BROKEN,
    MSG_EMPTY,
    ImageRejected,
    StoredImage,
    crop_cover,
    fit_for_wechat,
    load_image,
    quality_warning,
)


@pytest.fixture(autouse=True)
def _default_image_settings():
    """Every test here starts from the shipped settings, as create_app leaves them."""
    image_limits.configure()
    yield
    image_limits.configure()

# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------


def _save(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def _photo(size: tuple[int, int], sigma: float = 40.0) -> Image.Image:
    """A photo-like picture: colour gradients plus sensor-like noise (hard to compress)."""
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.linear_gradient("L").rotate(90).resize(size)
    base = Image.merge("RGB", (r, g, b))
    noise = Image.merge("RGB", [Image.effect_noise(size, sigma) for _ in range(3)])
    return Image.blend(base, noise, 0.5)


def _halves(size: tuple[int, int], left: str = "red", right: str = "blue") -> Image.Image:
    w, h = size
    im = Image.new("RGB", size, left)
    im.paste(Image.new("RGB", (w - w // 2, h), right), (w // 2, 0))
    return im


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG header declaring width x height 1-bit pixels, with an IDAT that is not even valid zlib.

    If the loader decoded pixels it would fail with "broken"; only a header check says "bomb".
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"not zlib at all")
        + _png_chunk(b"IEND", b"")
    )


def _reopen(img: StoredImage) -> Image.Image:
    im = Image.open(io.BytesIO(img.data))
    im.load()
    return im


def _exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 29.0)
    return exif


# --------------------------------------------------------------------------------------------------
# load_image: sniffing and refusal
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params", "expected"),
    [
        ("PNG", {}, "png"),
        ("JPEG", {"quality": 90}, "jpeg"),
        ("GIF", {}, "gif"),
        ("WEBP", {"quality": 80}, "jpeg"),  # lossy WebP photo -> JPEG
        ("WEBP", {"lossless": True}, "png"),  # lossless WebP -> PNG
        ("BMP", {}, "png"),
    ],
)
def test_format_is_sniffed_from_the_bytes(fmt, params, expected):
    # load_image takes bytes only: a file name ("photo.jpg") or a declared MIME type has no say.
    src = _photo((64, 48)) if fmt != "GIF" else _photo((64, 48)).convert("P")
    img = load_image(_save(src, fmt, **params))
    assert img.format == expected
    assert (img.width, img.height) == (64, 48)
    assert _reopen(img).format == {"jpeg": "JPEG", "png": "PNG", "gif": "GIF"}[expected]
    assert img.bytes == len(img.data)
    assert img.sha256 == hashlib.sha256(img.data).hexdigest()
    assert img.mime == f"image/{expected}"


def test_png_bytes_named_jpg_are_png():
    data = _save(_photo((32, 32)), "PNG")
    upload = {"filename": "holiday.jpg", "mimetype": "image/jpeg", "data": data}  # what a browser claims
    assert load_image(upload["data"]).format == "png"


def test_webp_with_alpha_becomes_png_with_alpha():
    im = Image.new("RGBA", (40, 30), (10, 200, 30, 120))
    img = load_image(_save(im, "WEBP", lossless=True))
    assert img.format == "png"
    assert _reopen(img).getpixel((5, 5)) == (10, 200, 30, 120)


def test_mpo_camera_jpeg_is_stored_as_plain_jpeg():
    first, second = _halves((60, 40)), Image.new("RGB", (60, 40), "green")
    data = _save(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    img = load_image(data)
    out = _reopen(img)
    assert img.format == "jpeg" and out.format == "JPEG"
    assert getattr(out, "n_frames", 1) == 1
    r, g, b = out.getpixel((5, 20))
    assert r > 200 and g < 60 and b < 60  # the first picture, not the second


def test_tiff_is_refused_with_a_clear_message():
    data = _save(_photo((20, 20)), "TIFF")
    with pytest.raises(ImageRejected) as exc:
        load_image(data)
    assert str(exc.value) == "不支持的图片格式：TIFF，请上传 JPEG、PNG 或 GIF"


def test_heic_is_named_not_called_broken():
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(ImageRejected, match="不支持的图片格式：HEIC"):
        load_image(data)


def test_random_bytes_are_refused():
    with pytest.raises(ImageRejected) as exc:
        load_image(random.Random(7).randbytes(4096))
    assert str(exc.value) == MSG_BROKEN


def test_empty_file_is_refused():
    with pytest.raises(ImageRejected) as exc:
        load_image(b"")
    assert str(exc.value) == MSG_EMPTY


def test_too_many_bytes_are_refused_before_parsing():
    data = _save(_photo((100, 100)), "PNG")
    with pytest.raises(ImageRejected, match="过大"):
        load_image(data, max_bytes=len(data) - 1)
    assert load_image(data, max_bytes=len(data)).format == "png"


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_refused(keep):
    data = _save(_photo((300, 200)), "JPEG", quality=90)
    with pytest.raises(ImageRejected) as exc:
        load_image(data[: int(len(data) * keep)])
    assert str(exc.value) == MSG_BROKEN


def test_png_with_broken_crc_is_refused():
    data = bytearray(_save(_photo((50, 50)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # payload changed, CRC not
    with pytest.raises(ImageRejected) as exc:
        load_image(bytes(data))
    assert str(exc.value) == MSG_BROKEN


def test_png_whose_only_fault_is_the_idat_crc_is_refused():
    data = bytearray(_save(_photo((50, 50)), "PNG"))
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4 : idat])
    data[idat + 4 + length] ^= 0xFF  # the stored CRC itself: pixels decode fine, verify() must catch it
    with pytest.raises(ImageRejected) as exc:
        load_image(bytes(data))
    assert str(exc.value) == MSG_BROKEN


def test_png_with_corrupt_idat_and_valid_crc_is_refused():
    good = _save(_photo((50, 50)), "PNG")
    rebuilt = b"\x89PNG\r\n\x1a\n"
    for kind, payload in _png_chunks(good):
        if kind == b"IDAT":
            payload = payload[: len(payload) // 2] + b"\x00" * 8  # CRC recomputed: only decoding can tell
        rebuilt += _png_chunk(kind, payload)
    with pytest.raises(ImageRejected) as exc:
        load_image(rebuilt)
    assert str(exc.value) == MSG_BROKEN


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (30000, 30000),  # 900 Mpx: Pillow's own DecompressionBombError, turned into the same refusal
        (8000, 6000),  # 48 Mpx: a full-resolution 48-megapixel phone photo, over our 30 Mpx default
        (7072, 7072),  # 50 Mpx: the 0.5 GB decode of the issue
        (6000, 5001),  # just over
    ],
)
def test_too_many_pixels_are_refused_from_the_header_with_the_limit_named(width, height):
    data = _bomb_png(width, height)
    assert len(data) < 100
    with pytest.raises(ImageRejected) as exc:
        load_image(data)
    # MSG_BROKEN would mean the invalid IDAT was decoded; the limit is named in Chinese
    assert "上限为 3000 万像素" in str(exc.value), str(exc.value)
    if width * height <= 2 * DEFAULT_MAX_PIXELS:  # below Pillow's error: our header check speaks
        assert str(exc.value) == too_many_pixels(DEFAULT_MAX_PIXELS, (width, height))
        assert f"{width}×{height}" in str(exc.value)


def test_a_picture_at_the_limit_is_accepted():
    assert DEFAULT_MAX_PIXELS == 30_000_000
    data = _save(Image.new("1", (6000, 5000)), "PNG")  # 30 Mpx of 1-bit pixels: a few KB
    stored = load_image(data)
    assert (stored.width, stored.height) == (6000, 5000)


def test_the_limit_is_a_setting_and_pillow_agrees_with_it():
    image_limits.configure(max_pixels=1_000_000)
    assert Image.MAX_IMAGE_PIXELS == 1_000_000 and image_limits.max_pixels() == 1_000_000
    with pytest.raises(ImageRejected) as exc:
        load_image(_save(_photo((1001, 1000)), "PNG"))
    assert str(exc.value) == too_many_pixels(1_000_000, (1001, 1000))
    assert "上限为 100 万像素" in str(exc.value)
    assert load_image(_save(_photo((1000, 1000)), "PNG")).width == 1000
    with pytest.raises(ValueError):
        image_limits.configure(max_pixels=0)


def test_create_app_configures_the_limit_from_the_settings(templates, tmp_path):
    from tests.conftest import _close, make_app

    app = make_app(templates, tmp_path, kind="empty", IMAGE_MAX_PIXELS=2_000_000, IMAGE_DECODE_CONCURRENCY=3)
    try:
        assert image_limits.max_pixels() == 2_000_000 and Image.MAX_IMAGE_PIXELS == 2_000_000
        assert image_limits.DECODES.limit == 3
    finally:
        _close(app)


def test_pillow_bomb_warning_becomes_a_rejection():
    # Between Pillow's warning threshold (our limit, configured) and its error threshold (twice it):
    # Pillow warns while opening, and the header check refuses.
    assert Image.MAX_IMAGE_PIXELS == DEFAULT_MAX_PIXELS
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ImageRejected) as exc:
        load_image(_bomb_png(8000, 5000), max_pixels=10**12)
    assert str(exc.value) == too_many_pixels(DEFAULT_MAX_PIXELS, (8000, 5000))


def test_pillow_bomb_warning_made_an_error_is_still_the_refusal():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ImageRejected) as exc:
            load_image(_bomb_png(8000, 5000), max_pixels=10**12)
    assert str(exc.value) == too_many_pixels(DEFAULT_MAX_PIXELS)  # not "broken"


def test_max_pixels_is_the_callers_limit():
    data = _save(_photo((100, 100)), "PNG")
    with pytest.raises(ImageRejected) as exc:
        load_image(data, max_pixels=9_999)
    assert str(exc.value) == too_many_pixels(9_999, (100, 100))
    assert load_image(data, max_pixels=10_000).width == 100


def test_pillow_global_limit_is_left_alone_by_a_call():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageRejected):
        load_image(_bomb_png(30000, 30000), max_pixels=10**12)
    assert load_image(_save(_photo((10, 10)), "PNG"), max_pixels=100).width == 10
    assert before == Image.MAX_IMAGE_PIXELS


def test_fitting_and_cropping_a_stored_picture_obey_the_limit():
    stored = load_image(_save(_photo((1200, 1000)), "PNG"))
    image_limits.configure(max_pixels=1_000_000)  # lowered after the upload
    for work in (lambda: fit_for_wechat(stored, "thumb"), lambda: crop_cover(stored, "1:1")):
        with pytest.raises(ImageRejected) as exc:
            work()
        assert str(exc.value) == too_many_pixels(1_000_000, (1200, 1000))


def test_animated_gif_pixels_count_all_frames():
    frames = [Image.new("RGB", (100, 100), (50 * i, 0, 0)) for i in range(5)]
    data = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 5
    with pytest.raises(ImageRejected) as exc:
        load_image(data, max_pixels=40_000)  # one frame fits, five do not
    assert str(exc.value) == too_many_pixels(40_000, (100, 100), 5)
    assert "5 帧共 5 万像素" in str(exc.value) and "上限为 4 万像素" in str(exc.value)
    assert load_image(data, max_pixels=50_000).format == "gif"


# --------------------------------------------------------------------------------------------------
# load_image: re-encoding
# --------------------------------------------------------------------------------------------------


def test_exif_gps_and_all_metadata_are_stripped_and_orientation_applied():
    # policy C15 (personal privacy): a phone photo's GPS position must not reach the public.
    stored = _halves((40, 20))  # left red, right blue, as the sensor stored it
    exif = _exif_with_gps(orientation=6)  # "rotate 90° clockwise to display"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _save(stored, "JPEG", quality=95, exif=exif.tobytes(), icc_profile=icc, comment=b"secret")
    src = Image.open(io.BytesIO(data))  # the fixture really carries what we strip
    assert src.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert "icc_profile" in src.info and src.info.get("comment") == b"secret"

    img = load_image(data)
    out = _reopen(img)
    assert len(out.getexif()) == 0
    assert not set(out.info) & {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"}
    assert b"Exif" not in img.data and b"secret" not in img.data and b"PhoneMaker" not in img.data
    # upright: the picture is now portrait, and the stored left half (red) is on top
    assert (img.width, img.height) == (20, 40)
    top, bottom = out.getpixel((10, 5)), out.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_png_text_and_exif_chunks_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>gps</x:xmpmeta>")
    data = _save(_photo((30, 30)), "PNG", pnginfo=info, exif=_exif_with_gps(1).tobytes())
    img = load_image(data)
    kinds = {kind for kind, _ in _png_chunks(img.data)}
    assert kinds <= {b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS"}
    assert len(_reopen(img).getexif()) == 0


def test_same_picture_twice_gives_the_same_digest():
    data = _save(_photo((200, 150)), "JPEG", quality=92)
    first, second = load_image(data), load_image(data)
    assert first.sha256 == second.sha256
    assert first.data == second.data
    assert load_image(_save(_photo((200, 150), sigma=41), "JPEG")).sha256 != first.sha256


def test_same_picture_with_different_metadata_gives_the_same_digest():
    pic = _photo((80, 60))
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "EditorApp 3.1")
    plain = load_image(_save(pic, "PNG"))
    tagged = load_image(_save(pic, "PNG", pnginfo=info, exif=_exif_with_gps(1).tobytes()))
    assert plain.sha256 == tagged.sha256


def test_jpeg_is_progressive_quality_88():
    img = load_image(_save(_photo((120, 90)), "JPEG", quality=100))
    out = _reopen(img)
    assert out.info.get("progressive") or out.info.get("progression")
    # re-encoding at ~88 is smaller than the quality-100 source
    assert img.bytes < len(_save(_photo((120, 90)), "JPEG", quality=100))


def test_cmyk_jpeg_comes_back_rgb():
    data = _save(Image.new("CMYK", (30, 30), (0, 255, 255, 0)), "JPEG")
    out = _reopen(load_image(data))
    assert out.mode == "RGB"
    r, g, b = out.getpixel((10, 10))
    assert r > 200 and g < 80 and b < 80


def test_animated_gif_keeps_its_frames_timing_and_loop():
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    frames = [Image.new("RGB", (40, 30), c) for c in colours]
    data = _save(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300, 400],
        loop=0,
        comment=b"made by someone",
    )
    img = load_image(data)
    assert img.format == "gif" and (img.width, img.height) == (40, 30)
    out = Image.open(io.BytesIO(img.data))
    assert out.n_frames == 4
    assert out.info.get("loop") == 0
    assert "comment" not in out.info and b"made by someone" not in img.data
    seen = []
    for frame in ImageSequence.Iterator(out):
        seen.append((frame.convert("RGB").getpixel((20, 15)), frame.info.get("duration")))
    assert seen == list(zip(colours, [100, 200, 300, 400], strict=True))


def test_animated_gif_keeps_transparency():
    a = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    a.paste((255, 0, 0, 255), (0, 0, 10, 20))
    b = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    b.paste((0, 0, 255, 255), (10, 0, 20, 20))
    img = load_image(_save(a, "GIF", save_all=True, append_images=[b], duration=100, disposal=2))
    out = Image.open(io.BytesIO(img.data))
    assert out.n_frames == 2
    assert out.convert("RGBA").getpixel((15, 10))[3] == 0
    out.seek(1)
    assert out.convert("RGBA").getpixel((5, 10))[3] == 0
    assert out.convert("RGBA").getpixel((15, 10))[:3] == (0, 0, 255)


def test_png_alpha_is_kept():
    im = Image.new("RGBA", (64, 64))
    im.putdata([(x * 4, 100, 200, y * 4) for y in range(64) for x in range(64)])
    img = load_image(_save(im, "PNG"))
    out = _reopen(img)
    assert img.format == "png" and out.mode == "RGBA"
    assert out.tobytes() == im.tobytes()


def test_palette_png_transparency_is_kept():
    im = Image.new("P", (16, 16), 1)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(0, (0, 0, 8, 16))
    img = load_image(_save(im, "PNG", transparency=0))
    out = _reopen(img).convert("RGBA")
    assert out.getpixel((2, 2))[3] == 0
    assert out.getpixel((12, 2)) == (255, 0, 0, 255)


# --------------------------------------------------------------------------------------------------
# fit_for_wechat (WECHAT_API.md §1.2, §7)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_photo() -> StoredImage:
    img = load_image(_save(_photo((2400, 1600), sigma=60), "JPEG", quality=95))
    assert img.bytes > 1_000_000  # the fixture really is over the content limit
    return img


def test_fit_content_brings_a_large_photo_under_1mb_and_1080px(big_photo):
    out = fit_for_wechat(big_photo, "content")
    assert out.format == "jpeg" and _reopen(out).format == "JPEG"
    assert out.bytes < 1_000_000 and out.bytes == len(out.data)
    assert out.width == 1080 and out.height == 720
    assert out.sha256 == hashlib.sha256(out.data).hexdigest()


def test_fit_thumb_brings_a_large_photo_under_64kb_jpeg(big_photo):
    out = fit_for_wechat(big_photo, "thumb")
    assert out.format == "jpeg" and _reopen(out).format == "JPEG"
    assert out.bytes <= 64_000
    assert abs(out.width / out.height - 1.5) < 0.01
    assert out.width >= 200  # shrunk, not destroyed


def test_fit_content_keeps_a_small_fitting_image_as_is():
    img = load_image(_save(_photo((600, 400)), "JPEG"))
    assert fit_for_wechat(img, "content") is img
    assert fit_for_wechat(img, "cover") is img


def test_fit_content_downscales_a_wide_small_png_and_keeps_it_png():
    im = Image.new("RGBA", (2000, 500), (255, 255, 255, 0))
    im.paste((200, 30, 30, 255), (0, 0, 1000, 500))
    out = fit_for_wechat(load_image(_save(im, "PNG")), "content")
    assert out.format == "png" and (out.width, out.height) == (1080, 270)
    assert _reopen(out).getpixel((1000, 100))[3] == 0


def test_fit_png_photo_that_cannot_fit_goes_to_jpeg_on_white():
    photo = _photo((1500, 1000), sigma=80).convert("RGBA")
    photo.paste((0, 0, 0, 0), (0, 0, 100, 100))  # a transparent corner
    img = load_image(_save(photo, "PNG"))
    assert img.format == "png"
    out = fit_for_wechat(img, "thumb")
    assert out.format == "jpeg" and out.bytes <= 64_000
    r, g, b = _reopen(out).convert("RGB").getpixel((2, 2))
    assert min(r, g, b) > 230  # transparency flattened on white, not black


def test_fit_gif_for_content_becomes_a_still_png_or_jpeg():
    frames = [Image.new("RGB", (50, 50), c) for c in ("red", "blue")]
    gif = load_image(_save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100))
    out = fit_for_wechat(gif, "content")
    assert out.format in ("png", "jpeg")
    assert getattr(_reopen(out), "n_frames", 1) == 1
    assert fit_for_wechat(gif, "cover") is gif  # permanent material takes GIF
    assert fit_for_wechat(gif, "toutiao").format in ("png", "jpeg")


def test_fit_unknown_purpose_is_a_chinese_value_error(big_photo):
    with pytest.raises(ValueError, match="未知的图片用途"):
        fit_for_wechat(big_photo, "banner")


# --------------------------------------------------------------------------------------------------
# crop_cover
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ratio", "expected"),
    [
        ((1000, 800), "2.35:1", (1000, 426)),
        ((1000, 800), "1:1", (800, 800)),
        ((3000, 1000), "2.35:1", (2350, 1000)),
        ((400, 1000), "1:1", (400, 400)),
        ((900, 383), "2.35:1", (900, 383)),
    ],
)
def test_crop_cover_gives_the_largest_crop_of_the_ratio(size, ratio, expected):
    img = load_image(_save(_photo(size), "JPEG"))
    out = crop_cover(img, ratio)
    assert abs(out.width - expected[0]) <= 1 and abs(out.height - expected[1]) <= 1
    assert (out.width, out.height) == _reopen(out).size
    target = 2.35 if ratio == "2.35:1" else 1.0
    assert abs(out.width / out.height - target) < 0.01
    assert out.format == "jpeg"


def _stripes(size: tuple[int, int], vertical: bool) -> Image.Image:
    """Red at the start edge, blue at the end edge, grey between."""
    w, h = size
    im = Image.new("RGB", size, (128, 128, 128))
    if vertical:  # stripes along the top and the bottom
        im.paste((255, 0, 0), (0, 0, w, 40))
        im.paste((0, 0, 255), (0, h - 40, w, h))
    else:
        im.paste((255, 0, 0), (0, 0, 40, h))
        im.paste((0, 0, 255), (w - 40, 0, w, h))
    return im


def test_crop_cover_honours_horizontal_focus_at_the_edges():
    img = load_image(_save(_stripes((1000, 400), vertical=False), "PNG"))
    left = _reopen(crop_cover(img, "1:1", focus=(0.0, 0.5)))
    right = _reopen(crop_cover(img, "1:1", focus=(1.0, 0.5)))
    middle = _reopen(crop_cover(img, "1:1"))
    assert left.size == right.size == middle.size == (400, 400)
    assert left.getpixel((5, 200)) == (255, 0, 0)
    assert right.getpixel((395, 200)) == (0, 0, 255)
    assert middle.getpixel((5, 200)) == middle.getpixel((395, 200)) == (128, 128, 128)


def test_crop_cover_honours_vertical_focus():
    img = load_image(_save(_stripes((470, 1000), vertical=True), "PNG"))
    top = _reopen(crop_cover(img, "2.35:1", focus=(0.5, 0.0)))
    bottom = _reopen(crop_cover(img, "2.35:1", focus=(0.5, 1.0)))
    assert top.size == bottom.size == (470, 200)
    assert top.getpixel((200, 5)) == (255, 0, 0)
    assert bottom.getpixel((200, 195)) == (0, 0, 255)
    # a focus near, not at, the edge: as near as the edges allow, i.e. clamped
    assert _reopen(crop_cover(img, "2.35:1", focus=(0.5, 0.05))).getpixel((200, 5)) == (255, 0, 0)
    # a focus inside: centred on it (y = 0.5 * 1000 -> rows 400..600)
    assert _reopen(crop_cover(img, "2.35:1", focus=(0.5, 0.5))).getpixel((200, 5)) == (128, 128, 128)


def test_crop_cover_keeps_gif_animation():
    frames = [Image.new("RGB", (300, 100), c) for c in ("red", "green", "blue")]
    gif = load_image(_save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100))
    out = crop_cover(gif, "1:1", focus=(0.2, 0.5))
    assert out.format == "gif" and (out.width, out.height) == (100, 100)
    assert Image.open(io.BytesIO(out.data)).n_frames == 3


@pytest.mark.parametrize("ratio", ["16:9", "2.35", "", "1:1 "])
def test_crop_cover_refuses_other_ratios(ratio):
    img = load_image(_save(_photo((100, 100)), "PNG"))
    with pytest.raises(ValueError, match="不支持的封面比例"):
        crop_cover(img, ratio)


@pytest.mark.parametrize("focus", [(1.5, 0.5), (0.5, -0.1), (float("nan"), 0.5), (0.5, float("inf"))])
def test_crop_cover_refuses_focus_outside_the_picture(focus):
    img = load_image(_save(_photo((100, 100)), "PNG"))
    with pytest.raises(ValueError, match="焦点坐标"):
        crop_cover(img, "1:1", focus=focus)


# --------------------------------------------------------------------------------------------------
# quality_warning (policy C10: photos of good quality; a warning, not a block)
# --------------------------------------------------------------------------------------------------


def _stored_of_width(width: int) -> StoredImage:
    return load_image(_save(Image.new("RGB", (width, 50), "white"), "PNG"))


def test_quality_warning_fires_below_640px():  # policy C10
    message = quality_warning(_stored_of_width(639))
    assert message is not None and "分辨率" in message and "639" in message


@pytest.mark.parametrize("width", [640, 1080])
def test_quality_warning_is_silent_from_640px(width):  # policy C10
    assert quality_warning(_stored_of_width(width)) is None


def test_quality_warning_threshold_is_a_setting():  # policy C10
    img = _stored_of_width(800)
    assert quality_warning(img, min_width=900) is not None
    assert quality_warning(img, min_width=800) is None


# --------------------------------------------------------------------------------------------------
# decode concurrency (CMS_IMAGE_DECODE_CONCURRENCY)
# --------------------------------------------------------------------------------------------------


def test_at_most_the_configured_number_of_pictures_decode_at_once(monkeypatch):
    """Five uploads at once with the limit at 2: two decode, three wait in the gate; as each one
    finishes the next goes in, and never more than two are inside. Threads and conditions only:
    the timeouts are a safety net, nothing is measured in time."""
    import threading

    image_limits.configure(decode_concurrency=2)
    held = threading.Condition()
    state = {"inside": 0, "peak": 0, "tickets": 0}
    original = images._decode_first_frame

    def decode(im):  # a decode that goes on until the test lets it finish
        with held:
            state["inside"] += 1
            state["peak"] = max(state["peak"], state["inside"])
            held.notify_all()
            assert held.wait_for(lambda: state["tickets"] > 0, timeout=60)
            state["tickets"] -= 1
            state["inside"] -= 1
        return original(im)

    monkeypatch.setattr(images, "_decode_first_frame", decode)
    data = [_save(_photo((64, 48 + i)), "PNG") for i in range(5)]
    results: list = []
    threads = [threading.Thread(target=lambda d=d: results.append(load_image(d))) for d in data]
    for t in threads:
        t.start()

    def settled(inside: int, waiting: int) -> bool:
        gate = image_limits.DECODES.wait_for(lambda g: g.active == inside and g.waiting == waiting, timeout=60)
        with held:
            return gate and held.wait_for(lambda: state["inside"] == inside, timeout=60)

    assert settled(2, 3)                 # two decoding, three held back
    for waiting in (2, 1, 0):
        with held:
            state["tickets"] += 1        # one decode finishes...
            held.notify_all()
        assert settled(2, waiting)       # ...and exactly one waiting upload takes its place
    with held:
        state["tickets"] += 2
        held.notify_all()
    for t in threads:
        t.join(60)
    assert state["peak"] == 2
    assert sorted(r.height for r in results) == [48, 49, 50, 51, 52]
    assert image_limits.DECODES.active == 0 and image_limits.DECODES.waiting == 0


def test_decode_concurrency_must_be_positive():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError):
            image_limits.configure(decode_concurrency=bad)
    assert image_limits.DECODES.limit == 2
