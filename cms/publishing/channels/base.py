"""The one interface every platform adapter speaks (DESIGN.md "Publishing").

An adapter takes a `Job` (one publication being worked on: what it sends and what it already holds)
and moves it on step by step:

    prepare_images(job)   in-article images to the platform, the cover to a permanent id
    create_draft(job)     create (or, for a draft not yet published, update) the remote draft
    publish(job)          publish only (WeChat freepublish, Toutiao publish, the website page)
    push(job)             publish and push to followers (WeChat mass send; counts against C18's quota)
    fetch_status(job)     -> Status: published, pending (ask again later), failed or removed
    withdraw(job)         take a published article down

Every step first looks at what the job already holds and skips what is done, and the job saves
(commits) each remote id the moment the platform gives it: a worker killed between any two calls
resumes without a second draft or a second publish. Steps that may have reached the platform without
their answer being saved (the worker died mid-call) are marked "started" first, so the next run
knows to look before it sends again.

Adapters never touch the database themselves: they read the job and call `job.save(...)`,
`job.started(step)`, `job.done(step)`. Errors come out as `PlatformError`, classified by
cms.platforms.errors (WECHAT_API.md 3): "backoff" (retry later), "permanent" (failed, the platform's
reason in Chinese shown to the administrator)."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from cms.channels.models import Channel, Publication
    from cms.content.images import StoredImage

StatusState = Literal["published", "pending", "failed", "removed"]

# <img ... src="/assets/12" ...>: the CMS's own images (absolute URLs to /assets/<id> count too).
IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
LOCAL_ASSET = re.compile(r"^(?:https?://[^/\s]+)?/assets/(\d+)(?:[?#].*)?$")


class PlatformError(Exception):
    """A call the platform refused or could not answer. `kind`: "backoff" or "permanent" (a
    "refresh" class reaching here means the client's one token retry failed too: retried later like
    a backoff). `message`: Chinese, for the administrator."""

    def __init__(self, kind: str, errcode: int | None, message: str, *, step: str = "", errmsg: str = ""):
        super().__init__(f"{step}: {errcode} {errmsg or message}")
        self.kind = "backoff" if kind == "refresh" else kind
        self.errcode = errcode
        self.message = message
        self.step = step
        self.errmsg = errmsg


@dataclass
class Status:
    """What the platform says about a submitted publication."""

    state: StatusState
    url: str | None = None
    article_id: str | None = None
    errcode: int | None = None
    message: str = ""  # Chinese: why it failed or was removed
    poll: bool = True  # pending: ask again later


@dataclass
class Article:
    """What goes out: one approved revision, as the platforms take it."""

    title: str
    author: str
    digest: str
    html: str
    source_url: str = ""
    open_comments: bool = True
    original: bool = True
    has_cover: bool = False
    images: list[str] = field(default_factory=list)  # local srcs in the HTML, in order, once each


class Job(Protocol):
    """The outbox's side of a run (cms.publishing.job.Job)."""

    publication: Publication
    channel: Channel
    article: Article
    post: object  # cms.content.models.Post
    revision: object  # the cms.content.models.Revision it sends

    @property
    def push(self) -> bool: ...

    @property
    def members(self) -> list[Job]: ...  # the articles that go out in one message: [self] alone

    @property
    def pubs(self) -> list[Publication]: ...  # their publications

    def image(self, src: str, purpose: str) -> StoredImage: ...

    def cover(self, purpose: str) -> StoredImage | None: ...

    def save(self, **fields) -> None: ...

    def save_image(self, src: str, url: str, *, last: bool = False) -> None: ...

    def started(self, step: str) -> None: ...

    def done(self, step: str, *, then: str | None = None, **fields) -> None: ...

    def is_started(self, step: str) -> bool: ...

    def is_done(self, step: str) -> bool: ...

    def started_at(self, step: str) -> float | None: ...

    def calling(self) -> None: ...

    def reload(self, *names: str) -> None: ...  # columns another process may have written (the callback)


def local_images(html: str) -> list[str]:
    """The CMS's own image srcs in `html`, each once, in order."""
    seen: list[str] = []
    for m in IMG_SRC.finditer(html):
        src = m.group(3).strip()
        if LOCAL_ASSET.match(src) and src not in seen:
            seen.append(src)
    return seen


def replace_images(html: str, urls: dict[str, str]) -> str:
    """`html` with every local image src replaced by the platform's URL for it."""

    def swap(m: re.Match) -> str:
        src = m.group(3).strip()
        return f"{m.group(1)}{m.group(2)}{urls[src]}{m.group(2)}" if src in urls else m.group(0)

    return IMG_SRC.sub(swap, html)


class Adapter(ABC):
    """Base class: `run` takes a publication as far as it can go now. Platforms with an API give
    `make_client` (a factory of channels.service); a client given to the constructor wins."""

    platform = ""
    make_client = None  # channel -> client

    def __init__(self, channel: Channel, client=None):
        self.channel = channel
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = type(self).make_client(self.channel)
        return self._client

    # --- the steps (override) -------------------------------------------------------------------

    def prepare_images(self, job: Job) -> None:  # noqa: B027 (optional step: most platforms have it)
        """Upload what the article shows; nothing to do where the platform takes none."""

    def create_draft(self, job: Job) -> None:  # noqa: B027 (optional step)
        """Create the remote draft; nothing to do where the platform has no drafts."""

    @abstractmethod
    def publish(self, job: Job) -> None:
        """Make the platform publish (not push) what the draft holds."""

    def push(self, job: Job) -> None:
        raise PlatformError("permanent", None, "该渠道不支持群发推送", step="push")

    @abstractmethod
    def fetch_status(self, job: Job) -> Status:
        """What the platform says now."""

    def withdraw(self, job: Job) -> None:
        raise PlatformError("permanent", None, "该渠道不支持撤回", step="withdraw")

    # --- the flow -------------------------------------------------------------------------------

    @abstractmethod
    def sent(self, job: Job) -> bool:
        """Whether the publish (or push) step has reached the platform."""

    def run(self, job: Job) -> Status:
        """Images, draft, publish or push, then the status: each step only if not done yet."""
        if not self.sent(job):
            self.prepare_images(job)
            self.create_draft(job)
            if job.push:
                self.push(job)
            else:
                self.publish(job)
        return self.fetch_status(job)
