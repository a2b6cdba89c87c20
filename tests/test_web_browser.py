"""The web catalogue in a real headless Chromium (Debian's, driven by Playwright).

`.ci/run` installs chromium and sets EDCAT_REQUIRE_BROWSER=1, so in CI a missing browser fails
these tests instead of skipping them. Set EDCAT_SCREENSHOTS=DIR to keep the screenshots the
README shows (docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from tests.web_helpers import PASSWORD, build_web_catalogue

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow

if not Path(CHROMIUM).exists():
    if os.environ.get("EDCAT_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"EDCAT_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The web app on a random loopback port, in a thread, over a fresh catalogue."""
    import uvicorn

    from web.app import create_app

    catalogue = build_web_catalogue(tmp_path_factory.mktemp("web") / "web.db", classify=True)
    port = _free_port()
    config = uvicorn.Config(create_app(catalogue), host="127.0.0.1", port=port, log_level="error")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(10)
    catalogue.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1200, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    page.close()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("EDCAT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def test_filter_by_facets_then_open_a_tool(server, page):
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "6 tools"
    _screenshot(page, "list.png")
    page.get_by_label("freemium").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/?*pricing=freemium*")
    assert page.locator("h1").inner_text() == "2 tools"
    page.get_by_role("link", name="Padlet", exact=True).click()
    page.wait_for_url("**/tools/padlet")
    assert page.locator("h1").inner_text() == "Padlet"
    _screenshot(page, "tool.png")


def test_crawled_script_shows_as_text_and_runs_nothing(server, page):
    page.goto(server + "/tools/padlet")
    page.wait_for_load_state("load")
    assert '<script>alert("x")</script>' in page.locator("table.facts").inner_text()
    assert page.locator("table.facts img").count() == 0
    assert page.dialogs == []
    assert page.locator("a[href^='javascript:']").count() == 0


def test_download_the_dpia_starter(server, page, tmp_path):
    page.goto(server + "/tools/padlet/dpia")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Word (.docx)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.name == "dpia-padlet.docx"
    with zipfile.ZipFile(saved) as docx:
        assert "DPIA starter: Padlet" in docx.read("word/document.xml").decode()


def _sign_in(page, server: str) -> None:
    page.goto(server + "/login")
    page.get_by_label("User name").fill("amira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as")


def test_log_in_and_add_a_review(server, page):
    _sign_in(page, server)
    page.goto(server + "/tools/kahoot")
    question = page.locator("#q2")
    question.locator("summary").click()
    question.get_by_label("Answer").fill("Data held in the EU; DPA signed 2026-11.")
    question.get_by_role("button", name="Save review").click()
    page.wait_for_url("**/tools/kahoot*")
    assert "Reviewed by amira" in page.locator("#q2").inner_text()


def test_build_a_shortlist(server, page):
    _sign_in(page, server)
    page.goto(server + "/shortlists")
    page.get_by_label("New shortlist").fill("Science KS3")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/shortlists/Science*")
    page.goto(server + "/tools/scratch")
    page.get_by_role("button", name="Add to Science KS3").click()
    page.wait_for_url("**/shortlists/Science*")
    assert page.get_by_role("link", name="Scratch").count() == 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    assert download_info.value.suggested_filename == "shortlist-science-ks3.csv"
