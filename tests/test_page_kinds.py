"""crawler.page_kinds: page kinds and buyer link priorities, on hand-picked URLs and on the
real navigation links of the saved sugarlabs.org, remind.com and kahoot.com pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from catalogue.vocabulary import PAGE_KINDS
from crawler.extract import extract_page
from crawler.page_kinds import TOPICS, buyer_link_priority, page_kind

HTML = Path(__file__).parent / "fixtures" / "html"
SITE = "https://www.example.com"


@cache
def real_links(relative: str, url: str) -> dict[str, str]:
    """url -> anchor text of the links on a saved page."""
    return dict(extract_page((HTML / relative).read_bytes(), url).links)


def priority_of(topic: str) -> int:
    return next(t.priority for t in TOPICS if t.name == topic)


# --------------------------------------------------------------------------- page_kind


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "home"),
        ("", "home"),
        ("/index.html", "home"),
        ("/en-gb/", "home"),
        ("/?utm_source=newsletter", "home"),
        ("/pricing", "pricing"),
        ("/plans/", "pricing"),
        ("/buy-now", "pricing"),
        ("/get-a-quote", "pricing"),
        ("/subscribe", "pricing"),
        ("/for-schools/pricing", "pricing"),
        ("/privacy-policy", "privacy"),
        ("/legal/privacy", "privacy"),
        ("/data-protection", "privacy"),
        ("/gdpr", "privacy"),
        ("/security", "privacy"),
        ("/trust-center", "privacy"),
        ("/safeguarding", "privacy"),
        ("/dpa", "privacy"),
        ("/cookie-policy", "privacy"),
        ("/terms", "terms"),
        ("/terms-of-service", "terms"),
        ("/tos", "terms"),
        ("/legal", "terms"),
        ("/eula", "terms"),
        ("/about", "about"),
        ("/about-us", "about"),
        ("/company/team", "about"),
        ("/our-mission", "about"),
        ("/who-we-are", "about"),
        ("/features", "features"),
        ("/product/tour", "features"),
        ("/how-it-works", "features"),
        ("/solutions/assessment", "features"),
        ("/platform", "features"),
        ("/ai", "features"),
        ("/ai-lesson-planner", "features"),
        ("/for-teachers", "features"),
        ("/for-districts", "features"),
        ("/students", "features"),
        ("/fr/tarifs-pricing", "pricing"),  # language prefix stripped
        ("/blog/our-new-pricing", "other"),  # a blog post, whatever its title
        ("/careers", "other"),
        ("/events/2026/11/23", "other"),
        ("/sugar-lesson-plans", "other"),  # lesson plans are not pricing plans
        ("/contact-us", "other"),
        ("/maintain", "other"),  # "ai" only as a whole word
    ],
)
def test_page_kind_from_path(path, kind):
    assert page_kind(SITE + path) == kind


@pytest.mark.parametrize(
    ("url", "title", "anchor", "kind"),
    [
        # an uninformative path: the anchor text decides, then the title
        (SITE + "/p/1234", "", "Pricing & plans", "pricing"),
        (SITE + "/index.php?id=7", "", "Privacy notice", "privacy"),
        (SITE + "/node/42", "Terms and conditions | Acme", "", "terms"),
        (SITE + "/node/42", "Acme", "Meet the team", "about"),
        (SITE + "/node/42", "", "Click here", "other"),
        # the path wins over the anchor text
        (SITE + "/pricing", "", "About us", "pricing"),
        (SITE + "/about", "Pricing | Acme", "", "about"),
        (SITE + "/blog/post-1", "", "Pricing", "other"),
    ],
)
def test_page_kind_anchor_and_title_only_when_path_is_uninformative(url, title, anchor, kind):
    assert page_kind(url, title=title, anchor_text=anchor) == kind


def test_page_kinds_are_in_the_vocabulary():
    assert {t.kind for t in TOPICS} <= set(PAGE_KINDS)


def test_sugarlabs_navigation_kinds():
    links = real_links("sugarlabs_www/index.html", "https://www.sugarlabs.org/")
    kinds = {url: page_kind(url, anchor_text=text) for url, text in links.items()}
    assert links["https://www.sugarlabs.org/about-us"] == "About us"
    assert kinds["https://www.sugarlabs.org/about-us"] == "about"
    assert kinds["https://www.sugarlabs.org/"] == "home"
    assert kinds["https://www.sugarlabs.org/products"] == "features"
    assert kinds["https://www.sugarlabs.org/school-administrators"] == "features"
    assert kinds["https://www.sugarlabs.org/donate"] == "other"
    assert kinds["https://www.sugarlabs.org/event"] == "other"
    # the dated "/community/2024/12/03/..." post is linked only inside an HTML comment
    assert not any("/2024/" in url for url in links)


def test_remind_navigation_kinds():
    links = real_links("homepages-2018/remind.com.html", "https://www.remind.com/")
    plans = "https://www.remind.com/plans"
    assert page_kind(plans, anchor_text=links[plans]) == "pricing"
    assert page_kind("https://www.remind.com/how-it-works/teachers") == "features"


# --------------------------------------------------------------------------- buyer_link_priority


@pytest.mark.parametrize(
    ("url", "anchor"),
    [
        (SITE + "/events/2026/11/23", "Open evening"),
        (SITE + "/2024/05/01/we-launched", "Read more"),
        (SITE + "/blog/some-post", "Some post"),
        (SITE + "/blog/", "Blog"),
        (SITE + "/news/ai-update", "AI update"),
        (SITE + "/careers", "Join us"),
        (SITE + "/login", "Log in"),
        (SITE + "/users/sign_up", "Sign up free"),
        (SITE + "/cart", "Basket"),
        (SITE + "/search?q=pricing", "Search"),
        (SITE + "/?s=privacy", "Search"),
        (SITE + "/calendar/2026-11-23", "Events"),
        (SITE + "/docs/privacy-policy.pdf", "Privacy policy (PDF)"),
        (SITE + "/media/brochure.zip", "Brochure"),
        (SITE + "/img/team.jpg", "Team photo"),
        ("mailto:sales@example.com", "Contact sales"),
        ("tel:+441234567890", "Call us"),
        ("javascript:void(0)", "Menu"),
        ("https://twitter.com/example", "Twitter"),
        ("https://www.linkedin.com/company/example", "LinkedIn"),
        ("https://www.youtube.com/watch?v=abc", "Watch the tour"),
        ("https://apps.apple.com/app/id1", "App Store"),
        (SITE + "/fr/pricing", "Tarifs"),
        (SITE + "/de/", "Deutsch"),
        ("https://fr.example.com/pricing", "Pricing"),
        (SITE + "/pricing?lang=es", "Precios"),
        (SITE + "/", "Home"),
        (SITE + "/contact", "Contact"),
        (SITE + "/p/1234", "Log in"),
        (SITE + "/p/1234", "Click here"),
    ],
)
def test_links_not_worth_following(url, anchor):
    assert buyer_link_priority(url, anchor) is None


@pytest.mark.parametrize(
    ("url", "anchor", "topic"),
    [
        (SITE + "/pricing", "Pricing", "pricing"),
        (SITE + "/pricing", "", "pricing"),
        (SITE + "/en-gb/plans", "Plans", "pricing"),
        (SITE + "/privacy", "Privacy", "privacy"),
        (SITE + "/trust", "Trust centre", "privacy"),
        (SITE + "/security", "Security", "privacy"),
        (SITE + "/ai", "AI", "ai"),
        (SITE + "/features", "Features", "features"),
        (SITE + "/product", "Product", "features"),
        (SITE + "/for-schools", "For schools", "audience"),
        (SITE + "/teachers", "Teachers", "audience"),
        (SITE + "/about-us", "About", "about"),
        (SITE + "/terms", "Terms", "terms"),
        (SITE + "/faq", "FAQ", "faq"),
        (SITE + "/p/1234", "Pricing", "pricing"),  # path says nothing: the anchor decides
        (SITE + "/pricing", "Sign up", "pricing"),  # the path wins over a sign-up anchor
    ],
)
def test_buyer_links(url, anchor, topic):
    assert buyer_link_priority(url, anchor) == priority_of(topic)


def test_priority_order_is_the_buyers_order():
    order = ["pricing", "privacy", "ai", "features", "audience", "about", "terms", "faq"]
    priorities = [priority_of(topic) for topic in order]
    assert priorities == sorted(priorities)
    assert len(set(priorities)) == len(priorities)


def test_site_language_decides_what_is_a_duplicate():
    assert buyer_link_priority(SITE + "/fr/tarifs-pricing", "", site_lang="fr") == 0
    assert buyer_link_priority(SITE + "/en/pricing", "", site_lang="fr") is None
    assert buyer_link_priority(SITE + "/en/pricing", "") == 0


def test_sugarlabs_navigation_priorities():
    links = real_links("sugarlabs_www/index.html", "https://www.sugarlabs.org/")
    ranked = {
        url: p for url, text in links.items() if (p := buyer_link_priority(url, text)) is not None
    }
    assert ranked["https://www.sugarlabs.org/about-us"] == priority_of("about")
    assert ranked["https://www.sugarlabs.org/products"] == priority_of("features")
    assert ranked["https://www.sugarlabs.org/FAQ"] == priority_of("faq")
    for skipped in (
        "https://www.sugarlabs.org/",
        "https://www.sugarlabs.org/event",
        "https://www.sugarlabs.org/donate",
        "https://www.sugarlabs.org/contact-us",
    ):
        assert skipped in links and skipped not in ranked


def test_kahoot_navigation_priorities():
    links = real_links("homepages-2018/kahoot.com.html", "https://kahoot.com/")
    assert buyer_link_priority("https://kahoot.com/businesses/pricing/", "Pricing") == 0
    blog = "https://kahoot.com/blog/"
    assert buyer_link_priority(blog, links[blog]) is None
    social = [url for url in links if "twitter.com" in url or "facebook.com" in url]
    assert social and all(buyer_link_priority(url, links[url]) is None for url in social)
