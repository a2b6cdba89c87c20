"""Scrapy's downloader with its per-site concurrency limit kept when DOWNLOAD_DELAY is 0.

Scrapy 2.19 with the asyncio reactor hands each download to a task, and only that task
marks its request as "transferring". With a delay the queue loop stops after one request;
with DOWNLOAD_DELAY = 0 it pops the whole slot queue before any task has run, so a site
receives every queued request at once whatever CONCURRENT_REQUESTS_PER_DOMAIN says (seen
here as 6 parallel requests to one test site with the limit at 1). Marking each request as
transferring when it is popped keeps the limit. edcat's default delay never hits this; a
crawl run with `--set DOWNLOAD_DELAY=0` (tests, benchmarks, a trusted mirror) would.

Scrapy's global cap (CONCURRENT_REQUESTS) also counts requests that only wait out their
site's delay: with one request per site and a 1 s delay, most of the 16 slots sat idle and
1,000 home pages took 80 s to start. Here a request queued behind its site's delay holds no
slot; EDCAT_DOWNLOADER_MAX_REQUESTS bounds everything in the downloader, waiting or not.
A site still gets one request at a time, with its delay, whatever the cap.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.core.downloader import Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class Downloader(ScrapyDownloader):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.max_requests = crawler.settings.getint("EDCAT_DOWNLOADER_MAX_REQUESTS", 0)

    def needs_backout(self) -> bool:
        """Full when CONCURRENT_REQUESTS requests are not waiting out a site's delay, or when
        EDCAT_DOWNLOADER_MAX_REQUESTS are in the downloader at all."""
        active = len(self.active)
        if 0 < self.max_requests <= active:
            return True
        if not 0 < self.total_concurrency <= active:
            return False
        return active - self.waiting_out_delays() >= self.total_concurrency

    def waiting_out_delays(self) -> int:
        """Requests queued in a slot whose next request waits for its delay to pass."""
        return sum(len(slot.queue) for slot in self.slots.values() if slot.latercall)

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
