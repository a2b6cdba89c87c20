"""Turn one fetched HTML page into structured content, without I/O.

``extract_page`` never raises on bad input: malformed markup, wrong or missing charsets,
empty documents, JS-only shells and invalid JSON-LD all give a ``PageContent`` whose
affected fields are simply empty. Crawled pages are hostile input and one bad page must
not stop a crawl.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import extruct
import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Extractor
from w3lib.encoding import html_to_unicode

from catalogue.urls import is_http_url


def _set(words: str) -> frozenset[str]:
    """A frozenset from space-separated words (keeps long vocabularies readable)."""
    return frozenset(words.split())


SYNTAXES = ("json-ld", "opengraph", "microdata")

# Below this many characters trafilatura has probably latched onto a fragment (a skip link,
# a cookie banner), so the visible body text is used instead when it is much longer.
MIN_MAIN_TEXT_CHARS = 200
# On pages with more elements than this trafilatura's heuristics take seconds (typical
# pages have a few thousand), so the visible text is used instead.
MAX_TRAFILATURA_ELEMENTS = 30_000

# Elements whose text a visitor never reads.
INVISIBLE_TAGS = (
    "head", "script", "style", "noscript", "template", "svg", "iframe", "object", "canvas",
)
BLOCK_TAGS = _set(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table td th tr ul"
)
ORGANIZATION_TYPES = _set(
    "Organization Corporation EducationalOrganization NGO LocalBusiness OnlineBusiness "
    "OnlineStore NonprofitOrganization GovernmentOrganization School CollegeOrUniversity "
    "Project ResearchOrganization"
)
OFFER_TYPES = frozenset({"Offer", "AggregateOffer"})

_WS = re.compile(r"\s+")
_PLAIN_AMOUNT = re.compile(r"^\d{1,12}(?:\.\d+)?$")
_LANG_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
# Control characters, lone surrogates and non-characters: invisible in a browser, and
# lxml refuses them in element text.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Terminal escape sequences whole, not just their ESC: "\x1b[31mred" would leave "[31mred".
_TERMINAL_SEQUENCES = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    "|\x1b\\][^\x07\x1b]{0,2048}(?:\x07|\x1b\\\\)?"  # OSC: window titles, hyperlinks
    "|\x9b[0-?]*[ -/]*[@-~]"  # the one-byte CSI
    "|\x1b[@-~]")  # other two-character escapes ("\x1bc" resets the terminal)
# A title or description longer than this is not one (a hostile page's 1 MB <title>).
MAX_TITLE_CHARS = 1_000


@dataclass(frozen=True)
class Offer:
    """A schema.org Offer: ``price`` is a normalised decimal string, ``currency`` ISO 4217."""

    price: str
    currency: str = ""
    name: str = ""


@dataclass(frozen=True)
class PageContent:
    """Everything edcat reads from one page. Empty values mean "not found"."""

    url: str
    title: str = ""
    meta_description: str = ""
    main_text: str = ""
    lang: str = ""
    opengraph: dict[str, str] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    microdata: list[dict[str, Any]] = field(default_factory=list)
    schema_types: list[str] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    organization: dict[str, Any] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- public API


def extract_page(
    html: str | bytes, url: str, *, content_type: str | None = None
) -> PageContent:
    """Extract a page. ``content_type`` is the HTTP header, used to decode bytes."""
    text = decode_html(html, content_type)
    root = _parse(text)
    if root is None:
        return PageContent(url=url)
    structured = _structured_data(root, url)
    jsonld = _flatten_jsonld(structured.get("json-ld", []))
    microdata = [item for item in structured.get("microdata", []) if isinstance(item, dict)]
    opengraph = _merge_opengraph(structured.get("opengraph", []))
    return PageContent(
        url=url,
        title=_title(root) or opengraph.get("og:title", ""),
        meta_description=_meta_description(root) or opengraph.get("og:description", ""),
        main_text=_main_text(root, url),
        lang=_lang(root, opengraph),
        opengraph=opengraph,
        jsonld=jsonld,
        microdata=microdata,
        schema_types=_schema_types(jsonld + microdata),
        offers=_offers(jsonld + microdata),
        organization=_organization(jsonld + microdata),
        links=_links(root, url),
    )


# Whitespace after . ! ? (or after one of them and a closing quote or bracket) and before
# a capital, a digit or a name written with a small first letter and a capital inside
# ("iPad", "eSafety"). The match starts with the whitespace (checked behind it, not before
# it) so that re can skip to the next whitespace quickly.
_SENTENCE_BREAK = re.compile(
    r"\s(?:(?<=[.!?]\s)|(?<=[.!?][\"'”’)\]]\s))\s*(?=[\"'“‘(\[]?(?:[A-Z0-9£$€]|[a-z]{1,3}[A-Z]))"
)
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "inc", "ltd",
                  "co", "no", "approx", "u.s", "u.k")
_ABBREVIATION = re.compile(
    rf"(?:\b(?:{'|'.join(map(re.escape, _ABBREVIATIONS))})\.|\b[A-Z]\.)$", re.IGNORECASE
)
# An abbreviation ends a sentence's text, so only this many characters before a break (the
# longest abbreviation, its dot and the character before it, for \b) need be searched.
_ABBREVIATION_REACH = max(map(len, _ABBREVIATIONS)) + 2
_BULLET = re.compile(r"^(?:[-*•·▪►]|\d{1,2}[.)])\s+")


def sentences(text: str) -> list[str]:
    """Split text into sentences: at line breaks, and after . ! ? before a capital or digit.

    Deliberately simple (no model): lines are the paragraphs and list items trafilatura
    emits, and common abbreviations (e.g., Dr., U.S.) do not end a sentence.
    """
    out: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", _WS.sub(" ", line).strip())
        if not line:
            continue
        start = 0
        for brk in _SENTENCE_BREAK.finditer(line):
            end = brk.start()
            abbreviation = _ABBREVIATION.search(line, max(start, end - _ABBREVIATION_REACH), end)
            # "No. 5" abbreviates number; "No. We never ..." answers a question
            if abbreviation and not (abbreviation.group().lower() == "no."
                                     and not line[brk.end():brk.end() + 1].isdigit()):
                continue
            out.append(line[start : brk.start()].strip())
            start = brk.end()
        out.append(line[start:].strip())
    return [s for s in out if s]


def normalise_amount(raw: object) -> str | None:
    """``"1,200.00"`` -> ``"1200"``, ``"£8.5"`` -> ``"8.50"``; ``None`` if not a plain amount.

    Negative numbers, ranges ("8-10"), exponents and words are not prices.
    """
    cleaned = re.sub(r"[\s$£€¥₹]|[A-Z]{3}", "", str(raw)).replace(",", "")
    if not _PLAIN_AMOUNT.match(cleaned):
        return None
    amount = Decimal(cleaned)
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.2f}"


def decode_html(html: str | bytes, content_type: str | None = None) -> str:
    """Decode bytes as a browser would: BOM, HTTP header, <meta charset>, then a guess.

    One repair on top of w3lib: a page that declares UTF-8 but holds Windows-1252 bytes
    (no valid multi-byte sequence at all) is decoded as Windows-1252 rather than turned
    into replacement characters.
    """
    if isinstance(html, str):
        text = html
    else:
        encoding, text = html_to_unicode(content_type, html)
        if "\ufffd" in text and encoding.replace("-", "") == "utf8" and _is_cp1252(html):
            text = html.decode("cp1252", errors="replace")
    return _NOT_XML_CHARS.sub("", _TERMINAL_SEQUENCES.sub("", text))


# --------------------------------------------------------------------------- parsing


def _is_cp1252(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return not _UTF8_MULTIBYTE.search(raw)
    return False


def _parse(text: str) -> lxml.html.HtmlElement | None:
    """Parse decoded HTML; ``None`` for a document with no elements."""
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _clean(value: object) -> str:
    """Whitespace collapsed, control characters dropped; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    return _WS.sub(" ", _NOT_XML_CHARS.sub("", _TERMINAL_SEQUENCES.sub("", value))).strip()


