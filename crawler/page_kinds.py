"""What kind of page a URL is, and which links a buyer needs a crawler to follow.

Both functions read the URL path as words ("/for-schools/Pricing_plans" -> "for schools
pricing plans") and match them against one ordered table of topics. The path wins; the
anchor text (then the page title) is only read when the path says nothing, as with
"/p/1234" or "/index.php?id=7".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from catalogue.vocabulary import PAGE_KINDS


def _set(words: str) -> frozenset[str]:
    """A frozenset from space-separated words (keeps long vocabularies readable)."""
    return frozenset(words.split())


@dataclass(frozen=True)
class Topic:
    """A family of pages: its page kind and its crawl priority (lower = fetch first)."""

    name: str
    kind: str
    priority: int
    pattern: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# Matching order: the first topic whose words appear wins, so specific pages ("/about/
# privacy", "/for-schools/pricing") beat the broad sections that contain them. The
# priorities are the buyer's order: cost, data protection, AI use, what it does, who it is
# for, who makes it, the contract, then FAQs.
TOPICS: tuple[Topic, ...] = (
    Topic("pricing", "pricing", 0, _words(
        "pricing", "prices?", r"(?<!lesson )plans?", "buy", "purchase", "subscribe",
        "subscriptions?", "quotes?", "get a quote", "request a quote", "upgrade", "premium",
        "membership", "licensing", "ways to join", "costs?",
    )),
    Topic("privacy", "privacy", 1, _words(
        "privacy", "data protection", "gdpr", "coppa", "ferpa", "security", "trust",
        "trust cent(?:er|re)", "safeguarding", "dpa", "cookies?", "student data",
        "sub ?processors?", "compliance", "responsible ai", "ai (?:policy|principles|charter)",
    )),
    Topic("terms", "terms", 6, _words(
        "terms", "tos", "legal", "conditions", "eula", "acceptable use", "policies",
        "licen[cs]e agreement", "imprint", "impressum",
    )),
    Topic("faq", "other", 7, _words("faqs?", "frequently asked questions")),
    Topic("ai", "features", 2, _words(
        "ai", "artificial intelligence", "genai", "gen ai", "generative ai", "machine learning",
        "chatbot", "copilot",
    )),
    Topic("about", "about", 5, _words(
        "about", "about us", "company", "team", "our team", "mission", "our mission",
        "who we are", "our story",
    )),
    Topic("audience", "features", 4, _words(
        r"(?:for )?(?:schools?|teachers?|students?|pupils|districts?|educators?|parents?|families"
        r"|administrators?|school leaders|leaders|trusts?|universities|higher ed(?:ucation)?"
        r"|k ?12|classrooms?|homeschool(?:ers|ing)?)",
    )),
    Topic("features", "features", 3, _words(
        "features?", "products?", "how it works", "solutions?", "platform", "tour",
        "product tour", "overview", "capabilities", "integrations?", "what is", "why us",
        "use cases?",
    )),
)

# Pages a buyer never needs; their presence in the path makes the page "other".
SKIP_WORDS = _words(
    "blogs?", "news", "newsroom", "press", "posts?", "careers?", "jobs?", "vacancies",
    "hiring", "log ?in", "sign ?in", "log ?out", "sign ?up", "register", "registration",
    "accounts?", "my account", "dashboard", "cart", "basket", "checkout", "search", "events?",
    "webinars?", "calendar", "tags?", "category", "categories", "author", "feed", "rss",
    "wp (?:login|admin|content|json)", "cdn cgi", "forums?", "downloads?", "podcasts?",
    "donate", "shop", "store", "newsletter", "unsubscribe",
)
SKIP_ANCHORS = _words(
    "log ?in", "sign ?in", "sign ?up", "register", "log ?out", "cart", "basket", "search",
    "read more", "donate",
)
DATE_IN_PATH = re.compile(r"/(?:19|20)\d{2}(?:/\d{1,2}(?:/|$)|-\d{2}-\d{2})")
FILE_EXTENSIONS = _set(
    "pdf zip gz tar rar 7z png jpg jpeg gif svg webp ico bmp tif tiff mp3 mp4 m4a mov avi "
    "webm wav doc docx xls xlsx ppt pptx odt ods csv dmg exe msi apk ics xml rss json css "
    "js woff woff2 ttf eot"
)
SOCIAL_HOSTS = _set(
    "facebook.com fb.com twitter.com x.com t.co linkedin.com instagram.com youtube.com "
    "youtu.be tiktok.com pinterest.com reddit.com threads.net wa.me whatsapp.com "
    "snapchat.com discord.gg discord.com vimeo.com flickr.com tumblr.com plus.google.com "
    "mastodon.social bsky.app medium.com apps.apple.com itunes.apple.com play.google.com "
    "chrome.google.com microsoftedge.microsoft.com"
)
# ISO 639-1 codes common as URL prefixes ("/fr/", "de.example.com", "?hl=es").
LANGUAGE_CODES = _set(
    "ar bg ca cs cy da de el en es et eu fa fi fr ga gl he hi hr hu id is it ja ko lt lv "
    "ms mt nb nl nn no pl pt ro ru sk sl sq sr sv sw th tr uk ur vi zh"
)
# Country / region prefixes of English sites ("/uk/", "/en-gb/", "/intl/").
ENGLISH_REGIONS = _set("uk gb us au ca ie nz za in sg global intl")
LANGUAGE_NAMES = _set(
    "english français francais deutsch español espanol italiano português portugues "
    "nederlands polski svenska dansk norsk suomi türkçe turkce čeština cymraeg gaeilge "
    "русский українська 中文 日本語 한국어 العربية עברית"
)
LANGUAGE_QUERY_KEYS = frozenset({"lang", "hl", "locale", "language", "lng"})
SEARCH_QUERY_KEYS = frozenset({"s", "q", "query", "search"})
# Query keys that do not change which page is shown (tracking, referrer, language).
HARMLESS_QUERY_KEYS = frozenset({"ref", "source", "gclid", "fbclid"}) | LANGUAGE_QUERY_KEYS
HOME_SEGMENTS = frozenset({"index.html", "index.htm", "index.php", "home", "default.aspx"})

_LANG_SEGMENT = re.compile(r"^([a-z]{2})(?:[-_][a-z]{2,4})?$")
_NON_WORD = re.compile(r"[^a-z0-9]+")

if not {t.kind for t in TOPICS} | {"home"} <= set(PAGE_KINDS):
    raise ValueError("a page kind in TOPICS is missing from catalogue.vocabulary.PAGE_KINDS")


# --------------------------------------------------------------------------- public API


def page_kind(url: str, title: str = "", anchor_text: str = "") -> str:
    """One of ``PAGE_KINDS`` for a page, from its URL path, else anchor text, else title."""
    segments = _segments(url)
    if segments is None:
        return "other"
    if _is_home(segments, _query(url)):
        return "home"
    path_words = _normalise(" ".join(segments))
    if SKIP_WORDS.search(path_words) or DATE_IN_PATH.search("/" + "/".join(segments)):
        return "other"
    for text in (path_words, _normalise(anchor_text), _normalise(title)):
        topic = _topic(text)
        if topic is not None:
            return topic.kind
    return "other"


CACHED_LINK_CHARS = 2_500  # longer links or anchors (rare, or hostile) are not cached


def buyer_link_priority(url: str, anchor_text: str, *, site_lang: str = "en") -> int | None:
    """How soon to fetch a link; see ``_link_priority``. A site's menus and footer repeat on
    every page it has, so the answer is cached per link."""
    if len(url) + len(anchor_text) > CACHED_LINK_CHARS:
        return _link_priority.__wrapped__(url, anchor_text, site_lang)
    return _link_priority(url, anchor_text, site_lang)


@lru_cache(maxsize=8192)
def _link_priority(url: str, anchor_text: str, site_lang: str) -> int | None:
    """How soon to fetch a link (0 = first), or ``None`` if a buyer gains nothing from it.

    ``None`` for: non-http(s) links, social networks and app stores, files, blog / news /
    careers / login / cart / search / event pages, dated paths, other-language copies
    (relative to ``site_lang``), the home page (the crawl's start page) and anything that
    is not one of the buyer topics in ``TOPICS``. The caller decides which hosts count as
    the vendor's site.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or _is_social(host):
        return None
    segments = _segments(url)
    if segments is None or _is_home(segments, parts.query) or _is_file(segments):
        return None
    if _other_language(host, parts.path, parts.query, anchor_text, site_lang):
        return None
    if {k.lower() for k, _ in parse_qsl(parts.query)} & SEARCH_QUERY_KEYS:
        return None
    path_words = _normalise(" ".join(segments))
    if SKIP_WORDS.search(path_words) or DATE_IN_PATH.search(parts.path):
        return None
    topic = _topic(path_words)
    if topic is None:
        anchor = _normalise(anchor_text)
        if SKIP_ANCHORS.search(anchor):
            return None
        topic = _topic(anchor)
    return None if topic is None else topic.priority


# --------------------------------------------------------------------------- helpers


def _normalise(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def _topic(words: str) -> Topic | None:
    if not words:
        return None
    return next((t for t in TOPICS if t.pattern.search(words)), None)


def _segments(url: str) -> list[str] | None:
    """Lower-case path segments without a leading language / region prefix."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    segments = [s for s in path.lower().split("/") if s]
    if segments and _language_prefix(segments[0]) is not None:
        segments = segments[1:]
    return segments


def _language_prefix(segment: str) -> str | None:
    """``"fr"`` for "fr" / "fr-ca" / "fr_FR", ``"en"`` for English regions like "uk"."""
    match = _LANG_SEGMENT.match(segment)
    if match is None:
        return None
    if segment in ENGLISH_REGIONS:
        return "en"
    return match.group(1) if match.group(1) in LANGUAGE_CODES else None


def _is_home(segments: list[str], query: str) -> bool:
    """The site root, unless a query selects a page ("/index.php?id=7" is a CMS page)."""
    if segments and not (len(segments) == 1 and segments[0] in HOME_SEGMENTS):
        return False
    keys = {key.lower() for key, _ in parse_qsl(query, keep_blank_values=True)}
    return all(key.startswith("utm_") or key in HARMLESS_QUERY_KEYS for key in keys)


def _query(url: str) -> str:
    try:
        return urlsplit(url.strip()).query
    except ValueError:
        return ""


def _is_file(segments: list[str]) -> bool:
    last = segments[-1] if segments else ""
    return "." in last and last.rsplit(".", 1)[1] in FILE_EXTENSIONS


def _is_social(host: str) -> bool:
    """The host or one of its parent domains is a social network or app store."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in SOCIAL_HOSTS for i in range(len(labels) - 1))


def _other_language(host: str, path: str, query: str, anchor: str, site_lang: str) -> bool:
    """True for a link to the same content in another language (a language switcher)."""
    wanted = site_lang.lower()[:2] or "en"
    if anchor.strip().lower() in LANGUAGE_NAMES:
        return True
    codes = []
    first_label = host.split(".")[0]
    if first_label in LANGUAGE_CODES and host.count(".") >= 2:
        codes.append(first_label)
    first_segment = next((s for s in path.lower().split("/") if s), "")
    codes.append(_language_prefix(first_segment))
    codes += [v.lower()[:2] for k, v in parse_qsl(query) if k.lower() in LANGUAGE_QUERY_KEYS]
    return any(code and code != wanted for code in codes)
