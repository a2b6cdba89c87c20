"""What an import tells people must be true: each fact's source URL is the source that states
it, and one product listed twice (two spellings of its site, two lists) is one tool."""

from __future__ import annotations

import importlib.util
import json
import re
import socket

import pytest

from catalogue import import_tools
from catalogue.cards import find_tool
from catalogue.db import execute_sql
from catalogue.identity import DuplicateIndex, _extractor, registrable_domain, same_tool
from tests.conftest import REPO

SEED = REPO / "data" / "seed" / "tools.jsonl"
A = {"repo": "lists/a", "path": "a.csv", "commit": "1111111", "licence": "CC0"}
B = {"repo": "lists/b", "path": "b.csv", "commit": "2222222", "licence": "CC0"}
URL_A = "https://github.com/lists/a/blob/1111111/a.csv"
URL_B = "https://github.com/lists/b/blob/2222222/b.csv"


def write_jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def facts(catalogue, where="1"):
    return execute_sql(
        catalogue,
        f"SELECT field, value, evidence, source_url FROM facts WHERE {where} ORDER BY field, value",
    )


# --- 1. provenance per fact ----------------------------------------------------------------


def test_a_fact_without_its_own_url_gets_none_not_the_first_source(catalogue, tmp_path):
    record = {
        "name": "Tutorly",
        "url": "https://tutorly.example/",
        "sources": [A, {"repo": "a directory (repository unknown)", "index_id": "9"}],
        "facts": [
            {"field": "audience", "value": "teachers", "evidence": "the directory lists it"},
            {"field": "phase", "value": "primary", "evidence": "lists/a", "source_url": URL_A},
        ],
    }
    import_tools(catalogue, write_jsonl(tmp_path / "t.jsonl", record))
    assert facts(catalogue) == [
        ("audience", "teachers", "the directory lists it", None),
        ("phase", "primary", "lists/a", URL_A),
    ]


def test_a_facet_column_links_to_the_rows_source_only_when_it_has_one(catalogue, tmp_path):
    one = {
        "name": "One",
        "url": "https://one.example/",
        "sources": [A],
        "pricing": "free",
        "source": "lists/a",
    }
    two = {
        "name": "Two",
        "url": "https://two.example/",
        "sources": [A, B],
        "pricing": "paid",
        "source": "lists/a; lists/b",
    }
    import_tools(catalogue, write_jsonl(tmp_path / "t.jsonl", one, two))
    [(_, _, evidence_one, url_one), (_, _, evidence_two, url_two)] = facts(catalogue)
    assert (url_one, evidence_one.startswith("lists/a lists")) == (URL_A, True)
    # two sources, and the row does not say which one states the price: link to neither
    assert url_two is None and "lists/a" not in evidence_two and "line 2" in evidence_two


def _named_repo(evidence: str) -> str:
    return evidence.split(" lists ", 1)[0]


def test_every_fact_of_the_shipped_seed_links_to_the_list_that_states_it(catalogue):
    import_tools(catalogue, SEED)
    rows = facts(catalogue, "origin = 'import'")
    assert len(rows) > 1000
    misattributed = [
        row
        for row in rows
        if row[3] and not row[3].startswith(f"https://github.com/{_named_repo(row[2])}/blob/")
    ]
    assert misattributed == []
    # the UK directory's repository is unknown: its facts say so by carrying no URL at all
    unknown = [row for row in rows if "repository unknown" in row[2]]
    assert unknown and all(row[3] is None for row in unknown)
    linked = [row for row in rows if "repository unknown" not in row[2]]
    assert linked and all(re.match(r"https://github\.com/[^/]+/[^/]+/blob/", r[3]) for r in linked)


# --- 2. duplicates: registrable domain + normalised name ----------------------------------


