"""Precision and recall of the fact rules on a corpus of sentences with the facts they state.

The corpus (tests/fixtures/facts/sentences.jsonl by default) is JSON Lines, one sentence a
line: ``{"text": ..., "facts": {"field": ["value", ...]}, "group": ..., "product": ...}``.
``facts`` lists every fact the sentence states; ``{}`` says it states none (a trap).
``known`` says why the rules get a sentence wrong, where they do. ``product`` (default
``Quillo``) names the product whose page the sentence is on: the page is
``https://<product>.example/`` titled with the name, so "Quillo uses ..." has the vendor as
its subject. ``page`` (default ``/``) is the path of that page, for sentences whose
reading depends on the kind of page ("/security": a trust page's badges). Scores are per
(field, value) pair over all sentences.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalogue.errors import EdcatError
from catalogue.vocabulary import FACT_FIELDS
from crawler.extract import PageContent, normalise_amount
from crawler.facts import DECIMAL_COMMA, PERIOD_UNITS, Fact, extract_facts

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "facts" / (
    "sentences.jsonl"
)
DEFAULT_PRODUCT = "Quillo"
# A "yes" on these that the text does not state misleads a data protection officer most.
NEVER_FALSE_YES = ("gdpr", "coppa", "ferpa", "dpa_offered", "trains_on_user_data")

Pair = tuple[str, str]


@dataclass(frozen=True)
class Case:
    """One corpus sentence and the facts it states."""

    text: str
    expected: frozenset[Pair]
    product: str = DEFAULT_PRODUCT
    group: str = ""
    line: int = 0
    known: str = ""  # why the rules get this one wrong, if they do (a known limitation)
    page: str = "/"  # the path of the page on the product's site


@dataclass(frozen=True)
class Judgement:
    """The facts one real page states, as judged by hand."""

    url: str
    set: str
    expected: frozenset[Pair]


@dataclass
class FieldScore:
    field: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        stated = self.true_positives + self.false_negatives
        return self.true_positives / stated if stated else None


@dataclass
class Outcome:
    case: Case | Judgement  # a corpus sentence or a judged real page
    found: frozenset[Pair]

    @property
    def extra(self) -> frozenset[Pair]:
        return self.found - self.case.expected

    @property
    def missed(self) -> frozenset[Pair]:
        return self.case.expected - self.found


@dataclass
class Report:
    outcomes: list[Outcome]
    fields: dict[str, FieldScore] = field(default_factory=dict)

    @property
    def total(self) -> FieldScore:
        return _sum_scores(self.fields.values())

    @property
    def false_yes(self) -> list[tuple[Case, str]]:
        """(case, field) for each unstated "yes" on a NEVER_FALSE_YES field."""
        return [(o.case, name) for o in self.outcomes for name, value in o.extra
                if name in NEVER_FALSE_YES and value == "yes"]

    @property
    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.extra or o.missed]


def _read_text(path: Path, what: str) -> str:
    """The file's UTF-8 text; unreadable or not UTF-8, an EdcatError naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is fine
    except OSError as exc:
        raise EdcatError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise EdcatError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _json(text: str, where: str) -> object:
    """Parsed JSON, or an EdcatError naming ``where``: also for numbers too long for int()
    and nesting too deep for the parser, which json reports as other errors."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EdcatError(f"{where}: not JSON ({exc.msg})") from None
    except ValueError:  # int()'s digit limit, the one other error json.loads raises
        raise EdcatError(f"{where}: not JSON (a number too long to read)") from None
    except RecursionError:
        raise EdcatError(f"{where}: not JSON (nested too deeply)") from None


def _numbered_lines(path: Path, what: str) -> list[tuple[int, str]]:
    """The file's non-blank lines with their numbers; unreadable, an EdcatError."""
    lines = _read_text(path, what).splitlines()
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Case]:
    """The corpus's cases; a malformed line is an EdcatError naming file and line."""
    cases = [_case(line, f"{path}:{number}", number)
             for number, line in _numbered_lines(path, "corpus")]
    if not cases:
        raise EdcatError(f"{path}: no sentences in the corpus")
    return cases