def _title(root: lxml.html.HtmlElement) -> str:
    for title in root.xpath("//title[not(ancestor::svg)]"):
        text = _clean(title.text_content())
        if text:
            return text[:MAX_TITLE_CHARS]
    return ""


def _meta_description(root: lxml.html.HtmlElement) -> str:
    for meta in root.xpath("//meta[@name]"):
        if meta.get("name", "").strip().lower() == "description":
            text = _clean(meta.get("content"))
            if text:
                return text[:MAX_TITLE_CHARS]
    return ""


def _lang(root: lxml.html.HtmlElement, opengraph: dict[str, str]) -> str:
    """The declared language, e.g. ``en`` or ``en-gb``; empty when none is declared."""
    candidates = [root.get("lang"), root.get("xml:lang")]
    for meta in root.xpath("//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-language":
            candidates.append(meta.get("content"))
    candidates.append(opengraph.get("og:locale"))
    for candidate in candidates:
        code = _clean(candidate).lower().replace("_", "-").split(",")[0].strip()
        if _LANG_CODE.match(code):
            return code
    return ""


# --------------------------------------------------------------------------- main text


def _main_text(root: lxml.html.HtmlElement, url: str) -> str:
    """Trafilatura (favouring recall), else the visible body text.

    Trafilatura is handed the tree already parsed (it works on a copy), and the visible
    text is only assembled when it is needed: most pages give trafilatura enough text.
    """
    if not has_visible_text(root):  # a JS-only shell: skip trafilatura and its error logs
        return ""
    if sum(1 for _ in root.iter()) > MAX_TRAFILATURA_ELEMENTS:
        return visible_text(root)
    try:
        main = trafilatura.extract(root, options=_trafilatura_options(url))
    except Exception:  # trafilatura has many internal failure modes on odd markup
        main = None
    main = (main or "").strip()
    if len(main) >= MIN_MAIN_TEXT_CHARS:
        return main
    visible = visible_text(root)
    return visible if len(visible) > 2 * len(main) else main


@cache
def _trafilatura_settings() -> Extractor:
    """Favouring recall, no comments, tables kept, no deduplication across pages."""
    return Extractor(output_format="txt", recall=True, comments=False, tables=True, dedup=False)


def _trafilatura_options(url: str) -> Extractor:
    """The settings for one page. Built once and copied: building them reads trafilatura's
    configuration file settings one by one, 2-3% of a page's extraction."""
    options = copy.copy(_trafilatura_settings())
    options.url = url or None  # what trafilatura sets from its url argument
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


def visible_text(root: lxml.html.HtmlElement) -> str:
    """Body text a reader sees, one line per block element; no scripts, styles, head."""
    lines = (_clean(line) for line in "".join(_visible_pieces(root)).splitlines())
    return "\n".join(line for line in lines if line)


def has_visible_text(root: lxml.html.HtmlElement) -> bool:
    """Whether ``visible_text(root)`` is not empty, stopping at the first visible word."""
    return any(_clean(piece) for piece in _visible_pieces(root))


def _visible_pieces(root: lxml.html.HtmlElement) -> Iterator[str]:
    """The pieces of text a reader sees, in order, with a line break at each block edge.

    Walks the tree without modifying it (element text may hold characters, decoded from
    entities like ``&#1;``, that lxml would refuse to write back).
    """
    body = root.find("body")
    top = body if body is not None else root
    hidden = 0  # depth inside an invisible element
    for event, element in etree.iterwalk(top, events=("start", "end", "comment", "pi")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event in ("comment", "pi"):  # its text is not shown; the text after it is
            if not hidden:
                yield element.tail or ""
        elif event == "start":
            if hidden or tag in INVISIBLE_TAGS:
                hidden += 1
            elif tag:
                if tag in BLOCK_TAGS:
                    yield "\n"
                yield element.text or ""
        elif hidden:  # the end of an element inside or at the edge of an invisible one
            hidden -= 1
            if not hidden and element is not top:
                yield element.tail or ""
        else:
            if tag in BLOCK_TAGS:
                yield "\n"
            if element is not top:
                yield element.tail or ""


# --------------------------------------------------------------------------- links


def _links(root: lxml.html.HtmlElement, url: str) -> list[tuple[str, str]]:
    """(absolute URL, anchor text) per distinct http(s) target, in document order."""
    base = url
    for base_href in root.xpath("//base/@href"):
        base = _join(url, base_href) or url
        break
    try:
        site = urlsplit(base)[:2]
    except ValueError:
        site = ("", "")
    cached = site[0] in ("http", "https") and bool(site[1])
    found: dict[str, str] = {}
    for anchor in root.xpath("//a[@href]"):
        href = anchor.get("href", "").strip()
        # "#..." stays on this page; "/#" and "x#" are script toggles (menus, modals).
        if not href or href.startswith("#") or href.endswith("#"):
            continue
        if cached and _SITE_WIDE_HREF.fullmatch(href):
            target = _join_site_wide(base, site, href)
        else:
            target = _join(base, href)
        if target is None:
            continue
        if not found.get(target):
            found[target] = _anchor_text(anchor)
    return list(found.items())


# Sites repeat their menus and footers on every page, and urljoin costs ~10 µs a link. An
# href that is an absolute URL or path ("https://...", "/pricing": printable ASCII, no "//"
# path) resolves to the same URL against any base of the same scheme and host, so its
# resolution is kept per (scheme, host) and computed once per site, not once per page.
_SITE_WIDE_HREF = re.compile(r"(?:https?://|/(?!/))[\x21-\x7e]*")
_SITE_WIDE_JOINS: dict[tuple[str, str, str], str | None] = {}
_MAX_SITE_WIDE_JOINS = 20_000


def _join_site_wide(base: str, site: tuple[str, str], href: str) -> str | None:
    """``_join(base, href)`` for a ``_SITE_WIDE_HREF``; ``site`` is the base's (scheme, host)."""
    key = (*site, href)
    if key not in _SITE_WIDE_JOINS:
        if len(_SITE_WIDE_JOINS) >= _MAX_SITE_WIDE_JOINS:
            _SITE_WIDE_JOINS.clear()
        _SITE_WIDE_JOINS[key] = _join(base, href)
    return _SITE_WIDE_JOINS[key]


def _join(base: str, href: str) -> str | None:
    try:
        target, _fragment = urldefrag(urljoin(base, href.strip()))
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    # is_http_url also refuses a port out of range ("http://a.example:99999/"), which the
    # frontier's canonical URL could not be made of
    return target if is_http_url(target) else None


def _anchor_text(anchor: lxml.html.HtmlElement) -> str:
    # most anchors hold only text, which needs no walk of the subtree
    text = _clean(anchor.text_content() if len(anchor) else anchor.text)
    if text:
        return text
    for attribute in ("aria-label", "title"):
        if _clean(anchor.get(attribute)):
            return _clean(anchor.get(attribute))
    for alt in anchor.xpath(".//img/@alt"):
        if _clean(alt):
            return _clean(alt)
    return ""


# --------------------------------------------------------------------------- structured data


def _structured_data(root: lxml.html.HtmlElement, url: str) -> dict[str, list]:
    """Run extruct once per syntax so one broken syntax cannot hide the others."""
    out: dict[str, list] = {}
    for syntax in SYNTAXES:
        try:
            result = extruct.extract(
                root, base_url=url or None, syntaxes=[syntax], uniform=True, errors="strict"
            )
            out[syntax] = list(result.get(syntax) or [])
        except Exception:  # extruct raises on any invalid block; recover below
            out[syntax] = _jsonld_per_block(root) if syntax == "json-ld" else []
    return out


def _jsonld_per_block(root: lxml.html.HtmlElement) -> list:
    """JSON-LD parsed block by block, skipping the invalid ones."""
    items: list = []
    for script in root.xpath("//script[@type]"):
        if "ld+json" not in script.get("type", "").lower():
            continue
        try:
            data = json.loads(script.text_content(), strict=False)
        except (ValueError, RecursionError):  # invalid, or nested too deep
            continue
        items.extend(data if isinstance(data, list) else [data])
    return items


def _flatten_jsonld(items: list) -> list[dict[str, Any]]:
    """Top-level JSON-LD nodes, with ``@graph`` members lifted to the top level."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten_jsonld(item))
        elif isinstance(item, dict) and "@graph" in item:
            graph = item["@graph"]
            out.extend(_flatten_jsonld(graph if isinstance(graph, list) else [graph]))
            rest = {k: v for k, v in item.items() if k not in ("@graph", "@context")}
            if rest:
                out.append(rest)
        elif isinstance(item, dict):
            out.append(item)
    return out


def _merge_opengraph(items: list) -> dict[str, str]:
    merged: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key == "@context":
                continue
            key = "og:type" if key == "@type" else key
            if isinstance(value, list):
                value = value[0] if value else ""
            if isinstance(value, str) and value.strip():
                merged.setdefault(key, value.strip())
    return merged


def _walk(node: object) -> Iterator[dict[str, Any]]:
    """Every dict nested anywhere in a JSON-LD / microdata structure."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _types(node: dict[str, Any]) -> set[str]:
    """``@type`` values as bare schema.org names (``http://schema.org/Offer`` -> ``Offer``)."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    names = set()
    for value in values:
        if isinstance(value, str) and value.strip():
            names.add(re.split(r"[/#:]", value.strip().rstrip("/"))[-1])
    return names - {""}


def _schema_types(items: list[dict[str, Any]]) -> list[str]:
    return sorted({name for node in _walk(items) for name in _types(node)})


def _first_str(value: object) -> str:
    """A string out of a JSON-LD value that may be a string, a list or an object."""
    if isinstance(value, list):
        return next((s for s in map(_first_str, value) if s), "")
    if isinstance(value, dict):
        return _first_str(value.get("url") or value.get("contentUrl") or value.get("@id"))
    return _clean(value) if isinstance(value, (str, int, float)) else ""


def _offers(items: list[dict[str, Any]]) -> list[Offer]:
    offers: list[Offer] = []
    for node in _walk(items):
        if not _types(node) & OFFER_TYPES:
            continue
        specs = node.get("priceSpecification")
        candidates = [node] + [s for s in _walk(specs) if isinstance(s, dict)]
        for candidate in candidates:
            raw = candidate.get("price", candidate.get("lowPrice"))
            price = normalise_amount(raw) if isinstance(raw, (str, int, float)) else None
            if price is None:
                continue
            currency = _first_str(candidate.get("priceCurrency") or node.get("priceCurrency"))
            offer = Offer(price=price, currency=currency.upper(), name=_first_str(node.get("name")))
            if offer not in offers:
                offers.append(offer)
            break
    return offers


def _organization(items: list[dict[str, Any]]) -> dict[str, Any]:
    """name / url / logo / sameAs of the first schema.org Organization with a name or url."""
    for node in _walk(items):
        if not _types(node) & ORGANIZATION_TYPES:
            continue
        org: dict[str, Any] = {}
        name = _first_str(node.get("name")) or _first_str(node.get("legalName"))
        for key, value in (
            ("name", name),
            ("url", _first_str(node.get("url"))),
            ("logo", _first_str(node.get("logo"))),
        ):
            if value:
                org[key] = value
        same_as = node.get("sameAs")
        same_as = same_as if isinstance(same_as, list) else [same_as]
        links = [_clean(s) for s in same_as if _clean(s)]
        if links:
            org["sameAs"] = links
        if "name" in org or "url" in org:
            return org
    return {}
