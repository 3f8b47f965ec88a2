"""Images the platforms keep (WECHAT_API.md 1.2): `media/uploadimg` (a URL for article HTML),
`material/add_material` (a permanent image or thumb with its media_id), and Toutiao's uploads,
all served back under /sandbox/media/<id>.<ext> (pages.py)."""

from __future__ import annotations

from cms.sandbox.core import Core
from cms.sandbox.models import ApiError, Media, sniff_image

UPLOADIMG_MAX, IMAGE_MAX, THUMB_MAX = 1024 * 1024, 10 * 1024 * 1024, 64 * 1024


class MediaStore:
    """`state.media`: every platform's images, by media_id."""

    def __init__(self, core: Core):
        self.core = core
        self.lock = core.lock

    def reset(self) -> None:
        with self.lock:
            self.images: dict[str, Media] = {}

    def store(self, owner: str, kind: str, data: bytes, fmt: str, base_url: str) -> Media:
        """Keep an image and give it its URL under /sandbox/media/ (under the lock)."""
        media_id = self.core.new_id(32)
        media = Media(
            media_id=media_id,
            owner=owner,
            kind=kind,
            data=data,
            fmt=fmt,
            url=f"{base_url}sandbox/media/{media_id}.{fmt}",
            created_at=self.core.now(),
        )
        self.images[media_id] = media
        return media

    def image(self, media_id: str) -> Media | None:
        with self.lock:
            return self.images.get(media_id)

    def upload_image(self, appid: str, data: bytes | None, base_url: str) -> dict:
        """media/uploadimg: jpg/png under 1 MB -> url (the only image URLs article HTML may use)."""
        with self.lock:
            if not data:
                raise ApiError(41005, "media data missing")
            fmt = sniff_image(data)
            if fmt not in ("jpg", "png"):
                raise ApiError(40005, "invalid file type (uploadimg takes jpg/png)")
            if len(data) >= UPLOADIMG_MAX:
                raise ApiError(40009, "invalid image size (uploadimg takes less than 1MB)")
            media = self.store(appid, "uploadimg", data, fmt, base_url)
            return {"url": media.url}

    def add_material(self, appid: str, media_type: str | None, data: bytes | None, base_url: str) -> dict:
        """material/add_material?type=image|thumb: a permanent media_id (covers need one)."""
        with self.lock:
            if media_type not in ("image", "thumb"):
                raise ApiError(40004, "invalid media type (the sandbox keeps image and thumb)")
            if not data:
                raise ApiError(41005, "media data missing")
            fmt = sniff_image(data)
            if media_type == "thumb":
                if fmt != "jpg":
                    raise ApiError(40005, "invalid file type (thumb takes jpg)")
                if len(data) > THUMB_MAX:
                    raise ApiError(40009, "invalid image size (thumb at most 64KB)")
            else:
                if fmt is None:
                    raise ApiError(40005, "invalid file type (image takes bmp/png/jpeg/jpg/gif)")
                if len(data) > IMAGE_MAX:
                    raise ApiError(40009, "invalid image size (image at most 10MB)")
            media = self.store(appid, media_type, data, fmt, base_url)
            self.core.accounts[appid].materials[media.media_id] = media
            result = {"media_id": media.media_id}
            if media_type == "image":
                result["url"] = media.url
            return result