def _case(line: str, where: str, number: int) -> Case:
    row = _json(line, where)
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not isinstance(
        row.get("facts"), dict
    ):
        raise EdcatError(f"{where}: expected an object with \"text\" and \"facts\"")
    expected = set()
    for name, values in row["facts"].items():
        if name not in FACT_FIELDS:
            raise EdcatError(f"{where}: unknown fact field {name!r}")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise EdcatError(f"{where}: facts.{name} must be a list of strings")
        expected |= {(name, value) for value in values}
    page = row.get("page", "/")
    if not isinstance(page, str) or not page.startswith("/"):
        raise EdcatError(f"{where}: page must be a path starting with \"/\"")
    return Case(row["text"], frozenset(expected), str(row.get("product") or DEFAULT_PRODUCT),
                str(row.get("group", "")), number, str(row.get("known", "")), page)


def page_for(case: Case) -> PageContent:
    """The one-sentence page the case is read from, on its product's own site."""
    slug = "".join(ch for ch in case.product.lower() if ch.isalnum()) or "product"
    return PageContent(url=f"https://{slug}.example{case.page}", title=case.product,
                       main_text=case.text)


def facts_of_case(case: Case) -> list[Fact]:
    return extract_facts(page_for(case))


def evaluate(cases: Iterable[Case]) -> Report:
    report = Report([])
    report.fields = {name: FieldScore(name) for name in FACT_FIELDS}
    for case in cases:
        found = frozenset((f.field, f.value) for f in facts_of_case(case))
        report.outcomes.append(_tally(report.fields, Outcome(case, found)))
    return report


def _tally(fields: dict[str, FieldScore], outcome: Outcome) -> Outcome:
    """Count the outcome's right, extra and missed facts into ``fields``."""
    for name, _value in outcome.found & outcome.case.expected:
        fields[name].true_positives += 1
    for name, _value in outcome.extra:
        fields[name].false_positives += 1
    for name, _value in outcome.missed:
        fields[name].false_negatives += 1
    return outcome


def _ratio(value: float | None) -> str:
    return "   -" if value is None else f"{value:.2f}"


def _table(fields: dict[str, FieldScore]) -> list[str]:
    """Per-field rows and their total (fits 80 columns)."""
    lines = [f"{'field':<22}{'stated':>7}{'found':>7}{'right':>7}{'precision':>11}{'recall':>8}"]
    rows = [s for s in fields.values() if s.true_positives + s.false_positives + s.false_negatives]
    for score in [*rows, _sum_scores(fields.values())]:
        if score.field == "all" and rows:
            lines.append("-" * 62)
        stated = score.true_positives + score.false_negatives
        found = score.true_positives + score.false_positives
        lines.append(f"{score.field:<22}{stated:>7}{found:>7}{score.true_positives:>7}"
                     f"{_ratio(score.precision):>11}{_ratio(score.recall):>8}")
    return lines


def format_report(report: Report, *, show_wrong: bool = False) -> str:
    """Per-field table (fits 80 columns); with ``show_wrong`` the sentences it got wrong."""
    lines = _table(report.fields)
    lines.append(f"{len(report.outcomes)} sentences, {len(report.wrong)} not exactly right")
    lines.append(f"false yes on {', '.join(NEVER_FALSE_YES)}: {len(report.false_yes)}")
    if show_wrong:
        for outcome in report.wrong:
            lines.append(f"line {outcome.case.line}: {outcome.case.text}")
            for label, pairs in (("  extra ", outcome.extra), ("  missed", outcome.missed)):
                if pairs:
                    lines.append(f"{label} " + ", ".join(f"{f}={v}" for f, v in sorted(pairs)))
    return "\n".join(lines)


# --------------------------------------------------------------------------- real pages
#
# Real vendor pages judged by hand ship as URLs and judgements only
# (tests/fixtures/facts/real-excerpts.json): their text may not be redistributed. Whoever
# has the texts (saved through the search tool, or crawled) scores the rules on them with
# `evaluate_pages`; the held-out sets in the README were measured this way.

DEFAULT_JUDGEMENTS = DEFAULT_CORPUS.parent / "real-excerpts.json"


@dataclass
class PageReport:
    outcomes: list[Outcome]
    fields: dict[str, FieldScore]
    unjudged: list[str]  # pages given whose URL has no judgement

    @property
    def total(self) -> FieldScore:
        return _sum_scores(self.fields.values())

    @property
    def false_yes(self) -> list[tuple[str, str]]:
        return [(o.case.url, name) for o in self.outcomes for name, value in o.extra
                if name in NEVER_FALSE_YES and value == "yes"]


