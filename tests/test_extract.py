"""crawler.extract on real saved pages (sugarlabs.org, 2018 edtech homepages) and on
hand-written pages that break things (bad encodings, JS-only shells, invalid JSON-LD)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from crawler.extract import (
    Offer,
    PageContent,
    extract_page,
    has_visible_text,
    normalise_amount,
    sentences,
    visible_text,
)

HTML = Path(__file__).parent / "fixtures" / "html"
SUGAR = "https://www.sugarlabs.org/"


@cache
def page(relative: str, url: str) -> PageContent:
    return extract_page((HTML / relative).read_bytes(), url)


def sugar(name: str = "index.html") -> PageContent:
    path = "" if name == "index.html" else name.removesuffix(".html")
    return page(f"sugarlabs_www/{name}", SUGAR + path)


def homepage(domain: str) -> PageContent:
    return page(f"homepages-2018/{domain}.html", f"https://www.{domain}/")


def synthetic(name: str) -> PageContent:
    return page(f"synthetic/{name}", "https://lessonloop.example/page")


def squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- sugarlabs.org


def test_sugarlabs_index_head_metadata():
    p = sugar()
    assert p.url == SUGAR
    assert p.title == "Sugar Labs"
    assert p.meta_description == (
        "At Sugar Labs, we make FOSS tools that learners use to explore, discover, create, "
        "and reflect. We encourage our users to take responsibility for their learning."
    )
    assert p.lang == "en"
    assert p.opengraph["og:title"] == "Sugar Labs"
    assert p.opengraph["og:site_name"] == "Sugar Labs"
    assert p.opengraph["og:type"] == "website"
    assert p.opengraph["og:url"] == "https://sugarlabs.org/"


def test_sugarlabs_jsonld_organization():
    p = sugar()
    assert p.schema_types == ["Organization"]
    assert [item["@type"] for item in p.jsonld] == ["Organization"]
    assert p.organization == {
        "name": "Sugar Labs",
        "url": "https://sugarlabs.org/",
        "logo": "https://sugarlabs.org/assets/logo.png",
    }
    assert p.offers == []
    assert p.microdata == []


def test_sugarlabs_main_text_is_the_content_not_the_chrome():
    text = squash(sugar().main_text)
    # <p class="customColor"> in index.html, spread over lines and <em> tags in the source.
    assert (
        "Sugar Labs's unique mission is to cultivate a community of teachers and learners "
        "engaged in learn by doing" in text
    )
    assert "owlCarousel" not in text  # inline script
    assert "googleFonts" not in text  # <head>


def test_sugarlabs_about_page():
    p = sugar("about-us.html")
    assert p.title == "About Us - Sugar Labs"
    assert "501(c)(3)" in p.main_text


def test_sugarlabs_links_resolved_against_base_href():
    links = sugar().links
    urls = [url for url, _ in links]
    assert (SUGAR + "about-us", "About us") in links
    # one entry per URL, with the first non-empty anchor text (a <button> label here)
    assert (SUGAR + "music-blocks", "Learn about Music Blocks") in links
    assert ("https://wiki.sugarlabs.org/go/Mailing_Lists", "Join mailing list") in links
    # "/about-us/#mission": fragment stripped
    assert SUGAR + "about-us/" in urls
    assert all(url.startswith(("http://", "https://")) for url in urls)
    assert not any("#" in url for url in urls)
    assert len(urls) == len(set(urls))


def test_sugarlabs_links_resolve_against_page_url_when_base_is_relative():
    # <base href="/"> is relative: it resolves against wherever the page was fetched from.
    p = page("sugarlabs_www/students.html", "https://mirror.example.org/sugar/students")
    assert ("https://mirror.example.org/students", "For Students") in p.links


# --------------------------------------------------------------------------- 2018 homepages


def manifest() -> list[dict]:
    lines = (HTML / "homepages-2018" / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["domain"])
def test_homepage_title_and_metadata_match_manifest(entry):
    p = homepage(entry["domain"])
    assert p.title == entry["title"]
    assert bool(p.meta_description) == entry["has_meta_description"]
    assert bool(p.jsonld) == entry["has_jsonld"]


def test_kahoot_jsonld_and_microdata():
    p = homepage("kahoot.com")
    assert [item["@type"] for item in p.jsonld] == ["WebSite", "Organization"]
    assert {"WebSite", "Organization", "SearchAction", "WebPage", "VideoGame"} <= set(
        p.schema_types
    )
    assert p.schema_types == sorted(p.schema_types)
    assert p.organization["name"] == "Kahoot!"  # from legalName
    assert p.organization["url"] == "https://kahoot.com"
    assert "https://twitter.com/getkahoot" in p.organization["sameAs"]
    assert any(item.get("@type") == "WebPage" for item in p.microdata)
    assert ("https://kahoot.com/businesses/pricing/", "Pricing") in p.links


def test_desmos_title_description_and_text():
    p = homepage("desmos.com")
    assert p.title == "Desmos | Beautiful, Free Math"
    # <meta name="Description"> (capitalised) still counts
    assert p.meta_description == "Explore math with desmos.com, a free online graphing calculator"
    assert "Explore math with Desmos." in p.main_text
    assert ("https://www.desmos.com/about", "About") in p.links
    assert ("http://blog.desmos.com", "Des-Blog") in p.links


def test_edx_graph_is_flattened():
    p = homepage("edx.org")
    assert not any("@graph" in item for item in p.jsonld)
    assert p.jsonld[0]["@type"] == "Organization"
    assert p.organization["name"] == "edX"
    assert "https://twitter.com/edXOnline" in p.organization["sameAs"]


def test_starfall_crlf_page_without_metadata():
    p = homepage("starfall.com")
    assert p.title == "Starfall: Learn to Read with Phonics, Learn Mathematics"
    assert p.meta_description == ""
    assert p.opengraph == {}
    assert p.jsonld == [] and p.schema_types == []
    assert "Learn to Read" in p.main_text
    assert "\r" not in p.main_text


def test_wolframalpha_language_and_links():
    p = homepage("wolframalpha.com")
    assert p.lang == "en-us"
    assert ("https://products.wolframalpha.com/", "Products") in p.links


# --------------------------------------------------------------------------- hostile input


def test_js_only_page_gives_empty_text_not_an_error():
    p = synthetic("js-only.html")
    assert p.title == "Classroom App"
    assert p.main_text == ""
    assert "__INITIAL_STATE__" not in p.main_text
    assert p.links == []


def test_utf8_declared_but_cp1252_bytes_are_repaired():
    p = synthetic("cp1252-declared-utf8.html")
    assert p.title == "Café für Schüler"
    assert "“Smart” résumés for pupils – only £5 per month." in p.main_text
    assert "\ufffd" not in p.main_text


def test_charset_from_http_header():
    html = "<html><head><title>Élève</title></head><body><p>Prix : 5 €</p></body></html>"
    raw = html.encode("cp1252")
    p = extract_page(raw, "https://x.example/", content_type="text/html; charset=windows-1252")
    assert p.title == "Élève"
    assert "5 €" in p.main_text


def test_meta_charset_other_than_utf8():
    raw = '<meta charset="iso-8859-1"><title>Ni\xf1os</title><p>Espa\xf1ol</p>'.encode("latin-1")
    assert extract_page(raw, "https://x.example/").title == "Niños"


def test_utf8_bom_and_xml_declaration():
    raw = (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>'
        b"<html><head><title>\xc3\xa9t\xc3\xa9</title></head></html>"
    )
    assert extract_page(raw, "https://x.example/").title == "été"
    text = '<?xml version="1.0" encoding="utf-8"?><html><head><title>ok</title></head></html>'
    assert extract_page(text, "https://x.example/").title == "ok"


def test_malformed_html():
    p = synthetic("malformed.html")
    assert p.title == "Broken <b>markup</b> page"  # <title> content is text, tags included
    assert p.meta_description == "Unquoted"
    assert "First paragraph with an unclosed bold tag" in p.main_text
    assert "stray table cell" in p.main_text
    assert p.links == [
        ("https://lessonloop.example/features", "Features"),
        ("https://lessonloop.example/pricing", "See pricing"),  # img alt; #plans stripped
        ("https://other.example.net/about", "About them"),
    ]


def test_invalid_jsonld_block_does_not_hide_the_valid_ones():
    p = synthetic("invalid-jsonld.html")
    assert {"Organization", "WebSite", "Product", "Offer", "ImageObject"} <= set(p.schema_types)
    assert p.organization == {
        "name": "QuizHive",
        "url": "https://quizhive.example",
        "logo": "https://quizhive.example/logo.png",  # from an ImageObject
        "sameAs": ["https://www.linkedin.com/company/quizhive"],
    }
    assert p.offers == [Offer(price="49.50", currency="EUR", name="")]
    assert p.main_text == "QuizHive makes quizzes for classrooms."


def test_offers_nested_in_software_application():
    p = synthetic("pricing.html")
    assert p.schema_types == ["Offer", "SoftwareApplication"]
    assert p.offers == [
        Offer(price="8", currency="USD", name="Pro"),
        Offer(price="1200", currency="GBP", name="School"),
    ]
    assert p.lang == "en-gb"


@pytest.mark.parametrize(
    "html",
    ["", "   \n ", b"", b"\x00\x00", "<!-- only a comment -->", "<html></html>",
     "<html><body></body></html>", "<script type='application/ld+json'>{not json</script>",
     "<html><head><title>T</title><style>p{}</style></head><body><noscript>x</noscript>"],
)
def test_empty_documents_give_empty_content(html):
    p = extract_page(html, "https://x.example/")
    assert p.main_text == ""
    assert p.links == []
    assert p.jsonld == [] and p.schema_types == [] and p.offers == []


@pytest.mark.parametrize(
    "html",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\x00", "<<<>>>&&&;;", b"\xff\xfe\x00<\x00p",
     "<a href='http://[::1'>x</a><a href='http://exa mple.com/%%'>y</a>", "<p>" * 5000,
     "<div>" * 100_000 + "deep", '<script type="application/ld+json">' + "[" * 100_000,
     "<p>&#1;&#0;&#xD800;&#xFFFF;&#1114112;&#8;x</p>"],
)
def test_garbage_never_raises(html):
    p = extract_page(html, "not a url")
    assert isinstance(p.main_text, str)
    assert all(url.startswith("http") for url, _ in p.links)


def test_only_http_links_kept_and_base_element_honoured():
    html = """<html><head><base href="https://cdn.example.com/app/"></head><body>
      <a href="docs/intro">Intro</a> <a href="//other.example.org/x?y=1#z">Other</a>
      <a href="ftp://files.example.com/a">FTP</a> <a href="javascript:alert(1)">JS</a>
      <a href="mailto:a@b.c">Mail</a> <a href="#">Nothing</a> <a href="/menu#">Toggle</a>
      <a href="/docs/intro" aria-label="Intro again"></a></body></html>"""
    assert extract_page(html, "https://www.example.com/page").links == [
        ("https://cdn.example.com/app/docs/intro", "Intro"),
        ("https://other.example.org/x?y=1", "Other"),
        ("https://cdn.example.com/docs/intro", "Intro again"),
    ]


def test_links_with_a_port_out_of_range_are_dropped_not_fatal():
    """The frontier keys each link by its canonical URL, which such a port cannot give: one
    bad link used to fail the whole page (a traceback, and the page never stored)."""
    from catalogue.urls import canonical_url

    bad = ["http://example.com:99999/privacy", "http://a:b:c/", "//x.example:-1/", "http://x: 80/"]
    html = "".join(f'<a href="{href}">bad</a>' for href in bad) + '<a href="/privacy">ok</a>'
    links = extract_page(f"<html><body>{html}</body></html>", "https://quillo.example/").links
    assert links == [("https://quillo.example/privacy", "ok")]
    assert [canonical_url(url) for url, _ in links]


def test_terminal_escape_sequences_go_whole_and_titles_are_capped():
    """Stripping only ESC left "[31mRED[0m" and "]8;;http://evil" in titles and evidence."""
    title = "Evil \x1b[31mRED\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x9b2J done"
    html = (f"<html><head><title>{title}</title><meta name=description content='{'d' * 5000}'>"
            "</head><body><p>Body \x1b[1mbold\x1b[0m text \x1bc reset.</p></body></html>")
    page = extract_page(html, "https://quillo.example/")
    assert page.title == "Evil RED link done"
    assert page.main_text == "Body bold text reset."
    assert len(page.meta_description) == 1_000


def test_huge_pages_fall_back_to_visible_text():
    p = extract_page("<html><body>" + "<p>word</p>" * 40_000 + "</body></html>", "https://x/")
    assert p.main_text.split() == ["word"] * 40_000


def test_visible_text_skips_invisible_elements_and_keeps_text_around_them():
    root = lxml.html.document_fromstring(
        "<html><head><title>T</title></head><body>a<!-- note -->b<div>c<script>x()</script>d"
        "<noscript><p>enable JS</p></noscript>e</div>f<p>g&#1;h</p><span>i</span><span>j</span>"
        "<svg><title>logo</title></svg></body></html>"
    )
    assert visible_text(root) == "ab\ncde\nf\ngh\nij"


@pytest.mark.parametrize(
    ("body", "visible"),
    [
        ("<p>Hello</p>", True),
        ("<!-- a comment -->", False),
        ("<!-- a comment -->tail", True),
        ("<script>app()</script><noscript>enable JS</noscript>", False),
        ("<p> \n\t </p><div>&#1;&#2;</div>", False),
        ("<div><svg><text>logo</text></svg></div>z", True),
    ],
)
def test_has_visible_text_agrees_with_visible_text(body, visible):
    root = lxml.html.document_fromstring(f"<html><head><title>T</title></head><body>{body}</body>")
    assert has_visible_text(root) is visible
    assert bool(visible_text(root)) is visible


# --------------------------------------------------------------------------- helpers


def test_sentences():
    assert sentences("Free for teachers. Pro $8/month.") == ["Free for teachers.", "Pro $8/month."]
    assert sentences("Works with e.g. Google Classroom. Dr. Smith agrees!") == [
        "Works with e.g. Google Classroom.",
        "Dr. Smith agrees!",
    ]
    assert sentences("Heading\n- bullet one\n\n2) bullet two. Next one?") == [
        "Heading", "bullet one", "bullet two.", "Next one?",
    ]
    assert sentences('He said "Stop." Then left.') == ['He said "Stop."', "Then left."]
    assert sentences("Prices from £3. 50% off today") == ["Prices from £3.", "50% off today"]
    assert sentences("Use it on an iPad. eSafety matters. so on.") == [
        "Use it on an iPad.", "eSafety matters. so on.",
    ]
    assert sentences("Licence No. 1188. Do you sell data? No. We never do.") == [
        "Licence No. 1188.", "Do you sell data?", "No.", "We never do.",
    ]
    assert sentences("") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("8.00", "8"), ("1,200", "1200"), ("49.5", "49.50"), ("£12.99", "12.99"), (0, "0"),
     (12.5, "12.50"), ("USD 30", "30"), ("free", None), ("", None), ("-5", None),
     ("8-10", None), ("1e999999", None), ("NaN", None), ("Infinity", None), ("1.2.3", None)],
)
def test_normalise_amount(raw, expected):
    assert normalise_amount(raw) == expected
