"""DPIA starter: the seven key risk questions of the 2024 trusts' report, answered per tool.

Each question is answered from the facts found on the vendor's own pages (origin `crawl`),
with the quote, source URL and date (`vendor-stated`); `not stated` when the crawled pages say
nothing (a question to put to the supplier, never a guessed answer); `not crawled` when no page
of the tool's site is stored yet, so nothing is known either way (the card gives the crawl
command to run); or `reviewed` when a person has recorded an answer, which then takes
precedence. "Not stated on 6 crawled pages" and "never looked" read very differently to a data
protection officer, so they are never one status.
"""

from __future__ import annotations

import os
from collections.abc import Container
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from catalogue.cards import ToolCard, find_tool, tool_card_in
from catalogue.db import Catalogue
from catalogue.errors import CatalogueError
from catalogue.escaping import markdown_code, markdown_link, markdown_text
from catalogue.history import HistoryEvent, tool_history_in
from catalogue.input_limits import checked_text
from catalogue.models import Review, utcnow
from catalogue.settings import stale_after_days
from catalogue.urls import is_http_url

VENDOR_STATED, NOT_STATED, NOT_CRAWLED, REVIEWED = (
    "vendor-stated",
    "not stated",
    "not crawled",
    "reviewed",
)
UNANSWERED = (NOT_STATED, NOT_CRAWLED)  # statuses that leave a question for the supplier


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    fields: tuple[str, ...]
    ask_supplier: str


QUESTIONS = (
    Question(
        1,
        "Have the relevant regulations been considered? (e.g. GDPR or EU AI Act)",
        ("gdpr", "coppa", "ferpa", "dpa_offered", "certification"),
        "Which data protection laws do you comply with (UK GDPR, EU AI Act), will you sign "
        "our data processing agreement, and which certifications do you hold?",
    ),
    Question(
        2,
        "Will the AI be collecting data and where will this data be shared and stored?",
        ("data_location", "retention", "trains_on_user_data"),
        "What data does the tool collect, where is it stored and processed, which "
        "sub-processors receive it, how long is it kept, and is it used to train AI models?",
    ),
    Question(
        3,
        "Will any sensitive data (such as personally identifiable information) be collected?",
        ("minimum_age",),
        "Which personal and special-category data about pupils and staff is collected, and "
        "what is the minimum age of users?",
    ),
    Question(
        4,
        "Have the intended users of the AI received training about the benefits and "
        "risks of using AI and best practice on how to mitigate the risks?",
        (),
        "What training or guidance do you provide for staff and pupils on the benefits, "
        "risks and safe use of the AI features?",
    ),
    Question(
        5,
        "Have all stakeholders been informed that AI is being used and consent obtained as needed?",
        (),
        "What information do you provide for parents and pupils about the AI features, "
        "and how is consent obtained where it is needed?",
    ),
    Question(
        6,
        "Does the use of AI align with your goals and is an evaluation plan in place?",
        (),
        "What evidence of impact do you have, and what data can the school use to "
        "evaluate the tool against its own goals?",
    ),
    Question(
        7,
        "Has the AI model being used been identified and checked for known risks?",
        ("ai_provider", "ai_generative", "ai_chatbot", "ai_adaptive"),
        "Which AI models and providers power the tool, and how are their known risks "
        "(bias, hallucination, misuse) mitigated?",
    ),
)


def question(number: int) -> Question:
    if not 1 <= number <= len(QUESTIONS):
        raise CatalogueError(f"question must be 1 to {len(QUESTIONS)}, got {number}")
    return QUESTIONS[number - 1]


