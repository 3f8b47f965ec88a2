"""Uploaded images, made safe before anything else touches them.

Pure functions over bytes (no Flask, no database):

* ``load_image`` sniffs the real format from the bytes (a file name or a declared MIME type is never
  trusted), refuses what is not a sound JPEG/PNG/GIF/WebP/BMP, refuses a picture of more pixels than
  the limit (width x height read from the header, before any pixel is decoded), and re-encodes the picture without EXIF, GPS, XMP, ICC or comments (policy C15:
  a phone photo's GPS position is personal privacy). The output is deterministic, so the same picture
  uploaded twice has the same ``sha256``.
* ``fit_for_wechat`` makes a stored image fit one platform slot (WECHAT_API.md §1.2 and §7).
* ``crop_cover`` cuts a 2.35:1 or 1:1 cover around a focus point.
* ``quality_warning`` flags low-resolution photos (policy C10: photos of good quality; a warning,
  never a block).

Memory: a decoded picture takes 3-4 bytes a pixel and a few copies are alive while it is cleaned
and re-encoded: ``load_image`` peaks at about 11 bytes a pixel (measured: 343 MB for 30 megapixels,
572 MB for 50). Two process-wide settings bound that (cms/content/image_limits.py,
``configure``, called by create_app from CMS_IMAGE_MAX_PIXELS and CMS_IMAGE_DECODE_CONCURRENCY):
the pixel limit (default 30 megapixels: every phone's and most cameras' normal output, 6000x4000,
6240x4160, fits; a 48-50 megapixel full-resolution phone photo is refused with the limit named) and
how many pictures decode at once in the process (default 2, ``DECODES``): uploads, platform fitting
and cover crops beyond that wait their turn instead of adding another half gigabyte each.

Error messages are Simplified Chinese: they are shown to editors as they are.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from cms.content.image_limits import DECODES, too_many_pixels
from cms.content.image_limits import max_pixels as configured_max_pixels

__all__ = [
    "ImageRejected",
    "StoredImage",
    "crop_cover",
    "fit_for_wechat",
    "load_image",
    "quality_warning",
]

JPEG_QUALITY = 88
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

MSG_EMPTY = "文件为空，请重新选择图片"
MSG_BROKEN = "文件不是图片或已损坏"
MSG_UNSUPPORTED = "不支持的图片格式：{}，请上传 JPEG、PNG 或 GIF"

# Pillow's format name -> what we store (None: converted to PNG or JPEG). MPO is how Pillow names a
# camera JPEG carrying a second (preview/depth) picture: it is a JPEG, and only its first frame is kept.
_ACCEPTED: dict[str, str | None] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": None,
    "BMP": None,
}
MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
_EXTENSION = {"jpeg": "jpg", "png": "png", "gif": "gif"}
# ISO-BMFF brands of HEIF/HEIC (iPhone photos). Pillow cannot read them; name them instead of "broken".
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class ImageRejected(ValueError):
    """The upload is not an image we accept; ``str(exc)`` is a Chinese message for the editor."""


@dataclass(frozen=True)
class StoredImage:
    """A re-encoded, metadata-free image. ``sha256`` is the hex digest of ``data``."""

    data: bytes
    format: str  # "jpeg" | "png" | "gif"
    width: int
    height: int
    bytes: int
    sha256: str

    @property
    def mime(self) -> str:
        """MIME type for multipart uploads, e.g. ``("a.jpg", img.data, img.mime)``."""
        return MIME[self.format]

    @property
    def extension(self) -> str:
        return _EXTENSION[self.format]


# --------------------------------------------------------------------------------------------------
# load_image
# --------------------------------------------------------------------------------------------------


def load_image(
    data: bytes, *, max_pixels: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> StoredImage:
    """Validate an upload and re-encode it as JPEG, PNG or GIF without any metadata.

    Raises ``ImageRejected`` for empty, oversized, unsupported, truncated or corrupt files and for
    pictures of too many pixels (width*height above ``max_pixels``, by default the configured limit,
    checked from the header before any pixel is decoded; for an animated GIF the pixels of all
    frames count). The decoding waits for one of the process's decode slots (``DECODES``).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("load_image expects bytes")
    data = bytes(data)
    if not data:
        raise ImageRejected(MSG_EMPTY)
    if len(data) > max_bytes:
        raise ImageRejected(f"图片文件过大（{_size_text(len(data))}），上限为 {_size_text(max_bytes)}")
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise ImageRejected(MSG_UNSUPPORTED.format("HEIC"))
    limit = _pixel_limit(max_pixels)
    with DECODES.slot():
        return _load(data, limit)


