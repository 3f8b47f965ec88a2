"""The website channel: the post goes live on this site (a public page and the channel's Atom
feed) through cms.site.service. There is no remote platform: the page is written in the same
transaction that marks the publication published and writes its archive record (C13)."""
from __future__ import annotations

from cms.publishing.channels.base import Adapter, Job, Status
from cms.site import service as site


class WebsiteAdapter(Adapter):
    platform = "website"

    def sent(self, job: Job) -> bool:
        return False  # nothing remote: publishing is one local transaction

    def run(self, job: Job) -> Status:
        job.calling()
        url = site.publish(job.post, job.revision, self.channel)  # adds and flushes; the outbox commits
        return Status("published", url=url)

    def publish(self, job: Job) -> None:
        self.run(job)

    def fetch_status(self, job: Job) -> Status:
        return Status("published", url=job.publication.url)

    def withdraw(self, job: Job) -> None:
        site.withdraw(job.post, self.channel)