@dataclass
class Answer:
    question: Question
    status: str
    facts: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] | None = None
    crawled_pages: int = 0  # the tool's stored pages that answered, when the card was made
    crawl_command: str | None = None  # for `not crawled`: how to get the pages

    @property
    def summary(self) -> str:
        """The status as a person should read it: "not stated on 3 crawled pages"."""
        if self.status == NOT_STATED:
            pages = "page" if self.crawled_pages == 1 else "pages"
            return f"not stated on {self.crawled_pages} crawled {pages}"
        if self.status == NOT_CRAWLED and self.crawl_command is None:
            return "not crawled: no homepage is recorded, so there is no site to read yet"
        if self.status == NOT_CRAWLED:
            return "not crawled: no page of the site is stored yet, so nothing is known"
        return self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question.number,
            "text": self.question.text,
            "status": self.status,
            "summary": self.summary,
            "crawled_pages": self.crawled_pages,
            "facts": self.facts,
            "review": self.review,
            "ask_supplier": self.question.ask_supplier if self.status in UNANSWERED else None,
            "crawl_command": self.crawl_command,
        }


@dataclass
class RiskCard:
    card: ToolCard
    answers: list[Answer]
    stale_days: int
    generated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        tool = self.card.tool
        return {
            "tool": {
                k: tool.get(k)
                for k in ("id", "name", "slug", "homepage", "description", "last_crawled")
            },
            "classification": self.card.classifications,
            "labels": self.card.labels,
            "crawled_pages": crawled_pages(self.card.pages),
            "crawl_command": crawl_command(self.card.tool),
            "answers": [a.as_dict() for a in self.answers],
            "facts": self.card.facts,
            "stale_after_days": self.stale_days,
            "generated_at": self.generated_at,
        }


def risk_card(catalogue: Catalogue, ref: str | int, stale_days: int | None = None) -> RiskCard:
    with catalogue.read_connection() as connection:  # one snapshot: card and reviews agree
        return risk_card_in(connection, catalogue, ref, stale_days)


def risk_card_with_history(
    catalogue: Catalogue, ref: str | int, stale_days: int | None = None
) -> tuple[RiskCard, list[HistoryEvent]]:
    """The risk card and the change history of one tool, read in one snapshot (the web
    catalogue's tool page shows both)."""
    with catalogue.read_connection() as connection:
        risk = risk_card_in(connection, catalogue, ref, stale_days)
        return risk, tool_history_in(connection, risk.card.tool["id"])


def risk_card_in(
    connection: Connection, catalogue: Catalogue, ref: str | int, stale_days: int | None = None
) -> RiskCard:
    """`risk_card` within an open connection."""
    days = stale_after_days(stale_days)
    card = tool_card_in(connection, catalogue, ref, stale_days=days)
    tool_id = card.tool["id"]
    reviews = _reviews_by_question(connection.execute(TOOL_REVIEWS, {"tool_id": tool_id}))
    answers = answer_questions(
        card.facts, reviews, crawled_pages(card.pages), crawl_command(card.tool)
    )
    return RiskCard(card, answers, days, datetime.now(UTC))


def crawled_pages(pages: list[dict[str, Any]]) -> int:
    """Stored pages that answered (a page now gone, 404 or 410, says nothing any more)."""
    return sum(1 for p in pages if (p.get("http_status") or 200) < 400)


def crawl_command(tool: dict[str, Any]) -> str | None:
    """The command that crawls this one tool (by slug, which is unique); None without a
    homepage, which a crawl needs to start from."""
    return f"edcat crawl --tool {tool['slug']}" if tool.get("homepage") else None


def answer_questions(
    facts: list[dict[str, Any]],
    reviews: dict[int, dict],
    pages: int,
    command: str | None = None,
) -> list[Answer]:
    """Answer each question from a tool's current facts (dicts with field, value, origin...),
    its current reviews by question number and how many of its pages are stored. Only facts
    from the vendor's pages count; with no pages, an unanswered question is `not crawled`."""
    vendor_facts = [f for f in facts if f["origin"] == "crawl"]
    unanswered = NOT_STATED if pages else NOT_CRAWLED
    answers = []
    for q in QUESTIONS:
        if q.number in reviews:
            answers.append(Answer(q, REVIEWED, [], reviews[q.number], pages))
            continue
        found = [f for f in vendor_facts if f["field"] in q.fields]
        status = VENDOR_STATED if found else unanswered
        answers.append(
            Answer(q, status, found, None, pages, command if status == NOT_CRAWLED else None)
        )
    return answers