def _load(data: bytes, limit: int) -> StoredImage:
    try:
        with _open(data) as probe:
            kind = probe.format or "未知"
            if kind not in _ACCEPTED:
                raise ImageRejected(MSG_UNSUPPORTED.format(kind))
            _check_pixels(probe.size, limit)
            probe.verify()  # PNG: chunk CRCs; others: whatever the plugin checks
        with _open(data) as im:
            if im.format != kind:
                raise ImageRejected(MSG_BROKEN)
            _check_pixels(im.size, limit)
            if kind == "GIF" and getattr(im, "n_frames", 1) > 1:
                frames, durations, loop = _decode_animation(im, limit)
                return _encode_gif(frames, durations, loop)
            frame = _decode_first_frame(im)
            duration = int(im.info.get("duration", 0) or 0)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # warning: if made an error
        raise ImageRejected(too_many_pixels(limit)) from exc
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, struct.error, ...)
        raise ImageRejected(MSG_BROKEN) from exc

    target = _ACCEPTED[kind]
    if target is None:  # WebP, BMP
        lossless = kind == "BMP" or _has_alpha(frame) or _webp_is_lossless(data)
        target = "png" if lossless else "jpeg"
    if target == "jpeg":
        return _encode_jpeg(frame, JPEG_QUALITY)
    if target == "gif":
        return _encode_gif([frame], [duration], None)
    return _encode_png(frame)


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _pixel_limit(max_pixels: int | None = None) -> int:
    """The caller's limit (else the configured one), never above Pillow's own warning threshold.

    Anything that would make Pillow emit DecompressionBombWarning is refused by our own check, and
    above twice that Pillow raises DecompressionBombError, which is turned into the same refusal.
    Pillow's global ``Image.MAX_IMAGE_PIXELS`` is set by ``configure`` only, never for one call:
    that (or changing the global warning filters) would leak into every other thread.
    """
    if max_pixels is None:
        max_pixels = configured_max_pixels()
    pillow = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow is None else min(max_pixels, pillow)


def _check_pixels(size: tuple[int, int], limit: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageRejected(MSG_BROKEN)
    if width * height > limit:
        raise ImageRejected(too_many_pixels(limit, size))


def _decode_first_frame(im: Image.Image) -> Image.Image:
    """Decode the first frame upright, in sRGB, with no metadata left but palette transparency."""
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)  # MPO, APNG, animated WebP: the first (default) picture only
    im.load()
    frame: Image.Image = im
    try:
        frame = ImageOps.exif_transpose(im)
    except Exception:  # malformed EXIF: keep the picture as stored, the EXIF is dropped anyway
        frame = im.copy()
    frame = _to_srgb(frame)
    return _clean(_normal_mode(frame))


def _normal_mode(frame: Image.Image) -> Image.Image:
    """One of 1, L, LA, P, RGB, RGBA: the modes every later step (and every encoder) handles."""
    mode = frame.mode
    if mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return frame
    if mode.startswith("I;16") or mode == "I":  # 16-bit grey PNG: scale to 8 bits, do not clip
        return frame.convert("I").point(lambda v: v / 256).convert("L")
    if mode in ("PA", "La", "RGBa"):
        return frame.convert("RGBA")
    return frame.convert("RGB")  # CMYK (no usable profile), YCbCr, ...


