"""The page cache: whole anonymous pages kept while the catalogue is unchanged, and never a
signed-in page (it holds the user's name and CSRF token), in either direction."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from tests.test_web import csrf_of, sign_in
from tests.web_helpers import build_web_catalogue
from web import pages
from web.app import CONTENT_SECURITY_POLICY, create_app
from web.cache import PageCache


@pytest.fixture
def app(tmp_path):
    catalogue = build_web_catalogue(tmp_path / "web.db")
    yield create_app(catalogue)
    catalogue.close()


def visitor(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def cache_state(response) -> str | None:
    return response.headers.get("x-edcat-cache")


def test_an_anonymous_page_is_kept_with_its_headers(app):
    anonymous = visitor(app)
    first, second = anonymous.get("/?pricing=free"), anonymous.get("/?pricing=free")
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert second.text == first.text
    assert second.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert cache_state(anonymous.get("/?pricing=paid")) == "miss"  # the query is in the key


def test_a_signed_in_page_is_never_served_from_the_cache(app):
    anonymous, amira = visitor(app), visitor(app)
    anonymous.get("/tools/padlet")
    assert cache_state(anonymous.get("/tools/padlet")) == "hit"
    sign_in(amira)
    page = amira.get("/tools/padlet")
    assert cache_state(page) is None
    assert "Signed in as" in page.text and 'name="csrf_token"' in page.text


def test_a_signed_in_page_is_never_kept(app):
    amira, anonymous = visitor(app), visitor(app)
    sign_in(amira)
    assert 'name="csrf_token"' in amira.get("/?pricing=paid").text
    page = anonymous.get("/?pricing=paid")
    assert cache_state(page) == "miss"
    assert "Signed in as" not in page.text and 'name="csrf_token"' not in page.text


def test_a_commit_drops_kept_pages(app):
    anonymous, amira = visitor(app), visitor(app)
    assert "Reviewed by" not in anonymous.get("/tools/padlet").text
    sign_in(amira)
    form = {"question": "2", "answer": "Hosted in London.", "csrf_token": csrf_of(amira)}
    assert amira.post("/tools/padlet/reviews", data=form).status_code == 303
    page = anonymous.get("/tools/padlet")
    assert cache_state(page) == "miss" and "Reviewed by amira" in page.text


def test_a_forced_reload_and_an_error_are_rendered_afresh(app):
    anonymous = visitor(app)
    anonymous.get("/overview")
    forced = anonymous.get("/overview", headers={"Cache-Control": "no-cache"})
    assert cache_state(forced) == "miss"
    assert [cache_state(anonymous.get("/tools/no-such-tool")) for _ in range(2)] == ["miss"] * 2
    assert cache_state(anonymous.get("/login")) is None  # not a cached page at all


def test_paging_reuses_the_facet_counts(app, monkeypatch):
    calls = []

    def counting(catalogue, query):
        calls.append(query.offset)
        return real(catalogue, query)

    real = pages.facet_counts
    monkeypatch.setattr(pages, "facet_counts", counting)
    anonymous = visitor(app)
    texts = [anonymous.get(f"/?page_size=2&page={n}").text for n in (1, 2, 3)]
    assert len(calls) == 1
    assert all("6 tools" in text for text in texts)
    assert len({text for text in texts}) == 3


def run_cache(cache: PageCache, path: str = "/", cookie: bytes = b"") -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    headers = [(b"cookie", cookie)] if cookie else []
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers}
    asyncio.run(cache(scope, receive, send))
    return sent


def fake_app(headers: list[tuple[bytes, bytes]], body: bytes = b"page"):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app, calls


def test_a_response_that_sets_a_cookie_is_not_kept(tmp_path):
    app, calls = fake_app([(b"set-cookie", b"x=1")])
    cache = PageCache(app, tmp_path / "none.db", session_cookie="edcat_session")
    run_cache(cache), run_cache(cache)
    assert len(calls) == 2


def test_a_session_cookie_bypasses_the_cache(tmp_path):
    app, calls = fake_app([])
    cache = PageCache(app, tmp_path / "none.db", session_cookie="edcat_session")
    run_cache(cache)
    sent = run_cache(cache, cookie=b"theme=dark; edcat_session=abc")
    assert len(calls) == 2 and (b"x-edcat-cache", b"hit") not in sent[0]["headers"]
    run_cache(cache, cookie=b"theme=dark")
    assert len(calls) == 2  # another cookie is no reason to render again


def test_the_cache_keeps_to_its_size(tmp_path):
    app, calls = fake_app([], body=b"x" * 100)
    cache = PageCache(app, tmp_path / "none.db", session_cookie="s", max_bytes=250)
    for path in ("/tools/a", "/tools/b", "/tools/c", "/tools/a"):
        run_cache(cache, path)
    assert calls == ["/tools/a", "/tools/b", "/tools/c", "/tools/a"]  # a was dropped first
    assert cache.size <= 250