def question_statuses(
    vendor_fields: AbstractSet[str], reviewed: Container[int], pages: int
) -> tuple[str, ...]:
    """The status of each question, as `answer_questions` gives it, from only what decides
    it: the fields of the tool's facts from its own pages (origin `crawl`), the numbers of
    the questions a person reviewed, and its stored pages. For exports of many tools, which
    need the statuses but not the Answer objects."""
    unanswered = NOT_STATED if pages else NOT_CRAWLED
    return tuple(
        REVIEWED
        if q.number in reviewed
        else VENDOR_STATED
        if not vendor_fields.isdisjoint(q.fields)
        else unanswered
        for q in QUESTIONS
    )


def current_reviews(catalogue: Catalogue, tool_id: int) -> dict[int, dict[str, Any]]:
    return all_current_reviews(catalogue, [tool_id]).get(tool_id, {})


def all_current_reviews(
    catalogue: Catalogue, tool_ids: list[int] | None = None
) -> dict[int, dict[int, dict[str, Any]]]:
    """Current reviews as {tool_id: {question: review}} (all tools when `tool_ids` is None)."""
    with catalogue.read_connection() as connection:
        return _current_reviews_in(connection, tool_ids)


_REVIEWS = Review.__table__.c
REVIEW_FIELDS = ("answer", "source_url", "reviewer", "created_at")  # in the table's order
CURRENT_REVIEWS = select(
    _REVIEWS.tool_id, _REVIEWS.question, *(_REVIEWS[name] for name in REVIEW_FIELDS)
).where(_REVIEWS.is_current.is_(True))


TOOL_REVIEWS = CURRENT_REVIEWS.where(_REVIEWS.tool_id == bindparam("tool_id"))  # built once


def _current_reviews_in(connection, tool_ids: list[int] | None) -> dict[int, dict[int, dict]]:
    stmt = CURRENT_REVIEWS
    if tool_ids is not None:
        stmt = stmt.where(_REVIEWS.tool_id.in_(tool_ids))
    by_tool: dict[int, list] = {}
    for row in connection.execute(stmt):
        by_tool.setdefault(row.tool_id, []).append(row)
    return {tool_id: _reviews_by_question(found) for tool_id, found in by_tool.items()}


def _reviews_by_question(rows) -> dict[int, dict[str, Any]]:
    """{question: review} from rows of CURRENT_REVIEWS."""
    return {row.question: {name: getattr(row, name) for name in REVIEW_FIELDS} for row in rows}


def review_answer(
    catalogue: Catalogue,
    ref: str | int,
    number: int,
    answer: str,
    source_url: str | None = None,
    reviewer: str | None = None,
) -> Review:
    """Record a person's answer to question `number`; it replaces any earlier review."""
    question(number)
    answer = checked_text("the answer", answer)
    if not answer:
        raise CatalogueError("the answer must not be empty")
    if source_url is not None and source_url.strip():
        source_url = checked_text("the source", source_url, "url")
        if not is_http_url(source_url):
            raise CatalogueError(f"the source must be an http(s) address, got {source_url!r}")
    else:
        source_url = None
    if reviewer is not None:
        reviewer = checked_text("the reviewer", reviewer, "name") or None
    tool = find_tool(catalogue, ref)
    with catalogue.writing() as session:
        session.exec(
            update(Review)
            .where(
                Review.tool_id == tool.id, Review.question == number, Review.is_current.is_(True)
            )
            .values(is_current=False)
        )
        review = Review(
            tool_id=tool.id,
            question=number,
            answer=answer,
            source_url=source_url,
            reviewer=reviewer or os.environ.get("USER") or "unknown",
            created_at=utcnow(),
        )
        session.add(review)
        return review