def _sum_scores(scores: Iterable[FieldScore]) -> FieldScore:
    total = FieldScore("all")
    for score in scores:
        total.true_positives += score.true_positives
        total.false_positives += score.false_positives
        total.false_negatives += score.false_negatives
    return total


def comparable(name: str, value: str) -> str:
    """A value as judges and rules both write it. A price keeps currency, amount and
    period ("gbp 368/block" and "gbp 368" agree; "usd 12/seat/month" is "usd 12/month"):
    judges name per-what units in their own words."""
    if name != "price":
        return value
    amount, _, units = value.partition("/")
    currency, _, number = amount.partition(" ")
    if number:  # "eur 0.2" is "eur 0.20"; a judge's decimal comma "eur 1,50" is "eur 1.50"
        if DECIMAL_COMMA.fullmatch(number):
            number = number.replace(",", ".")
        amount = f"{currency} {normalise_amount(number) or number}"
    periods = [unit for unit in units.split("/") if unit in PERIOD_UNITS]
    return amount + (f"/{periods[-1]}" if periods else "")


def load_judgements(path: Path = DEFAULT_JUDGEMENTS) -> list[Judgement]:
    """The judged pages of a real-excerpts file; a malformed entry is an EdcatError."""
    doc = _json(_read_text(path, "judgements"), str(path))
    pages = doc.get("pages") if isinstance(doc, dict) else None
    if not isinstance(pages, list):
        raise EdcatError(f"{path}: expected a JSON object with a \"pages\" list")
    judgements = []
    for number, page in enumerate(pages, 1):
        where = f"{path}: page {number}"
        if not isinstance(page, dict) or not isinstance(page.get("url"), str):
            raise EdcatError(f"{where}: expected an object with \"url\" and \"judged\"")
        expected = _pairs(page.get("judged"), f"{where} ({page['url']})")
        judgements.append(Judgement(page["url"], str(page.get("set", "")), expected))
    return judgements


def _pairs(facts: object, where: str) -> frozenset[Pair]:
    if not isinstance(facts, dict):
        raise EdcatError(f"{where}: judged must be an object of field: [values]")
    pairs = set()
    for name, values in facts.items():
        if name not in FACT_FIELDS:
            raise EdcatError(f"{where}: unknown fact field {name!r}")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise EdcatError(f"{where}: {name} must be a list of strings")
        pairs |= {(name, comparable(name, value)) for value in values}
    return frozenset(pairs)


def load_pages(path: Path) -> list[PageContent]:
    """JSON Lines of {"url", "title", "text"}: the text of each page as it was judged."""
    pages = []
    for number, line in _numbered_lines(path, "pages"):
        row = _json(line, f"{path}:{number}")
        if not (isinstance(row, dict) and isinstance(row.get("url"), str)
                and isinstance(row.get("text"), str)):
            raise EdcatError(f"{path}:{number}: expected an object with \"url\" and \"text\"")
        pages.append(PageContent(url=row["url"], title=str(row.get("title") or ""),
                                 main_text=row["text"]))
    if not pages:
        raise EdcatError(f"{path}: no pages")
    return pages


def evaluate_pages(pages: Iterable[PageContent], judgements: Iterable[Judgement],
                   sets: Iterable[str] = ()) -> PageReport:
    """Score the rules on each page that has a judgement (of one of ``sets``, if given)."""
    wanted = set(sets)
    by_url = {j.url: j for j in judgements if not wanted or j.set in wanted}
    report = PageReport([], {name: FieldScore(name) for name in FACT_FIELDS}, [])
    for page in pages:
        judgement = by_url.get(page.url)
        if judgement is None:
            report.unjudged.append(page.url)
            continue
        found = frozenset((f.field, comparable(f.field, f.value)) for f in extract_facts(page))
        report.outcomes.append(_tally(report.fields, Outcome(judgement, found)))
    return report


