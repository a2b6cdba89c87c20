"""The web catalogue without a browser: pages, filters in the URL, downloads, API, safety headers,
and the rules for writing (login, CSRF, expiry)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from catalogue.models import WebSession, utcnow
from tests.web_helpers import HOSTILE_QUOTE, PASSWORD, build_web_catalogue
from web.app import CONTENT_SECURITY_POLICY, WebSettings, create_app


@pytest.fixture
def web_catalogue(tmp_path):
    catalogue = build_web_catalogue(tmp_path / "web.db")
    yield catalogue
    catalogue.close()


@pytest.fixture
def client(web_catalogue):
    with TestClient(create_app(web_catalogue), follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, name: str = "amira", password: str = PASSWORD):
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    return client.post(
        "/login", data={"name": name, "password": password, "login_csrf": token, "next": "/"}
    )


def csrf_of(client: TestClient, path: str = "/shortlists") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_browse_lists_tools_with_facet_counts(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "6 tools" in page.text
    assert 'href="/tools/padlet"' in page.text
    assert re.search(r'value="freemium"[^>]*>\s*freemium <span class="count">2</span>', page.text)


def test_filters_live_in_the_url_and_narrow_the_list(client):
    page = client.get("/?pricing=free&pricing=quote-only")
    names = set(re.findall(r'class="tool-link">([^<]+)<', page.text))
    assert {"Scratch", "Arbor MIS"} <= names
    assert not {"Kahoot!", "Padlet"} & names
    narrowed = client.get("/?fact=gdpr%3Dyes")
    assert re.findall(r'class="tool-link">([^<]+)<', narrowed.text) == ["Padlet"]
    assert "1 tool<" in narrowed.text


def test_unknown_filter_value_is_a_clear_400(client):
    page = client.get("/?pedagogy=behaviorist")
    assert page.status_code == 400
    assert "unknown pedagogy" in page.text and "behaviourist" in page.text


# superscript two, Arabic-Indic three, fullwidth one: str.isdigit() is true of each
@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A3", "%EF%BC%91"])
@pytest.mark.parametrize("path", ["/?page=", "/?page_size=", "/api/facets?page_size="])
def test_a_page_number_in_other_digits_is_a_400(client, path, value):
    page = client.get(path + value)
    assert page.status_code == 400, page.text
    assert "must be a whole number" in page.text


def test_a_filter_repeated_a_thousand_times_is_answered(client):
    query = "&".join(["audience=students"] * 1000 + ["fact=gdpr%3Dyes"] * 1000)
    for path in ("/?", "/api/tools?", "/api/facets?"):
        assert client.get(path + query).status_code == 200, path


def test_paging_keeps_the_filters(client):
    page = client.get("/?page_size=2&pricing=freemium&pricing=free")
    assert "page 1 of 2" in page.text
    assert 'href="/?page_size=2&amp;pricing=freemium&amp;pricing=free&amp;page=2"' in page.text


def test_tool_page_shows_untrusted_text_as_text(client):
    page = client.get("/tools/padlet")
    assert page.status_code == 200
    assert "<script>" not in page.text and "onerror=" not in page.text.replace("onerror=&#34;", "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert 'href="javascript:' not in page.text
    assert "javascript:alert(2)" in page.text  # shown, not linked
    assert "vendor-stated" in page.text and "DPIA starter" in page.text


def test_every_response_carries_a_strict_csp(client):
    for path in ("/", "/tools/padlet", "/overview", "/login", "/api/tools", "/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)", client.get("/tools/padlet").text)
    assert not re.search(r'\son\w+="', client.get("/").text)  # no inline event handlers


def test_dpia_downloads_markdown_and_word(client):
    markdown = client.get("/tools/padlet/dpia.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-disposition"] == 'attachment; filename="dpia-padlet.md"'
    assert "# DPIA starter: Padlet" in markdown.text
    word = client.get("/tools/padlet/dpia.docx")
    assert word.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(word.content)) as docx:
        body = docx.read("word/document.xml").decode()
    assert "DPIA starter: Padlet" in body
    assert "&lt;script&gt;" in body  # the vendor text is a plain run, escaped as XML


def test_compare_two_to_four(client):
    page = client.get("/compare?tool=padlet&tool=kahoot")
    assert page.status_code == 200 and "Compare 2 tools" in page.text
    assert client.get("/compare?tool=padlet").status_code == 400


def test_overview_has_the_purpose_by_pedagogy_matrix(client):
    page = client.get("/overview")
    assert "Purpose by implicit pedagogy" in page.text
    assert page.text.count("<svg") >= 8


def test_api_mirrors_the_library_and_describes_itself(client, web_catalogue):
    from catalogue import ToolQuery, query_tools

    body = client.get("/api/tools?pricing=freemium").json()
    expected = query_tools(web_catalogue, ToolQuery(pricing=["freemium"]))
    assert body["total"] == len(expected) == 2
    assert [t["slug"] for t in body["tools"]] == [t["slug"] for t in expected]
    assert client.get("/api/tools/padlet").json()["facts"][0]["field"] == "ai_generative"
    assert len(client.get("/api/tools/padlet/risk").json()["answers"]) == 7
    assert client.get("/api/tools/nothing").status_code == 404
    assert client.get("/api/tools?purpose=nope").json()["error"].startswith("unknown purpose")
    spec = client.get("/api/openapi.json").json()
    assert {"/api/tools", "/api/tools/{ref}", "/api/facets"} <= set(spec["paths"])


# --- writing needs a login -------------------------------------------------------------------


def test_no_write_without_login(client):
    assert client.post("/shortlists", data={"name": "x"}).status_code == 401
    review = {"question": "1", "answer": "Fine."}
    assert client.post("/tools/padlet/reviews", data=review).status_code == 401
    assert "Review this answer" not in client.get("/tools/padlet").text


def test_wrong_password_is_refused(client):
    response = sign_in(client, password="not the password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert "edcat_session" not in response.cookies
    assert sign_in(client, name="nobody").status_code == 401


def test_login_needs_its_form_token(client):
    response = client.post("/login", data={"name": "amira", "password": PASSWORD})
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite(client):
    response = sign_in(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback by default


def test_secure_cookies_when_asked(web_catalogue):
    app = create_app(web_catalogue, WebSettings(secure_cookies=True))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as https:
        assert "Secure" in sign_in(https).headers["set-cookie"]


def test_csrf_token_required_for_every_write(client):
    sign_in(client)
    assert client.post("/shortlists", data={"name": "x"}).status_code == 403
    bad = {"name": "x", "csrf_token": "forged"}
    assert client.post("/shortlists", data=bad).status_code == 403
    assert client.get("/api/shortlists").json() == []


def test_review_records_who_and_when(client, web_catalogue):
    from catalogue.risk import current_reviews

    sign_in(client)
    token = csrf_of(client, "/tools/padlet")
    form = {"question": "2", "answer": "Hosted in London (DPA clause 4).", "csrf_token": token}
    response = client.post("/tools/padlet/reviews", data=form)
    assert response.status_code == 303
    review = current_reviews(web_catalogue, 2)[2]
    assert review["reviewer"] == "amira" and review["created_at"] is not None
    assert "Reviewed by amira" in client.get("/tools/padlet").text


def test_shortlist_built_and_exported(client):
    sign_in(client)
    token = csrf_of(client)
    created = client.post("/shortlists", data={"name": "Year 7", "csrf_token": token})
    assert created.status_code == 303
    for tool in ("padlet", "scratch"):
        form = {"tool": tool, "csrf_token": token}
        assert client.post("/shortlists/Year 7/tools", data=form).status_code == 303
    csv_text = client.get("/shortlists/Year 7/export.csv").text
    assert "Padlet" in csv_text and "Scratch" in csv_text
    assert client.get("/api/shortlists/Year 7").json()["name"] == "Year 7"


def test_a_shortlist_name_that_cannot_be_an_address_is_refused(client):
    sign_in(client)
    created = client.post("/shortlists", data={"name": "KS2/KS3", "csrf_token": csrf_of(client)})
    assert created.status_code == 400 and "cannot contain" in created.text
    for path in ("/shortlists/KS2%2FKS3", "/api/shortlists/Nope", "/shortlists/Nope/export.md"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("path", ["/", "/tools/padlet", "/api/tools", "/api/facets"])
def test_head_is_answered_as_get_without_a_body(client, path):
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_blank_tool_pickers_are_left_out_of_a_comparison_on_both_front_ends(client):
    for path in ("/compare", "/api/compare"):
        assert client.get(path + "?tool=padlet&tool=&tool=scratch").status_code == 200, path
        refused = client.get(path + "?tool=padlet&tool=&tool=+")
        assert refused.status_code == 400 and "choose 2 to 4 tools" in refused.text, path


def test_a_wrong_method_says_which_are_allowed(client):
    answer = client.post("/api/tools")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_sessions_expire(client, web_catalogue):
    sign_in(client)
    assert "Signed in as" in client.get("/").text
    with web_catalogue.writing() as session:
        session.exec(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert "Signed in as" not in client.get("/").text
    assert client.post("/shortlists", data={"name": "late", "csrf_token": "x"}).status_code == 401


def test_sign_out_ends_the_session(client):
    sign_in(client)
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.post("/shortlists", data={"name": "x", "csrf_token": token}).status_code == 401


def test_login_redirect_stays_on_the_site(client):
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    data = {"name": "amira", "password": PASSWORD, "login_csrf": token, "next": "//evil.example/"}
    assert client.post("/login", data=data).headers["location"] == "/"


def test_hostile_quote_fixture_really_is_hostile():
    assert "<script>" in HOSTILE_QUOTE and "onerror" in HOSTILE_QUOTE


def test_page_cache_is_dropped_by_any_commit(web_catalogue):
    from catalogue.risk import review_answer
    from web.cache import ResultCache

    cache = ResultCache(web_catalogue.path)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get("k", compute) == 1
    assert cache.get("k", compute) == 1  # unchanged catalogue: served from the cache
    review_answer(web_catalogue, "padlet", 1, "Checked.", reviewer="test")
    assert cache.get("k", compute) == 2  # a commit elsewhere invalidates it


def test_page_cache_expires(web_catalogue):
    from web.cache import ResultCache

    cache = ResultCache(web_catalogue.path, max_age=0.0)
    assert cache.get("k", lambda: 1) == 1
    assert cache.get("k", lambda: 2) == 2