def test_registrable_domain_uses_the_bundled_suffix_list_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to reach the network")

    _extractor.cache_clear()
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert registrable_domain("https://drive.google.com/start") == "google.com"
    assert registrable_domain("https://www.example.co.uk/about") == "example.co.uk"
    assert registrable_domain("https://tutor.github.io/app") == "tutor.github.io"  # private suffix
    assert registrable_domain("http://127.0.0.1:8000/") == "127.0.0.1"
    assert registrable_domain(None) is None
    _extractor.cache_clear()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("Kahoot!", "https://kahoot.com/"), ("Kahoot!", "https://kahoot.it"), True),
        (
            ("Formative", "https://www.formative.com/"),
            ("Formative", "http://goformative.com/"),
            True,
        ),
        (("Canva", "https://www.canva.com/education/"), ("Canva", "https://www.canva.com/"), True),
        (
            ("Google Drive", "https://drive.google.com/start"),
            ("Google Drive", "https://www.google.com/drive/"),
            True,
        ),
        (("MagicSchool.ai", "https://www.magicschool.ai/"), ("MagicSchool AI", None), True),
        (
            ("Google Drive", "https://drive.google.com/"),
            ("Google Docs", "https://docs.google.com/"),
            False,
        ),
        (("Quizzer", "https://quizzer.example/"), ("Quizzer", "https://learnhub.test/"), False),
    ],
)
def test_same_tool_rule(a, b, same):
    assert same_tool(*a, *b) is same
    assert same_tool(*b, *a) is same


def test_duplicates_in_one_file_merge_keeping_every_source_and_fact(catalogue, tmp_path):
    com = {
        "name": "Kahoot!",
        "url": "https://kahoot.com/",
        "sources": [A],
        "facts": [
            {
                "field": "pricing_model",
                "value": "freemium",
                "evidence": "lists/a",
                "source_url": URL_A,
            }
        ],
    }
    it = {
        "name": "Kahoot!",
        "url": "https://kahoot.it",
        "sources": [B],
        "facts": [
            {"field": "pricing_model", "value": "paid", "evidence": "lists/b", "source_url": URL_B}
        ],
    }
    result = import_tools(catalogue, write_jsonl(tmp_path / "k.jsonl", com, it))
    assert (result.added, result.merged) == (1, 1)
    [(homepage, provenance)] = execute_sql(catalogue, "SELECT homepage, provenance FROM tools")
    assert homepage == "https://kahoot.com/"
    sources = json.loads(provenance)
    assert [s["repo"] for s in sources] == ["lists/a", "lists/b"]
    assert sources[1]["homepage"] == "https://kahoot.it/"  # the homepage that list gave
    assert [(f[1], f[3]) for f in facts(catalogue)] == [("freemium", URL_A), ("paid", URL_B)]


def test_a_merged_tool_keeps_the_site_root_and_is_found_by_name(catalogue, tmp_path):
    edu = {"name": "Canva", "url": "https://www.canva.com/education/", "sources": [A]}
    root = {"name": "Canva", "url": "https://www.canva.com/", "sources": [B]}
    import_tools(catalogue, write_jsonl(tmp_path / "c.jsonl", edu, root))
    tool = find_tool(catalogue, "canva")  # was: "'canva' names 2 tools"
    assert tool.homepage == "https://www.canva.com/"
    assert [s.get("homepage") for s in tool.provenance] == ["https://www.canva.com/education", None]


def test_a_later_import_updates_the_same_tool_instead_of_adding_one(catalogue, tmp_path):
    deep = {
        "name": "edX",
        "url": "https://www.edx.org/professional-certificate",
        "sources": [A],
        "description": "Professional certificates.",
        "facts": [
            {"field": "audience", "value": "students", "evidence": "lists/a", "source_url": URL_A}
        ],
    }
    import_tools(catalogue, write_jsonl(tmp_path / "seed.jsonl", deep))
    archive = tmp_path / "archive.csv"
    archive.write_text("name,url,description\nedX,https://www.edx.org/,Online courses.\n")
    result = import_tools(catalogue, archive)
    assert (result.added, result.updated, result.merged) == (0, 1, 1)
    [(name, homepage, description, provenance)] = execute_sql(
        catalogue, "SELECT name, homepage, description, provenance FROM tools"
    )
    assert (name, homepage, description) == (
        "edX",
        "https://www.edx.org/",
        "Professional certificates.",
    )
    assert json.loads(provenance)[0]["repo"] == "lists/a"
    # a list merged in adds facts, it never retracts another list's
    assert [f[:2] for f in facts(catalogue, "retracted_at IS NULL")] == [("audience", "students")]
    again = import_tools(catalogue, write_jsonl(tmp_path / "seed.jsonl", deep))
    assert (again.added, again.updated) == (0, 0)  # re-importing both changes nothing
    assert import_tools(catalogue, archive).unchanged == 1