def format_page_report(report: PageReport, *, show_wrong: bool = False) -> str:
    """The per-field table of ``format_report`` for real pages; wrong pages by URL."""
    wrong = [o for o in report.outcomes if o.extra or o.missed]
    lines = [*_table(report.fields),
             f"{len(report.outcomes)} judged pages, {len(wrong)} not exactly right"]
    if report.unjudged:
        count = len(report.unjudged)
        lines.append(f"{count} page{'s' if count != 1 else ''} without a judgement skipped")
    lines.append(f"false yes on {', '.join(NEVER_FALSE_YES)}: {len(report.false_yes)}")
    if show_wrong:
        for outcome in wrong:
            lines.append(outcome.case.url)
            for label, pairs in (("  extra ", outcome.extra), ("  missed", outcome.missed)):
                if pairs:
                    lines.append(f"{label} " + ", ".join(f"{f}={v}" for f, v in sorted(pairs)))
    return "\n".join(lines)


# --------------------------------------------------------------------------- unseen scores
#
# A set scores higher once rules have been fixed with it in view, so the figure that says how
# far to trust a field is each set's first one. real-excerpts.json keeps it per field for the
# sets scored that way (``scores[set].first.fields``); pooled, it needs no page text.

@dataclass
class UnseenReport:
    fields: dict[str, FieldScore]
    sets: list[str]
    pages: int
    false_yes: int

    @property
    def total(self) -> FieldScore:
        return _sum_scores(self.fields.values())


def unseen_scores(path: Path = DEFAULT_JUDGEMENTS) -> UnseenReport:
    """Every held-out set's per-field counts from the first time the rules read it, pooled."""
    doc = _json(_read_text(path, "judgements"), str(path))
    scores = doc.get("scores") if isinstance(doc, dict) else None
    if not isinstance(scores, dict):
        raise EdcatError(f"{path}: expected a JSON object with a \"scores\" object")
    report = UnseenReport({name: FieldScore(name) for name in FACT_FIELDS}, [], 0, 0)
    for name, score in scores.items():
        if not isinstance(score, dict):
            raise EdcatError(f"{path}: scores {name!r}: expected an object")
        first = score.get("first")
        if not isinstance(first, dict) or "fields" not in first:
            continue  # scored before per-field counts were kept
        try:
            for field_name, counts in first["fields"].items():
                if field_name not in report.fields:
                    raise ValueError(f"unknown fact field {field_name!r}")
                _add_counts(report.fields[field_name], counts)
            report.pages += _count(score["pages"], "pages")
            report.false_yes += _count(first["false_yes"], "false_yes")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EdcatError(f"{path}: scores {name!r}: malformed first-score counts"
                             f" ({exc.__class__.__name__}: {exc})") from None
        report.sets.append(name)
    return report


def _count(value: object, what: str) -> int:
    """A count as the file must give it: a whole number from 0 (not 2.9, "3" or true)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a whole number from 0, got {value!r}")
    return value


def _add_counts(score: FieldScore, counts: dict[str, int]) -> None:
    stated, found, right = (_count(counts[key], f"{score.field} {key}")
                            for key in ("stated", "found", "right"))
    if not 0 <= right <= min(stated, found):
        raise ValueError(f"{score.field}: right {right} of stated {stated}, found {found}")
    score.true_positives += right
    score.false_positives += found - right
    score.false_negatives += stated - right


def format_unseen_report(report: UnseenReport) -> str:
    """The pooled table with what it was measured on (fits 80 columns)."""
    if not report.sets:
        return "no set has first-score counts per field"
    intro = (f"First scores of {len(report.sets)} held-out sets ({_set_names(report.sets)}), "
             f"{report.pages} judged pages, each read by the rules of its day before a rule "
             "was changed with it in view: how often each field was right on pages the rules "
             "had not seen.")
    return "\n".join([
        textwrap.fill(intro, 78),
        *_table(report.fields),
        textwrap.fill(f"false yes at first reading on {', '.join(NEVER_FALSE_YES)}: "
                      f"{report.false_yes}", 78),
    ])


def _set_names(names: list[str]) -> str:
    """"M-P, R" for sets M, N, O, P and R: runs of one-letter names as ranges."""
    runs: list[list[str]] = []
    for name in names:
        last = runs[-1][-1] if runs else ""
        if len(name) == len(last) == 1 and ord(name) == ord(last) + 1:
            runs[-1].append(name)
        else:
            runs.append([name])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
