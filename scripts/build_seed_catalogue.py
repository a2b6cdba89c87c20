"""Rebuild data/seed/tools.jsonl from the real public tool lists in ../shared/data/tools/.

edcat never reads ../shared at run time; this script is how the bundled seed catalogue was made,
so anyone with the shared folder can rebuild it and check every record's provenance.

    python scripts/build_seed_catalogue.py [--shared ../shared] [--out data/seed/tools.jsonl]

Education tools only: the merged education list (itself deduplicated by homepage domain, then
name), plus the UK school AI directory, Teacher-AI-Club and the 2026 teacher article list, merged
into it by homepage domain (or by name when a record has no homepage). Then records that are one
tool by registrable domain plus normalised name (`catalogue.identity`: Canva at canva.com/ and
canva.com/education/, Kahoot! at kahoot.com and kahoot.it) are merged, keeping every source and
the homepage each source gave. Facets that a source states outright (audience, phase, pricing)
are carried as `facts`, each naming the list that states it and linking to it when it can be
linked (the UK directory's repository is unknown, so its facts carry no URL).
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from catalogue.identity import DuplicateIndex  # noqa: E402

LICENCES = {
    "mnjkairi1-tech/my-new-repo": "no licence file",
    "KimaniBobby/learnplatform-covid19-impact-on-digital-learning-us": "CC-BY-SA-4.0",
    "whitmer/edu_apps": "MIT",
    "ilyesBoukraa/ai_tools_scraper": "no licence file",
    "autoventure-projects/ai-tools-dataset": "CC-BY-4.0",
    "kishawhite6-spec/Teacher-AI-Club": "no licence file",
    "shibley/aisotools": "no licence file",
}
UK_DIRECTORY = "UK school AI-tool directory (repository unknown)"

UK_AUDIENCE = {
    "teachers": "teachers",
    "students": "students",
    "parents": "parents",
    "senco": "teachers",
    "slt": "leaders",
    "admin": "admin",
}
GRADE_PHASES = {
    "k-12": ["primary", "secondary"],
    "early childhood": ["early-years"],
    "elementary": ["primary"],
    "middle": ["secondary"],
    "high school": ["secondary"],
    "higher ed": ["higher-education"],
    "k-6th grade": ["primary"],
    "7th-12th grade": ["secondary"],
    "postsecondary": ["higher-education"],
}
PRICING = {
    "free": "free",
    "freemium": "freemium",
    "free trial": "paid",
    "subscription": "paid",
    "paid": "paid",
    "usage based": "paid",
    "contact": "quote-only",
}
TAG = re.compile(r"<[^>]+>")


def clean_text(text: str | None) -> str:
    """Strip HTML tags and entities that some sources (the LTI app list) carry in descriptions."""
    if not text:
        return ""
    text = TAG.sub(" ", html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


def url_key(url: str | None) -> str:
    """Host without www. plus path without trailing slash: one key per page however spelt."""
    if not domain_of(url):
        return ""
    return domain_of(url) + urlsplit(url).path.rstrip("/").lower()


def is_root(url: str | None) -> bool:
    return bool(url) and urlsplit(url).path in ("", "/")


def domain_of(url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return ""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def parse_list(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if not value or value == "None":
        return []
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return [value]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def provenance(record: dict) -> dict:
    repo = record.get("source_repo")
    repo = None if repo in (None, "None") else repo
    source = {
        "repo": repo or UK_DIRECTORY,
        "path": record.get("source_path") if record.get("source_path") != "None" else None,
        "commit": record.get("source_commit"),
        "licence": LICENCES.get(repo or "", "no licence seen"),
    }
    if record.get("source_index_id"):
        source["index_id"] = str(record["source_index_id"])
    return {k: v for k, v in source.items() if v}


def load_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def new_tool(name: str, url: str | None) -> dict:
    url = url if url and url.startswith(("http://", "https://")) else None
    return {
        "name": name.strip(),
        "url": url,
        "description": "",
        "descriptions": [],
        "category": None,
        "sources": [],
        "facts": [],
    }


def add_description(tool: dict, text: str | None, repo: str) -> None:
    text = clean_text(text)
    if text and text not in [d["text"] for d in tool["descriptions"]]:
        tool["descriptions"].append({"text": text, "source": repo})


def add_unique(values: list[str], new: list[str]) -> None:
    values.extend(v for v in new if v not in values)


def add_fact(tool: dict, field: str, value: str, record: dict, stated: str) -> None:
    """A facet a source list states, with that list as evidence and provenance."""
    if any(f["field"] == field and f["value"] == value for f in tool["facts"]):
        return
    source = provenance(record)
    url = None
    if source.get("path") and source.get("commit") and source["repo"].count("/") == 1:
        url = f"https://github.com/{source['repo']}/blob/{source['commit']}/{source['path']}"
    tool["facts"].append(
        {
            "field": field,
            "value": value,
            "evidence": f"{source['repo']} lists {stated!r}",
            "source_url": url,
        }
    )


def merged_tools(shared: Path) -> list[dict]:
    tools = []
    for record in load_jsonl(shared / "tools_merged.jsonl"):
        tool = new_tool(record["name"], record.get("url"))
        for desc in record.get("descriptions", []):
            add_description(tool, desc.get("text"), desc.get("source_repo", ""))
        categories = record.get("categories") or []
        if categories:
            tool["category"] = categories[0].split(":", 1)[-1]
        tool["sources"] = [provenance(s) for s in record.get("sources", [])]
        tools.append(tool)
    return tools


class Index:
    """Finds an existing tool by homepage domain, then by lower-cased name.

    Domains match only between site roots: adobe.com/education and adobe.com/express are
    different products on one domain.
    """

    def __init__(self, tools: list[dict]):
        self.tools = tools
        self.by_domain = {domain_of(t["url"]): t for t in tools if is_root(t["url"])}
        self.by_url = {url_key(t["url"]): t for t in tools if url_key(t["url"])}
        self.by_name = {t["name"].lower(): t for t in tools}

    def find_or_add(self, name: str, url: str | None) -> dict:
        tool = self.by_domain.get(domain_of(url)) if is_root(url) else None
        tool = tool or self.by_url.get(url_key(url)) or self.by_name.get(name.strip().lower())
        if tool is None:
            tool = new_tool(name, url)
            self.tools.append(tool)
            if is_root(tool["url"]):
                self.by_domain[domain_of(tool["url"])] = tool
            if url_key(tool["url"]):
                self.by_url[url_key(tool["url"])] = tool
            self.by_name[tool["name"].lower()] = tool
        return tool


def merge_uk_directory(index: Index, shared: Path) -> None:
    for record in load_jsonl(shared / "tools_uk155.jsonl"):
        tool = index.find_or_add(record["name"], record.get("url"))
        add_description(tool, record.get("description"), UK_DIRECTORY)
        tool["category"] = tool["category"] or record.get("subcategory") or record.get("category")
        tool["sources"].append(provenance(record))
        for stated in parse_list(record.get("audience")):
            if UK_AUDIENCE.get(stated.lower()):
                add_fact(tool, "audience", UK_AUDIENCE[stated.lower()], record, stated)


def grade_phases(text: str) -> list[str]:
    phases: list[str] = []
    for part in re.split(r"\s*&\s*|,\s*", text.lower()):
        add_unique(phases, GRADE_PHASES.get(part.strip(), []))
    return phases


def add_pricing(tool: dict, record: dict) -> None:
    stated = record.get("pricing") or ""
    if PRICING.get(stated.lower()) and not any(
        f["field"] == "pricing_model" for f in tool["facts"]
    ):
        add_fact(tool, "pricing_model", PRICING[stated.lower()], record, stated)


def merge_teacher_ai_club(index: Index, shared: Path) -> None:
    for record in load_jsonl(shared / "tools_teacheraiclub.jsonl"):
        tool = index.find_or_add(record["name"], record.get("url"))
        uses = [record.get(f"use_case_{i}") for i in (1, 2, 3)]
        text = record.get("description") or ""
        if any(uses):
            text = f"{text}. Use cases: {', '.join(u for u in uses if u)}."
        add_description(tool, text, "kishawhite6-spec/Teacher-AI-Club")
        tool["category"] = tool["category"] or record.get("tool_type")
        tool["sources"].append(provenance(record))
        for phase in grade_phases(record.get("grade_level") or ""):
            add_fact(tool, "phase", phase, record, record["grade_level"])


def merge_teacher_article(index: Index, shared: Path) -> None:
    for record in load_jsonl(shared / "tools_teacherlist47k.jsonl"):
        tool = index.find_or_add(record["name"], record.get("url"))
        parts = [record.get("description"), "Best for: " + (record.get("best_for") or "")]
        add_description(tool, " ".join(p for p in parts if p), "shibley/aisotools")
        tool["category"] = tool["category"] or record.get("category")
        tool["sources"].append(provenance(record))
        add_pricing(tool, record)


def add_source_facets(tools: list[dict], shared: Path) -> None:
    """Pricing and phases stated by sources that the merged list folded away."""
    index = Index(tools)
    for name in ("tools_topai.jsonl", "tools_autoventure.jsonl"):
        for record in load_jsonl(shared / name):
            url = record.get("url")
            tool = index.by_domain.get(domain_of(url)) if is_root(url) else None
            tool = tool or index.by_name.get(record["name"].lower())
            if tool:
                add_pricing(tool, record)
    for record in load_jsonl(shared / "tools_eduapps_lti.jsonl"):
        tool = index.by_name.get(record["name"].lower())
        if tool:
            for level in parse_list(record.get("levels")):
                for phase in GRADE_PHASES.get(level.lower(), []):
                    add_fact(tool, "phase", phase, record, level)


def merge_duplicates(tools: list[dict]) -> list[dict]:
    """Fold each record into an earlier one that is the same tool (`catalogue.identity`)."""
    index: DuplicateIndex[dict] = DuplicateIndex()
    kept = []
    for tool in tools:
        earlier = index.find(tool["name"], tool["url"])
        if earlier is None:
            index.add(tool["name"], tool["url"], tool)
            kept.append(tool)
        else:
            merge_into(earlier, tool)
            index.add(tool["name"], tool["url"], earlier)
    return kept


def merge_into(keep: dict, other: dict) -> None:
    """Every source, description and fact of `other` joins `keep`. The homepage is a site root
    when either record has one; a source whose homepage is not kept says which one it gave."""
    url = keep["url"]
    if not url or (other["url"] and not is_root(url) and is_root(other["url"])):
        url = other["url"]
    for record in (keep, other):
        if record["url"] and record["url"] != url:
            for source in record["sources"]:
                source.setdefault("homepage", record["url"])
    keep["url"] = url
    for desc in other["descriptions"]:
        add_description(keep, desc["text"], desc["source"])
    keep["category"] = keep["category"] or other["category"]
    keep["sources"] += [s for s in other["sources"] if s not in keep["sources"]]
    keep["facts"] += [
        f
        for f in other["facts"]
        if not any((f["field"], f["value"]) == (k["field"], k["value"]) for k in keep["facts"])
    ]


def finalise(tool: dict) -> dict:
    texts = [d["text"] for d in tool["descriptions"]]
    tool["description"] = max(texts, key=len) if texts else ""
    tool["source"] = "; ".join(dict.fromkeys(s["repo"] for s in tool["sources"]))
    return tool


def build(shared: Path) -> list[dict]:
    index = Index(merged_tools(shared))
    merge_uk_directory(index, shared)
    merge_teacher_ai_club(index, shared)
    merge_teacher_article(index, shared)
    tools = merge_duplicates(index.tools)
    add_source_facets(tools, shared)
    return [finalise(t) for t in tools]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data/tools"))
    parser.add_argument("--out", type=Path, default=Path("data/seed/tools.jsonl"))
    args = parser.parse_args()
    tools = build(args.shared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for tool in tools:
            handle.write(json.dumps(tool, ensure_ascii=False) + "\n")
    print(f"wrote {len(tools)} tools to {args.out}")


if __name__ == "__main__":
    main()
