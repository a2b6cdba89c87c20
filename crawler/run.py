"""Run one crawl in this process: `crawl(catalogue_path, CrawlOptions) -> CrawlSummary`.

Twisted's reactor cannot be restarted, so a process runs at most one crawl; the `edcat crawl`
command is that process (tests run it as a subprocess).

Every crawl keeps its job state in `<catalogue>.crawl-job/`: the options it was started with
and its durable frontier (`crawler.frontier.FrontierStore`: what is queued, fetched, stored
or failed, and the crawl run id), committed as the crawl goes. A crawl stopped early (Ctrl-C,
CLOSESPIDER_* limits, kill -9, a power cut) leaves it there and `--resume` fetches exactly
what is missing; a crawl that finishes removes it. Scrapy's own JOBDIR is not used: its queue
and spider state are only written on a clean stop.

One crawl per catalogue at a time: the crawl holds an exclusive `flock` on
`<catalogue>.crawl.lock` (which names its process id) from before it reads the job state
until it ends; the OS releases it when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalogue import EdcatError, open_catalogue
from catalogue.cards import find_tool
from catalogue.db import Catalogue
from catalogue.files import atomic_path
from catalogue.models import CrawlRun, Tool
from catalogue.store import finish_crawl_run
from crawler.settings import EDCAT_MAX_PAGES, build_settings, user_agent

OPTIONS_FILE = "edcat-options.json"  # in the job dir: what a resumed crawl continues
LOCK_SUFFIX = ".crawl.lock"  # beside the catalogue: flock-ed by the running crawl


class CrawlError(EdcatError):
    """A crawl that cannot start, or that fetched nothing."""


@dataclass
class CrawlOptions:
    """What `edcat crawl` was asked to do. `settings` are Scrapy overrides (`--set`)."""

    tools: list[str] = field(default_factory=list)
    all_tools: bool = False
    max_pages: int | None = None  # default EDCAT_MAX_PAGES
    archive: Path | None = None
    replay: Path | None = None
    resume: bool = False
    allow_private: bool = False
    cache: bool = False
    stale_days: float | None = None  # only revisit pages not fetched for this many days
    user_agent: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    host_map: dict[str, str] = field(default_factory=dict)  # host -> base URL of a copy

    def recorded(self) -> dict[str, Any]:
        """The options as saved in crawl_runs.options and in the job dir (JSON)."""
        data = asdict(self)
        for key in ("archive", "replay"):  # absolute: --resume may run from another folder
            data[key] = str(Path(data[key]).absolute()) if data[key] else None
        return data

    @classmethod
    def from_recorded(cls, data: dict[str, Any]) -> CrawlOptions:
        data = dict(data)
        for key in ("archive", "replay"):
            data[key] = Path(data[key]) if data.get(key) else None
        return cls(**data)


@dataclass
class CrawlSummary:
    """The outcome of a crawl run (for a resumed run: of all its parts)."""

    run_id: int
    status: str  # finished | interrupted | failed
    tools_requested: int
    tools_visited: int
    pages: int
    new: int
    changed: int
    unchanged: int
    without_text: int
    facts: int
    not_modified: int  # of the unchanged: answered 304 to a conditional request
    skipped_fresh: int  # --stale-days: pages not revisited
    failed: dict[str, int]
    elapsed_seconds: float
    resumable: bool
    close_reason: str = ""

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed_total": self.failed_total}


@dataclass(frozen=True)
class CrawlEvent:
    """Sent to the observer for every page stored or failed, and once before the crawl starts
    (kind "start", detail: how many tools it will visit, for a progress bar)."""

    kind: str  # "start" | "page" | "failure"
    tool_id: int | None
    url: str
    detail: str  # page kind, failure reason, or (start) the number of tools


def job_dir_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".crawl-job")


def crawl(
    db_path: str | Path,
    options: CrawlOptions,
    observer: Callable[[CrawlEvent], None] | None = None,
    log_handler: logging.Handler | None = None,
) -> CrawlSummary:
    """Crawl the tools `options` names and store what is found in the catalogue at `db_path`.

    Blocks until the crawl ends. Raises CrawlError for options that cannot work (no tools, a
    replay file that is missing or not a WARC archive, an archive path that cannot be written,
    a `--set` value Scrapy cannot read, nothing to resume), all checked before any job state
    is written; a crawl that fetched nothing still returns its summary (status "failed"), for
    the caller to report.
    """
    db_path = Path(db_path).expanduser()
    open_catalogue(db_path).close()  # a missing or foreign file is refused before any lock
    with crawl_lock(db_path):
        return _crawl_locked(db_path, options, observer, log_handler)


def _crawl_locked(db_path: Path, options: CrawlOptions, observer, log_handler) -> CrawlSummary:
    job_dir = job_dir_for(db_path)
    options = _effective_options(options, job_dir)
    catalogue = open_catalogue(db_path)
    try:
        targets = resolve_targets(catalogue, options)
    finally:
        catalogue.close()
    check_overrides(options.settings)
    settings = crawl_settings(db_path, options, job_dir)
    check_archive_files(settings)
    if not options.resume:
        _close_replaced_run(db_path, job_dir)
        _new_job_dir(options, job_dir)
    if observer:
        observer(CrawlEvent("start", None, "", str(len(targets))))
    run_id, elapsed = _run_scrapy(settings, targets, observer, log_handler)
    if run_id is None and not options.resume:
        # Nothing was crawled: leave no job state for `--resume` to fail on again. (A resumed
        # crawl's state is the interrupted crawl's, and stays.)
        shutil.rmtree(job_dir, ignore_errors=True)
    summary = read_summary(db_path, run_id, len(targets), elapsed, job_dir)
    if not summary.resumable:
        shutil.rmtree(job_dir, ignore_errors=True)
    return summary


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


@contextmanager
def crawl_lock(db_path: Path) -> Iterator[None]:
    """Hold the catalogue's crawl lock, or raise CrawlError naming the process holding it.

    An exclusive, non-blocking `flock`: the check and the taking are one system call, so two
    crawls started at the same moment cannot both pass. The file is never deleted (deleting
    a lock file lets a third process lock a different inode); it holds the holder's pid.
    """
    fd = os.open(lock_path_for(db_path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise CrawlError(
            f"another crawl (process {holder}) is running on this catalogue; "
            "wait for it to end or stop it"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _effective_options(options: CrawlOptions, job_dir: Path) -> CrawlOptions:
    """The options to run with: a resumed crawl takes the interrupted crawl's (its `--set`
    overrides excepted)."""
    saved = job_dir / OPTIONS_FILE
    if options.resume:
        if not saved.exists():
            raise CrawlError(f"no interrupted crawl to resume for this catalogue ({job_dir})")
        if (options.tools or options.all_tools or options.max_pages or options.archive
                or options.replay or options.stale_days is not None):
            raise CrawlError(
                "--resume continues the interrupted crawl with its own tools, --max-pages, "
                "--stale-days, --archive and --replay; leave those out"
            )
        recorded = _recorded_options(saved)
        recorded.resume, recorded.settings = True, dict(options.settings)
        return recorded
    if options.replay is not None and not Path(options.replay).is_file():
        raise CrawlError(f"no archive to replay at {options.replay}")
    if options.archive and options.replay and Path(options.archive) == Path(options.replay):
        raise CrawlError("--archive and --replay must be different files")
    if options.max_pages is not None and options.max_pages < 1:
        raise CrawlError("--max-pages must be at least 1")
    if options.stale_days is not None and options.stale_days < 0:
        raise CrawlError("--stale-days must be 0 or more")
    return options


# Settings Scrapy reads as numbers with a decimal point although their default is whole.
READ_AS_FLOAT = {"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "EDCAT_STALE_DAYS"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def check_overrides(overrides: dict[str, str]) -> None:
    """Raise CrawlError naming the first `--set NAME=VALUE` whose value Scrapy (or edcat)
    could not read, instead of a traceback once the crawl starts. The reading follows the
    setting's default (crawler/settings.py, else Scrapy's): a bool, int, float or dict
    default is read with getbool / getint / getfloat / getdict, as Scrapy reads it. Settings
    without a default, or with a string or list one, take any value (LOG_LEVEL and
    EDCAT_EXTRACT_WORKERS excepted)."""
    if not overrides:
        return
    from scrapy.settings import Settings, default_settings

    from crawler import settings as edcat_settings

    settings = Settings()
    settings.setmodule(edcat_settings, priority="project")
    for name, value in overrides.items():
        if name == "LOG_LEVEL":
            if value not in logging.getLevelNamesMapping():
                raise CrawlError(
                    f"--set {name}={value}: {name} must be one of {', '.join(LOG_LEVELS)}"
                )
            continue
        if name == "EDCAT_EXTRACT_WORKERS" and value.strip() in ("", "auto"):
            continue
        if name == "EDCAT_ALLOWED_NETWORKS":
            _check_networks(name, value)
            continue
        default = getattr(edcat_settings, name, getattr(default_settings, name, None))
        reader = _reader(name, default)
        if reader is None:
            continue
        getter, expected = reader
        try:
            settings.set(name, value, priority="cmdline")  # a dict setting parses JSON here
            getattr(settings, getter)(name)
        except (ValueError, TypeError):
            raise CrawlError(f"--set {name}={value}: {name} must be {expected}") from None


def _check_networks(name: str, value: str) -> None:
    import ipaddress

    from scrapy.settings import Settings

    for network in Settings({name: value}).getlist(name):
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            raise CrawlError(
                f"--set {name}={value}: {name} must be networks such as 127.0.0.2/32, "
                f"separated by commas ({network!r} is not one)"
            ) from None


def _reader(name: str, default: Any) -> tuple[str, str] | None:
    """(the Settings getter that reads `name`, what its value must be), or None when any
    value will do."""
    if name == "EDCAT_EXTRACT_WORKERS":
        return "getint", "a whole number of worker processes, or auto"
    if isinstance(default, bool):
        return "getbool", "True or False (or 1 / 0)"
    if name in READ_AS_FLOAT or isinstance(default, float):
        return "getfloat", "a number"
    if isinstance(default, int):
        return "getint", "a whole number"
    if isinstance(default, dict):
        return "getdict", "a JSON object"
    return None


def check_archive_files(settings) -> None:
    """Raise CrawlError unless the replay file (EDCAT_REPLAY) is a readable WARC archive and
    the archive file (EDCAT_ARCHIVE) can be written: checked from the final settings, so a
    `--set EDCAT_REPLAY=...` is checked too."""
    from crawler.warc import NotWarcError, check_warc

    replay = settings.get("EDCAT_REPLAY")
    if replay:
        replay = Path(replay)
        if not replay.is_file():
            raise CrawlError(f"no archive to replay at {replay}")
        try:
            check_warc(replay)
        except NotWarcError as error:
            raise CrawlError(f"{replay} is not a WARC archive ({error})") from None
        except OSError as error:
            reason = error.strerror or error
            raise CrawlError(f"cannot read the archive to replay {replay}: {reason}") from None
    archive = settings.get("EDCAT_ARCHIVE")
    if archive:
        _check_writable(Path(archive))


def _check_writable(archive: Path) -> None:
    """The archive is a file (or can be one) in a folder that exists or can be created."""
    if archive.is_dir():
        raise CrawlError(f"--archive {archive} is a folder; name a file such as crawl.warc.gz")
    if archive.exists():
        if not os.access(archive, os.W_OK):
            raise CrawlError(f"--archive {archive} cannot be written (permission denied)")
        return
    folder = archive.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # WarcWriter creates the missing folders
    if not folder.is_dir():
        raise CrawlError(f"--archive {archive} cannot be created: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CrawlError(f"--archive {archive} cannot be created in {folder} (permission denied)")


def _close_replaced_run(db_path: Path, job_dir: Path) -> None:
    """A new crawl replaces an unfinished one's job state. A crawl that was killed left its
    run "running" with no figures: record it as interrupted, with what its frontier says it
    did, before the frontier goes."""
    run_id, stats = _frontier_tally(job_dir)
    if run_id is None:
        return
    catalogue = open_catalogue(db_path)
    try:
        with catalogue.session() as session:
            run = session.get(CrawlRun, run_id)
            if run is None or run.status != "running":
                return
        finish_crawl_run(catalogue, run_id, "interrupted", {**stats, "close_reason": "killed"})
    finally:
        catalogue.close()


def _frontier_tally(job_dir: Path) -> tuple[int | None, dict]:
    """The run id and tally the job's durable frontier holds (None, {} without one)."""
    from crawler.frontier import FRONTIER_FILE, FrontierStore

    path = job_dir / FRONTIER_FILE
    if not path.exists():
        return None, {}
    store = FrontierStore(path)
    try:
        return store.run_id, store.tally()
    finally:
        store.close()


