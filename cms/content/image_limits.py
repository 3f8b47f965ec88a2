"""How much image decoding a process allows (issue 13 part 6): the pixel limit and the number of
pictures decoding at once. Both are process-wide settings (``configure``, called by create_app
from CMS_IMAGE_MAX_PIXELS and CMS_IMAGE_DECODE_CONCURRENCY); cms/content/images.py asks them
before it decodes anything.

A decoded picture takes 3-4 bytes a pixel and ``load_image`` peaks at about 11 bytes a pixel
(measured: 343 MB for 30 megapixels, 572 MB for 50): the limit bounds one picture, the gate how
many of them are alive at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PIL import Image

DEFAULT_MAX_PIXELS = 30_000_000
DEFAULT_DECODE_CONCURRENCY = 2


def pixels_text(n: int) -> str:
    """30000000 → "3000 万像素" (how megapixels are said in Chinese), else the exact count."""
    return f"{n // 10_000} 万像素" if n >= 10_000 and n % 10_000 == 0 else f"{n} 像素"


def too_many_pixels(limit: int, size: tuple[int, int] | None = None, frames: int = 1) -> str:
    """The refusal of a picture over the pixel limit, naming the limit (and the picture's size)."""
    if size is None:
        found = ""
    elif frames > 1:
        found = f"（{frames} 帧共 {pixels_text(size[0] * size[1] * frames)}）"
    else:
        found = f"（{size[0]}×{size[1]}，{pixels_text(size[0] * size[1])}）"
    return f"图片像素过多{found}，上限为 {pixels_text(limit)}，已拒绝：请缩小尺寸后再上传"


class DecodeGate:
    """At most ``limit`` pictures decode at once in this process; more callers wait their turn.

    A condition over a counter rather than a semaphore, so that the limit can be changed (by
    ``configure``) while decodes are in flight and so that ``active`` and ``waiting`` can be read.
    Every change is announced on the condition (``wait_for`` lets a caller wait for a state).
    """

    def __init__(self, limit: int) -> None:
        self._cond = threading.Condition()
        self._limit = _positive(limit, "decode concurrency")
        self.active = 0
        self.waiting = 0

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        with self._cond:
            self._limit = _positive(limit, "decode concurrency")
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            self.waiting += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(lambda: self.active < self._limit)
            finally:
                self.waiting -= 1
            self.active += 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self.active -= 1
                self._cond.notify_all()

    def wait_for(self, predicate: Callable[[DecodeGate], bool], timeout: float | None = None) -> bool:
        """Block until ``predicate(gate)`` holds (or ``timeout`` seconds pass); its last value."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)


def _positive(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")
    return value


DECODES = DecodeGate(DEFAULT_DECODE_CONCURRENCY)
_limits = {"max_pixels": DEFAULT_MAX_PIXELS}


def configure(*, max_pixels: int = DEFAULT_MAX_PIXELS,
              decode_concurrency: int = DEFAULT_DECODE_CONCURRENCY) -> None:
    """Set the process-wide pixel limit and decode concurrency (create_app, from the settings).

    Pillow's own ``Image.MAX_IMAGE_PIXELS`` is set to the same limit here, once, so that every
    Image.open in the process agrees with ours: Pillow warns above it and raises
    DecompressionBombError above twice it, while our header check refuses first with the limit
    named (and a DecompressionBombError, should one come, is the same refusal, never a 500).
    """
    max_pixels = _positive(max_pixels, "CMS_IMAGE_MAX_PIXELS")
    decode_concurrency = _positive(decode_concurrency, "CMS_IMAGE_DECODE_CONCURRENCY")
    _limits["max_pixels"] = max_pixels
    DECODES.set_limit(decode_concurrency)
    Image.MAX_IMAGE_PIXELS = max_pixels


def max_pixels() -> int:
    """The configured pixel limit."""
    return _limits["max_pixels"]