def risk_statuses(catalogue: Catalogue, ref: str | int) -> list[str]:
    """The status of each question, in order (for tables and exports)."""
    return [a.status for a in risk_card(catalogue, ref).answers]


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else str(value or "-")


def risk_markdown(risk: RiskCard) -> str:
    """A DPIA starter a data protection officer can file and edit. Every value from the
    catalogue is escaped (catalogue.escaping): vendor text stays text."""
    tool = risk.card.tool
    md = markdown_text
    lines = [
        f"# DPIA starter: {md(tool['name'])}",
        "",
        f"- Homepage: {_link(tool.get('homepage')) or 'unknown'}",
        f"- Description: {md(tool.get('description')) or 'none recorded'}",
        f"- Site last crawled: {_date(tool.get('last_crawled'))}; "
        f"{crawled_pages(risk.card.pages)} pages stored",
        f"- Generated by edcat on {_date(risk.generated_at)}; facts not re-observed for "
        f"{risk.stale_days} days are marked **stale**.",
        "",
        "## Classification",
        "",
    ]
    for label in risk.card.labels:
        lines.append(
            f"- {md(label['dimension'])}: **{md(label['label'])}** (label by "
            f"{md(label['annotator'])}, {_date(label['created_at'])})"
        )
    for c in risk.card.classifications:
        note = ", below the confidence threshold" if c["uncertain"] else ""
        lines.append(
            f"- {md(c['dimension'])}: **{md(c['label'])}** (confidence {c['confidence']:.2f}"
            f"{note}; model {md(c['model_version'])}, {_date(c['created_at'])})"
        )
    if not (risk.card.labels or risk.card.classifications):
        lines.append("- not classified yet")
    lines += ["", "## The seven key questions", ""]
    for a in risk.answers:
        lines += [f"### {a.question.number}. {a.question.text}", "", f"Status: **{a.status}**", ""]
        if a.status in UNANSWERED:
            lines += [f"{a.summary[0].upper()}{a.summary[1:]}.", ""]
        if a.review:
            url = a.review.get("source_url")
            source = f" (source: {_link(url)})" if url else ""
            lines += [
                f"> {md(a.review['answer'])}",
                "",
                f"Reviewed by {md(a.review['reviewer'])} on {_date(a.review['created_at'])}"
                f"{source}.",
                "",
            ]
        for f in a.facts:
            stale = " **stale**" if f.get("stale") else ""
            lines.append(
                f"- {markdown_code(f['field'])} = {markdown_code(f['value'])}: "
                f'"{md(f["evidence"])}" '
                f"({_link(f['source_url'])}, seen {_date(f['observed_at'])}{stale})"
            )
        if a.crawl_command:
            lines.append(f"Crawl the site first: `{a.crawl_command}`. Then, or meanwhile,")
        if a.status in UNANSWERED:
            lines.append(f"ask the supplier: {a.question.ask_supplier}")
        lines.append("")
    lines += [
        "## Facts found",
        "",
        "| field | value | evidence | source | seen | stale |",
        "|---|---|---|---|---|---|",
    ]
    for f in risk.card.facts:
        lines.append(
            f"| {md(f['field'])} | {md(f['value'])} | {md(f['evidence'])} | "
            f"{_link(f['source_url'])} | {_date(f['observed_at'])} | "
            f"{'yes' if f.get('stale') else ''} |"
        )
    open_questions = [a for a in risk.answers if a.status in UNANSWERED]
    lines += ["", "## Open questions for the supplier", ""]
    lines += [f"{a.question.number}. {a.question.ask_supplier}" for a in open_questions] or [
        "None: every question has a vendor statement or a review; check them."
    ]
    return "\n".join(lines) + "\n"


def _link(url: str | None) -> str:
    """A URL from the catalogue as a Markdown link (plain text unless it is http(s))."""
    return markdown_link(url, url) if url else ""