def _decode_animation(im: Image.Image, limit: int) -> tuple[list[Image.Image], list[int], int | None]:
    """All frames of an animated GIF, composited by Pillow, as RGBA, with their durations."""
    n_frames = im.n_frames  # seeks without decoding
    width, height = im.size
    if width * height * n_frames > limit:
        raise ImageRejected(too_many_pixels(limit, (width, height), n_frames))
    loop = im.info.get("loop")
    frames: list[Image.Image] = []
    durations: list[int] = []
    total = 0
    for index in range(n_frames):
        im.seek(index)
        _check_pixels(im.size, limit)  # a GIF frame may enlarge the canvas
        total += im.size[0] * im.size[1]
        if total > limit:
            raise ImageRejected(too_many_pixels(limit))
        im.load()
        frames.append(_clean(im.convert("RGBA")))
        durations.append(int(im.info.get("duration", 100) or 0))
    size = (max(f.width for f in frames), max(f.height for f in frames))
    frames = [f if f.size == size else _pad(f, size) for f in frames]
    return frames, durations, (int(loop) if loop is not None else None)


def _pad(frame: Image.Image, size: tuple[int, int]) -> Image.Image:
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(frame, (0, 0))
    return canvas


def _to_srgb(frame: Image.Image) -> Image.Image:
    """Convert an embedded colour profile to sRGB before the profile is dropped with the metadata."""
    icc = frame.info.get("icc_profile")
    if not icc or frame.mode not in ("RGB", "RGBA", "CMYK"):
        return frame
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return frame
        out_mode = "RGBA" if frame.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            frame, source, ImageCms.createProfile("sRGB"), outputMode=out_mode
        )
    except Exception:  # unreadable profile: fall back to the plain pixel values
        return frame
    return converted if converted is not None else frame


def _clean(frame: Image.Image) -> Image.Image:
    """A copy that carries pixels (and palette transparency) only: no EXIF, XMP, ICC, text, comment."""
    out = frame.copy()
    out.info = {"transparency": frame.info["transparency"]} if "transparency" in frame.info else {}
    return out


def _has_alpha(frame: Image.Image) -> bool:
    """True when some pixel is not fully opaque (alpha channel or palette/key-colour transparency)."""
    if "transparency" in frame.info and frame.mode in ("P", "1", "L", "RGB"):
        frame = frame.convert("RGBA")
    if "A" not in frame.getbands():
        return False
    low, _high = frame.getchannel("A").getextrema()
    return low < 255