def _recorded_options(saved: Path) -> CrawlOptions:
    """The options an interrupted crawl recorded; a damaged file is a CrawlError naming it."""
    try:
        return CrawlOptions.from_recorded(json.loads(saved.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise CrawlError(
            f"cannot resume: {saved} is damaged ({exc.__class__.__name__}); "
            "start the crawl again without --resume"
        ) from None


def _new_job_dir(options: CrawlOptions, job_dir: Path) -> None:
    """A new crawl replaces any interrupted one's job state, and records its options (whole
    or not at all: a crash while writing must not leave a half file for --resume)."""
    shutil.rmtree(job_dir, ignore_errors=True)
    job_dir.mkdir(parents=True)
    with atomic_path(job_dir / OPTIONS_FILE) as tmp:
        tmp.write_text(json.dumps(options.recorded(), indent=2), encoding="utf-8")


def resolve_targets(catalogue: Catalogue, options: CrawlOptions):
    """The tools to crawl, as ToolTargets; raises CrawlError when there are none."""
    from crawler.spiders import ToolTarget

    if options.all_tools:
        with catalogue.session() as session:
            tools = session.exec(
                select(Tool).where(Tool.homepage.is_not(None)).order_by(Tool.id)
            ).scalars().all()
    elif options.tools:
        tools = [find_tool(catalogue, ref) for ref in options.tools]
        missing = [t.name for t in tools if not t.homepage]
        if missing:
            raise CrawlError(f"no home page to crawl for: {', '.join(missing)}")
    else:
        raise CrawlError("name the tools to crawl with --tool NAME (repeatable) or use --all")
    if not tools:
        raise CrawlError("no tool in the catalogue has a home page to crawl")
    unique = {tool.id: tool for tool in tools}
    return [ToolTarget(t.id, t.name, t.homepage) for t in unique.values()]


def crawl_settings(db_path: Path, options: CrawlOptions, job_dir: Path):
    """Scrapy settings for this crawl: crawler/settings.py, the options, then `--set`."""
    return build_settings(
        options.settings,
        EDCAT_DB=str(db_path),
        EDCAT_CRAWL_OPTIONS=options.recorded(),
        EDCAT_MAX_PAGES=options.max_pages or EDCAT_MAX_PAGES,
        EDCAT_ALLOW_PRIVATE=options.allow_private,
        EDCAT_ARCHIVE=str(options.archive) if options.archive else None,
        EDCAT_ARCHIVE_APPEND=options.resume,
        EDCAT_REPLAY=str(options.replay) if options.replay else None,
        EDCAT_HOST_MAP=options.host_map or None,
        EDCAT_JOB_DIR=str(job_dir),
        EDCAT_STALE_DAYS=options.stale_days,
        USER_AGENT=user_agent(options.user_agent),
        HTTPCACHE_ENABLED=options.cache or None,
        HTTPCACHE_DIR=str(db_path.with_name(db_path.name + ".httpcache")),
    )


class _Relay:
    """Turns Scrapy's item_scraped signal into CrawlEvents (kept referenced: Scrapy's
    signals hold receivers weakly)."""

    def __init__(self, observer: Callable[[CrawlEvent], None]):
        self.observer = observer

    def item_scraped(self, item: Any) -> None:
        from crawler.items import PageItem, PageReobservedItem

        if isinstance(item, PageItem):
            self.observer(CrawlEvent("page", item.tool_id, item.url, item.kind))
        elif isinstance(item, PageReobservedItem):
            self.observer(CrawlEvent("page", item.tool_id, item.url, "not-modified"))
        else:
            self.observer(CrawlEvent("failure", item.tool_id, item.url, item.reason))


# Loggers whose warnings a user sees at any LOG_LEVEL: the storing thread saying it waits for
# a catalogue another process is writing (else the crawl would seem to hang without a word).
NOTICE_LOGGERS = ("crawler.pipelines",)


class _LevelOrNotice(logging.Filter):
    """Records at the crawl's LOG_LEVEL or above, and warnings of NOTICE_LOGGERS."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.level:
            return True
        return record.levelno >= logging.WARNING and record.name in NOTICE_LOGGERS


def _run_scrapy(settings, targets, observer, log_handler) -> tuple[int | None, float]:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders import ToolSpider

    if log_handler is not None:
        level = settings.get("LOG_LEVEL")
        level = level if isinstance(level, int) else logging.getLevelNamesMapping()[level]
        shown = min(level, logging.WARNING)
        log_handler.setLevel(shown)
        log_handler.addFilter(_LevelOrNotice(level))
        logging.getLogger().addHandler(log_handler)
        logging.getLogger().setLevel(shown)
    settings.set("LOG_INSTALL_ROOT_HANDLER", log_handler is None, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ToolSpider)
    relay = _Relay(observer) if observer else None
    if relay is not None:
        crawler.signals.connect(relay.item_scraped, signal=signals.item_scraped)
    process.crawl(crawler, targets=targets)
    process.start()
    elapsed = crawler.stats.get_value("elapsed_time_seconds") or 0.0
    return crawler.stats.get_value("edcat/crawl_run_id"), float(elapsed)


def read_summary(
    db_path: Path, run_id: int | None, tools: int, elapsed: float, job_dir: Path
) -> CrawlSummary:
    if run_id is None:
        raise CrawlError("the crawl did not start; see the log above")
    catalogue = open_catalogue(db_path)
    try:
        with catalogue.session() as session:
            run = session.get(CrawlRun, run_id)
            status, stats = run.status, dict(run.stats or {})
    finally:
        catalogue.close()
    if status == "running":  # its end could not be written (the catalogue stayed locked)
        status, stats = "interrupted", _frontier_tally(job_dir)[1]
    return CrawlSummary(
        run_id=run_id,
        status=status,
        tools_requested=tools,
        tools_visited=len(stats.get("tools_visited", [])),
        pages=stats.get("pages", 0),
        new=stats.get("new", 0),
        changed=stats.get("changed", 0),
        unchanged=stats.get("unchanged", 0),
        without_text=stats.get("without_text", 0),
        facts=stats.get("facts", 0),
        not_modified=stats.get("not_modified", 0),
        skipped_fresh=stats.get("skipped_fresh", 0),
        failed=dict(stats.get("failed", {})),
        elapsed_seconds=round(elapsed, 2),
        resumable=status == "interrupted" and job_dir.exists(),
        close_reason=stats.get("close_reason", ""),
    )