def test_different_products_on_one_domain_stay_apart(catalogue, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "name,url\nGoogle Drive,https://drive.google.com/\nGoogle Docs,https://docs.google.com/\n"
    )
    assert import_tools(catalogue, path).added == 2


def test_the_shipped_seed_has_no_duplicate_tools(catalogue):
    records = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    index: DuplicateIndex[str] = DuplicateIndex()
    duplicates = []
    for record in records:
        earlier = index.find(record["name"], record.get("url"))
        if earlier:
            duplicates.append((earlier, record["name"], record.get("url")))
        index.add(record["name"], record.get("url"), f"{record['name']} {record.get('url')}")
    assert duplicates == []
    result = import_tools(catalogue, SEED)
    assert result.merged == 0 and result.added == len(records)
    for name in ("canva", "kahoot", "khan academy", "formative", "google drive", "edx"):
        find_tool(catalogue, name)  # one tool each: no "names 2 tools"


# --- the seed builder ----------------------------------------------------------------------


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_seed_catalogue", REPO / "scripts" / "build_seed_catalogue.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tool(builder, name, url, repo, facts=()):
    tool = builder.new_tool(name, url)
    tool["sources"] = [{"repo": repo, "path": "t.csv", "commit": "1"}]
    tool["facts"] = [dict(f) for f in facts]
    builder.add_description(tool, f"{name} as {repo} describes it", repo)
    return tool


def test_the_builder_merges_duplicates_keeping_every_source():
    builder = _builder()
    price = {"field": "pricing_model", "value": "paid", "evidence": "b", "source_url": None}
    tools = [
        _tool(builder, "Canva", "https://www.canva.com/education/", "lists/a"),
        _tool(builder, "Google Docs", "https://docs.google.com/", "lists/a"),
        _tool(builder, "Canva", "https://www.canva.com/", "lists/b", [price]),
        _tool(builder, "Google Drive", "https://drive.google.com/", "lists/b"),
    ]
    merged = builder.merge_duplicates(tools)
    assert [(t["name"], t["url"]) for t in merged] == [
        ("Canva", "https://www.canva.com/"),
        ("Google Docs", "https://docs.google.com/"),
        ("Google Drive", "https://drive.google.com/"),
    ]
    canva = merged[0]
    assert [(s["repo"], s.get("homepage")) for s in canva["sources"]] == [
        ("lists/a", "https://www.canva.com/education/"),
        ("lists/b", None),
    ]
    assert len(canva["descriptions"]) == 2 and canva["facts"] == [price]


# Optional: the source lists, when a copy of them lies beside the clone (never needed to run).
SHARED_LISTS = (
    next(
        (p for p in (REPO.parent / "shared", REPO.parent.parent / "shared") if p.is_dir()),
        REPO.parent / "shared",
    )
    / "data"
    / "tools"
)


@pytest.mark.skipif(not SHARED_LISTS.is_dir(), reason="the source lists are not beside the repo")
def test_the_builder_rebuilds_the_shipped_seed_exactly():
    records = _builder().build(SHARED_LISTS)
    shipped = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    assert records == shipped


def test_two_records_of_one_list_file_keep_both_entries(catalogue, tmp_path):
    com = {"name": "Kahoot!", "url": "https://kahoot.com/", "sources": [A]}
    it = {"name": "Kahoot!", "url": "https://kahoot.it/", "sources": [A]}
    import_tools(catalogue, write_jsonl(tmp_path / "k.jsonl", com, it))
    [(provenance,)] = execute_sql(catalogue, "SELECT provenance FROM tools")
    assert [s.get("homepage") for s in json.loads(provenance)] == [None, "https://kahoot.it/"]
    newer = {**A, "commit": "3333333"}
    import_tools(catalogue, write_jsonl(tmp_path / "k.jsonl", {**com, "sources": [newer]}, it))
    [(provenance,)] = execute_sql(catalogue, "SELECT provenance FROM tools")
    # the re-imported record's entry moves to the newer commit; the other record's stays
    assert [(s["commit"], s.get("homepage")) for s in json.loads(provenance)] == [
        ("3333333", None),
        ("1111111", "https://kahoot.it/"),
    ]
