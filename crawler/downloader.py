"""Scrapy's downloader with its per-site concurrency limit kept when DOWNLOAD_DELAY is 0.

Scrapy 2.19 with the asyncio reactor hands each download to a task, and only that task
marks its request as "transferring". With a delay the queue loop stops after one request;
with DOWNLOAD_DELAY = 0 it pops the whole slot queue before any task has run, so a site
receives every queued request at once whatever CONCURRENT_REQUESTS_PER_DOMAIN says (seen
here as 6 parallel requests to one test site with the limit at 1). Marking each request as
transferring when it is popped keeps the limit. edcat's default delay never hits this; a
crawl run with `--set DOWNLOAD_DELAY=0` (tests, benchmarks, a trusted mirror) would.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class Downloader(ScrapyDownloader):
    def _process_queue(self, slot: Slot) -> None:
        """Scrapy 2.19's `_process_queue`, plus `slot.transferring.add(request)`."""
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the fix: counted before the task starts
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