def _webp_is_lossless(data: bytes) -> bool:
    """A WebP whose image chunk is VP8L (lossless) should stay lossless, i.e. become PNG."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc in (b"VP8 ", b"ANMF"):
            return False
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False


# --------------------------------------------------------------------------------------------------
# Encoding (deterministic: Pillow writes no timestamps; we pass no metadata)
# --------------------------------------------------------------------------------------------------


def _stored(data: bytes, fmt: str, size: tuple[int, int]) -> StoredImage:
    return StoredImage(
        data=data,
        format=fmt,
        width=size[0],
        height=size[1],
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _for_jpeg(frame: Image.Image) -> Image.Image:
    """L or RGB; transparency flattened on white (a JPEG has none)."""
    if _has_alpha(frame):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if frame.mode in ("L", "RGB"):
        return frame
    if frame.mode in ("1", "LA", "La"):
        return frame.convert("L")
    return frame.convert("RGB")


def _for_png(frame: Image.Image) -> Image.Image:
    if frame.mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return frame
    return frame.convert("RGBA" if _has_alpha(frame) else "RGB")


def _jpeg_bytes(frame: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    _for_jpeg(frame).save(buf, "JPEG", quality=quality, progressive=True, optimize=True)
    return buf.getvalue()


def _png_bytes(frame: Image.Image) -> bytes:
    frame = _for_png(frame)
    params: dict[str, object] = {"compress_level": 9}
    if frame.mode in ("P", "L", "RGB", "1") and "transparency" in frame.info:
        params["transparency"] = frame.info["transparency"]
    buf = io.BytesIO()
    frame.save(buf, "PNG", **params)
    return buf.getvalue()


def _encode_jpeg(frame: Image.Image, quality: int) -> StoredImage:
    return _stored(_jpeg_bytes(frame, quality), "jpeg", frame.size)


def _encode_png(frame: Image.Image) -> StoredImage:
    return _stored(_png_bytes(frame), "png", frame.size)


def _encode_gif(frames: list[Image.Image], durations: list[int], loop: int | None) -> StoredImage:
    first = frames[0]
    if first.mode not in ("P", "L", "1", "RGBA", "RGB"):
        first = first.convert("RGBA")
    params: dict[str, object] = {}
    if len(frames) > 1:
        # Pillow hands out fully composited frames: disposal 2 lets each stand alone.
        params.update(save_all=True, append_images=frames[1:], duration=durations, disposal=2)
        if loop is not None:
            params["loop"] = loop
    else:
        if durations and durations[0]:
            params["duration"] = durations[0]
        if "transparency" in first.info:
            params["transparency"] = first.info["transparency"]
    buf = io.BytesIO()
    first.save(buf, "GIF", **params)
    return _stored(buf.getvalue(), "gif", first.size)


# --------------------------------------------------------------------------------------------------
# fit_for_wechat
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    formats: tuple[str, ...]
    max_bytes: int  # inclusive
    label: str  # the limit as the platform states it, for messages
    max_width: int | None


# WECHAT_API.md §1.2 and §7. "MB"/"KB" are read as decimal units, the conservative reading.
_SLOTS = {
    "content": _Slot(("jpeg", "png"), 1_000_000 - 1, "1 MB", 1080),  # media/uploadimg: jpg/png < 1 MB
    "cover": _Slot(("jpeg", "png", "gif"), 10_000_000, "10 MB", None),  # add_material image: <= 10 MB
    "thumb": _Slot(("jpeg",), 64_000, "64 KB", None),  # add_material type=thumb: jpg <= 64 KB
    "toutiao": _Slot(("jpeg", "png"), 5_000_000, "5 MB", None),  # §7 image/upload: jpg/png <= 5 MB
}
_QUALITIES = (JPEG_QUALITY, 80, 72, 64)
_MIN_SIDE = 16


def fit_for_wechat(img: StoredImage, purpose: str) -> StoredImage:
    """Return ``img`` in a format and size the platform slot ``purpose`` accepts.

    ``content`` (media/uploadimg: JPEG/PNG under 1 MB, at most 1080 px wide), ``cover`` (permanent
    image material: JPEG/PNG/GIF up to 10 MB), ``thumb`` (JPEG up to 64 KB), ``toutiao`` (JPEG/PNG
    up to 5 MB). An image that already fits comes back unchanged. Otherwise it is downscaled and its
    JPEG quality lowered step by step; a PNG that cannot fit becomes a JPEG (transparency flattened on
    white) unless a smaller PNG keeps real transparency within the limit. A GIF that must change
    becomes a still picture (its first frame).
    """
    slot = _SLOTS.get(purpose)
    if slot is None:
        raise ValueError(f"未知的图片用途：{purpose}，可选 content、cover、thumb、toutiao")
    too_wide = slot.max_width is not None and img.width > slot.max_width
    if img.format in slot.formats and img.bytes <= slot.max_bytes and not too_wide:
        return img
    with DECODES.slot():
        return _fit(img, slot)


def _fit(img: StoredImage, slot: _Slot) -> StoredImage:
    frame = _reopen_first_frame(img)
    width = min(frame.width, slot.max_width) if slot.max_width else frame.width
    alpha = _has_alpha(frame)

    if "png" in slot.formats and img.format in ("png", "gif"):
        # Graphics and screenshots: lossless first. Real transparency is worth a few smaller tries.
        min_png_width = min(width, 320) if alpha else width
        png_width = width
        while png_width >= min_png_width:
            data = _png_bytes(_scaled(frame, png_width))
            size = _scaled_size(frame.size, png_width)
            if len(data) <= slot.max_bytes:
                return _stored(data, "png", size)
            if png_width == min_png_width:
                break
            png_width = max(min_png_width, _next_width(png_width, len(data), slot.max_bytes))

    jpeg_width = width
    while True:
        scaled = _scaled(frame, jpeg_width)
        data = b""
        for quality in _QUALITIES:
            data = _jpeg_bytes(scaled, quality)
            if len(data) <= slot.max_bytes:
                return _stored(data, "jpeg", scaled.size)
        next_width = _next_width(jpeg_width, len(data), slot.max_bytes)
        if min(_scaled_size(frame.size, next_width)) < _MIN_SIDE:
            raise ImageRejected(f"图片无法压缩到 {slot.label} 以内，请换一张图片")
        jpeg_width = next_width


def _reopen_first_frame(img: StoredImage) -> Image.Image:
    limit = _pixel_limit()
    try:
        with _open(img.data) as im:
            _check_pixels(im.size, limit)
            return _decode_first_frame(im)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(too_many_pixels(limit)) from exc
    except Exception as exc:
        raise ImageRejected(MSG_BROKEN) from exc


def _next_width(width: int, size: int, limit: int) -> int:
    """Shrink by at least 15 %, more when far over: bytes grow roughly with the pixel count."""
    guess = width * math.sqrt(limit / size) * 0.95
    return max(1, min(int(width * 0.85), int(guess)))


def _scaled_size(size: tuple[int, int], width: int) -> tuple[int, int]:
    if width >= size[0]:
        return size
    return width, max(1, round(size[1] * width / size[0]))


def _scaled(frame: Image.Image, width: int) -> Image.Image:
    size = _scaled_size(frame.size, width)
    if size == frame.size:
        return frame
    if frame.mode not in ("L", "RGB", "RGBA"):
        frame = frame.convert("RGBA" if _has_alpha(frame) else "RGB")
    return frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# --------------------------------------------------------------------------------------------------
# crop_cover
# --------------------------------------------------------------------------------------------------

_RATIOS = {"2.35:1": 2.35, "1:1": 1.0}


def crop_cover(img: StoredImage, ratio: str, focus: tuple[float, float] = (0.5, 0.5)) -> StoredImage:
    """The largest ``ratio`` crop, centred as near ``focus`` (fractions of width, height) as it can be.

    An animated GIF stays animated (every frame is cropped); other images keep their format.
    """
    if ratio not in _RATIOS:
        raise ValueError(f"不支持的封面比例：{ratio}，可选 2.35:1 或 1:1")
    try:
        fx, fy = (float(v) for v in focus)
    except (TypeError, ValueError):
        raise ValueError("焦点坐标必须是两个 0 到 1 之间的数") from None
    if not (0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0):  # NaN fails here too
        raise ValueError("焦点坐标必须在 0 到 1 之间")

    with DECODES.slot():
        return _crop(img, _RATIOS[ratio], fx, fy)


def _crop(img: StoredImage, target: float, fx: float, fy: float) -> StoredImage:
    limit = _pixel_limit()
    try:
        with _open(img.data) as im:
            _check_pixels(im.size, limit)
            if img.format == "gif" and getattr(im, "n_frames", 1) > 1:
                frames, durations, loop = _decode_animation(im, limit)
                box = _crop_box(*frames[0].size, target, fx, fy)
                return _encode_gif([f.crop(box) for f in frames], durations, loop)
            frame = _decode_first_frame(im)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(too_many_pixels(limit)) from exc
    except Exception as exc:
        raise ImageRejected(MSG_BROKEN) from exc

    cropped = _clean(frame.crop(_crop_box(*frame.size, target, fx, fy)))
    if img.format == "jpeg":
        return _encode_jpeg(cropped, JPEG_QUALITY)
    if img.format == "gif":
        return _encode_gif([cropped], [], None)
    return _encode_png(cropped)


def _crop_box(width: int, height: int, ratio: float, fx: float, fy: float) -> tuple[int, int, int, int]:
    if width / height > ratio:
        crop_h = height
        crop_w = min(width, max(1, round(height * ratio)))
    else:
        crop_w = width
        crop_h = min(height, max(1, round(width / ratio)))
    left = min(max(round(fx * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(fy * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


# --------------------------------------------------------------------------------------------------
# quality_warning
# --------------------------------------------------------------------------------------------------


def quality_warning(img: StoredImage, *, min_width: int = 640) -> str | None:
    """A Chinese warning for a low-resolution picture, else None.

    policy C10 (photos of good quality): a warning the editor sees, never a block.
    """
    if img.width < min_width:
        return (
            f"图片分辨率偏低（宽 {img.width} 像素，建议至少 {min_width} 像素），"
            "在手机上可能显示模糊，建议换用更清晰的图片"
        )
    return None


def _size_text(n: int) -> str:
    for unit, names in ((1024 * 1024, "MB"), (1_000_000, "MB"), (1024, "KB"), (1000, "KB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {names}"
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1000:
        return f"{n / 1000:.0f} KB"
    return f"{n} 字节"
