"""Issue 5 end to end: crawl local fixture sites with the real `edcat`, then read risk cards."""

from __future__ import annotations

import json

import pytest
from crawl_sites import serve, tools_csv

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--allow-private"]
STATED = {
    "gdpr": ("yes", "We are fully compliant with UK GDPR."),
    "data_location": ("uk", "All customer data is hosted in the UK."),
    "dpa_offered": ("yes", "A data processing agreement is available on request for every school."),
    "ai_provider": ("openai", "Our feedback features are powered by OpenAI."),
}


@pytest.fixture
def crawled(edcat, tmp_path):
    with serve("trusted-tutor", "no-privacy") as (tutor, spell):
        tools = tools_csv(
            tmp_path / "tools.csv", {"TrustedTutor": tutor.url(), "Spellstar": spell.url()}
        )
        edcat("tools", "import", str(tools))
        edcat("crawl", "--all", *FAST)
        yield edcat, tutor


def risk(edcat, tool: str) -> dict:
    return json.loads(edcat("tools", "risk", tool, "--format", "json").stdout)


def test_privacy_page_answers_four_facts_vendor_stated_rest_not_found(crawled):
    edcat, tutor = crawled
    card = risk(edcat, "TrustedTutor")
    status = {a["question"]: a["status"] for a in card["answers"]}
    assert status == {
        1: "vendor-stated",
        2: "vendor-stated",
        3: "not stated",
        4: "not stated",
        5: "not stated",
        6: "not stated",
        7: "vendor-stated",
    }
    facts = {f["field"]: f for a in card["answers"] for f in a["facts"]}
    assert set(facts) == set(STATED)
    for field, (value, quote) in STATED.items():
        assert facts[field]["value"] == value
        assert facts[field]["evidence"] == quote
        assert facts[field]["source_url"] == tutor.url("/privacy")
        assert facts[field]["observed_at"]
    for answer in card["answers"]:
        if answer["status"] == "not stated":
            assert answer["facts"] == [] and answer["ask_supplier"]
            assert answer["summary"] == f"not stated on {card['crawled_pages']} crawled pages"


def test_no_privacy_page_gives_seven_not_stated_never_not_crawled(crawled):
    edcat, _ = crawled
    card = risk(edcat, "Spellstar")
    assert card["crawled_pages"] >= 1
    assert [a["status"] for a in card["answers"]] == ["not stated"] * 7
    assert all(a["crawl_command"] is None for a in card["answers"])
    assert all(a["facts"] == [] for a in card["answers"])


def test_reviewed_answer_overrides_and_is_exported(crawled, tmp_path):
    edcat, tutor = crawled
    edcat(
        "tools",
        "review",
        "TrustedTutor",
        "--question",
        "7",
        "--answer",
        "GPT-4o via OpenAI's EU endpoint; bias review on file",
        "--source",
        "https://trust.example/dpia/trustedtutor",
        "--reviewer",
        "dpo",
    )
    card = risk(edcat, "TrustedTutor")
    assert card["answers"][6]["status"] == "reviewed"
    assert card["answers"][6]["review"]["reviewer"] == "dpo"
    out = tmp_path / "catalogue.jsonl"
    edcat("export", "--format", "jsonl", "--out", str(out))
    row = next(json.loads(line) for line in out.open() if '"TrustedTutor"' in line)
    assert row["dpia_q7"] == "reviewed" and row["dpia_q1"] == "vendor-stated"
    assert json.loads(row["dpia_reviews_json"])["7"]["source_url"].endswith("trustedtutor")
    markdown = edcat("tools", "risk", "TrustedTutor", "--format", "markdown").stdout
    assert "# DPIA starter: TrustedTutor" in markdown
    assert '"All customer data is hosted in the UK."' in markdown
    assert tutor.url("/privacy") in markdown


def test_two_tools_sharing_a_privacy_page_both_get_its_answers(edcat, tmp_path):
    """Two products on one host (like Khan Academy and Khanmigo) link to one privacy policy:
    each tool's crawl fetches it and each risk card quotes it."""
    with serve("trusted-tutor") as (tutor,):
        tools = tools_csv(
            tmp_path / "tools.csv",
            {"TrustedTutor": tutor.url(), "TrustedTutor Features": tutor.url("/features")},
        )
        edcat("tools", "import", str(tools))
        edcat("crawl", "--all", *FAST)
        privacy_requests = [hit for hit in tutor.hits if hit.path == "/privacy"]
    assert len(privacy_requests) == 2  # once per tool, not deduplicated away
    for name in ("TrustedTutor", "TrustedTutor Features"):
        card = risk(edcat, name)
        assert card["answers"][0]["status"] == "vendor-stated", name
        assert card["answers"][6]["facts"][0]["value"] == "openai", name
