"""Evidence-backed facts from one page: regex rules over sentences, kept as data tables.

Every fact quotes the sentence that states it. The principles, each tested:

* No evidence, no fact: nothing is ever emitted by default, and a yes/no field is ``no``
  only when the vendor states the negative ("we never use student data to train AI").
* A vendor naming something is not evidence that it uses or has it. Before accepting a
  match, ``_negated`` looks at the match's clause (the text between punctuation or
  "but"/"while"/... around it): a negation or comparison cue before the match ("not",
  "never", "n't", "without", "unlike", "compared to", "better than", "instead of",
  "alternative to", "similar to", "working towards"...) or right after it ("ChatGPT alternative",
  "GDPR compliance is not...") rejects it. So "Unlike ChatGPT, our tutor..." and "not GDPR
  compliant" yield nothing, while "Unlike ChatGPT, we are powered by Claude" still yields
  anthropic. The check errs towards dropping a fact.
* Claims need their verb: gdpr / coppa / ferpa need a compliance word in the sentence,
  a DPA needs an offer word, an AI provider needs a use word ("powered by", "uses",
  "sub-processor"...), and ambiguous names (Claude, Gemini, Llama, Clever, Canvas) need
  context that they mean the AI model or the product.

Value formats (free-text fields; closed fields use the catalogue vocabulary):

* ``price``: ``"<iso-4217 lower> <amount>[/<unit>...]"``, amount without thousands
  separators and with ``.xx`` only when not whole: ``usd 12/month``, ``gbp 3/pupil/year``,
  ``eur 99``, ``gbp 1200/school/year``. ``$`` is read as USD (``A$``/``C$``/``NZ$`` are
  not). Units: month, year, week, day, term, user, seat, student, pupil, teacher, school,
  class, licence... A JSON-LD Offer without a currency gives the bare amount.
* ``pricing_model``: at most one per page. Free and charged signals on the same page
  make ``freemium`` (evidence: both sentences joined by " … "); a price implies ``paid``;
  a free trial alone is ``paid``; a schema.org Offer with price 0 is a free signal.
* ``data_location``: ``uk``, ``eu``, ``us``, ``canada``, ``australia``, ``new-zealand``,
  ``ireland``, ``germany``, ``india``, ``singapore``.
* ``certification``: ``iso-27001``, ``iso-27701``, ``iso-27017``, ``iso-27018``,
  ``iso-9001``, ``soc-2``, ``cyber-essentials``, ``cyber-essentials-plus``,
  ``student-privacy-pledge``, ``1edtech-trusted-app``, ``1edtech-data-privacy``, ``casa``,
  ``kidsafe``, ``ikeepsafe``,
  ``common-sense-privacy``, ``pci-dss``.
* ``integration``: ``google-classroom``, ``microsoft-teams``, ``clever``, ``classlink``,
  ``lti``, ``canvas``, ``wonde``, ``sso``, ``schoology``, ``moodle``, ``blackboard``,
  ``brightspace``, ``google-workspace``, ``microsoft-365``.
* ``ai_provider``: a ``catalogue.vocabulary.AI_PROVIDERS`` slug.
* ``minimum_age``: whole years as a string, ``"13"``.
* ``retention``: ``<n>-<unit>`` (``30-days``, ``1-year``, ``18-months``) or
  ``until-account-deleted`` or ``until-contract-termination``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

from catalogue.vocabulary import AI_PROVIDERS, FACT_FIELDS, PHASES
from crawler.extract import PageContent, normalise_amount, sentences

try:
    from re import _parser  # the parser behind re.compile, read by the rule pre-filter
except ImportError:  # pragma: no cover - moved: no pre-filter, every rule tried everywhere
    _parser = None


def _set(words: str) -> frozenset[str]:
    """A frozenset from space-separated words (keeps long vocabularies readable)."""
    return frozenset(words.split())


MAX_EVIDENCE = 300
# Text read per page. Far above any real pricing or privacy page; bounds the time a
# pathological page (a 10 MB dump) can take.
MAX_TEXT_CHARS = 300_000


@dataclass(frozen=True)
class Fact:
    field: str
    value: str
    evidence: str
    source_url: str


Deriver = Callable[[re.Match[str]], list[str]]


@dataclass(frozen=True)
class Rule:
    """A pattern that states ``field`` = ``value`` (or values derived from the match)."""

    field: str
    value: str | Deriver
    pattern: re.Pattern[str]
    requires: tuple[re.Pattern[str], ...] = ()  # each must also occur in the sentence
    guarded: bool = True  # reject matches in a negated / comparative clause
    checks: tuple[Callable[..., bool], ...] = ()  # scope checks beyond the field's own


def _cues(pattern: str) -> re.Pattern[str]:
    """A case-insensitive cue pattern for the scope checks (no word-boundary wrapping)."""
    return re.compile(pattern, re.IGNORECASE)


def _compile(pattern: str, *, bounded: bool = True) -> re.Pattern[str]:
    """Case-insensitive; ``bounded``: no word character right before or after the match."""
    if bounded:
        pattern = rf"(?<!\w)(?:{pattern})(?!\w)"
    return re.compile(pattern, re.IGNORECASE)


def _any(*patterns: str) -> re.Pattern[str]:
    return _compile("|".join(patterns))


def _table(
    field: str,
    table: dict[str, tuple[str, ...]],
    *requires: re.Pattern[str],
    guarded: bool = True,
) -> list[Rule]:
    return [
        Rule(field, value, _compile("|".join(patterns)), requires, guarded)
        for value, patterns in table.items()
    ]


# --------------------------------------------------------------------------- scope
#
# A match says *that* a name or a phrase occurs; scope says whether the sentence states it of
# this product. Each check below reads its own pattern tables and is listed, per field, in
# FIELD_SCOPE; a positive value is kept only if every check of its field accepts it (stated
# negatives come from explicit "we do not ..." patterns and skip the checks).


@dataclass(frozen=True)
class Claim:
    """One match in its sentence, with the names the page's own product goes by."""

    sentence: str
    start: int
    end: int
    value: str
    names: tuple[str, ...] = ()
    page: frozenset[str] = frozenset()  # PAGE_KINDS tags of the page the sentence is on
    lead: str = ""  # the list's lead-in ("AI helps:") when the sentence is one of its items

    @cached_property  # asked by most checks of a claim
    def before(self) -> str:
        """The sentence before the match, from the last strong break (; : ( ) on."""
        prefix = self.sentence[: self.start]
        cut = max(prefix.rfind(mark) for mark in ";:()")
        return prefix[cut + 1 :]

    @property
    def after(self) -> str:
        return self.sentence[self.end :]


# Who can be the subject of a claim. The vendor: "we", "our", "the platform", the product's
# name (added per page). Someone else: people, generic tools and other companies.
VENDOR_WORDS = (  # contracts name the vendor with capitalised defined terms
    r"(?-i:[Tt]he (?:Service Provider|Supplier|Processor|Vendor|Company|Provider))"
    r"|we|we['’](?:re|ve|ll)|our|ours|us|it|its|this (?:app|tool|platform|service|product"
    r"|software|site|website)|the (?:app|tool|platform|service|product|software|system"
    r"|assistant|tutor|site|website|company)"
)
PEOPLE = (
    r"students?|pupils?|learners?|teachers?|educators?|kids|children|young people|people"
    r"|users|parents|families|schools?(?! officials?)|districts|you|everyone|many|most|millions"
    r"|adults"
    r"|teenagers|teens|staff"
)
GENERIC_TOOLS = (
    r"(?:general|generic|general-purpose|consumer|public|popular|other|free|mainstream)"
    r"(?: AI)? (?:assistants|chatbots|tools|apps|models|platforms|products)"
    r"|(?:consumer|generic|general-purpose|public|free|standard|mainstream) AI"
    r"|assistants|chatbots|tools|apps|competitors|companies|AI companies|tech companies"
    r"|big tech|rivals"
)
THIRD_PARTIES = (
    r"sub-?processors?|vendors?|suppliers?|third[- ]part(?:y|ies)(?: \w+)?|service providers?"
    r"|hosting providers?|cloud providers?|(?:cloud |web )?hosts|cloud host|partners?|providers?"
    r"|AWS|Amazon Web Services"
    r"|Microsoft Azure|Google Cloud"
    r"|Anthropic|OpenAI|Mistral AI|Cohere"  # model providers: "<lab> has a DPA that complies"
    # a firm appointed under GDPR Article 27 meets its own duties, not the vendor's
    r"|(?:EU|UK|EEA) (?:GDPR |data protection )?representatives?"
)
CLIENTS = r"customers?|clients?|controllers?|organi[sz]ations?|institutions?|operators?"
HELPING_OTHERS = _cues(
    r"\b(?:help\w*|assist\w*|support\w*|enabl\w*|easier for|so that|responsib\w+"
    r"|ensur\w+ (?:\w+ ){0,2}?(?:schools?|your|customers?|clients?|districts?)['’]?)\b[^;:]*$",
)
# An "other" word after these is an object ("lets pupils", "for teachers"), not the subject.
OBJECT_POSITION = _cues(
    r"\b(?:for|lets?|allow\w*|help\w*|enabl\w*|empower\w*|giv(?:e|es|ing)|with|to|by|of|from"
    r"|support\w*|about|among|between|than|and|or|especially|particularly|notably|including"
    r"|such as|like|namely)\s+(?:(?:all|every|each|the|our|your|their"
    r"|busy|young|more|many|other)\s+){0,2}$"
    r"|\bas\s+an?\s+(?:[\w-]+\s+)?$",  # "registered as a data controller"
)
# "Pupils can chat with the tutor": people with a modal use the product; the claim stands.
USING_THE_PRODUCT = _cues(
    r"^\s+(?:\w+\s+)?(?:can|could|will|get|gets|receive|receives|are able to|have access to|may"
    r"|follows?|moves? through|works? through)\b",
)
OTHER_OWNERS = re.compile(  # "other chatbots", "popular chatbots": someone else's
    r"\b(?:other|popular|general|generic|consumer|public|these|such|many|most|some|free"
    r"|mainstream|existing|third-party)\s+(?:(?:types?|kinds?|forms?|sorts?) of\s+)?"
    r"(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
USED_BY_OTHERS = re.compile(  # "ChatGPT, now used by most pupils, ..."
    rf"^\W*(?:\w+\s+){{0,3}}?(?:(?:is|are|was|were)\s+)?(?:\w+\s+)?(?:used|popular|loved|adopted)"
    rf"\s+(?:by|with|among)\s+(?:\w+\s+){{0,2}}?(?:{PEOPLE})\b",
    re.IGNORECASE,
)


_POSSESSED = (r"(?!['’]?s?['’]?\s+(?:data|information|privacy|responses|work|answers|content"
              r"|records?|details|profiles?"
              r"|accounts?|essays|submissions|conversations|messages|prompts|queries|inputs"
              r"|outputs|transcriptions|logs|writing|questions|notes|uploads|documents|files"
              r"|homework)\b)")
_SUBJECTS: dict[str, re.Pattern[str]] = {}  # one per set of "other" words (a handful)


def _subject_pattern(others: str) -> re.Pattern[str]:
    if others not in _SUBJECTS:
        _SUBJECTS[others] = _cues(
            rf"\b(?:(?P<vendor>{VENDOR_WORDS})|(?P<other>{others}))\b{_POSSESSED}")
    return _SUBJECTS[others]


@lru_cache(maxsize=1024)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The product's own names as capitalised words ("Phonics" names the product phonics.org,
    "adaptive phonics apps" does not); cached per page's names, bounded."""
    if not names:
        return None
    capitalised = [f"(?-i:{re.escape(name[0].upper())}){re.escape(name[1:])}"
                   for name in sorted(names, key=len, reverse=True)]  # "Ask.School" over "Ask"
    return _cues(rf"\b(?:{'|'.join(capitalised)})\b")


def _subjects(claim: Claim, others: str) -> list[str]:
    """"vendor" / "other" for each subject-like word before the match, in order."""
    hits = [(m.start(), m.end(), "vendor" if m.group("vendor") else "other")
            for m in _subject_pattern(others).finditer(claim.sentence)]  # lookaheads see past
    names = _names_pattern(claim.names)
    if names is not None:
        named = [(m.start(), m.end(), "vendor") for m in names.finditer(claim.sentence)]
        hits = [hit for hit in hits if not any(a <= hit[0] < b for a, b, _ in named)] + named
    # "Children's Online Privacy Protection Act" names no one
    laws = [(m.start(), m.end()) for m in LAW_NAMES.finditer(claim.sentence)]
    found = []
    prefix = claim.sentence[: claim.start]
    for start, end, kind in sorted(hits):
        if start >= claim.start:
            break
        if any(a <= start and end <= b for a, b in laws):
            continue
        if kind == "vendor" or USING_THE_PRODUCT.match(prefix[end:]):
            found.append("vendor")
        elif not OBJECT_POSITION.search(prefix[:start]):
            found.append("other")
    return found


# "An AI lesson plan generator is software that ...", "Adaptive systems work by ...": the
# subject is a kind of tool, not this one.
GENERIC_SUBJECT = _cues(
    r"^\W*(?:an?|any|most|many|these|such|some|all|good|typical|traditional|modern"
    r"|well-designed|other)\s+(?:[\w-]+\s+){0,4}?(?:generators?|systems?|platforms?|tools?|apps?"
    r"|programs?|programmes?|software|approach|engines?|chatbots?|tutors?|assistants?"
    r"|learning)\s+(?:\w+\s+){0,2}?(?:is|are|refers?|means|does|do|works?|should|must"
    r"|typically|usually|tends?|can be)\b",
)


OWN_WORDS = _cues(  # "our" alone is weak on a blog ("our children"); "our app" is not
    r"\b(?:we|we['’](?:re|ve|ll)|us)\b|\bour (?:[\w-]+ )?(?:apps?|platform|tools?|products?"
    r"|services?|tutors?|assistants?|engine|programmes?|programs?|software|system|website|site"
    r"|team|customers|users|features?|policy|DPA|models?|AI|courses?|lessons?|curriculum"
    r"|curricula|programmes?|programs?|resources|content)\b"
)


def names_the_product(claim: Claim) -> bool:
    """The sentence names the vendor ("we", "our") or the product anywhere in it."""
    names = _names_pattern(claim.names)
    return bool(OWN_WORDS.search(claim.sentence) or (names and names.search(claim.sentence)))


def named_on_a_supplier_list(claim: Claim) -> bool:
    """On a sub-processor list, who a supplier's tool serves ("GeoKit interactives enhance
    learning for students") says nothing of this product unless the sentence names it."""
    return "suppliers" not in claim.page or names_the_product(claim)


def not_generic(claim: Claim) -> bool:
    """No claim from a sentence about a kind of tool, or from an article's sentence that
    does not name the product."""
    if names_the_product(claim):
        return True
    return "article" not in claim.page and not GENERIC_SUBJECT.match(claim.sentence)



def about_vendor(claim: Claim) -> bool:
    """"Our tutor uses Claude", not "most pupils now use ChatGPT" or "assistants like
    ChatGPT were built for adults"."""
    if USED_BY_OTHERS.search(claim.after) or OTHER_OWNERS.search(claim.before):
        return False
    subjects = _subjects(claim, f"{PEOPLE}|{GENERIC_TOOLS}")
    return not subjects or subjects[-1] != "other"


def vendor_itself(claim: Claim) -> bool:
    """Stricter than about_vendor: no one else is a subject anywhere before the claim, the
    vendor's suppliers and customers included ("our sub-processors are GDPR compliant",
    "third-party vendors we work with must comply" say nothing of the vendor), and the
    vendor is not merely helping others ("we help schools meet their GDPR obligations")."""
    if HELPING_OTHERS.search(claim.before):
        return False
    return "other" not in _subjects(claim, f"{PEOPLE}|{GENERIC_TOOLS}|{THIRD_PARTIES}|{CLIENTS}")


BARE_VERB = re.compile(r"^\W*(?:to\s+)?(?:comply|adhere|conform|meet|follow|respect)\b", re.I)


def has_a_subject(claim: Claim) -> bool:
    """"comply with applicable laws (GDPR ...)" is an item of "we may use data to:", no claim."""
    return not BARE_VERB.match(claim.sentence)


def no_supplier_subject(claim: Claim) -> bool:
    """Agreements: schools may be the subject ("schools can sign our DPA"), suppliers not."""
    if HELPING_OTHERS.search(claim.before):
        return False
    return "other" not in _subjects(claim, f"{GENERIC_TOOLS}|{THIRD_PARTIES}")


# How a law is claimed. An adjective ("GDPR compliant", "FERPA-aligned") claims it, unless it
# describes a kind of thing ("FERPA-aligned AI platforms"); a verb or preposition ("we comply
# with", "in accordance with") claims it; the bare noun ("COPPA Compliance", "FERPA
# compliance checklist") is a topic unless the sentence names the vendor and is no heading.
_LAW_OBJECT = (r"(?:UK |EU )?GDPR|COPPA|FERPA|General Data Protection|Children['’]?s Online"
               r"|Family Educational|Data Protection Act")
COMPLIANT_ADJECTIVE = _cues(
    r"\b(?:complian(?:t)|aligned|certified|approved|conformant)\b(?![\"”’'])"
    r"(?!\s+(?:\w+\s+){0,2}?(?:platforms|tools|vendors|chatbots|apps|products|solutions"
    r"|services|providers|companies|software|systems)\b)",
)
COMPLIANT_VERB = _cues(
    r"\b(?:compl(?:y|ies|ying|ied)|adhere[sd]?|meets?|conforms?|accordance|in line with"
    rf"|(?:we|it)(?: (?:strictly|fully|closely|always))? follows? (?:the )?(?:{_LAW_OBJECT})"
    # designated "a school official", not a heading's topic 'FERPA "School Official" posture'
    # (a COPPA safe harbor programme is a certification; "certified under" it claims COPPA)
    r"|(?:(?<=\ba )|(?<=\ban )|(?<=\bas )|(?<=\bis )|(?<=\bbe )|(?<=\ba [\"“'])"
    r"|(?<=\bas [\"“']))school officials?|covered by|aligned with"
    r"|in (?:full )?compliance with)\b",
)
COMPLIANCE_NOUN = _cues(
    r"\b(?:compliance|adherence)\b(?!\s+(?:checklists?|guides?|requirements?|reviews?"
    r"|specialists?|stacks?|scorecards?|questions?|frameworks?|matrix|posture"
    r"|programmes?|programs?|projects?|journey|roadmap))",  # work under way is no claim
)


OBLIGED_BEFORE = _cues(
    r"\b(?:obligations?|obliged|dut(?:y|ies)|required|must)(?: \w+){0,2}? to"
    r" (?:comply|adhere|conform|meet|follow)\b(?:(?!\b(?:and|but)\b)[^.;]){0,120}$")


# "Our DPA with the model supplier, which complies with GDPR, ...": the
# agreement is what complies (often another party's terms); the vendor claims nothing.
COMPLIANT_AGREEMENT_BEFORE = _cues(
    r"\b(?:agreements?|DPAs?|addend(?:um|a)|contracts?)\b[^.;]{0,50}?\b(?:that|which)"
    r" (?:\w+ )?(?:compl(?:y|ies)|(?:is|are) (?:fully )?compliant|meets?|conforms?)"
    r"(?: (?:with|to))?(?: (?:the|all|applicable))?\s+(?:[\w-]+\s+){0,2}$")


# A list's lead that claims every law it lists: "We comply with:", "Quillo adheres to the
# following laws:"
COMPLIANT_LEAD = _cues(
    r"\b(?:we|it|our (?:service|platform|app)s?)(?: (?:fully|strictly|also))? (?:comply|complies"
    r"|adhere|adheres|conform|conforms|are compliant|is compliant)(?: with| to)?"
    r"(?: (?:the following|these|all|applicable)(?: [\w-]+){0,3})?\s*:\s*$")


def a_compliance_claim(claim: Claim) -> bool:
    """A compliance word claims the law; so does a badge ("UK GDPR & DPA 2018") in a short
    label on a trust or security page. "We are committed to complying with" is a present
    claim; "we aim to comply" or "working towards" is not (see ``definite``)."""
    clause_start = max(claim.sentence.rfind(mark, 0, claim.start) for mark in (";", ". ")) + 1
    if OBLIGED_BEFORE.search(claim.sentence, clause_start, claim.start):
        return False  # a duty to comply ("both parties have a duty to comply with")
    if COMPLIANT_AGREEMENT_BEFORE.search(claim.sentence, clause_start, claim.start):
        return False  # the agreement complies: "a DPA with our host which meets"
    if COMPLIANT_ADJECTIVE.search(claim.sentence) or COMPLIANT_VERB.search(claim.sentence):
        return True
    if COMPLIANT_LEAD.search(claim.lead) and _heading(claim.sentence):
        return True  # "We conform to:" over a line "- FERPA"
    if "trust" in claim.page and _heading(claim.sentence) and LAW_BADGE.search(claim.sentence):
        return True
    heading = not re.search(r"[.!]\s*$", claim.sentence) and len(claim.sentence.split()) <= 6
    return (not heading and bool(COMPLIANCE_NOUN.search(claim.sentence))
            and names_the_product(claim))


# A link to another article ("visit this article: Quillo's policies to comply with GDPR")
# names a page; the claim is that page's, if anyone's.
REFERENCE_BEFORE = _cues(
    r"\b(?:visit|see|read|view|check out|refer to|click|follow|open)\s+(?:this|these|our|the"
    r"|that)?\s*(?:\w+\s+)?(?:article|guide|page|post|link|blog|resource|document|help article)s?"
    r"\b[^.]*$|\b(?:learn|read|find out) more\s*[:–—-][^.]*$",
)


def not_a_reference(claim: Claim) -> bool:
    return not REFERENCE_BEFORE.search(claim.sentence[: claim.start])


def a_statement(claim: Claim) -> bool:
    """"Is Quillo GDPR compliant?" asks; it does not claim."""
    return not claim.sentence.rstrip().endswith("?")


# What a product detects, blocks, monitors or teaches about is a topic, not a feature it has.
TOPIC_BEFORE = _cues(
    r"\b(?:detect\w*|block\w*|monitor\w*|filter\w*|flag\w*|alert\w*|scan\w*|catch\w*|spot\w*"
    r"|identif\w*|restrict\w*|prevent\w*|ban\w*|police\w*|screen\w*|moderat\w*|report\w* on"
    r"|protect\w*|safeguard\w*|risks? (?:of|from)|dangers? of|misuse of|use of|access to"
    r"|visibility (?:of|into)|oversight of|insights? into|awareness of|guidance on|policies on"
    r"|polic(?:y|ies) for|learn\w* about|teach\w* (?:\w+ )?about|lessons? (?:on|about)"
    r"|courses? (?:on|about)|training (?:on|about)|literacy|worried about|concerns? about"
    r"|cheating with|written by|produced by|copied from|stud(?:y|ies|ying)|research\w*"
    r"|paste\w* (?:text )?from|include|includes|proliferation of|rise of|growth of|spread of"
    r"|popularity of|era of|age of|reviewed|compared|evaluated|ranked|rated|difference between"
    r"|(?:analy[sz]\w*|check\w*) (?:\w+ ){0,2}?for)\b"
    r"(?:[^;:]{0,80})$",
)
TOPIC_AFTER = _cues(
    r"^[\s-]*(?:\w+[\s-]+)?(?:detect\w*|checker|checking|monitor\w*|filter\w*|block\w*|misuse"
    r"|abuse|risks?|threats?|safety|policy|policies|guidance|literacy|usage|use by|cheating"
    r"|plagiarism|indicators?|detectors?|detection|classifiers?"
    r"|conversations? (?:are|were) (?:flagged|logged|blocked))\b",
)


OWN_PRODUCT_BEFORE = re.compile(r"\b(?:our|its)(?: own)?\s+(?:\w+\s+)?$", re.IGNORECASE)
FUTURE = _cues(
    r"\b(?:in the future|coming soon|soon|plan\w* to|roadmap|may add|exploring|waitlist"
    r"|will (?:soon )?(?:add|launch|introduce|offer))\b",
)


# A glossary or policy definition ("AI (Artificial Intelligence): Technologies designed to
# ...", "Chatbot: a type of software that ...") defines a word; the product has no feature.
DEFINITION_LINE = _cues(
    r"^\W*(?:[\w'’/-]+\s+){0,4}?[\w'’/-]+\s*(?P<expansion>\([^)]{1,60}\))?\s*[:–—]\s*"
    r"(?:(?:an?|the|any)\s+)?(?:[\w-]+\s+){0,2}?(?P<noun>technolog(?:y|ies)|systems?|software"
    r"|tools?|programs?|process(?:es)?|methods?|techniques?|models?|algorithms?|applications?"
    r"|(?:type|form|kind|branch|subset|field) of|refers? to|means|is defined as"
    r"|methods? of|approach(?:es)? (?:to|in which|where))\b",
)
DEFINITIONS_LEAD = _cues(r"\b(?:definitions?|glossary|key terms|terms used|we mean)\b")
STRONG_DEFINITION = _cues(r"^(?:technolog|(?:type|form|kind|branch|subset|field) of|refer|means"
                          r"|is defined|methods?(?: of)?$|approach)")


def not_a_definition(claim: Claim) -> bool:
    """A term defined (with its expansion, under a "Definitions" lead, or as "a type of" /
    "technologies that") is no feature of the product."""
    if names_the_product(claim):
        return True
    line = DEFINITION_LINE.match(claim.sentence)
    if line is None:
        return True
    return not (line.group("expansion") or DEFINITIONS_LEAD.search(claim.lead)
                or STRONG_DEFINITION.match(line.group("noun")))


def not_a_topic(claim: Claim) -> bool:
    """"Monitors chatbot conversations" or "detects AI-generated text" is no chatbot, but
    "we monitor our own AI tutor" is one; a feature promised for later is none yet."""
    if FUTURE.search(claim.sentence) or TOPIC_AFTER.search(claim.after):
        return False
    return not TOPIC_BEFORE.search(claim.before) or bool(OWN_PRODUCT_BEFORE.search(claim.before))


# Conditionals and intentions: "we may", "only if", "we aim to comply" state nothing.
UNCERTAIN = _cues(  # the month is certain: "from 3rd May 2021", "since May 2024"
    r"\b(?:(?<!\d )(?<!\dst )(?<!\dnd )(?<!\drd )(?<!\dth )(?<!of )(?<!since )(?<!in )"
    r"may(?!\s+(?:\d|of \d))|might|could|only if|only when|only where|if required"
    r"|where required|aim\w* to"
    r"|strive\w*|intend\w*|plan\w* to|hope\w*|seek\w* to|endeavou?r\w*|try|tries|trying to"
    r"|will be (?:fully )?(?:compliant|certified)|soon|by the end of|expect\w* to"
    r"|becom\w* (?:fully )?(?:[\w-]+ ){0,2}?(?:compliant|certified))\b",
)
OPT_IN = _cues(
    r"\b(?:only if|only with|unless|opt(?:s|ed)?[- ]in|if you (?:choose|agree|allow|enable"
    r"|consent|opt|turn on|switch on)|with your (?:explicit |prior )?(?:consent|permission)"
    r"|you can (?:allow|choose|opt))\b",
)
# "may" is a grant as often as a doubt ("schools may request our DPA"): agreements drop only
# the firmer conditionals.
UNCERTAIN_OFFER = _cues(
    r"\b(?:only if|only when|only where|aim\w* to|intend\w*|plan\w* to|hope\w*|soon"
    r"|may be available|could be|might|drafting|working on|preparing|not yet|later this year"
    r"|in (?:the )?future)\b"
    # a counterfactual: "were Quillo to sign one, it would then act as ..."
    r"|\b(?:if (?:we|it|they)|were we|were it) (?:would|were to|were|did|should)\b",
)


# A status right after the claim: "COPPA badge | not yet awarded", "SOC 2 audit - in
# progress" (a trust page's table, its cells often run together).
NOT_YET_AFTER = _cues(
    r"^(?:(?!\band\b|\bbut\b|\bwhile\b|\bwith\b)[^.;,]){0,30}?(?:not yet|in progress|coming soon"
    r"|pending|planned)\b")


def definite(claim: Claim) -> bool:
    return not (UNCERTAIN.search(claim.sentence) or NOT_YET_AFTER.search(claim.after))


def definite_offer(claim: Claim) -> bool:
    return not UNCERTAIN_OFFER.search(claim.sentence)


# The reader's situation: "If you are a district reviewing Quillo under an NDPA, SDPA or
# similar, please see ...". An agreement named there is the reader's; the main clause must
# offer it ("If your district uses the NDPA, we will sign it").
READERS_CONDITION = _cues(
    r"^\W*(?:if|when|where)\s+(?:you\s+are|you['’]re|your\s+(?:[\w-]+\s+){0,2}?(?:is|uses"
    r"|has|works))\b")
MAIN_CLAUSE = _cues(  # the product's name also opens one: see _main_clause
    r",\s*(?:then\s+)?(?:please|we|you|see|contact|email|read|visit|check|refer|our|there|the"
    r"|this|that|it|they|dpas)\b")
# "we (will) (happily) sign it", "we're happy to countersign", "we offer a DPA": the vendor
# (or the product, by name) takes the agreement on; "we offer training" does not.
_OFFER_VERB = (
    r"\s+(?:(?:will|can|would|are|be|happy|glad|pleased|to|also|gladly|happily|then|always)"
    r"\s+){0,4}(?:sign|countersign|accept|execute|enter\s+into|agree\s+to|(?:provide|offer)\w*"
    r"\s+(?:it|one|this|that|(?:a|an|the|our)\s+(?:[\w-]+\s+){0,3}?(?:agreements?|addend\w+"
    r"|dpas?)))\b")
OFFER_BY_US = _cues(rf"\bwe(?:['’]re|['’]ll)?{_OFFER_VERB}")
# "If you're a school, a DPA is available on request": the agreement itself is offered.
AGREEMENT_OFFERED = _cues(
    r",\s*(?:a|an|our|the)?\s*(?:[\w-]+\s+){0,3}?(?:dpas?|agreements?|addend\w+)\s+(?:is|are)"
    r"\s+(?:(?:also|always|readily)\s+)?(?:available|offered|provided|signed)\b")


def _main_clause(claim: Claim, start: int) -> re.Match[str] | None:
    names = _names_pattern(claim.names)
    found = [m for m in (MAIN_CLAUSE.search(claim.sentence, start),
                         names and re.compile(rf",\s*(?:{names.pattern})", names.flags).search(
                             claim.sentence, start)) if m]
    return min(found, key=lambda m: m.start(), default=None)


def _offered_after(claim: Claim, start: int) -> bool:
    """Whether, after the reader's condition, the vendor or product takes an agreement on."""
    if OFFER_BY_US.search(claim.sentence, start) or AGREEMENT_OFFERED.search(claim.sentence, start):
        return True
    names = _names_pattern(claim.names)
    return bool(names and re.compile(rf"(?:{names.pattern}){_OFFER_VERB}", names.flags).search(
        claim.sentence, start))


def not_the_readers_condition(claim: Claim) -> bool:
    """Not an agreement the reader works under ("if you are a district reviewing us under a
    state DPA"), unless the main clause offers it or it is the vendor's own ("if you're a
    school on our standard DPA")."""
    condition = READERS_CONDITION.match(claim.sentence)
    if not condition:
        return True
    main = _main_clause(claim, condition.end())
    if main and claim.start >= main.start():
        return True  # "If you are a school, we sign a DPA with you"
    return _offered_after(claim, condition.end()) or vendors_own_agreement(claim)


def not_opt_in(claim: Claim) -> bool:
    """"We use conversations to improve models only if you opt in": no default training."""
    return not OPT_IN.search(claim.sentence)


# Agreements count only with schools or customers, not those the vendor signs with suppliers.
SUPPLIER_AGREEMENT = _cues(
    rf"\b(?:with|from|by|require\w*|ask\w*)\s+(?:(?:our|all|each|every|the|its|their)\s+)*"
    # "with our model provider", not "with our school partners"
    r"(?:(?!(?:schools?|district|trust|customers?|college|university|academy)\b)[\w-]+\s+)?"
    rf"(?:{THIRD_PARTIES})\b",
)
CUSTOMERS = _cues(
    r"\b(?:schools?|customers?|districts?|trusts?|institutions?|clients?|colleges?"
    r"|universities|local authorities|you|your (?:school|organisation|organization|district))\b",
)


THIRD_PARTY_OWNED = re.compile(
    r"\b(?:the |a )?(?:vendor|supplier|provider|sub-?processor|partner)['’]s\b", re.IGNORECASE
)


# The vendor's own agreement: "our institutional DPA", "the Quillo Standard Data Processing
# Addendum", and on the agreement's own page "this DPA". Not "our sub-processors' DPAs".
_OWN_WORDS = r"(?:(?!(?:sub-?processors?|suppliers?|vendors?|partners?|providers?)\b)[\w-]+\s+)"
OUR_AGREEMENT_BEFORE = _cues(rf"\bour\s+{_OWN_WORDS}{{0,2}}$")
THIS_AGREEMENT_BEFORE = _cues(rf"\bthis\s+{_OWN_WORDS}{{0,1}}$")


def vendors_own_agreement(claim: Claim) -> bool:
    before = claim.sentence[: claim.start]
    if OUR_AGREEMENT_BEFORE.search(before):
        return True
    if "agreement" in claim.page and THIS_AGREEMENT_BEFORE.search(before):
        return True
    names = _names_pattern(claim.names)
    named = names and next(reversed(list(names.finditer(before))), None)
    return bool(named) and bool(re.fullmatch(r"(?:['’]s)?\s+(?:[A-Z][\w-]*\s+){0,2}",
                                             before[named.end():]))


def with_customers(claim: Claim) -> bool:
    """"We sign a DPA with every school", not "DPAs are in place with our sub-processors" or
    "a signed DPA, incorporated into the vendor's agreement" (on a supplier's entry). On a
    sub-processor list a DPA counts only where the sentence names schools or customers, or
    the agreement is the vendor's own."""
    if THIRD_PARTY_OWNED.search(claim.sentence):
        return False
    if ("suppliers" in claim.page and not CUSTOMERS.search(claim.sentence)
            and not vendors_own_agreement(claim)):
        return False
    supplier = SUPPLIER_AGREEMENT.search(claim.sentence)
    return not supplier or bool(CUSTOMERS.search(claim.sentence[: supplier.start()]))


NAMED_OTHER_WHICH = re.compile(r"(?-i:\b[A-Z][\w.]+),?\s+(?:which|who)\b[^;:]*$")


# Certified infrastructure is the host's: "AWS data centres are ISO 27001 certified",
# "Hostly computing environments ... are ISO 27001 certified", "hosted in SOC 2 certified
# data centres". The subject (or the thing certified) is hosting, not the vendor.
INFRASTRUCTURE = _cues(
    r"\b(?:(?:computing|hosting|cloud|server|data ?cent(?:re|er)) (?:environments?|facilit(?:y|ies)"
    r"|infrastructure|platforms?)|data ?cent(?:re|er)s?|server farms?|co-?location facilit\w+)\b",
)
OWN_INFRASTRUCTURE = _cues(r"\b(?:our|we|we['’]re)\s+(?:own\s+)?(?:[\w-]+\s+){0,2}?$")
# Certification not yet held: "self-assessment in progress", "certification targeted for".
IN_PROGRESS = _cues(
    r"\b(?:in progress|under ?way|targeted|targeting|pending|in the process|scheduled|expected"
    r"|anticipated|on track|due (?:in|by)|not yet)\b",
)
# Right before the certificate: a standard's requirements met, not the certificate held
# ("meets the national requirements, such as ISO 27001").
REQUIREMENTS_BEFORE = _cues(
    r"\b(?:meets?|meeting|satisf(?:y|ies)|aligned (?:with|to))\s+(?:[\w-]+\s+){0,5}?(?:requirements"
    r"|standards|controls)(?:\s+of)?[^.;]{0,40}$|\baligned (?:with|to)\s+(?:the\s+)?$")
# Right after it: someone's infrastructure holds it ("runs on SOC 2-audited cloud servers").
ATTESTED_AFTER = _cues(
    r"^(?:\s+Type\s+(?:1|2|I|II))?[- ](?:attested|certified|compliant|audited|accredited)\s+"
    r"(?:infrastructure|hosting|cloud|data ?cent(?:re|er)s?|servers?|platforms?|providers?)\b")


def own_certification(claim: Claim) -> bool:
    """On a sub-processor list, certifications are the suppliers'; so are those of a named
    company in a relative clause ("Stripe, which is PCI DSS compliant") and of hosting
    ("WebHost computing environments are ISO 27001 certified", "hosted in certified data
    centres") unless it is the vendor's own; one in progress or targeted is not held."""
    if NAMED_OTHER_WHICH.search(claim.before) and not names_the_product(claim):
        return False
    clause = _clause(claim)
    if IN_PROGRESS.search(clause) or REQUIREMENTS_BEFORE.search(claim.sentence, 0, claim.start):
        return False
    if ATTESTED_AFTER.match(claim.after):
        return False
    infrastructure = INFRASTRUCTURE.search(clause)
    if infrastructure and not OWN_INFRASTRUCTURE.search(clause[: infrastructure.start()]):
        return False
    return "suppliers" not in claim.page


def _clause(claim: Claim) -> str:
    """The match's clause: the sentence between the ";" or "." around it."""
    left = max(claim.sentence.rfind(mark, 0, claim.start) for mark in (";", ". "))
    right = [i for i in (claim.sentence.find(mark, claim.end) for mark in (";", ". ")) if i != -1]
    return claim.sentence[left + 1: min(right, default=None)]


# Who a tool is for: "for teachers", "helps pupils", "teachers can ...", "pupils love it".
FOR_AUDIENCE = _cues(  # not a problem people have: "staying compliant is hard for DSLs"
    r"\b(?:(?<!hard )(?<!difficult )(?<!tough )(?<!tricky )(?<!challenging )for|help\w*|lets?"
    r"|allow\w*|enabl\w*|empower\w*|giv(?:e|es|ing)|provid(?:e|es|ing)|sav(?:e|es|ing)"
    r"|support\w*|keep\w*|inform\w*|connect\w*|engag\w*|motivat\w*|invite\w*|involve\w*"
    r"|used by|use by|loved by|trusted by|chosen by|popular with|favourite of|favorite of"
    r"|(?:viewed|accessed|opened|seen) (?:only )?by"
    r"|directed (?:to|towards?|at)|(?:users?|accounts?) (?:designated|assigned|set up|added"
    r"|registered) as(?: an?)?"
    r"|aimed at|whether you['’]re|whether you are|if you['’]re|if you are"
    r"|(?:designed|built|made|created) with"  # "designed with MAT leaders in mind"
    r"|assign\w* to|available to|shown to|offered to|open to|flag\w* (?:up )?to"
    r"|encourag\w*|reaches(?! out)"
    r"|share\w*(?: them| it| this)? with|report\w* to|teach(?:es|ing)?|services? to)\b"
    r"(?:[\s,&/]+(?!(?:for|by|across|in|on|at|from|among|within|through|into"
    r"|about|per|than|over|under|during|like)\b)[\w'’-]+){0,6}?"
    r"[\s,&/]*$",
)
AUDIENCE_ACTS = _cues(
    r"^(?:['’]s?)?(?:[\s,&/]+(?:and|or|\w+)){0,5}?\s+(?:can|could|will|love"
    r"|loves|get|gets|set|sets|create|creates|make|makes|see|sees|save|saves|track|tracks"
    r"|practi[sc]e|learn|learns|complete|completes|answer|play|plan|mark|assign|receive"
    r"|access|share|collaborate|explore|engage|enjoy|stay|work|earn|read|write|record|take"
    r"|choose|chooses|select|selects|review|manage|join|log|sign|spend|say|are able|deploy|ask|asks"
    r"|login|logs? in|signs? in|subscribe|subscribes|signs? up|register|registers"
    r"|monitor|check|upload|revise|improve|master|prepare|design|send|reply|build|grow"
    r"|practise|keep|stay|get|draft|works|moderate|needs? to|handle|handles|oversee|oversees"
    r"|(?:are|is) (?:also |always |now ){0,2}invited to"
    r"|(?:are|is) (?:automatically |instantly |immediately )?(?:alerted|notified|emailed|texted)"
    r"|have (?:a |an |their own )?(?:profile|account|login)s? (?:on|in|with|for)|needs? it"
    r"|have (?:a |an |their own )(?:separate |dedicated |own )?(?:AI )?(?:dashboard|app|portal"
    r"|assistant|workspace|view)s?\b"
    r"|(?:are|is) (?:also |always |now ){0,2}free(?!\s+(?:to|from|of)\b))\b",  # users: "parents
    # are always free"
)
# Text about the law, data subjects or the vendor itself never says who a tool is for.
LEGAL_TEXT = _cues(
    r"\b(?:rights|(?:the|a|your|their|its) right to|request\w*|personal (?:data|information)"
    r"|data subjects?|eligible|consent\w*"
    r"|privacy|(?<!filtering )(?<!filter )(?<!web )(?<!content )(?<!internet )polic(?:y|ies)"
    r"|laws?|legal(?:ly)?(?! guardian)|regulat\w+|complain\w*|disclos\w*"
    r"|collect\w*"
    r"|delet\w*|records|opt[- ]out|under the age|COPPA|FERPA|GDPR|processor|controller"
    r"|lawful|terms of (?:use|service)|data protection|permission|liab\w+|indemn\w+|warrant\w*"
    r"|jurisdiction|cookies?|personally identifiable|(?-i:PII)|(?:information|data) (?:relating"
    r"|related|pertaining) to|(?:to be )?signed by|whose data)\b",
)
COMPANY_TEXT = _cues(
    r"\b(?:founded|founders?|co-?founders?|alumni|graduat\w+|spun out|spin-?out|researchers?"
    r"|professors?|PhD|partnership|partnered|careers?|hiring|jobs|vacanc\w+|our team|investors?"
    r"|funding|headquarter\w*|(?:our|head|registered) offices?|award\w*|press|news"
    r"|stud(?:ied|ying) at|work(?:ed)? at)\b",
)
ABOUT_US_BEFORE = _cues(
    r"\b(?:we are|we're|we were|(?<!such )(?<!designated )(?<!assigned )(?<!registered )"
    r"(?<!set up )(?<!added )as|founded by|started by|built by|made by|created by"
    r"|designed by|run by|written by|developed by|former|ex|team of|ourselves)[\s-]+"
    r"(?:\w+\s+){0,2}?$",
)
ORGANISATION_AFTER = re.compile(  # "Teachers College", "Parents Association"
    r"^\s+of\s+(?:this|the|our)\s+(?:website|site|service)|^\s+of\s+(?-i:[A-Z])"
    r"|^(?:['’]s?['’]?)?\s+(?-i:College|University|Union|Association|Council|Federation|Institute"
    r"|Trust|Network|Pay|Guild|Alliance|Society|Foundation|Cent(?:re|er)s?)\b",
    re.IGNORECASE,
)
ORGANISATION_BEFORE = re.compile(
    r"(?-i:\b(?:University|College|Institute|Cent(?:re|er)) (?:of|for)\s+|\bPay\s+)$")


# Statistics and reports describe the world, not the product ("the gap at Key Stage 2").
REPORTED_TEXT = _cues(
    r"\b(?:percentage points|attainment gap|national average|according to|survey\w*"
    r"|statistics (?:show|from|published)"
    r"|figures show|research (?:shows|suggests|found)|studies (?:show|found)|a study)\b",
)
# Readers being advised or warned: "what we ask parents to keep in mind", "answers in maths
# should be checked": neither who uses the tool nor what it teaches.
ADVICE_TEXT = _cues(
    r"\b(?:keep|bear) in mind\b|\bremain\w* responsible for\b|\bshould (?:always )?be"
    r" (?:checked|verified|double-checked|reviewed)\b|\bchecked against\b|\bbe aware\b"
    r"|\bcan make mistakes\b|\b(?:are|is) (?:cautioned|advised|reminded|warned)\b"
    r"|\b(?:we|I) (?:strongly )?(?:recommend|advise|suggest|urge|encourage) (?:that )?"
    r"(?:all |any |your )?(?:administrators|admins|teachers|parents|schools|staff|users)\b",
)
# Names that hold audience or phase words: "Keeping Children Safe in Education".
NAMES = re.compile(
    r"Keeping Children Safe in Education|Teachers College|Teachers Pay Teachers|Every Child"
    r" Matters|Children['’]s Code|Children['’]s Commissioner|Save the Children|Teach First"
    r"|Teach For (?:America|All)|National Union of Students|Parent Teacher Associations?"
)
MONITORED = re.compile(  # "analysing what students type": the monitored, not the users
    r"\b(?:monitor\w*|analys\w*|analyz\w*|track\w* what|watch\w*|surveil\w*|protect\w*"
    r"|check\w* (?:whether|if)|detect\w*"
    r"|moderat\w*|safeguard\w*)\b[^;:]{0,40}$",
    re.IGNORECASE,
)
FACING = _cues(r"^[- ]facing\b")  # "a teacher-facing platform"
HEADING = re.compile(r"^(?:for\s+\S.*|[\w'’-]+(?:\s*(?:,|and|&)\s*[\w'’-]+)*)[.!]?$", re.I)


def _inside_name(claim: Claim) -> bool:
    return any(m.start() <= claim.start and claim.end <= m.end()
               for m in NAMES.finditer(claim.sentence))


def said_of_users(claim: Claim) -> bool:
    """Audience only where the sentence says who the tool is for or who uses it. A list of
    the product's users ("its users, including teachers and pupils", "teachers and parents
    who use Quillo") counts even in a policy; the vendor's own administrators, people
    whose data is listed and readers being advised never count. A reader addressed as
    one who teaches ("your teaching", "my students") is a teacher, one asked about "your
    child" a parent."""
    if AS_A_READER_BEFORE.search(claim.before) and AS_A_READER_AFTER.match(claim.after):
        return True  # "As a teacher, you can pause a pupil's move"
    if ADDRESSED_READER.match(claim.sentence, claim.start):  # the reader's question asks
        return (a_statement(claim) and not _about_something_else(claim.sentence)
                and not MONITORED.search(claim.before[-100:]))
    if ROLE_LIST_BEFORE.search(claim.sentence, max(0, claim.start - 200), claim.start):
        return True  # "role (teacher or pupil)", even among the data fields kept
    if _about_something_else(claim.sentence) and not _lists_users(claim):
        return False  # cached per sentence: the common exit, tried first
    if _names_data_fields(claim.sentence) or _inside_name(claim) or _vendor_staff(claim):
        return False
    # the cues end within a few words of the match: read only the nearby text
    near = claim.before[-100:]
    if COUNTED_AFTER.match(claim.after) or COUNTED_BEFORE.search(near):
        return False
    if DEFINED_TERM.match(claim.sentence) and not _lists_users(claim):
        return False  # a contract's definition names no users, unless it lists them
    if MONITORED.search(near) and not _lists_users(claim):  # not "protecting our users, including"
        return False
    if ABOUT_US_BEFORE.search(near) or _an_example_person(claim):
        return False
    if CARED_FOR_BEFORE.search(near) or SUITABLE_FOR_BEFORE.search(near):
        return False
    if _under_a_legal_lead(claim) and not _lists_users(claim):
        return False
    if ORGANISATION_AFTER.search(claim.after):
        return False
    if _lists_users(claim):
        return True
    text = claim.sentence.strip()  # a heading starts with a capital; "students." is a broken line
    heading = text[:1].isupper() and (len(text.split()) <= 4 and HEADING.match(text)
                                      or ROLES_LINE.match(text))
    return bool(FOR_AUDIENCE.search(claim.before) or AUDIENCE_ACTS.search(claim.after)
                or FACING.match(claim.after) or heading or _uses_product(claim)
                or _product_category(claim) or ACCOUNT_LEAD.search(claim.before)
                or SEATS_BEFORE.search(claim.before)
                or (OPENS_SENTENCE.match(claim.before)
                    and (WHO_WANT_AFTER.match(claim.after) or LABEL_AFTER.match(claim.after))))


# "Adults responsible for students": those cared for are not thereby users; "suitable for
# primary pupils" grades content or a filter policy, it does not say who uses the product.
CARED_FOR_BEFORE = _cues(
    r"\b(?:responsible|accountable|liable) for\s+(?:[\w-]+\s+){0,2}$|\bin charge of\s+"
    r"(?:[\w-]+\s+){0,2}$|\b(?:care|caring) (?:for|of)\s+(?:[\w-]+\s+){0,2}$",
)
SUITABLE_FOR_BEFORE = _cues(
    r"\b(?:suitable|appropriate|suited|unsuitable|inappropriate)\s+for\s+"
    r"(?:[\w-]+[\s,&/]+(?:(?:and|or)\s+)?){0,5}$",
)


def _under_a_legal_lead(claim: Claim) -> bool:
    """An item of a list whose lead-in is legal text ("This policy applies to all individuals
    whose data we process:"): the items are data subjects."""
    return bool(claim.lead) and _about_something_else(claim.lead)


# The reader's own teaching: "as part of your teaching activities", "in my classroom".
_TEACHING_READER = (r"(?:your|my) (?:own )?(?:teaching(?! assistants?)|classrooms?|lesson plans"
                    r"|lesson planning|(?:pupils|students)(?!['’]))")
# A reader addressed as a parent: "your child's reading", "help your son".
AS_A_READER_BEFORE = _cues(r"(?:^|[.;:]\s*)\W*as an?\s+$")
AS_A_READER_AFTER = _cues(r"^,?\s+(?:you|you['’]ll|you can)\b")
_PARENT_READER = r"your (?:child|children|son|daughter)(?![\w-])"
ADDRESSED_READER = _cues(f"{_TEACHING_READER}|{_PARENT_READER}")


# Who the product serves, listed: "its users, including ...", "we support schools - including
# their teachers, ...", "... who use Quillo", a scope list's label "Teachers: Using the ...".
_LISTED = (  # the words of a list of people: "their teachers, students, and parents"
    r"(?:and|or|their|its|other|staff|schools?|districts?|educators?|teachers?|tutors?|students?"
    r"|pupils?|learners?|parents?|guardians?|carers?|families|administrators?|admins?"
    r"|leaders?|children|stakeholders|young)"
)
# The people of a list, up to where the match stands: "..., including their teachers, pupils
# and "
_LIST_TAIL = rf"(?:[\s,&/–—-]*{_LISTED}){{0,8}}?[\s,&/–—-]*$"
USERS_LIST_BEFORE = _cues(
    r"\b(?:(?:(?:its|our|the|their|all) (?:users|account holders|members|subscribers)"
    r"(?: of (?:the|our) \w+)?"
    r"|(?:support|serv|help|work with)\w* schools?"
    # a policy's definition of the reader: "anyone who uses Quillo, such as pupils and tutors"
    r"|(?:any|every) (?:person|one|individual|user) (?:using|who uses) (?:[\w-]+ ){0,3}?[\w-]+)"
    r"\s*[,–—(-]?\s*"
    r"(?:including|such as|namely|like|especially|particularly))"
    rf"{_LIST_TAIL}",
)
# "Tutors and heads of year are Quillo's main users"
USERS_ARE_AFTER = _cues(
    r"^(?:[\s,&/()]+(?:and|or|[\w'’-]+)){0,8}?\)?\s+(?:are|is|remain) (?:the |our |its )?"
    r"(?:primary|main|intended|target|core|key|typical|principal|end)?[- ]?users\b"
    r"(?! of (?:the |this |that |their |your )?(?:data|information)\b)",
)
# "Adding users (pupils and teachers)": outside legal text, where "personal data that end
# users (pupils and staff) share with us" lists data subjects
USERS_BRACKET_BEFORE = _cues(
    rf"\b(?:users?|user types?)\s*\({_LIST_TAIL}")
# An account's role, even in a policy's list of the data kept: "role (teacher or pupil)"
# names who signs in; "users (pupils and staff)" there may be data subjects.
ROLE_LIST_BEFORE = _cues(
    rf"\broles?\s*\({_LIST_TAIL}")
# The users of a school's account listed after a colon: "every user in your school:
# pupils, teachers and office staff"
USERS_COLON_BEFORE = _cues(
    rf"\b(?:all (?:of )?(?:the|our|its|your)|our|its|the) users\b[^;:.()]{{0,30}}?\s*[;:–—]"
    rf"{_LIST_TAIL}")
# "Before opening an account, tutors and pupils give ...": the people who hold accounts.
ACCOUNT_LEAD = _cues(
    r"^\W*(?:to|before|when|once) (?:you )?(?:create|creating|set up|setting up|open|opening"
    r"|register(?:ing)? for) (?:an?|their|your) (?:[\w-]+ )?account\s*,"
    rf"{_LIST_TAIL}")
# A line that starts with the people it is for: "Pupils who want to revise on the bus"
OPENS_SENTENCE = re.compile(r"^\W*$")
WHO_WANT_AFTER = _cues(
    rf"^(?:[\s,&/]+{_LISTED}){{0,4}}?\s+who (?:want|need|wish|are looking|prefer|struggle)\b")
# A line of user roles and nothing else: "Tutor, Parent, Head of year and Pupil"
ROLES_LINE = _cues(
    rf"^(?:[\s,&/]*(?:school |senior |head |class |form )?{_LISTED}s?(?:\s*\([\w\s]{{1,20}}\))?)"
    r"{2,8}[.!]?$")
# A use case labelled with its users: "Pupils: a quick quiz before the test"
# (a glossary's "Carers: adults who look after ..." defines a word instead)
LABEL_AFTER = _cues(
    r"^(?:[\s,&/]+(?:and|or|[\w'’-]+)){0,3}?\s*:\s+(?!(?:any|all|the|those|adults?|people"
    r"|persons?|individuals?|someone|anyone|members?|staff)\b)(?![^.;]*\b(?:responsible for"
    r"|means|refers? to|defined as)\b)\S")
# Seats of a licence: "adding teachers mid-year", "unlimited pupils", "up to 30 students"
SEATS_BEFORE = _cues(
    r"\b(?:add(?:s|ing)?|remov(?:e|es|ing)|invit(?:e|es|ing)|unlimited|up to \d[\d,]*"
    r"|extra|additional)(?: (?:more|extra|additional|new))?\s+$")
# Messages the product carries between people: "messages sent in the app between
# teachers and parents"
MESSAGES_BETWEEN_BEFORE = _cues(
    r"\b(?:messages?|messaging|chats?|conversations?)\b[^.;:]{0,40}?\b(?:through|on|via|in"
    r"|within|using) (?:the|our|this) (?:[\w-]+ ){0,2}?(?:platform|app|service|portal|system)s?"
    rf"\b[^.;:]{{0,20}}?\bbetween{_LIST_TAIL}")
# "... who use Quillo", a scope list's label "Teachers: using the platform": the object must
# be the product (by name, "it", "the app", "our tools").
USERS_USING = _cues(
    r"^(?:[^.;:]{0,60}?\b(?:who|as they|when they|while they) (?:use|access|sign in to|log in to"
    r"|are using|interact with|trust|rely on|love|choose)"
    r"|[^.;:]{0,60}?\b(?:in connection with|through|during|for|in) their use of"
    r"|(?:[\s,&/]+(?:and|or|[\w'’-]+)){0,4}?\s*:\s*(?:using|accessing|who use))\s+",
)
PRODUCT_OBJECT = _cues(
    r"it\b|(?:the |our |this )?(?!(?:third-party|other|external|personal|consumer|free|social)\b)"
    r"(?:[\w-]+ ){0,3}?(?:platforms?|apps?|services?|tools?|products?|site"
    r"|websites?|software|resources)\b",
)
# "a parent communication platform", "a teacher planning app": the category names its users.
CATEGORY_BEFORE = _cues(r"\b(?:an?|the|our|its)\s+(?:[\w-]+\s+){0,3}$")
CATEGORY_AFTER = _cues(
    r"^[- ](?!(?:data|information|records?|privacy|accounts?|details|names|consent|management"
    r"|tracking|monitoring|behaviou?r|attendance|safeguarding|assessment)\b)(?:[\w-]+ )?"
    r"(?:platform|app|portal|tool|toolkit|software|hub|assistant)s?\b",
)
# "Administrators have limited access to student data": the vendor's staff, not users.
BARE_ADMINS = re.compile(r"^(?:administrators?|admins?)$", re.IGNORECASE)
STAFF_ACCESS = _cues(
    r"\b(?:access|view|see)\b[^.;:]{0,40}\b(?:data|information|records)\b|\bstrictly necessary"
    r"|\baudit logs?\b|\bsmooth running\b",
)
# "pupil accounts", "we set up pupil and teacher logins", a policy's "Parent Role:" label,
# "the Teacher Dashboard", "a parent portal": people who have accounts, roles or their own
# part of the product use it.
USER_ACCOUNTS_AFTER = _cues(
    r"^(?:\s*(?:,|and|or|&)\s*[\w-]+){0,3}\s+(?:(?:accounts?|users|logins?|log-ins?"
    r"|dashboards?|portals?|hubs?)\b|roles?\s*:)"
    r"(?!\s+(?:of|on|with|at) (?:other|third|another))",
)
# A number of people, not who uses it: "classes of 40 pupils or fewer".
COUNTED_AFTER = _cues(r"^\s+or (?:fewer|more|less)\b")
COUNTED_BEFORE = _cues(
    r"\b(?:(?:more|fewer|less) than|(?:set|group|batch|block) of|every|each|per)"
    r" (?:\d[\d,]*|ten|twenty|thirty|forty|fifty|sixty|hundred)\s+$")
# A defined term of a contract: ""School" means any body that ...".
DEFINED_TERM = _cues(r"^\W*[\"“][^\"”]{1,60}[\"”]\s+(?:means|refers to|shall mean|includes)\b")
# Fields of data kept about people: "initials for students", "pupil usernames".
DATA_FIELDS = _cues(
    r"\b(?:initials|usernames?|user ?IDs?|roster IDs?|identifiers?|required fields|data fields"
    r"|dates? of birth|UPNs?|surnames?)\b",
)


@lru_cache(maxsize=4096)
def _names_data_fields(sentence: str) -> bool:
    return DATA_FIELDS.search(sentence) is not None


# "... covers every pupil, teacher and parent on the Quillo platform"
# "... on the Quillo platform", "so that pupils can use our app"
USERS_ON_AFTER = _cues(
    rf"^(?:[\s,&/]+{_LISTED}){{0,6}}?\s+(?:on|using|(?:to|can|may) (?:use|access)"
    r"|(?:use|access|sign in to|log in to)(?= (?:our|this) )) ")


def _lists_users(claim: Claim) -> bool:
    # the whole prefix: "all their users (including pupils, ..." opens a bracket
    window = max(0, claim.start - 200)
    if (USERS_LIST_BEFORE.search(claim.sentence, window, claim.start)
            or USERS_COLON_BEFORE.search(claim.sentence, window, claim.start)
            or MESSAGES_BETWEEN_BEFORE.search(claim.sentence, window, claim.start)
            or USER_ACCOUNTS_AFTER.match(claim.after) or USERS_ARE_AFTER.match(claim.after)):
        return True
    if (USERS_BRACKET_BEFORE.search(claim.sentence, window, claim.start)
            and not _about_something_else(claim.sentence)):
        return True
    using = USERS_USING.match(claim.after) or USERS_ON_AFTER.match(claim.after)
    if using is None:
        return False
    names = _names_pattern(claim.names)
    return bool(PRODUCT_OBJECT.match(claim.after, using.end())
                or (names and names.match(claim.after, using.end())))


def _product_category(claim: Claim) -> bool:
    return bool(CATEGORY_BEFORE.search(claim.before) and CATEGORY_AFTER.match(claim.after))


def _vendor_staff(claim: Claim) -> bool:
    word = claim.sentence[claim.start:claim.end]
    return bool(BARE_ADMINS.match(word) and STAFF_ACCESS.search(claim.sentence))


def not_said_of_the_product(claim: Claim) -> bool:
    """Law, data subjects, the company, statistics and names are not about who uses it."""
    return _about_something_else(claim.sentence) or _inside_name(claim)


@lru_cache(maxsize=4096)
def _about_something_else(sentence: str) -> bool:
    """Sentence-level cues, asked for every audience, phase and subject match in it."""
    return any(cue.search(sentence) for cue in (LEGAL_TEXT, COMPANY_TEXT, REPORTED_TEXT,
                                                 ADVICE_TEXT))


def _uses_product(claim: Claim) -> bool:
    """"Teachers use Quillo to ...": people using this product, by name or as "it"."""
    return bool(_using_pattern(claim.names).match(claim.after))


@lru_cache(maxsize=1024)
def _using_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Compiled once per page's names (a crawl meets thousands: more than re's own cache)."""
    objects = "|".join(["it", "this", r"our \w+", r"the (?:app|platform|tool)",
                        *(re.escape(name) for name in names)])
    return re.compile(rf"^(?:\s+[\w-]+){{0,4}}?\s+(?:use|uses|using|have used|rely on)\s+"
                      rf"(?:{objects})\b", re.IGNORECASE)


# "A primary-school student asking about ... than a university biology student": one
# imagined learner illustrates a behaviour; it does not say who the product is for.
EXAMPLE_BEFORE = _cues(r"\b(?:an?|one)\s+(?:[\w-]+\s+){0,2}$")
EXAMPLE_AFTER = _cues(
    r"^(?:[- ]school)?\s+(?:[\w-]+\s+)?(?:student|pupil|learner|child)\s+(?:asking|who|working"
    r"|studying|gets|might|could|would|will|reading|writing|sees|to an?)\b",
)
COMPARED_BEFORE = _cues(r"\b(?:than|from|to) an?\s+(?:[\w-]+\s+){0,2}$")  # "... than a pupil"
EXAMPLE_PERSON_AFTER = _cues(r"^\s+(?:asking|gets|sees|might|would)\b|^\W*$")


def _an_example(claim: Claim) -> bool:
    """The phase or subject word describes one imagined learner."""
    if EXAMPLE_AFTER.match(claim.after):
        return bool(EXAMPLE_BEFORE.search(claim.before) or COMPARED_BEFORE.search(claim.before))
    return False


EXAMPLE_PAIR_BEFORE = _cues(
    r"\b(?:an?|one|each) (?:[\w-]+ )?(?:child|pupil|student|learner|teacher|parent)\s+(?:and|or"
    r"|with) (?:their|his|her) $|\bbetween (?:an?|one|each) (?:[\w-]+ )?$",
)
EXAMPLE_LEAD = _cues(r"^\W*(?:for example|for instance|e\.g\.|imagine|suppose|say)\b")


def _an_example_person(claim: Claim) -> bool:
    """The audience word is one imagined learner ("A Year 3 pupil asking ...", "For example,
    a student may not be blocked from ...")."""
    if COMPARED_BEFORE.search(claim.before):
        return True
    if EXAMPLE_LEAD.match(claim.sentence) and EXAMPLE_BEFORE.search(claim.before):
        return True
    if EXAMPLE_PAIR_BEFORE.search(claim.before):  # "between a child and their teacher"
        return True
    return bool(EXAMPLE_BEFORE.search(claim.before) and EXAMPLE_PERSON_AFTER.match(claim.after))



PHASE_OF_SCHOOLS = _cues(
    r"^\s+(?:(?:public|private|state|independent|educational)\s+)?(?:schools?|districts?"
    r"|(?:educational )?institutions?|academies)\b")
FEEDER_BEFORE = _cues(r"\bfeeder\s+$")
MEASURE_AFTER = _cues(r"^\s+(?:scores?|results?|data|SATs|attainment|grades)\b")


def not_legal_or_company(claim: Claim) -> bool:
    """Phase and subject never from the law, data subjects, the company, names or an
    imagined example learner. A phase that qualifies the schools served ("K-12
    educational institutions") says who uses it even in legal text."""
    if claim.value in PHASES and PHASE_OF_SCHOOLS.match(claim.after):
        return not (FEEDER_BEFORE.search(claim.before) or _an_example(claim))
    if claim.value in PHASES and (FEEDER_BEFORE.search(claim.before)
                                  or MEASURE_AFTER.match(claim.after)):
        return False
    if not_said_of_the_product(claim) or _under_a_legal_lead(claim):
        return False
    if _an_example(claim):
        return False
    return not (ORGANISATION_AFTER.search(claim.after)
                or ORGANISATION_BEFORE.search(claim.before))


# "science-based reading", "the science of reading", "learning science": a qualifier.
QUALIFIER_AFTER = _cues(
    r"^(?:[- ](?:based|backed|led|informed|driven|grounded|aligned|proven)\b| of (?:reading"
    r"|learning|memory|teaching|retrieval|habit|motivation))",
)
QUALIFIER_BEFORE = _cues(
    r"\b(?:learning|cognitive|behaviou?ral|brain|neuro|rocket|the latest|decision)\s+$",
)


# "earn badges for points in an area such as literacy": what rewards are counted in.
REWARD_AREA_BEFORE = _cues(
    r"\b(?:points?|badges?|rewards?|merits?|stickers?|milestones?|house points)\b[^.]{0,80}"
    r"\b(?:such as|like|e\.g\.|including)\s+(?:[\w-]+,?\s+(?:(?:or|and)\s+)?)?$",
)


def a_subject_taught(claim: Claim) -> bool:
    return not (QUALIFIER_AFTER.search(claim.after) or QUALIFIER_BEFORE.search(claim.before)
                or REWARD_AREA_BEFORE.search(claim.before)
                or SUBJECT_FIELD_BEFORE.search(claim.sentence, 0, claim.start))


# A data field's examples: "subject area (for instance maths or art)".
SUBJECT_FIELD_BEFORE = _cues(
    r"\bsubject areas?\s*\([^()]*$|\bsubjects?\s*\((?:for example|e\.g\.|such as)[^()]*$")


def outside_own_name(claim: Claim) -> bool:
    """On a sub-processor list "Stride PE uses ..." only names the product; elsewhere a name
    ("My Maths Club") may say what it teaches."""
    names = _names_pattern(claim.names) if "suppliers" in claim.page else None
    return names is None or not any(m.start() <= claim.start and claim.end <= m.end()
                                    for m in names.finditer(claim.sentence))


def outside_host_name(claim: Claim) -> bool:
    """"Glimmer K12" spelled from glimmerk12.example is the company's name; its "K12" says no
    more about who the product is for than the host does."""
    labels = set(claim.names)
    spelled = tuple(name for name in claim.names if " " in name and _squashed(name) in labels)
    names = _names_pattern(spelled) if spelled else None
    return names is None or not any(m.start() <= claim.start and claim.end <= m.end()
                                    for m in names.finditer(claim.sentence))


# "grade 5 at GCSE", "grades 4-9": UK exam grades, not US school grades.
UK_GRADES = _cues(
    r"\b(?:GCSEs?|IGCSEs?|A[- ]levels?|AS levels?|exam\w*|key stage|KS\d|(?-i:Year) \d"
    r"|achiev\w*|score\w*|target\w*|predicted|secur\w*|boost\w*|gain\w*|get (?:a|their)"
    r"|grade boundaries|higher tier|foundation tier|pass(?:es|ed)?)\b",
)


def us_school_grade(claim: Claim) -> bool:
    return not UK_GRADES.search(claim.sentence)


# The vendor's own name is not an integration (Clever's pages name Clever throughout).
INTEGRATION_NAMES = {
    "google-classroom": ("google classroom", "google"),  # Google's own pages name its suite
    "google-workspace": ("google", "google workspace"),
    "microsoft-teams": ("microsoft teams", "microsoft"), "microsoft-365": ("microsoft",),
    "clever": ("clever",), "classlink": ("classlink",), "canvas": ("canvas", "instructure"),
    "wonde": ("wonde",), "schoology": ("schoology",), "moodle": ("moodle",),
    "blackboard": ("blackboard",), "brightspace": ("brightspace", "d2l"),
    "arbor": ("arbor", "arbor education", "arbor mis"), "sims": ("sims",),
    "bromcom": ("bromcom",), "isams": ("isams",), "scholarpack": ("scholarpack",),
    "powerschool": ("powerschool",), "infinite-campus": ("infinite campus",),
}


def not_the_product(claim: Claim) -> bool:
    """Not the vendor's own name; and not a supplier on a sub-processor list ("Microsoft 365 |
    staff email"), which the vendor uses rather than integrates with."""
    if "suppliers" in claim.page:
        return False
    own = {name.lower().replace("-", " ") for name in claim.names}  # "arbor-education"
    return not own & set(INTEGRATION_NAMES.get(claim.value, ()))


# A period for answering, refunding or trying is not how long data is kept.
NOT_RETENTION = _cues(
    r"\b(?:respond\w*|repl(?:y|ies)|notif\w+|acknowledg\w+|refund\w*|trials?|money[- ]back"
    r"|invoice\w*|pay\w*|breach\w*|incident\w*|cancel\w* within|notice|honou?r\w*"
    r"|requests? (?:are |is |will be )?(?:processed|actioned|completed|fulfill?ed|handled)"
    r"|(?:receiv\w*|after|following|upon|on) (?:a|an|your|the) (?:\w+ )?(?:deletion|erasure)"
    r" requests?)\b",
)


def kept_data_period(claim: Claim) -> bool:
    return not NOT_RETENTION.search(claim.sentence)


Check = Callable[[Claim], bool]
# The checks each field's positive values must pass (stated negatives skip them).
FIELD_SCOPE: dict[str, tuple[Check, ...]] = {
    "audience": (said_of_users, named_on_a_supplier_list, not_generic),
    "phase": (not_legal_or_company, named_on_a_supplier_list, not_generic, outside_host_name),
    "subject": (not_legal_or_company, a_subject_taught, outside_own_name,
                named_on_a_supplier_list, not_generic),
    "integration": (not_the_product,),
    "gdpr": (vendor_itself, has_a_subject, a_compliance_claim, definite, a_statement,
             not_a_reference, not_generic, named_on_a_supplier_list),
    "coppa": (vendor_itself, has_a_subject, a_compliance_claim, definite, a_statement,
              not_a_reference, not_generic, named_on_a_supplier_list),
    "ferpa": (vendor_itself, has_a_subject, a_compliance_claim, definite, a_statement,
              not_a_reference, not_generic, named_on_a_supplier_list),
    "dpa_offered": (no_supplier_subject, with_customers, definite_offer, a_statement,
                    not_a_reference, not_generic, not_the_readers_condition),
    "certification": (vendor_itself, own_certification, definite),
    "trains_on_user_data": (about_vendor, not_opt_in, a_statement),
    "retention": (kept_data_period,),
    "data_location": (about_vendor, not_generic),
    "price": (not_generic,),  # a blog's cost maths is not this product's price
    "pricing_model": (not_generic,),
    "ai_generative": (about_vendor, not_a_topic, not_a_definition, not_generic),
    "ai_chatbot": (about_vendor, not_a_topic, not_a_definition, not_generic),
    "ai_adaptive": (about_vendor, not_a_topic, not_a_definition, not_generic),
    "ai_provider": (about_vendor, not_a_topic, not_generic),
}


# "We never train on pupil work to build models that are publicly released": a negative
# limited to some models (or some data) is no clean "no".
QUALIFIED_AFTER = _cues(
    r"^[^.;]{0,60}?\b(?:(?:that|which) (?:are|is|will be|get|would be) (?:\w+ly )?(?:released"
    r"|published|shared|sold|made public|available)|publicly|public models?|other than|except"
    r"|beyond|outside (?:of )?(?:the|our)|unless|without (?:your |their )?(?:consent|permission)"
    r"|third[- ]part(?:y|ies))\b",
)


def unqualified_negative(claim: Claim) -> bool:
    return not QUALIFIED_AFTER.search(claim.after)


# An AI supplier's own promise ("Anthropic does not train its models on API data") is the
# supplier's, which a sub-processor list quotes; the vendor's is "we do not ...", or the
# supplier's promise about the vendor's users' data ("OpenAI does not train on your data").
WHOSE_DATA = _cues(
    r"\b(?:our|your|we|(?-i:us)|their|pupils?|students?|users?|customers?|schools?)\b")
AI_SUPPLIERS = (r"(?:Azure )?OpenAI|Anthropic|Google(?: Cloud)?|Gemini|Microsoft|Azure|AWS"
                r"|Amazon(?: Bedrock)?|Bedrock|Mistral|Cohere|Meta")
# The checks a stated negative must pass, beyond having no one else as its subject.
NEGATIVE_SCOPE: dict[str, tuple[Check, ...]] = {
    "trains_on_user_data": (unqualified_negative,),
}


def in_scope(field_name: str, claim: Claim, checks: tuple[Check, ...] = ()) -> bool:
    """Every check of the field (and the rule's own ``checks``) accepts the claim."""
    if claim.value == "no":  # stated negatives: their patterns name the verb; not others'
        others = f"{PEOPLE}|{GENERIC_TOOLS}"
        if not WHOSE_DATA.search(claim.sentence):
            others += f"|{AI_SUPPLIERS}"
        return ("other" not in _subjects(claim, others)
                and all(check(claim) for check in NEGATIVE_SCOPE.get(field_name, ())))
    return all(check(claim) for check in (*FIELD_SCOPE.get(field_name, ()), *checks))


# What a whole page is, from its title or first lines; checks read the tags.
PAGE_KINDS = {
    "suppliers": re.compile(r"\bsub-?processors?\b|\bsubprocessors?\b", re.IGNORECASE),
}
# A controller's list of its own processors is a supplier list too: "Processors (GDPR Art.
# 30)", "List of our service providers".
PROCESSORS_HEADING = re.compile(
    r"^\W*(?:(?:our|data)\s+)?processors(?:\s*(?:\(|[-–—]|$)|\s+(?:we\s+use|list)\b)"
    r"|^\W*(?:a\s+)?(?:full\s+)?list of (?:our\s+)?(?:(?:third[- ]party\s+)?service providers"
    r"|processors)\b", re.IGNORECASE)
# Blog posts, guides and glossaries talk about the world: a sentence there is about the
# product only when it names it ("we", "our", its name).
ARTICLE_URL = re.compile(
    r"/(?:blog|blogs|[\w-]+-blog|news|glossary|learn|insights|guides?|posts?|stories|magazine"
    r"|tags?|authors?|category|categories|topics"
    r"|resources)(?:/|$)"
    r"|/(?:19|20)\d\d/[01]\d/", re.IGNORECASE,  # a dated permalink: "/2015/07/title"
)
# A blog's own host ("blog.quillo.example") is an article too. (A WordPress "/?p=2146" is
# as often a product page as a post.)
ARTICLE_HOST = re.compile(r"^(?:blog|blogs|news|insights|stories)\.", re.IGNORECASE)


def article_url(url: str) -> bool:
    parts = urlsplit(url)
    return bool(ARTICLE_URL.search(parts.path) or ARTICLE_HOST.search(parts.hostname or ""))


ARTICLE_TITLE = re.compile(
    r"^\W*(?:how|why|what (?:is|are)|when|\d+ (?:ways|tips|reasons))\b|\bexplained\b"
    r"|\b(?:a|the|complete|ultimate) guide\b", re.IGNORECASE,
)
# "How homework is marked", "How marking is checked": the product's own process, where
# "How AI tutors work in the classroom" explains the world
PROCESS_TITLE = re.compile(r"\W*how (?:\w+ ){1,3}(?:is|are|gets?) \w+ed\W*$", re.IGNORECASE)
# A reader's question on a help or FAQ page ("How many lessons can I generate?", "How do I
# sync my classes?") heads its answer; it does not make the page an article.
READER_QUESTION = re.compile(
    r"\b(?:I|my|me|we|our|us|you|your)\b[^?]*\?\s*$|^\W*how (?:much|long|often) (?:does|do|is|are"
    r"|will|can)\b[^?]*\?\s*$|^\W*how (?:does|do) (?:it|this|they) work\?"
    r"|^\W*(?:FAQs?|frequently asked questions|help (?:centre|center)|support)\b", re.IGNORECASE,
)

# A help centre's answers are about its own product, however they are titled ("How usage
# hours work"): its host, path or first label says so.
HELP_HOST = re.compile(r"^(?:help|support|docs|kb)\.|\.(?:zendesk|freshdesk|helpscoutdocs)\.com$"
                       r"|^intercom\.help$", re.IGNORECASE)
HELP_PATH = re.compile(r"/(?:hc|help|support|faqs?|help-?cent(?:re|er)|knowledge-?base|kb)(?:/|$)",
                       re.IGNORECASE)
HELP_LABEL = re.compile(r"^\W*(?:help(?: articles?| cent(?:re|er)| docs)?|support(?: articles?"
                        r"| cent(?:re|er))?|FAQs?|frequently asked questions|knowledge base)\W*$",
                        re.IGNORECASE)


def help_page(page: PageContent, units: list[str], url: str) -> bool:
    parts = urlsplit(url)
    return bool(HELP_HOST.search(parts.hostname or "") or HELP_PATH.search(parts.path)
                or any(HELP_LABEL.match(u) for u in [page.title or "", *units[:2]]))

# Trust and security pages: their short labels are badges ("UK GDPR & DPA 2018").
TRUST_URL = re.compile(
    r"/(?:security|trust|trust-?cent(?:re|er)|compliance|data-security|data-protection"
    r"|privacy-and-security|security-and-privacy)(?:[/.]|$)", re.IGNORECASE,
)
TRUST_TITLE = re.compile(r"\b(?:security|trust (?:centre|center|portal))\b", re.IGNORECASE)
# The vendor's own data processing terms: titled so, and written as clauses of an agreement.
AGREEMENT_TITLE = re.compile(r"\bdata processing (?:policy|agreement|addendum|terms)\b", re.I)
AGREEMENT_TEXT = re.compile(
    r"\b(?:clauses?|this (?:agreement|addendum)|(?:the|a) data processor|the processor shall)\b",
    re.IGNORECASE,
)


def page_kinds(page: PageContent, units: list[str], url: str = "",
               names: tuple[str, ...] = ()) -> frozenset[str]:
    """Tags for the page: a sub-processor list, an article (by URL, or a "How ..." title
    that does not name the product: "How Quillo uses AI" is the vendor's own page), a trust
    page, the vendor's data processing terms."""
    head = " ".join([page.title, *units[:3]])
    kinds = {kind for kind, pattern in PAGE_KINDS.items() if pattern.search(head)}
    if any(PROCESSORS_HEADING.match(part) for part in [page.title, *units[:3]]):
        kinds.add("suppliers")
    if TRUST_URL.search(urlsplit(url).path) or TRUST_TITLE.search(page.title or ""):
        kinds.add("trust")
    if AGREEMENT_TITLE.search(head) and any(AGREEMENT_TEXT.search(u) for u in units[:200]):
        kinds.add("agreement")
    own = _names_pattern(names)
    # the title's own heading repeated on the page ("How marking is checked" under the title
    # "How marking is checked - Quillo") keeps the title's kind when it describes the
    # product's own process (PROCESS_TITLE)
    named_title = {part.strip() for part in _TITLE_SPLIT.split(page.title or "")
                   if own and own.search(page.title or "") and PROCESS_TITLE.match(part)}
    if article_url(url) or not help_page(page, units, url) and any(
            ARTICLE_TITLE.search(u) and not (own and own.search(u)) and u not in named_title
            and not READER_QUESTION.search(u) for u in [page.title, *units[:2]] if u):
        kinds.add("article")
    return frozenset(kinds)


_GENERIC_HOST_LABELS = _set(  # "support.quillo.example" is Quillo's
    "www app apps my en uk us go get try info web home portal beta help support docs kb hc"
    " status trust blog community intercom co com org net ac gov edu sch ltd staging"
)
# Hosts where many vendors keep pages: the registrable label names the platform, not them.
SHARED_HOSTS = _set(
    "google.com wordpress.com zendesk.com webflow.io squarespace.com netlify.app github.io"
    " freshdesk.com helpscoutdocs.com uservoice.com tawk.help helpjuice.com intercom.help"
    " notion.site wixsite.com weebly.com blogspot.com substack.com medium.com gitbook.io")
_TITLE_SPLIT = re.compile(r"\s+[|–—·:-]\s+|\s*\|\s*")
_NAME_SCAN_CHARS = 20_000
# A policy's defined term for itself: 'Quillo Learning Ltd ("we", "us")'.
DEFINED_AS_WE = re.compile(  # the quoted defined term: ("we", ("We", (hereafter "us"
    r"\(\s*(?:hereafter |hereinafter |together )?[\"“”'‘](?:we|us|our)[\"“”'’]", re.IGNORECASE)
NAME_BEFORE = re.compile(  # up to four capitalised words of bounded length, then the bracket
    r"(?P<name>(?<![\w’'-])[A-Z][\w.&’'-]{0,40}(?: [A-Z][\w.&’'-]{0,40}){0,3})"
    r"(?:,? (?:Ltd|Limited|LLC|Inc)\.?)?\s*$")
def _defined_names(text: str) -> list[str]:
    """'Quillo Learning Ltd ("we", "us")': the capitalised words right before a quoted "we"."""
    names = []
    for mark in DEFINED_AS_WE.finditer(text):
        before = NAME_BEFORE.search(text, max(0, mark.start() - 200), mark.start())
        if before and before["name"].lower() not in _SMALL_NAME_WORDS:
            names.append(COMPANY_SUFFIX.sub("", before["name"]))
    return names


COMPANY_SUFFIX = re.compile(r",?\s+(?:Ltd|Limited|LLC|Inc|Corp|plc)\.?$", re.IGNORECASE)
# "How the Report Builder works": the page explains a product of that name.
EXPLAINER_TITLE = re.compile(
    r"^\W*how (?:the |our )?(?P<name>(?-i:[A-Z])[\w-]*(?: (?-i:[A-Z])[\w-]*){0,3}) works?\b",
    re.IGNORECASE)
# Small words a name may hold in lower case: "Spell my Words", "Learn with Pip".
_SMALL_NAME_WORDS = _set("with and of for the my to a in on")
# What a host adds to a name: "getquillo", "quilloapp", "quillohq", "quillo-ai".
_HOST_AFFIXES = re.compile(r"^(?:get|try|use|join|go|hey|meet)|(?:app|hq|ai|online|edu|io"
                           r"|support|help|education)$")  # "quillosupport" is Quillo's


def _squashed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


@lru_cache(maxsize=1024)
def _spelling(squashed: str) -> re.Pattern[str]:
    """The letters of ``squashed`` with a space or hyphen allowed between any two."""
    return re.compile(r"(?<![\w’'])" + "[ -]?".join(map(re.escape, squashed)) + r"(?![\w’'])",
                      re.IGNORECASE)


def _spelled_out(label: str, text: str) -> list[str]:
    """The host label as the page spells it: "Spelling Tutor" for spellingtutor.example,
    "Tellmo" for gettellmo.example. A label read as one word misses every sentence that
    names the product in words, and with them what it says of the product. Each word is
    capitalised, or a small word inside ("Learn with Pip")."""
    wanted = {_squashed(label)} | {_squashed(_HOST_AFFIXES.sub("", label))}
    found: list[str] = []
    for squashed in sorted(w for w in wanted if len(w) >= 4):
        for match in _spelling(squashed).finditer(text):
            words = re.split(r"[ -]", match.group())
            name = " ".join(words)
            if (words[0][:1].isupper() and words[-1][:1].isupper()
                    and all(w[:1].isupper() or w[:1].isdigit() or w in _SMALL_NAME_WORDS
                            for w in words)
                    and name.lower() != label and name not in found):
                found.append(name)
    return found


def product_names(page: PageContent, url: str) -> tuple[str, ...]:
    """The names this page's product goes by: its host's label ("quizzly" of
    www.quizzly.example), the short parts of the title, og:site_name and the JSON-LD
    organisation. Derived from the page alone, so a live, replayed or direct read agree."""
    names: list[str] = []
    host = (urlsplit(url).hostname or "").split(".")
    labels = [label for label in host[:-1]
              if label not in _GENERIC_HOST_LABELS and not label.isdigit()]
    text = f"{page.title}\n{page.main_text[:_NAME_SCAN_CHARS]}"
    shared = ".".join(host[-2:]) in SHARED_HOSTS  # sites.google.com/view/quillo is not Google's
    for label in labels[:1 if shared else 2]:  # "school-support.wonde.com" is Wonde's
        names.append(label)
        names += _spelled_out(label, text)
        hack = label + host[-1]  # a domain hack: ed.link is Edlink's, if the page says so
        if len(label) <= 3 and re.search(rf"(?<!\w){hack}(?!\w)", text, re.IGNORECASE):
            names.append(hack)
    parts = _TITLE_SPLIT.split(page.title or "")
    explained = [m["name"] for part in parts if (m := EXPLAINER_TITLE.match(part))]
    explained += _defined_names(page.main_text[:_NAME_SCAN_CHARS])
    candidates = [*parts, *explained, page.opengraph.get("site_name", ""),
                  str(page.organization.get("name", "") or "")]
    for part in candidates:
        part = part.strip()
        if part and len(part.split()) <= 3 and len(part) >= 3:
            names.append(part)
    return tuple(dict.fromkeys(name.lower() for name in names))


# --------------------------------------------------------------------------- context cues

COMPLIANCE = _any(
    r"complian(?:t|ce)", r"compl(?:y|ies|ying|ied)", r"accordance", r"adhere[sd]?", "adherence",
    r"conform\w*", "meets?", "certified", "in line with", "approved", r"safe harbou?r",
    # "we follow FERPA guidelines", not "schools should follow", "we follow up"
    rf"(?:we|it)(?: (?:strictly|fully|closely|always))? follows? (?:the )?(?:{_LAW_OBJECT})",
    r"school officials?",
    r"aligned(?: with)?", r"(?:fully )?covered by", r"in full accordance",
)
DPA_OFFER = _any(
    "available", r"(?:on|upon) request", r"download\w*", "in place",
    r"gives? (?:you|your|schools?|customers?)\b",  # "a page that gives your teams ... terms"
    r"(?:we|i)(?:['’](?:re|ll|d|m))?(?: \w+){0,2}? (?:offer|provide|sign|execute|enter into"
    r"|countersign|agree to"
    r"|make available|put in place|have signed|will sign)",
    r"(?:schools?|customers?|districts?|trusts?|you|institutions?|clients?|colleges?)"
    r"(?: \w+){0,2}? (?:can|may|are able to|will|just)(?: \w+)? (?:sign|request|download|access"
    r"|review|obtain|execute|receive|get)",
    r"our (?:standard |model |template |own )?(?:DPA|data processing|data protection"
    r"|data privacy|student data|data sharing)",
    r"sign(?:ed|s|ing)?(?: \w+){0,5}? with (?:(?:every|each|all|our|the|your|any|\d[\d,]*)"
    r" )?(?:\w+ )?(?:schools?|customers?|districts?|trusts?|institutions?|clients?|states?)",
    r"includes? (?:a|our|the) (?:DPA|data processing)", r"(?:sign|signing) (?:a|the|our) (?:DPA"
    r"|data)", r"part of (?:our|the) (?:terms|agreement|contract)", "signed",
    r"(?:that|which) (?:schools?|customers?|districts?|trusts?) sign", r"forms? part of",
    r"enter(?:s|ed)? into (?:a|an|the|our) (?:written )?(?:DPA|data)", r"ask us (?:for|about)",
    r"(?:schools?|districts?|customers?|trusts?)(?: and \w+)? (?:under|with) (?:an?|the|our"
    r"|a signed) (?:N?DPA|SDPA|data)",
    r"(?:clause|section|schedule|annex) [\d.]+ of (?:the|our)",
    # "governed by a DPA between Quillo and the school"
    r"(?:governed by|covered by|set out in) (?:a|an|the|our) (?:signed |written )?(?:DPA|data"
    r" (?:processing|protection|privacy) (?:agreement|addendum))",
    r"between us and (?:the|each|every|your|our) (?:schools?|customers?|districts?|trusts?"
    r"|institutions?)",
    # "pupil records we hold under a signed DPA with each trust"
    r"(?:we|it)(?: \w+){0,2}? (?:process|handle|hold|store)\w*(?: [\w-]+){0,4}? under (?:an?|the"
    r"|our|each|every) (?:signed |written )?(?:[\w-]+ ){0,3}?(?:N?DPA|SDPA|agreement|addendum)",
)
AI_USE = _any(
    "powered", "built", r"uses?", "using", "used", r"leverag\w*", r"integrat\w*", r"partner\w*",
    "provided", r"providers?", "via", "through", r"runs?", "running", "based on", "relies",
    "rely", r"sub-?processors?", r"processors?", r"models?", "API", r"connect\w*",
    r"sen(?:t|d|ds) to", r"calls?",
)
AI_CONTEXT = _any(
    "AI", "artificial intelligence", r"models?", r"LLMs?", r"language models?", "generative",
    r"chat ?bots?", "assistant", "tutor", "GPT", "machine learning", "Anthropic", "OpenAI",
    "Google", "Meta", "Amazon", "AWS",
)
LMS_CONTEXT = _any(
    r"LMS(?:s|es)?", "learning management", "Schoology", "Moodle", "D2L", "Brightspace",
    "Google Classroom", "ClassLink", "LTI", "SSO", r"single sign[- ]on", r"sign[- ]?in",
    r"log[- ]?in", r"roster\w*", r"sync\w*", r"integrat\w*", "Instructure", "SIS",
    "Wonde", "Microsoft Teams", r"(?-i:MIS)", "management information system", r"(?-i:SIMS)",
)
CURRENCY = _any(r"[$£€]", "USD", "GBP", "EUR", r"dollars?", r"pounds?", r"euros?")

# --------------------------------------------------------------------------- pricing

_FREE_TO = r"use|download|join|play|sign up|try"  # "free to use", not "free to leave"
PRICING_MODEL: dict[str, tuple[str, ...]] = {
    "free": (
        # "always free to undo it later" is a liberty, not a price
        "free forever", "forever free", r"(?:always|completely|totally|entirely|100%) free"
        rf"(?!\s+to (?!{_FREE_TO})\w)",
        r"(?<!feel )(?<!re )(?<!are )free (?:for|to) (?:all |every |any )?(?:[\w.]+ )?(?:teachers?"
        r"|educators?|students?"
        r"|schools?|classrooms?"
        r"|families|parents|individuals?|personal use|non-?commercial use|everyone|ever)",
        # not "free to leave", "free from adverts"; "free of charge for 3 weeks" is a trial
        r"free of charge(?! for (?:up to |the first )?(?:\d+|one|two|three|four|six|fourteen"
        r"|thirty) (?:days|weeks|months))",
        rf"(?:is|are|it's|it’s|stays?|remains?) free(?!\s+(?:from|to (?!{_FREE_TO})\w))",
        # "for free (a taster) for the first ten days" is a trial
        r"(?<!try it )(?<!try )for free(?!\s*(?:\([^)]{0,40}\)\s*)?for (?:up to |the first )?"
        r"(?:\d+|one|two|three|four|five|six|seven|ten|fourteen|thirty)(?: \(\d+\))?[- ]"
        r"(?:days?|weeks?|months?))",
        r"free to (?:use|download|join|play|sign up)",
        r"(?:costs?|charges?) nothing\b", r"(?<!extra )at no cost\b",
        # not a compound: "a jargon-free version", "an ad-free edition"
        r"(?<!-)free[- ](?:basic |teacher |student |parent |family |personal |starter )?"
        r"(?:account|plan"
        r"|tier|version|edition)s?",
        r"(?:our|the|a) free (?:service|app|product|platform)",
        r"free(?: and open[- ]source|/libre)",
        # a free allowance: "you get 5 free lessons", "includes 20 free credits"
        r"\d+ free (?:AI )?(?:lessons?|credits?|worksheets?|quizz(?:es)?|generations?|downloads?"
        r"|resources?|searches|messages|questions|uses|reports|exports|charts?|plans|tokens)",
    ),
    "freemium": (
        "freemium",
        r"upgrade to (?:a |the )?(?:pro|premium|plus|paid|unlimited)",
        r"upgrade (?:if|when) you (?:want|need)",
        r"free (?:and|or|&) (?:paid|premium|pro) (?:plans?|versions?|tiers?|options?)",
        r"free (?:and|or|&) (?:low-cost|paid-for|premium|paid) (?:classes|courses|lessons|resources"
        r"|content|activities|plans?|versions?|options?)",
        r"free (?:basic )?(?:plan|version|tier)s? (?:with|and|plus) (?:paid|premium|pro)",
        r"upgrade from (?:the |a )?free (?:version |plan |tier |account )?to (?:the |a )?(?:full"
        r"|paid|premium|pro)",
    ),
    "paid": (
        "free trial", "trial period", r"\d+[- ]day (?:free )?trial",
        r"free(?: of charge)? (?:\([^)]{0,40}\) )?for (?:up to |the first )?(?:\d+|one|two"
        r"|three|four|five|six|seven|ten|fourteen|thirty)(?: \(\d+\))?[- ](?:days?|weeks?|months?)",
        r"billed (?:monthly|annually|yearly)",
        r"(?:monthly|annual|yearly) (?:subscription|fee|licen[cs]e|billing)",
        r"subscription (?:fees?|costs?|prices?)", r"licen[cs]e fees?",
        r"paid (?:plans?|subscriptions?|version|tiers?|membership|members|subscribers|licen[cs]es?"
        r"|accounts?|(?:course|school|home|teacher|student) licen[cs]es?)",
        # "we earn our revenue from subscriptions", "schools can pay by invoice"
        r"revenue (?:comes? )?(?:from|through) (?:\w+ )?subscriptions",
        r"pay(?:ing)? (?:via|by|with) (?:an? )?(?:invoice|purchase order|credit card|debit card)",
        r"enrol(?:l)?ment fees?",
        r"(?:plans?|licen[cs]es?|subscriptions?) (?:was|were|is|are|has been|have been)"
        r" (?:purchased|bought|paid for)",
        # a paid tier by name: "on the Pro plan", "Premium subscribers"
        r"(?-i:Pro|Premium|Plus)[- ](?:plans?|tiers?|subscriptions?|subscribers?|accounts?)",
        r"one-?(?:time|off) (?:fee|payment|purchase)", "buy now",
        # "school licences are available to purchase", "purchase a licence", "one purchase
        # per learner", "charge your card", "the end of your billing period"
        r"purchas\w* (?:a |an |one |another |more |additional )?(?:[\w-]+ ){0,3}?(?:licen[cs]es?"
        r"|vouchers?|subscriptions?|seats?|memberships?)",
        r"(?:single|one) purchase per", r"charge your (?:credit |debit )?card",
        r"pay for (?:a|an|the|your) (?:\w+ )?subscription",
        r"(?:send|issue|raise)s? (?:\w+ )?(?:an |the )?invoices?",
        r"(?:who|which|that) purchased (?:the |a |an |their )?(?:class|seats?|licen[cs]es?"
        r"|subscriptions?|plan|accounts?)",
        r"(?:free )?trial or (?:a |paid )?subscription",
        r"billing (?:period|cycle)",
        r"(?:monthly|annual|yearly|home|school|paid) subscriptions?(?! (?:are|is) (?:\w+ )?free)",
        r"(?:licen[cs]es?|subscriptions?|plans?|seats?)(?: [\w-]+){0,3}? (?:are |is )?available"
        r" (?:for|to) (?:purchase|buy)",
        # a premium plan, a school or trust licence
        r"premium (?:pricing )?(?:plans?|subscriptions?|tiers?|licen[cs]es?)",
        r"(?:individual|teacher|team|school|district|department|site|whole[- ]school|trust"
        r"|institutional) (?:subscriptions|licen[cs]es)(?! (?:are|is) (?:\w+ )?free)",
        r"(?:determines?|calculates?|works? out) (?:your|the) (?:cost|price|fee)s?",
        r"(?:you|schools?|customers?|districts?) (?:will |are |would |may )?be (?:charged|billed"
        r"|invoiced)\b",
        # paying per active pupil, paying for extra seats
        r"(?:you|schools?|customers?) (?:only )?pay (?:only )?(?:for|per) (?:each |every )?"
        r"(?:active )?(?:students?|pupils?|users?|teachers?|seats?|licen[cs]es?)\b",
        r"pay for (?:additional|extra|more) (?:student |teacher |user )?(?:licen[cs]es|seats"
        r"|students|users|places)",
        # "we charge you one credit per pupil", "Schools pay Quillo to host ...", "students
        # pay for access", "part of the price of your plan", "a membership fee"
        r"we (?:only )?charge (?:you|schools?|customers?|users?|for)\b",
        r"(?:schools?|nurseries|customers?|parents|families|students|pupils|learners|users)"
        r" (?:shall |will |must |(?:has|have) agreed to (?:\w+ )?(?:and )?)?pay"
        r" (?:for (?:access|the right|the service|use|each|every|their)|us\b"
        r"|a (?:fee|subscription))",
        r"(?:in|within) the price of (?:your|the|our|each) (?:\w+ )?(?:package|plan|subscription"
        r"|licen[cs]e)", r"membership fees?",
        r"(?:our )?pric(?:ing|es) (?:is |are )?based on (?:the )?(?:number|size|count) of",
        # a kind of subscription: "an institutional subscription", "Basic Level subscription",
        # "included in one subscription" (a subscription's billing in a policy is not enough:
        # judges read those as data kept, not as a price)
        r"(?:institutional|institution|district|family|classroom|site|basic|standard|universal)"
        r"(?: level)? subscriptions?\b(?! (?:are|is) (?:\w+ )?free)",
        r"(?:included in|part of) (?:one|your|a|the) subscription",
    ),
    "quote-only": (
        r"custom[- ]quoted", r"(?:plans?|licen[cs]es?|pricing|prices?) (?:is |are )?quoted"
        r" (?:individually|per (?:school|district|trust)|on request|for each)",
        r"contact (?:our )?sales", r"(?:talk|speak) (?:to|with) (?:our )?sales",
        r"(?:request|get|ask for) (?:a )?(?:custom |free )?quote",
        r"contact us (?:for|about) (?:a )?(?:\w+ )?(?:pricing|quote|prices?|costs?)",
        # "get in touch to discuss group licences", "contact us to arrange a package"
        r"(?:enquire|inquire|contact us|get in touch|speak to us|talk to us) (?:to|and we(?:['’]ll"
        r"| will)) (?:discuss|arrange|agree|tailor)(?: [\w()-]+){0,3}? \(?(?:pricing|prices?"
        r"|licen[cs]\w*|subscriptions?|options|packages?|quotes?|costs?)",
        r"(?:custom|bespoke|tailored) pricing",
        r"pricing (?:is )?(?:available )?(?:on|upon) request",
        "quote-based",
    ),
}
PER_UNIT_PAID = (  # "/mo" follows a digit, so no word boundary before it
    r"(?<!\w)per (?:month|year|annum|student|pupil|user|seat|teacher|licen[cs]e|school)(?!\w)",
    r"/ ?(?:mo|month|yr|year)(?!\w)",
)

CURRENCY_SYMBOLS = {
    "us$": "usd", "$": "usd", "£": "gbp", "€": "eur", "a$": "aud", "au$": "aud",
    "c$": "cad", "ca$": "cad", "nz$": "nzd", "₹": "inr",
}
CURRENCY_CODES = ("USD", "GBP", "EUR", "AUD", "CAD", "NZD", "INR")
CURRENCY_WORDS = {"euro": "eur", "euros": "eur"}  # "15 EURO / month"
UNIT_ALIASES = {
    "mo": "month", "monthly": "month", "yr": "year", "annum": "year", "annually": "year",
    "annual": "year", "weekly": "week",
    "yearly": "year", "license": "licence", "licenses": "licence", "children": "child",
    "semester": "term", "semesters": "term", "trimester": "term",
    "school year": "year", "academic year": "year",
}
UNITS = _set(
    "month year week day term user student pupil teacher educator seat school class classroom "
    "licence learner child site account subject hour lesson"
)
_UNIT_WORDS = (
    r"(?:school|academic) year|month|mo|year|yr|annum|week|day|term|semester|trimester|user"
    r"|student|pupil|teacher|educator|seat|school|class|classroom|licen[cs]e|learner|child|site"
    r"|account|subject|hour"
    r"|lesson"
)
_AMOUNT = r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?!\d|,\d)"
_NOT_A_PRICE_AFTER = (r"(?!\s*(?:million|billion|bn|mn|m|k|thousand|off|discount"
                      # "a £2 yearly reduction for each child", "a £10 voucher": money back
                      r"|(?:(?:yearly|annual|monthly|one-off)\s+)?(?:reduction|rebate|cashback"
                      r"|refund|voucher|gift[- ]?card)s?)\b)")
_PERIODS = r"month|mo|year|yr|annum|week|term|semester|trimester"
_ABBREVIATED = r"(?:p/a|p\.a\.|pa|pcm|p\.c\.m\.|p/m|p\.m\.|pppa)(?![\w/])"
_UNITS = (  # "per provider/month": a unit of any name before a period is dropped
    # "£725 p/a", "£99 pcm", "£2 pppa" (per pupil per annum): a period's abbreviation
    rf"(?:\s*(?P<abbrev>{_ABBREVIATED}))?"
    r"(?:\s*(?:\+|plus|ex\.?|excl?\.?|excluding|inc\.?|incl?\.?|including)\s*VAT)?"  # "+ VAT"
    rf"(?P<units>(?:\s*(?:/|,?\s*per|a|an)\s*(?:{_UNIT_WORDS})s?(?!\w)"
    rf"|\s*per\s+[a-z]+(?=\s*/\s*(?:{_PERIODS})\b))*)"
    rf"(?:\s*(?P<abbrev_after>{_ABBREVIATED}))?"  # "£3 per pupil pa"
    r"(?:\s+(?P<adverb>monthly|annually|yearly)"
    # "£7.99 (charged once per month)", "$8 billed annually"
    r"|\s*\(?\s*(?:charged|billed|paid|payable)\s+(?:(?:once\s+)?(?:per|a|an|each|every)\s+"
    r"(?P<billed>month|year|week|term)\b|(?P<billed_adverb>monthly|annually|yearly)\b)"
    # "a $50 annual registration fee"
    r"|\s+(?P<fee_adverb>annual|yearly|monthly|weekly)\s+(?:[\w-]+\s+)?(?:fee|charge"
    r"|subscription|payment|licen[cs]e)s?\b"
    r"|(?:\s+(?:flat|one|single|annual))?(?:\s+(?:fee|price|payment))?\s+for\s+(?:the|a|an|each)"
    r"\s+(?:(?:entire|whole|full)\s+)?(?:school\s+|academic\s+)?(?P<for_year>year)\b"
    # "$15 for the first extra month"
    r"|\s+for\s+(?:the|a|an|each|every)\s+(?:(?:first|next|second|third|additional|extra)\s+)"
    r"{0,2}(?P<for_period>month|week|term)\b)?"
)
_NOT_A_PRICE_BEFORE = re.compile(
    r"(?:save|saving|saved|raised?|raising|funding|worth|prizes?|grant|donat\w*|earn\w*|won|win"
    r"|award(?:s|ed|ing)?"  # "the top class is awarded £40 of book tokens"
    r"|subsid\w+|(?:gives?|giving|grants?|allocat\w+|awards?)\s+(?:[\w-]+\s+){0,2}?(?:schools?"
    r"|districts?|trusts?|academies|settings))"
    # a prize in a list: "Winner - £300"
    r"\s*(?:[-–—:]\s*)?(?:up to\s*|an? (?:additional|extra)\s*)?$",
    re.IGNORECASE,
)
_UNIT_SPLIT = re.compile(r"\s*,?\s*(?:/|\bper\b|\ban?\b)\s*", re.IGNORECASE)


# Worked examples and totals: "Adult tickets cost $12", "the total collected was $760". A
# price is the product's when what costs it is a plan, a licence, the product (or nothing).
PRICED_THING = re.compile(
    r"\b(?P<thing>(?!(?:the|a|an)\s)[\w'’-]+)\s+(?:cost|costs|costing|sell for|sells for"
    r"|sold for|priced at|are priced at|is priced at)\b(?=[^.;]*$)",  # not "the cost of"
    re.IGNORECASE,
)
PRODUCT_COSTS = _cues(
    r"^(?:plans?|tiers?|subscriptions?|licen[cs]es?|seats?|memberships?|packages?|bundles?"
    r"|versions?|editions?|it|this|that|access|upgrades?|accounts?|pro|premium|plus|unlimited"
    r"|basic|standard|team|school|schools|enterprise|starter|individual|family|home|classroom"
    r"|annual|monthly|yearly|course|courses|programmes?|programs?|add-ons?|credits|user|users"
    r"|teacher|teachers|pupil|pupils|student|students|app|platform|service|tool|product|sets?"
    r"|sessions?|lessons?|classes|tuition|tutoring|base|total|full)$",
)
TALLIED = _cues(r"\b(?:collected|spent|sold|bought|takings|received|totals?|totalled|totaled)"
                r"(?:\s+\w+){0,4}?\s+(?:was|were|is|of|came to)\s*$")


# "As a worked case, let's say you join at $12/month": a worked example's figures.
WORKED_EXAMPLE_BEFORE = _cues(r"\b(?:let['’]s say|let us say|as an example|an example of how)\b")


# Sums: "2 seats x $60 = $120", "4 × £8 = £32", "$12.50 - $5": a figure in working.
IN_A_SUM_BEFORE = _cues(r"(?:[=×÷*]|(?:^|\s)x)\s*$")
IN_A_SUM_AFTER = _cues(r"^\s*(?:[=×÷*]|x\s*(?:[$£€]|\d)|[-–+]\s*[$£€]?\d[\d.,]*\s*=)")
# What a charge on one date, a credit or a deduction is: "charged $10 on April 1",
# "a $20 book credit", "less a $50 admin fee", "orders above $500".
DATED_AFTER = _cues(
    r"^\s*(?:on|by)\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
)
CREDIT_AFTER = _cues(r"^\s*(?:[\w-]+\s+)?credits?\b"
                    # an allowance of money handled: "up to £500 a month of payment volume"
                    r"|^\s*(?:of\s+)?(?:payment|transaction|processing|sales|revenue)\s+volume\b")
# What the customer's own customers pay, in a billing product's help: "When twins come in on
# the same day, each will be charged $30", "Revenue per lesson is $60".
THEIR_CHARGE_BEFORE = _cues(
    r"\b(?:(?:they|he|she|children|child|families|family|parents?|guardians?|each child"
    r"|the child|each family|attendees|members|customers|clients) (?:will|would|may|might|could)"
    r" (?:then )?be (?:charged|billed|invoiced)|revenue(?: per \w+)? (?:is|was|of|will be))\s*$")
NOT_A_CHARGE_BEFORE = _cues(
    r"\b(?:(?:minus|less|deducting)\s+(?:an?\s+|the\s+)?"
    r"|(?:credit|refund|discount|reduction|rebate|cashback)\s+of\s+(?:up to\s+)?"
    r"|(?:orders?|purchases?|plans?|invoices?|spend(?:ing)?|baskets?)\s*\(?\s*(?:of\s+)?"
    r"(?:above|over|exceeding|more than|under|below|less than)\s+)$"
)


def a_price_of_the_product(claim: Claim) -> bool:
    """Not what a ticket in a worked example costs, a figure in a sum, a charge on a date,
    a credit, a deduction or a threshold, nor a total collected."""
    before = claim.sentence[: claim.start]
    if (TALLIED.search(before) or EXAMPLE_LEAD.match(claim.sentence)
            or WORKED_EXAMPLE_BEFORE.search(before) or IN_A_SUM_BEFORE.search(before)
            or IN_A_SUM_AFTER.match(claim.after) or DATED_AFTER.match(claim.after)
            or CREDIT_AFTER.match(claim.after) or NOT_A_CHARGE_BEFORE.search(before)
            or THEIR_CHARGE_BEFORE.search(before)):
        return False
    thing = next(reversed(list(PRICED_THING.finditer(before))), None)  # the last one
    if thing is None:
        return True
    names = _names_pattern(claim.names)
    return bool(PRODUCT_COSTS.match(thing.group("thing"))
                or (names and names.fullmatch(thing.group("thing"))))


def _price(match: re.Match[str]) -> list[str]:
    """``usd 12/month`` from "$12/month"; nothing for "save $20" or "$17 million"."""
    if _NOT_A_PRICE_BEFORE.search(match.string[: match.start()]):
        return []
    groups = match.groupdict()
    if groups.get("symbol"):
        currency = CURRENCY_SYMBOLS[groups["symbol"].lower()]
    else:
        currency = (groups.get("code") or "").lower()
        currency = CURRENCY_WORDS.get(currency, currency)
    raw_amount = groups["amount"]
    if DECIMAL_COMMA.fullmatch(raw_amount) and currency == "eur":
        raw_amount = raw_amount.replace(",", ".")
    amount = normalise_amount(raw_amount)
    if not amount or amount == "0":
        return []
    units = [u for u in _UNIT_SPLIT.split(groups.get("units") or "") if u]
    abbreviated = (groups.get("abbrev") or groups.get("abbrev_after") or "").lower()
    units += [u for u in ABBREVIATED_UNITS.get(abbreviated, ())  # one period at most
              if u not in PERIOD_UNITS or not PERIOD_UNITS & set(map(_unit, units))]
    if groups.get("adverb"):
        units.append(groups["adverb"])
    if groups.get("for_year"):
        units.append("year")
    for period in ("for_period", "billed", "billed_adverb", "fee_adverb"):
        # "$6/month billed annually" is a monthly price paid yearly
        if groups.get(period) and not PERIOD_UNITS & set(map(_unit, units)):
            units.append(groups[period].lower())
    if not PERIOD_UNITS & set(map(_unit, units)):  # "between £40 and £90 per month"
        shared = RANGE_PERIOD.match(match.string, match.end())
        if shared:
            units.append(_unit(shared["period"]))
    units = list(dict.fromkeys(u for u in map(_unit, units) if u in UNITS))  # "£2 pppa per pupil"
    lead = LEAD_PERIOD.search(match.string[: match.start()])
    if lead and not PERIOD_UNITS & set(units):  # "Yearly plan: £120 per school"
        units.append(_unit(lead[lead.lastgroup].lower()))  # each branch has one group
    return [f"{currency} {amount}" + "".join(f"/{u}" for u in units)]


# The second amount of a range gives both their period: "between £40 and £90 per month".
RANGE_PERIOD = re.compile(
    r"\s*(?:and|to|-|–)\s*(?:[$£€]|US\$)\s?\d[\d,]*(?:\.\d{1,2})?"
    r"(?:\s*(?:/|per|a|an)\s*[a-z]+){0,2}?\s*(?:/|per|a|an)?\s*"
    r"(?P<period>month|year|week|term|semester)s?\b", re.IGNORECASE)
# A label that gives the period before the price: "Yearly plan: £120".
LEAD_PERIOD = re.compile(
    r"(?:^|[|:;]\s*)\W*(?P<period>annual|yearly|monthly)\s+(?:[\w-]+\s+){0,2}?(?:plan|licen[cs]e"
    r"|subscription|membership|fee|charge|price|cost|tier|access|package|pass)s?\s*[:\-–]\s*$"
    r"|\b(?P<period2>annual|yearly|monthly|weekly)\s+(?:[\w-]+\s+){0,2}?(?:charge|fee|cost|price"
    r"|subscription|licen[cs]e)s?\s+(?:of|is|in the amount of)\s+$"
    r"|\bper\s+(?:[\w-]+\s+){0,4}?(?P<period3>week|month|year|term)\s+(?:is|of|costs?)\s+$",
    re.IGNORECASE,
)
PERIOD_UNITS = frozenset({"month", "year", "week", "day", "term"})
ABBREVIATED_UNITS = {
    "p/a": ("year",), "p.a.": ("year",), "pa": ("year",), "pcm": ("month",),
    "p.c.m.": ("month",), "p/m": ("month",), "p.m.": ("month",), "pppa": ("pupil", "year"),
}


def _unit(word: str) -> str:
    word = word.lower()
    for singular in (word, word[:-1], word[:-2]):  # users, classes
        if singular in UNITS:
            return singular
    return UNIT_ALIASES.get(word, word)


_CODES = "|".join(CURRENCY_CODES)
DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
PRICE_RULES = [
    Rule("price", _price, _compile(
        rf"(?P<symbol>US\$|AU?\$|CA?\$|NZ\$|\$|£|€|₹)\s?{_AMOUNT}{_NOT_A_PRICE_AFTER}{_UNITS}"
    ), checks=(a_price_of_the_product,)),
    Rule("price", _price, _compile(
        rf"(?-i:(?P<code>{_CODES}))\s?{_AMOUNT}{_NOT_A_PRICE_AFTER}{_UNITS}"
    ), checks=(a_price_of_the_product,)),
    Rule("price", _price, re.compile(
        rf"(?<![\w.,]){_AMOUNT}\s?(?-i:(?P<code>{_CODES}))(?!\w){_UNITS}", re.IGNORECASE
    ), checks=(a_price_of_the_product,)),
    # European forms: "12 EURO / month", "0,3 EURO / pupil / month" (a decimal comma)
    Rule("price", _price, re.compile(
        r"(?<![\w.,])(?P<amount>\d+(?:,\d{1,2})?)(?![\d,])\s?(?P<code>EURO[Ss]?|[Ee]uros?)(?!\w)"
        rf"(?! cents?\b){_NOT_A_PRICE_AFTER}{_UNITS}"
    ), checks=(a_price_of_the_product,)),
]

# --------------------------------------------------------------------------- who and when

_NOT_THEIR_DATA = (r"(?!['’]?s?['’]?\s+(?:data|information|details|contact|records|names?"
                   r"|email|personal|compan(?:y|ies)|entit(?:y|ies)|organi[sz]ations?)\b)")
AUDIENCE: dict[str, tuple[str, ...]] = {
    # "student data" / "pupil records" describe the data, not who the product is for.
    "students": (r"(?:students?|pupils?|learners?|kids|child(?:ren)?)(?!['’]?s?['’]? (?:(?:and"
                 r"|or|&) \w+ )?(?:data|information|records|privacy|personal|responses|work"
                 r"|names?|details|emails?"
                 r"|answers|content|submissions|essays|context|progress|performance"
                 r"|profiles?|usernames?|initials|IDs?|records"
                 r"|record(?= (?:is|was|systems?|keeping)\b))\b)"
                 r"(?!['’]s record\b)"
                 # a possessive naming a detail or a relation: "the pupil's surname",
                 # "a learner's school"
                 r"(?!['’]s? (?:(?:first|last|full|middle|sur|given|family) ?names?|schools?"
                 r"|teachers?|year group|grades?|ages?|dates? of birth)\b)",),
    "teachers": (
        r"(?<!head )teachers?", r"educators?", r"instructors?", "teaching staff", r"lecturers?",
        # private tutors teach with it; an "AI tutor" is the product itself
        r"(?<!AI )(?<!virtual )(?<!digital )(?<!robot )(?<!chatbot )tutors"
        r"|(?:(?<=[,(] )|(?<=\())tutor(?=,| or| and)|^tutor(?=, )",
        r"faculty(?= (?:members?|accounts?|users?|logins?)\b)",
        _TEACHING_READER,
    ),
    "leaders": (
        r"school leaders?(?:hip teams?)?", r"senior leaders?(?:hip)?(?: teams?)?",
        r"(?-i:SLTs?)", r"head ?teachers?",
        r"heads? of (?:department|year|school|maths|english|science|computing|\w+ department)",
        "principals", r"(?:school|assistant|vice|deputy) principals?",
        r"principal(?= (?:and|or|of|at)\b)", r"(?:district|trust|MAT) (?:leaders?|administrators?)",
        r"superintendents?", r"instructional leaders?",
        r"designated safeguarding leads?", r"(?-i:DSLs?)",
    ),
    # "guardian information", "parent contact details": data about them, not users
    "parents": (*(rf"{word}{_NOT_THEIR_DATA}" for word in (
        r"parents?", "families", r"carers?", r"guardians?", r"caregivers?")), _PARENT_READER),
    "admin": (
        "office staff", r"(?:school )?office managers?", r"(?:school )?business managers?",
        r"school business (?:leaders?|professionals?)", r"bursars?",
        r"admin(?:istrative|istration)? (?:staff|teams?)", r"data managers?",
        r"finance (?:teams?|staff)", r"receptionists?", r"sysadmins?",
        r"(?:IT|system|systems|network) administrators?", r"IT admins?",
        # a school's administrators run it day to day ("teachers and administrators");
        # a district's or trust's are its leaders (above)
        r"(?<!district )(?<!trust )(?<!MAT )(?<!data )(?<!our )(?<!site['’]s )"
        r"(?<!platform['’]s )administrators?(?! of (?:this|the|our) (?:website|site|service))",
        r"(?<!our )(?<!data )admins\b",
        r"(?:organi[sz]ation|school|institution|account|centre|center)(?:al)? admins?\b",
        r"(?-i:Admin)(?= (?:selects|chooses|sends|can|sees|picks))",
        r"(?-i:Admin)(?= [Rr]oles?\s*:)",  # a policy's "Admin Role: name and work email"
    ),
}

_STAGE_FOLLOWERS = (
    r"schools?|pupils|students|teachers|classrooms?|education|aged?|years|phase|level"
    r"|children|kids|learners|maths?|science|english|curriculum|grades"
    r"|and (?:middle|secondary|high)(?! (?:e-?mails?|phones?|telephones?|contacts?"
    r"|address\w*|colou?rs?|keys?|sources?|data|buttons?|menus?|navigation|care|caregivers?"
    r"|guardians?|parents?|carers?|accounts?)\b)"
)
PHASE: dict[str, tuple[str, ...]] = {
    "early-years": (
        # not a time of life: "what pupils met in their early years of school"
        "EYFS", r"(?<!their )(?<!his )(?<!her )(?<!your )(?<!my )(?<!its )early years"
        r"(?! of (?:education|school\w*|life|learning|their|his|her|reading|primary))"
        r"(?: foundation stage)?", r"nurser(?:y|ies)",
        r"pre-?schools?", r"pre-?schoolers?", r"pre-?k", r"pre-?kindergarten",
        r"kindergarten(?= readiness)", r"(?<=ready for )kindergarten",
        r"reception (?:class(?:es)?|year|pupils|children)",
        r"(?-i:Reception)(?=\s+(?:and|to|or|&)\s+(?-i:Year))", r"toddlers?", "early childhood",
    ),
    "primary": (
        # the US K of K-5 is the first year of elementary school (pre-K is early years)
        rf"(?:primary|elementary)(?=[\s-]+(?:{_STAGE_FOLLOWERS}))",
        r"(?<!pre-)(?<!pre)(?<!ready for )kindergartens?(?! readiness)", r"KS ?[12]",
        r"key stage [12]", "grade school", r"(?:infant|junior) schools?",
        # the 11+ entrance exam is sat in the last year of primary school; "ages 11+" is an age
        r"11\+ (?:exams?|tests?|preparation|prep|tuition|practice|papers|entrance)",
        r"(?:11|eleven)[- ]plus",
    ),
    "secondary": (
        rf"secondary(?=[\s-]+(?:{_STAGE_FOLLOWERS}))", r"middle schools?", r"high schools?",
        r"KS ?[34]", r"key stage [34]", r"I?GCSEs?", "junior high",
    ),
    "post-16": (
        r"sixth[- ]form(?: colleges?)?", r"(?-i:A[- ][Ll]evels?|AS[- ][Ll]evels?)",
        r"FE colleges?", "further education", r"post[- ]16", "16-19", r"(?-i:BTECs?)",
        r"(?-i:T[- ][Ll]evels?)", "KS ?5", "key stage 5", "IB diploma",
    ),
    "higher-education": (
        r"universit(?:y|ies)", "higher education", "higher ed", r"(?-i:HEIs?)",
        "college students", r"undergraduates?", r"postgraduates?", "graduate students",
    ),
}


def _us_grades(match: re.Match[str]) -> list[str]:
    """US grades: pre-K -> early-years, K-5 -> primary, 6-12 -> secondary.

    US high school (9-12) is secondary school; post-16 comes only from UK words
    (sixth form, A levels, FE college) and UK years 12-13.
    """
    lo = _grade_number(match.group("lo"))
    hi_text = match.groupdict().get("hi")
    hi = _grade_number(hi_text) if hi_text else lo
    if lo is None or hi is None or not lo <= hi <= 12:
        return []
    phases = {"early-years" if g < 0 else "primary" if g <= 5 else "secondary"
              for g in range(lo, hi + 1)}
    return [p for p in PHASE if p in phases]


def _grade_number(text: str | None) -> int | None:
    text = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", (text or "").lower().replace("-", ""))
    if text in ("prek", "prekindergarten"):
        return -1
    if text in ("k", "kindergarten"):
        return 0
    if text in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[text]
    return int(text) if text.isascii() and text.isdigit() else None


_ORDINAL_WORDS = {word: n for n, word in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(),
    start=1)}
_ORDINAL = "|".join(_ORDINAL_WORDS)


def _uk_years(match: re.Match[str]) -> list[str]:
    """UK years: R -> early-years, 1-6 primary, 7-11 secondary, 12-13 post-16."""
    lo_text = match.group("lo")
    lo = 0 if lo_text.upper() == "R" else int(lo_text)
    hi = int(match.group("hi")) if match.group("hi") else lo
    return _uk_year_span(lo, hi)


def _uk_year_span(lo: int, hi: int) -> list[str]:
    """The phases of UK years ``lo`` to ``hi`` (0 is Reception), in PHASE order."""
    if not lo <= hi <= 13:
        return []
    phases = {"early-years" if y == 0 else "primary" if y <= 6 else
              "secondary" if y <= 11 else "post-16" for y in range(lo, hi + 1)}
    return [p for p in PHASE if p in phases]


_AGE_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_AGE_NUMBER = rf"(?:\d{{1,2}}|{'|'.join(_AGE_WORDS)})"


def _age_number(text: str) -> int:
    return _AGE_WORDS.get(text.lower()) or int(text)


def _ages(match: re.Match[str]) -> list[str]:
    """Ages lo-hi, in digits or words (the year before hi counts: 5-11 is primary): 3-4
    early years, 5-10 primary, 11-15 secondary, 16-18 post-16."""
    lo, hi = _age_number(match.group("lo")), _age_number(match.group("hi"))
    if not 2 <= lo < hi <= 19:
        return []
    phases = {"early-years" if a < 5 else "primary" if a < 11 else "secondary" if a < 16
              else "post-16" for a in range(lo, hi)}
    return [p for p in PHASE if p in phases]


_TO = r"\s*(?:-|–|—|to|through)\s*"
_ORD = r"(?:st|nd|rd|th)"
# A span between two named phases covers those in between: "from early years to post-16".
_SPAN_ENDS = (
    ("early-years", r"early years|EYFS|nursery|reception|pre-?k"),
    ("primary", r"primary|elementary|kindergarten|KS ?[12]|key stage [12]"),
    ("secondary", r"secondary|middle|high|KS ?[34]|key stage [34]|GCSEs?"),
    ("post-16", r"sixth[- ]form|post[- ]16|A[- ]levels?|KS ?5|key stage 5"),
)
_SCHOOL_PHASES = tuple(phase for phase, _ in _SPAN_ENDS)
_PHASE_NAME = "(?:" + "|".join(words for _, words in _SPAN_ENDS) + ")"


def _phase_span(match: re.Match[str]) -> list[str]:
    ends = [next(i for i, (_, words) in enumerate(_SPAN_ENDS)
                 if re.fullmatch(words, match.group(end), re.IGNORECASE)) for end in ("lo", "hi")]
    return list(_SCHOOL_PHASES[ends[0]: ends[1] + 1])


PHASE_SPAN_RULE = Rule("phase", _phase_span, _compile(
    rf"from (?P<lo>{_PHASE_NAME})(?: schools?| years?| phase| stage)? "
    rf"(?:(?:right |all the way )?(?:up )?(?:to|through) (?:to )?)(?P<hi>{_PHASE_NAME})"
    r"(?: schools?\b| years?\b| phase\b| stage\b| levels?\b|(?!\w))"
))


def _early_years_to_year(match: re.Match[str]) -> list[str]:
    """"From nursery (age 3) to Year 6": early years, then the UK years 1 to ``hi``."""
    hi = int(match.group("hi"))
    return _uk_year_span(0, hi) if hi >= 1 else []


GRADE_RULES = [
    PHASE_SPAN_RULE,
    Rule("phase", _early_years_to_year, _compile(  # "nursery (age 3) to Year 6"
        r"(?:EYFS|early years|nursery|reception)(?:\s*\([\w\s]{1,20}\))?"
        r"\s*(?:-|–|—|to|through)\s*(?-i:Year)\s+(?P<hi>\d{1,2})(?!\d)"
    )),
    Rule("phase", _us_grades, _compile(  # "Kindergarten to Grade 8", "K through grade 12"
        rf"(?P<lo>pre-?kindergarten|pre-?k|kindergarten|k){_TO}grades?\s+(?P<hi>\d{{1,2}})(?!\d)"
    )),
    Rule("phase", _ages, _compile(
        rf"(?:aged?|ages)\s+(?:between\s+)?(?P<lo>{_AGE_NUMBER})\s*(?:-|–|to|through|and)\s*"
        rf"(?P<hi>{_AGE_NUMBER})"
    )),
    Rule("phase", _ages, _compile(
        rf"between (?P<lo>{_AGE_NUMBER}) and (?P<hi>{_AGE_NUMBER}) years?(?: of age| old)"
    )),
    Rule("phase", _ages, _compile(
        rf"(?P<lo>{_AGE_NUMBER})\s*(?:-|–|to)\s*(?P<hi>{_AGE_NUMBER})[- ]years?[- ]olds?"
    )),
    Rule("phase", _us_grades, _compile(
        rf"(?P<lo>pre-?kindergarten|pre-?k|k)(?:{_TO})?(?P<hi>\d{{1,2}})(?!\w)"
    )),
    Rule("phase", _us_grades, _compile(
        rf"grades?\s+(?P<lo>pre-?k|k|\d{{1,2}}){_ORD}?{_TO}(?P<hi>\d{{1,2}}){_ORD}?"
    ), checks=(us_school_grade,)),
    Rule("phase", _us_grades, _compile(  # "Pre-K through 12th grade", "3rd to 8th grade"
        rf"(?P<lo>pre-?kindergarten|pre-?k|kindergarten|k|\d{{1,2}}{_ORD}){_TO}"
        rf"(?P<hi>\d{{1,2}}){_ORD}\s+grade(?:s|rs?)?"
    )),
    Rule("phase", _us_grades, _compile(  # "kindergarten through eighth grade"
        rf"(?P<lo>pre-?kindergarten|pre-?k|kindergarten|{_ORDINAL}){_TO}(?P<hi>{_ORDINAL})"
        r"\s+grade(?:s|rs?)?"
    )),
    Rule("phase", _us_grades, _compile(rf"grade\s+(?P<lo>\d{{1,2}})(?!{_TO}\d)"),
         checks=(us_school_grade,)),
    Rule("phase", _us_grades, _compile(rf"(?P<lo>\d{{1,2}}){_ORD}[- ]grade(?:rs?)?")),
    Rule("phase", _uk_years, _compile(
        r"(?-i:Years?)\s+(?P<lo>R|\d{1,2})(?:\s*(?:-|–|—|to)\s*(?P<hi>\d{1,2}))?"
    )),
]

# --------------------------------------------------------------------------- what

_LEARNERS = (
    r"pupils|students|learners|children|provision|needs|support|departments?|teams?"
    r"|coordinators?|schools?|settings?"
)
SUBJECT: dict[str, tuple[str, ...]] = {
    "maths": (r"(?<!do the )(?<!does the )(?<!doing the )(?<!did the )maths?",  # not "do the maths"
              "mathematics", "mathematical", "algebra", "geometry", "arithmetic",
              "calculus", "numeracy", "times tables", "trigonometry"),
    # "English Language Learners" are pupils learning English (EAL), not the subject
    "english": (r"english (?:language(?! learners?)|literature|lessons?|class(?:es)?|curriculum"
                r"|skills)",
                r"(?:English|children['’]s|classic|world) literature",
                r"literature (?:lessons?|texts?|study|studies|units?)",
                r"(?:history|poetry|language|drama),? and literature",
                "language arts", r"(?-i:ELA)"),
    "literacy": (r"(?<!financial )(?<!digital )(?<!media )(?<!data )(?<!AI )literacy", "phonics",
                 "early reading", r"(?:approach to|teach\w*|improv\w*) reading",
                 r"reading (?:skills|comprehension|fluency|intervention|programmes?|programs?"
                 r"|curricul\w+"
                 r"|practi[cs]e)",
                 # a learner's reading level is assessed; a text's "reading level" is no subject
                 r"(?<=['’]s )reading (?:levels?|ages?)", r"(?<=s['’] )reading (?:levels?|ages?)",
                 r"learn(?:ing)? to read", r"writing skills", r"(?:creative|academic) writing",
                 r"writing (?:curriculum|curricula|instruction|programmes?|programs?|lessons)",
                 r"(?:student|pupil|learner|child|children)(?:s['’]|['’]s)? writing"
                 r"(?! samples?| data| files?| (?:is|are) stored)",
                 # the quality of a pupil's handwriting, as input the tool reads, is no subject
                 r"spelling(?! bees?\b)",
                 r"(?<!poor )(?<!messy )(?<!illegible )(?<!untidy )(?<!bad )"
                 r"handwriting(?! (?:recognition|which|that|is hard|is difficult))",
                 r"(?<!french )(?<!spanish )(?<!german )grammar",
                 r"(?<!french )(?<!spanish )(?<!german )(?<!mandarin )(?<!italian )(?<!its )"
                 r"vocabulary"),
    "science": (r"(?<!computer )(?<!data )(?<!computing )sciences?", "biology", "chemistry",
                "physics", r"(?-i:STEM|STEAM)"),
    # "cloud computing", "computing environments": IT, not the subject
    "computing": (r"(?<!secure )coding(?! (?:practices|standards|guidelines|errors?))",
                  "programming", "computer science",
                  r"(?<!cloud )(?<!edge )(?<!high-performance )computing(?! (?:environments?"
                  r"|infrastructure|resources|power|platforms?|services|devices|capacity))",
                  "computational thinking", r"learn(?:ing)? to code", "robotics"),
    "languages": ("language learning", r"learn(?:ing)? (?:a )?(?:new |foreign )?languages?",
                  r"foreign languages?", r"modern (?:foreign )?languages", r"(?-i:MFL)",
                  r"(?:spanish|french|german|mandarin|italian|japanese|latin)"
                  r" (?:lessons?|class(?:es)?|vocabulary|learners?|teachers?|courses?|speaking"
                  r"|grammar|conversation|pronunciation)",
                  r"learn(?:ing)? (?:spanish|french|german|mandarin|italian|japanese|latin)"),
    # a record's history ("the class's history", "this history", "conversation history")
    "history": (r"(?<!browser )(?<!browsing )(?<!order )(?<!version )(?<!purchase )"
                r"(?<!search )(?<!payment )(?<!chat )(?<!our )(?<!company )(?<!its )"
                r"(?<!conversation )(?<!conversations )(?<!message )(?<!activity )(?<!edit )"
                r"(?<!attendance )(?<!borrowing )(?<!booking )(?<!medical )(?<!loan )"
                r"(?<!attempt )(?<!score )(?<!submission )(?<!answer )"
                r"(?<!transaction )(?<!incident )(?<!behaviour )(?<!behavior )"
                r"(?<!notification )(?<!notifications )(?<!call )(?<!login )(?<!usage )"
                r"(?<!session )(?<!sessions )(?<!quiz )(?<!practice )(?<!billing )"
                r"(?<!revision )(?<!login )(?<!account )(?<!this )(?<!that )(?<!['’]s )"
                r"(?<!generation )(?<!watch )(?<!viewing )(?<!download )(?<!print )"
                r"(?<!s['’] )history(?! of (?:changes|edits|your|the account|activity"
                r"|(?:the |all |our )?(?:credits?|charges?|payments?|transactions?|orders?"
                r"|invoices?|logins?|messages|versions|usage)\b))"
                r"(?! (?:page|tab|log|list|section|screen|report|view)s?\b)",
                # "historical data" is old records: only the discipline's own words count
                r"historical (?:sources|enquiry|inquiry|thinking|events|figures|skills|knowledge"
                r"|understanding|periods|fiction|novels)", r"historians?"),
    # "geographical address" or "area" is where, not the subject
    "geography": ("geography", r"geographical (?:skills|knowledge|enquiry|inquiry"
                  r"|understanding|concepts|fieldwork|vocabulary)", "map skills"),
    "art": (r"art (?:and design|lessons?|class(?:es)?|teachers?|projects?|curriculum|education)",
            # a drawing tool or answer type ("a 'drawing' response", "STEM drawing canvases")
            # and not maths' bar models or diagrams ("model drawing", "drawing shapes")
            r"visual arts?", r"drawing(?= (?:and painting|lessons?|skills|classes|techniques))",
            r"(?<=painting and )drawing", "painting",
            r"(?<!language )(?<!liberal )(?<!martial )(?<!state-of-the-)arts"),
    # "music packs" to play in a game, "background music": no subject
    "music": (r"(?<!background )(?<!favourite )(?<!favorite )music(?! (?:can|could|will|is|plays"
              r"|stops|starts|packs?|tracks?|player"
              r"|plays?|library|streaming|licen[cs]\w*|festivals?|events?|venues?))",
              r"musical (?:skills|knowledge|understanding|notation|theory|composition"
              r"|instruments? (?:lessons?|tuition|teaching))", "musicians?"),
    "pe": ("physical education", r"(?-i:PE)", r"school sports?"),
    "religious-education": (r"religious (?:education|studies)", "theology", r"world religions?",
                            r"(?-i:RE)(?= (?:lessons?|teachers?))"),
    "pshe": (r"(?-i:PSHE|PSHCE|RSHE|RSE)", r"relationships (?:and|&) sex education",
             r"social[- ](?:and[- ])?emotional learning", r"(?-i:SEL)", "citizenship",
             "character education"),
    "business": ("business studies", r"business (?:education|courses?|class(?:es)?|lessons?)",
                 "entrepreneurship", "enterprise education"),
    "economics": ("economics", "financial literacy"),
    "psychology": ("psychology",),
    "send": (rf"(?-i:SEND|SEN)(?= (?:{_LEARNERS}))", r"(?-i:SENCOs?)",
             "special educational needs", "special needs", "special education",
             "dyslexia", "dyslexic", "dyscalculia",
             r"learning (?:difficulties|disabilities)", r"(?-i:EHCPs?)",
             r"accessib\w+ for (?:SEN|SEND|pupils with|students with)"),
}

# Bare "art" is a subject only as an item of a list of subjects ("science, music, art, etc.").
SUBJECT_LIST_ITEM: dict[str, tuple[str, ...]] = {
    "art": (r"(?:(?<=, )|(?<=\band )|(?<=\bor ))art(?=\s*(?:,|\.|;|\)|$|(?:and|or|&|etc)\b))",),
}
SUBJECT_LIST = _any("subjects", "music", "drama", "science", r"maths?", "history", "geography",
                    "design")

INTEGRATION: dict[str, tuple[str, ...]] = {
    "google-classroom": (r"Google Classrooms?",),
    "microsoft-teams": ("Microsoft Teams", "MS Teams", "Teams for Education"),
    "classlink": ("ClassLink",),
    "lti": (r"(?-i:LTI)(?: ?\d\.\d| Advantage)?", "Learning Tools Interoperability"),
    "canvas": ("Canvas LMS", "Canvas by Instructure", "Instructure"),
    "wonde": ("Wonde",),
    "sso": (r"single sign[- ]on", r"(?-i:SSO)", r"(?-i:SAML)", "OpenID Connect", r"(?-i:OIDC)",
            r"(?:sign|log)(?:ging)? ?(?:in|on) with (?:your )?"
            r"(?:school |work |existing )?(?:Google|Microsoft|Apple|Clever|ClassLink)",
            r"(?-i:Google|Microsoft|Apple|Clever|ClassLink) (?:Sign[- ]?[Ii]n|SSO)\b",
            r"verify(?:ing)? with (?:your )?(?:Google|Microsoft|Apple|Clever|ClassLink)"
            r"(?!\s+(?:that|whether|if)\b)"),
    "schoology": ("Schoology",),
    "moodle": ("Moodle",),
    "brightspace": ("Brightspace", r"(?-i:D2L)"),
    # school information systems a product syncs with (UK MIS, US SIS)
    "sims": (r"(?-i:SIMS)(?!\w)", r"(?-i:ESS SIMS|Capita SIMS)"),
    "bromcom": ("Bromcom",), "isams": (r"(?-i:iSAMS)",), "scholarpack": ("ScholarPack",),
    "powerschool": ("PowerSchool",), "infinite-campus": ("Infinite Campus",),
    "oneroster": ("OneRoster",),
    "google-workspace": (r"Google Workspace(?: for Education)?", r"G ?Suite",
                         "Google Apps for Education", r"Google (?:Drive|Docs|Slides|Sheets|Forms)"),
    "microsoft-365": (r"Microsoft 365(?! Copilot)", "Office 365", r"(?-i:O365|M365)(?! Copilot)",
                      "OneDrive", "SharePoint",
                      r"Microsoft (?:Word|PowerPoint|Excel|Forms|OneNote)",
                      # a Microsoft 365 tenant's directory and API
                      r"Microsoft Entra(?: ID)?", "Microsoft Graph"),
}
# Ordinary English words too; they count only next to LMS / sign-in context.
INTEGRATION_AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "clever": (r"(?-i:Clever)",),
    "canvas": (r"(?-i:Canvas)",),
    "blackboard": (r"(?-i:Blackboard)(?: Learn)?",),
    "arbor": (r"(?-i:Arbor)(?: MIS| Education)?",),
}

# --------------------------------------------------------------------------- privacy

LAWS = {
    "gdpr": r"(?:UK |EU )?GDPR|General Data Protection Regulation|Data Protection Act 2018",
    "coppa": r"COPPA|Children['’]?s Online Privacy (?:and )?Protection Act",
    "ferpa": r"FERPA|Family Educational Rights and Privacy(?: Act)?",
}
LAW_NAMES = _compile("|".join(LAWS.values()))
# A trust page's badge strip: "UK GDPR & DPA 2018", "GDPR and the Data Protection Act 2018".
LAW_BADGE = _compile(  # badge strips lose their spacing: "UK GDPR & DPA 2018KCSIE-aligned"
    r"(?<!\w)(?:UK |EU )?GDPR\s*(?:&|and|/|\+)\s*(?:the )?(?:(?-i:DPA)|Data Protection Act) 2018",
    bounded=False,
)
_SUBJECT = (
    r"(?:we|it|(?:the|this|our) (?:\w+ )?(?:app|apps|service|services|platform|product|products"
    r"|tool|software|website|site|demo|version|edition|plan))"
)


def _law_rules() -> list[Rule]:
    """yes: named with a compliance word; no: "we are not GDPR compliant" and the like."""
    rules = []
    for field_name, law in LAWS.items():
        rules.append(Rule(field_name, "yes", _compile(law), (COMPLIANCE,)))
        if field_name == "gdpr":
            rules.append(Rule(field_name, "yes", LAW_BADGE))
        rules.append(Rule(field_name, "no", _compile(
            rf"(?:{_SUBJECT}|^(?-i:[A-Z])[\w-]+) (?:is|are)(?: currently)?(?: not|n['’]t) (?:yet )?"
            rf"(?:fully )?(?:{law})"
            rf"[- ]compliant|{_SUBJECT} (?:do|does) ?(?:not|n['’]t) (?:currently )?comply with"
            rf" (?:the )?(?:{law})"
        ), guarded=False))
    return rules


DPA: dict[str, tuple[str, ...]] = {
    "yes": (r"data (?:processing|protection|sharing|privacy) (?:agreement|addendum|addenda)s?",
            r"(?-i:DPAs?|N?DPAs?|SDPAs?|DSAs?)(?! ?2018)",  # "DPA 2018": the Data Protection Act
            r"(?:national |state )?student data privacy agreements?",
            r"(?:(?-i:SDPC)|Student Data Privacy Consortium)(?: \w+)? agreements?",
            r"(?:student )?data privacy agreements?",
            r"privacy (?:addendum|addenda)", r"data[- ]processing terms",
            r"agreements? (?:that )?we sign with (?:each |every |our |the )?(?:schools?"
            r"|districts?|customers?|trusts?)"),
}
# The page is the agreement: a heading that is just its name ("School Data Processing
# Agreement", "DATA PROCESSING ADDENDUM (last updated ...)").
DPA_TITLE: dict[str, tuple[str, ...]] = {
    "yes": (r"^\W*(?:\w+ ){0,2}?(?:data processing (?:agreement|addendum)|(?-i:DPA))"
            r"(?: \((?-i:DPA)\))?(?: \(?(?:last )?updated[^)]*\)?)?\W*$",),
}
DPA_POLICY_TITLE: dict[str, tuple[str, ...]] = {
    "yes": (r"^\W*(?:\w+ ){0,2}?data processing (?:policy|terms|clauses)(?: for (?:the )?"
            r"[\w .-]{1,40})?\W*$",),
}


def not_a_trust_page_label(claim: Claim) -> bool:
    """A trust centre lists "Data Processing Agreement" among its documents and sections;
    the label alone offers nothing, unless the page is the agreement itself."""
    return "trust" not in claim.page or "agreement" in claim.page


def the_agreement_page(claim: Claim) -> bool:
    """"Data Processing Policy" heads the vendor's own terms only on a page of clauses."""
    return "agreement" in claim.page


DPA_DECLINED: dict[str, tuple[str, ...]] = {
    "no": (r"(?:do|does|can|will|are|we['’]re) ?(?:not|n['’]t|unable to) (?:currently |able to )?"
           r"(?:offer"
           r"|provide|sign|enter into|accept|execute) (?:a |any )?(?:data processing agreements?"
           r"|data processing addend(?:um|a)|(?-i:DPAs?))(?! (?:other than|beyond|except))",
           r"(?:no|not) (?:a )?(?:data processing agreement|(?-i:DPA)) is (?:offered|available"
           r"|provided)",),
}

CERTIFICATION: dict[str, tuple[str, ...]] = {
    "iso-27001": (r"ISO(?:/IEC)?[ -]?27001",),
    "iso-27701": (r"ISO(?:/IEC)?[ -]?27701",),
    "iso-27017": (r"ISO(?:/IEC)?[ -]?27017",),
    "iso-27018": (r"ISO(?:/IEC)?[ -]?27018",),
    "iso-9001": (r"ISO[ -]?9001",),
    "soc-2": (r"SOC[ -]?2", "SOC II"),
    "cyber-essentials-plus": (r"cyber essentials ?(?:plus|\+)", r"(?-i:CE\+|CSE\+)(?!\w)"),
    "cyber-essentials": (r"cyber essentials(?! ?(?:plus|\+))",),
    "student-privacy-pledge": ("student privacy pledge",),
    "1edtech-data-privacy": (r"(?:1EdTech|IMS(?: Global)?) Data Privacy Certifi\w+",),
    "1edtech-trusted-app": (r"(?:1EdTech|IMS(?: Global)?) TrustEd Apps?",
                            r"TrustEd Apps? (?:seal|certif\w*|badge|program)"),
    "kidsafe": ("kidSAFE",),
    "ikeepsafe": ("iKeepSafe",),
    "common-sense-privacy": (r"Common Sense privacy (?:seal|rating|program)",),
    "pci-dss": (r"PCI[ -]DSS",),
}

REGIONS = {
    "uk": r"(?-i:UK|U\.K\.)|United Kingdom|Great Britain|Britain|England",
    "eu": r"(?-i:EU|EEA|E\.U\.)|European Union|European Economic Area|Europe",
    "us": r"(?-i:US|USA|U\.S\.A?\.?)|United States(?: of America)?|America",
    "canada": "Canada",
    "australia": "Australia",
    "new-zealand": "New Zealand",
    "ireland": "Ireland",
    "germany": "Germany",
    "india": "India",
    "singapore": "Singapore",
}
_REGION_PATTERNS = {slug: re.compile(rf"(?<!\w)(?:{p})(?!\w)", re.I) for slug, p in REGIONS.items()}
_REGION = "|".join(f"(?:{p})" for p in REGIONS.values())
_WHERE = rf"(?P<where>(?:the )?(?:{_REGION})(?:\s*(?:,|and|or|&|/)\s*(?:the )?(?:{_REGION}))*)"


def _regions(match: re.Match[str]) -> list[str]:
    where = match.group("where")
    hits = [(m.start(), slug) for slug, rx in _REGION_PATTERNS.items() if (m := rx.search(where))]
    return [slug for _, slug in sorted(hits)]


HOSTING_CONTEXT = _any(
    "data", "hosting", "hosted", r"servers?", "cloud", "AWS", "Azure", "DigitalOcean",
    "Google Cloud", "infrastructure", r"backups?", r"stor\w+", r"databases?", "runs", "deployed",
    r"records?", "held", "kept",
)
EVENTS = _cues(r"\b(?:breach\w*|incidents?|attacks?|leaks?|surveys?|reports?|according to)\b")


def not_an_event(claim: Claim) -> bool:
    """"Data breaches happen in the US" says where events occur, not where data is kept."""
    return not EVENTS.search(claim.sentence)


# Cloud regions and data centres named by their city: "London region", "Frankfurt data centre".
CITY_REGIONS = {
    "london": "uk", "manchester": "uk", "cardiff": "uk", "frankfurt": "germany",
    "dublin": "ireland", "amsterdam": "eu", "paris": "eu", "stockholm": "eu", "milan": "eu",
    "sydney": "australia", "melbourne": "australia", "mumbai": "india", "toronto": "canada",
    "montreal": "canada", "singapore": "singapore", "virginia": "us", "ohio": "us",
    "oregon": "us",
}


def _city_region(match: re.Match[str]) -> list[str]:
    """Each city of "London and Dublin regions", as its region, in order, once."""
    regions = (CITY_REGIONS[city.lower()] for city in _ONE_CITY.findall(match.group("cities")))
    return list(dict.fromkeys(regions))


# Regions as adjectives: "Australian data centres", "European servers".
ADJECTIVE_REGIONS = {
    "british": "uk", "english": "uk", "european": "eu", "american": "us", "australian": "australia",
    "canadian": "canada", "irish": "ireland", "german": "germany", "indian": "india",
}


def _adjective_region(match: re.Match[str]) -> list[str]:
    return [ADJECTIVE_REGIONS[match.group("adjective").lower()]]


_ONE_CITY_PATTERN = rf"(?-i:{'|'.join(city.title() for city in CITY_REGIONS)})"
_ONE_CITY = re.compile(rf"\b{_ONE_CITY_PATTERN}\b")
_CITY = rf"(?P<cities>{_ONE_CITY_PATTERN}(?:\s*(?:,|and|or|&)\s*{_ONE_CITY_PATTERN})*)"


# Cloud region codes name where a host keeps data: "us-east-1", "eu-west-2", "europe-west1".
REGION_CODES = {
    "eu-west-1": "ireland", "eu-west-2": "uk", "eu-central-1": "germany",
    "europe-west1": "eu", "europe-west2": "uk", "europe-west3": "germany",
    "europe-west4": "eu", "europe-north1": "eu", "ca-central-1": "canada",
    "ap-southeast-2": "australia", "australia-southeast1": "australia", "ap-south-1": "india",
    "ap-southeast-1": "singapore", "asia-southeast1": "singapore",
}
REGION_CODE_PREFIXES = {"us": "us", "eu": "eu", "europe": "eu"}


def _region_code(match: re.Match[str]) -> list[str]:
    code = match.group(0).lower()
    region = REGION_CODES.get(code) or REGION_CODE_PREFIXES.get(code.split("-")[0])
    return [region] if region else []


DATA_LOCATION_RULES = [
    Rule("data_location", _region_code, _compile(
        r"(?-i:(?:us|eu|ca|ap)-(?:east|west|central|north|south|southeast|northeast)-\d"
        r"|(?:us|europe|australia|asia)-(?:east|west|central|north|south|southeast)\d)"
    ), (HOSTING_CONTEXT,)),
    Rule("data_location", _regions, _compile(  # a table row: "| AWS | Cloud hosting | US |"
        r"(?:hosting|hosted|storage|infrastructure|databases?)\b[^|]{0,80}\|(?:[^|]{0,80}\|)??"
        rf"\s*{_WHERE}\s*(?:\([^)|]{{0,40}}\)\s*)?(?:\||$)", bounded=False
    )),
    Rule("data_location", _city_region, _compile(  # "data centres in London", "eu-west-2 (London)"
        r"(?:(?:data ?cent(?:re|er)s?|cloud regions?|servers?) (?:(?:located|based) )?in "
        r"|(?:stored|hosted|held|kept)\b[^.]{0,80}?\((?:more )?specifically in "
        rf"|(?:[a-z]{{2}}-[a-z]+-\d|[a-z]+-[a-z]+\d)\s*\(){_CITY}"
    ), (HOSTING_CONTEXT,), checks=(not_an_event,)),
    Rule("data_location", _adjective_region, _compile(
        rf"(?P<adjective>(?-i:{'|'.join(a.title() for a in ADJECTIVE_REGIONS)}))[- ](?:cloud )?"
        r"(?:data ?cent(?:re|er)s?|servers?|cloud regions?)"
    ), checks=(not_an_event,)),
    Rule("data_location", _regions, _compile(  # "our servers are in Ireland"
        r"(?:servers?|data ?cent(?:re|er)s?|databases?|infrastructure|hosting),?"
        r" (?:(?:which|that) )?(?:are|is)"
        rf" (?:all |only )?(?:located |based |hosted )?(?:in|within|inside) (?:the )?{_WHERE}"
    )),
    Rule("data_location", _regions, _compile(  # "your data never leaves the EU"
        r"(?:data|information|content|records)\b[^.]{0,30}?\b(?:never|does not|doesn['’]t"
        rf"|won['’]t|will not|do not|don['’]t) leaves? (?:the )?{_WHERE}"
    ), guarded=False),
    Rule("data_location", _city_region, _compile(
        rf"{_CITY}['’]?s?"
        r"(?: cloud)?[- ](?:regions?|data ?cent(?:re|er)s?|servers?|availability zones?)"
    ), (HOSTING_CONTEXT,)),
    Rule("data_location", _regions, _compile(  # "processing all happens inside the UK"
        r"(?:processing|storage|hosting|backups?|data|databases?|servers?)(?:\s+[\w,]+){0,5}?"
        r"\s+(?:happens?|takes? place|occurs?|stays?|remains?|lives?|sits?)\s+(?:\w+\s+){0,2}?"
        rf"(?:in|within|inside)\s+{_WHERE}"
    ), checks=(not_an_event,)),
    Rule("data_location", _regions, _compile(  # cloud regions: "US Central", "UK South"
        rf"{_WHERE}[- ](?-i:Central|East|West|North|South)(?:[- ]\d)?(?!\w)"
    )),
    Rule("data_location", _regions, _compile(
        rf"(?:processing|hosting|storage|data) (?:location|region|residency)s?:? (?:is )?{_WHERE}"
    )),
    Rule("data_location", _regions, _compile(
        r"(?:stor(?:ed|es?)|host(?:ed|s)?|holds?|held|keeps?|kept|housed|process(?:ed|es)?"
        r"|saved|resides?|backed up)\s+"
        rf"(?:\w+\s+){{0,6}}?(?:in|within|inside)\s+(?:the\s+)?(?:secure\s+)?(?:\w+,\s+)?(?:[\w-]+['’]s?\s+)?{_WHERE}"
    ), (_any("data", "information", "content", "records", r"servers?", "hosted", "hosting",
             r"backups?", "stored"),)),
    Rule("data_location", _regions, _compile(
        r"(?:servers?|data ?cent(?:re|er)s?|hosting|infrastructure)\s+(?:\w+\s+){0,3}?"
        r"(?:located|based|situated)\s+(?:(?:at|on|with|within)\s+(?:[\w-]+\s+){1,6}?)?"
        rf"in\s+{_WHERE}"
    )),
    Rule("data_location", _regions, _compile(
        rf"{_WHERE}[- ](?:based\s+)?(?:data ?cent(?:re|er)s?|servers?|(?:data )?hosting"
        r"|hosted(?!\s+(?:[\w-]+\s+)?(?:tools|apps|services|chatbots|platforms|products"
        r"|alternatives))"
        r"|data residency|resident (?:infrastructure|servers?|hosting|data)"
        r"|cloud regions?)"
    )),
]

_AGE = (r"(?P<age>\d{1,2})(?!\d|\s*%|\s*(?:months?|weeks?|days?|hours?|minutes?|percent|per cent"
        r"|GB|MB|points?|characters?)\b)")


def _age(match: re.Match[str]) -> list[str]:
    age = int(match.group("age"))
    return [str(age)] if 3 <= age <= 21 else []


_OF_AGE = r"(?: years?(?: of age| old)?)?"
# "intended for pupils over 5" names an audience; "restricted to students 16 and over" an age
_WHO_ANY = r"(?:users|people|individuals|persons|anyone|those)"
_WHO = r"(?:users|people|individuals|persons|anyone|those|learners|students|pupils)"
# Each a minimum age stated as a rule (negations are part of the wording, so no guard).
MINIMUM_AGE_PATTERNS = (
    # "intended for users who are at least 13 years old"
    r"(?:intended|designed|meant|available|only|restricted|limited|open)(?: only)? (?:for|to)"
    rf" (?:use by )?{_WHO_ANY}(?: who are)?(?: aged)? (?:at least|over|older than"
    rf"|over the age of) {_AGE}",
    # "restricted to users 13 and above"
    rf"(?:restricted|limited|open|only available) to {_WHO}(?: aged)? {_AGE}{_OF_AGE}"
    r"(?: ?\+| and (?:over|above|older)| or (?:over|older|above))",
    # "you confirm that you are at least 18"
    r"(?:confirm|represent|warrant|declare|certify)\w*(?: and warrant)? (?:that )?you are"
    rf" (?:at least|over|over the age of) {_AGE}",
    # "you confirm you are 18 or older"
    r"(?:confirm|represent|warrant|declare|certify)\w*(?: and warrant)? (?:that )?you are"
    rf" {_AGE}{_OF_AGE} or (?:older|over|above)",
    rf"(?:must|need to|have to|should) be (?:at least|over|over the age of|aged) {_AGE}",
    # "registration requires staff to be aged 18 or over"
    r"(?:requires?|required|confirm\w*|must)\b[^.;]{0,80}?\b(?:aged|age) "
    rf"{_AGE}{_OF_AGE} (?:or|and) (?:over|older|above)",
    rf"(?:must|need to|have to|should) be {_AGE}(?: ?\+| years?(?: of age| old)?"
    r"| or (?:older|over|above))",
    rf"minimum age(?: requirement)?(?: \w+){{0,5}}? (?:is|of) {_AGE}",
    r"(?:users?|children|students|pupils|anyone|individuals|people|persons|those|kids)"
    rf" (?:who are )?(?:under|below|younger than)(?: the age of)? {_AGE}(?: years(?: old)?)?"
    r",? (?:are not|is not|may not|must not|cannot|can['’]t|should not|will not be)"
    r" (?:permitted|allowed|eligible|able|use|create|register|sign up|open|access)",
    rf"if you are (?:under|below|younger than)(?: the age of)? {_AGE},? (?:you )?(?:may not"
    r"|must not|cannot|can['’]t|should not|are not (?:permitted|allowed)) (?:use|register"
    r"|create|access|sign)",
    rf"(?:do not|don['’]t|does not) (?:allow|permit|accept) (?:\w+ ){{0,2}}?(?:under|below"
    rf"|younger than)(?: the age of)? {_AGE}",
    rf"(?:only )?(?:open|available) (?:only )?to (?:users |people |anyone |learners |those )?"
    rf"(?:aged )?{_AGE}(?: ?\+| and (?:over|above|older)| or (?:over|older))",
    r"not (?:(?:intended|designed|directed|available|permitted) )?(?:for|to) (?:use by )?"
    r"(?:children|kids|anyone|persons|individuals|users|people)(?: who are)? "
    rf"(?:under|below|younger than)(?: the age of)? {_AGE}",
)
MINIMUM_AGE_RULES = [Rule("minimum_age", _age, _compile(pattern), guarded=False)
                     for pattern in MINIMUM_AGE_PATTERNS]

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "ten": 10, "twelve": 12, "fourteen": 14, "eighteen": 18, "twenty-four": 24, "thirty": 30,
    "sixty": 60, "ninety": 90,
}


def _period(match: re.Match[str]) -> list[str]:
    raw = match.group("n").lower()
    n = _NUMBER_WORDS.get(raw) or int(raw)
    unit = match.group("unit").lower().rstrip("s")
    return [f"{n}-{unit}" if n == 1 else f"{n}-{unit}s"]


# a number in words may repeat itself in digits, which are read: "twenty-one (21) days"
_NUMBER = (r"(?:[a-z]+(?:-[a-z]+)? \((?=\d{1,3}\)))?"
           rf"(?P<n>\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})(?:(?<=\d)\))?")
# What is kept: "we keep working until ..." keeps nothing.
KEPT_THINGS = _any(
    "data", "information", "content", r"records?", r"files?", r"accounts?", r"uploads?",
    r"transcripts?", r"recordings?", r"backups?", r"logs?", r"messages?", r"chats?", "history",
    r"conversations?", r"work", r"documents?", r"submissions?", r"essays?", r"answers?",
)
_CONTRACT_END = (r"(?:upon|on|at|after|following) (?:the )?(?:termination|expiry|expiration|end)"
                 r" of (?:the|our|your|this|its|their) (?:contract|agreement|subscription"
                 r"|services?|master services agreement)")
RETENTION_RULES = [
    Rule("retention", _period, _compile(  # a trust page's label: "Retention: up to 30 days"
        r"^\W*(?:data )?retention(?: period| policy)?(?: for [\w ]{1,30}?)?:?\s+(?:up to |of )?"
        rf"{_NUMBER}"
        r" (?P<unit>days?|weeks?|months?|years?)"
    ), guarded=False),
    Rule("retention", _period, _compile(  # "Data retention defaults to 12 months"
        r"retention(?: period)?(?: \w+){0,2}? (?:defaults to|is set to|lasts)(?: up to)? "
        rf"{_NUMBER} (?P<unit>days?|weeks?|months?|years?)"
    ), guarded=False),
    Rule("retention", _period, _compile(  # "if you don't sign in for 3 years, ... erased"
        r"(?:do not|don['’]t|does not|doesn['’]t) (?:log ?in|sign in|use (?:your|the|their)"
        rf" account)\b[^.]{{0,30}}? for {_NUMBER} (?P<unit>days?|weeks?|months?|years?)\b"
        r"[^.]{0,60}?\b(?:account|data|records?|profile)s?\b[^.]{0,25}?(?<!not )(?<!never )"
        r"(?<!n['’]t be )(?<!not be )(?<!never be )\b(?:deleted|removed|erased)"
    ), guarded=False),
    Rule("retention", _period, _compile(  # "we delete inactive accounts ... over 2 years"
        r"delet\w* (?:\w+ ){0,3}?(?:inactive|dormant|unused) accounts?\b[^.]{0,60}?"
        r"\b(?:over|for|more than|after|in(?: the (?:last|past))?|within) "
        rf"{_NUMBER} (?P<unit>days?|weeks?|months?|years?)"
    ), guarded=False),
    Rule("retention", _period, _compile(
        r"(?:deleted|removed|erased|purged|anonymi[sz]ed|destroyed)"
        rf" (?:no later than |at the latest |at most )?{_NUMBER}"
        r" (?P<unit>days?|weeks?|months?|years?) (?:after|of|from|following)"
    ), guarded=False),
    Rule("retention", _period, _compile(
        r"(?:retention period|retention time|retained for a period)(?: \w+){0,4}? (?:is |of |for )?"
        r"(?:up to )?"
        rf"{_NUMBER} (?P<unit>days?|weeks?|months?|years?)"
    ), guarded=False),
    Rule("retention", _period, _compile(
        rf"{_NUMBER}[- ](?P<unit>days?|weeks?|months?|years?) (?:data )?retention(?! of)"
    ), guarded=False),
    Rule("retention", _period, _compile(
        r"(?:retain(?:ed|s)?|keep|keeps|kept|stored?|stores|hold|holds|held|delete[ds]?|deletion"
        r"|purge[ds]?|erase[ds]?|remove[ds]?|anonymi[sz]e[ds]?)\b[^.]{0,80}?\b(?:for|within|after)"
        r"(?: up to| a (?:maximum|period) of| no (?:more|longer) than| a maximum of"
        r"| an? (?:\w+ )?period(?: of| \((?:typically|usually|normally|up to))?)? "
        rf"{_NUMBER} (?P<unit>days?|weeks?|months?|years?)"
    ), guarded=False),
    Rule("retention", "until-account-deleted", _compile(
        r"(?:retain|keep|store|hold|kept|held|remain|stay)\w*\b[^.]{0,80}?\b(?:until (?:you|they"
        r"|users?|the (?:user|school|customer|account holder|teacher))\b[^.]{0,30}?"
        r"\b(?:delete|close|cancel)s? (?:your|their|the|its) (?:account|subscription)"
        r"|until (?:such time as )?(?:all )?(?:the )?accounts? (?:(?:associated with|linked to)"
        r" (?:it|them) )?(?:is|are) (?:closed|deleted)"
        r"|until (?:your|the|their)(?: \w+['’]s?)? (?:account|subscription) (?:is (?:closed|deleted"
        r"|cancell?ed)|ends|expires|closes)"
        r"|(?:for )?as long as (?:your|the|their)(?: \w+['’]s?)? account (?:is active|remains"
        r" (?:active|open)|exists)|while (?:your|the|their)(?: \w+['’]s?)? account (?:is"
        r"|remains) (?:active|open))"
    ), (KEPT_THINGS,), guarded=False),
    # a DPA's end: "on termination of the agreement, customer data is deleted or returned"
    Rule("retention", "until-contract-termination", _compile(
        rf"(?:(?:deleted|destroyed|returned|erased|purged|deletes|destroys|returns)\b[^.]{{0,60}}?"
        rf"|(?<!days )(?<!day )(?<!weeks )(?<!months )){_CONTRACT_END}"
        rf"(?=[^.]{{0,100}}?\b(?:deleted|destroyed|returned|erased|purged|delete|destroy|return)"
        r"\w*\b|\W*$)"
        # or kept while the customer's contract runs
        r"|(?:retain|keep|store|hold|kept|held)\w*\b[^.]{0,60}?\b(?:for )?as long as (?:the|your"
        r"|each|a) (?:school|customer|institution|district|trust|organi[sz]ation)(?: \w+){0,2}?"
        r" (?:has|holds|keeps|maintains) (?:a|an|its|their|the) (?:active |current |valid )?"
        r"(?:contract|subscription|agreement|licen[cs]e)(?! with (?!us\b))"
    ), (KEPT_THINGS,), guarded=False),
    # deleted together with a teacher's or pupil's account
    Rule("retention", "until-account-deleted", _compile(
        r"\bwhen (?:a|an|the|your) (?:[\w-]+ ){0,2}?(?:user|teacher|student|pupil|parent|learner"
        r"|tutor|account holder)s? (?:deletes?|closes?) (?:their|his|her|its|the|an) account,? "
        r"(?:\w+ ){1,2}?(?:deletes?|removes?|erases?|will delete|will remove)\b"
    ), (KEPT_THINGS,)),
]

_NEG = r"(?:never|not|no|cannot|(?:do|does|did|will|wo|would|can|is|are|has|have)n['’]t)"
_USER_DATA = (
    r"(?:data|content|information|inputs?|prompts?|conversations?|work|chats?|responses|answers"
    r"|submissions|recordings|essays|messages|outputs)"
)
TRAINING: dict[str, tuple[str, ...]] = {
    "yes": (
        rf"(?:use[ds]?|using)\b[^.]{{0,50}}?\b{_USER_DATA}\b[^.]{{0,30}}?\b(?:to|for) (?:train"
        r"(?:ing)?|fine-?tun(?:e|ing)|improv(?:e|ing) (?:our )?(?:ai|models?|machine[- ]learning))",
        rf"{_USER_DATA}\b[^.]{{0,40}}?\b(?:may|might|can|will|is|are) (?:be )?used\b[^.]{{0,30}}?"
        r"\b(?:to|for) (?:train|fine-?tun\w*|improv\w+ (?:our |the )?(?:ai|models?))",
        r"train(?:s|ed|ing)?\b[^.]{0,30}?\bmodels?\b[^.]{0,20}?\bon\b[^.]{0,30}?\b(?:your|user"
        rf"|student|customer|pupil|teacher)s?['’]?\b[^.]{{0,20}}?\b{_USER_DATA}",
        # anonymised first, trained on all the same: "learning data is anonymised for AI training"
        rf"{_USER_DATA}\b[^.]{{0,30}}?\b(?:is|are) (?:anonymi[sz]ed|de-?identified|pseudonymi[sz]ed"
        r"|aggregated)(?: and used)? (?:for|before) (?:AI |model |machine[- ]learning )?training\b",
    ),
}
_SAME_CLAUSE = r"(?:(?!,\s*(?:and|but|so)\s+(?:we|it|they|you)\b|\bbut\b|;)[^.])"
TRAINING_DECLINED: dict[str, tuple[str, ...]] = {
    "no": (
        # not across a new clause: "we don't sell data, and we use pupils' work to train"
        rf"{_NEG}\b{_SAME_CLAUSE}{{0,60}}?\b(?:use[ds]?|using|share[ds]?|sell)\b{_SAME_CLAUSE}{{0,60}}?"
        rf"\b{_USER_DATA}\b{_SAME_CLAUSE}{{0,40}}?\btrain(?:s|ed|ing)?",
        r"(?:no|zero)[- ](?:model[- ])?training",
        rf"{_USER_DATA}\b[^.]{{0,80}}?\b(?:is|are|will|shall) (?:never|not)\b[^.]{{0,30}}?"
        r"\b(?:used|shared|sold|sent)\b[^.]{0,40}?\btrain\w*",
        rf"{_NEG}\b[^.]{{0,20}}?\btrain(?:s|ed|ing)?\b[^.]{{0,50}}?\bon\b[^.]{{0,30}}?"
        rf"\b{_USER_DATA}",
        rf"\bno\b[^.]{{0,40}}?\b{_USER_DATA}\b[^.]{{0,40}}?\bused\b[^.]{{0,30}}?\btrain\w*",
        # "the provider is barred by contract from using customer content to train models"
        rf"(?:prohibit|forbid|bar|ban)\w* (?:\w+ ){{0,3}}?from (?:using|training on)\b[^.]{{0,40}}?"
        rf"\b{_USER_DATA}\b[^.]{{0,40}}?\btrain\w*",
        # a table cell or list item with no subject: "Not used for model training."
        r"^\W*not used (?:for|to|in) (?:\w+ ){0,2}?train\w*",
        rf"{_NEG} (?:allow|permit|let)\w* (?:\w+ ){{0,3}}?to train (?:\w+ )?on (?:\w+ ){{0,2}}?"
        rf"{_USER_DATA}",
        rf"{_USER_DATA}\b[^.]{{0,60}}?\b(?:is|are|will) (?:never|not) (?:be )?used to (?:improve"
        r"|train|fine-tune) (?:the |our |any |their )?(?:AI |underlying |foundation )?models?",
    ),
}

# --------------------------------------------------------------------------- AI

_MAKES = (r"(?:generat\w+|creat\w+|writ\w+|draft\w*|produc\w+|build\w*|summari[sz]\w+|propos\w+"
          r"|rewrit\w+|turn\w*|mak(?:e|es|ing))")
_ARTEFACTS = (
    r"(?:lessons?|lesson plans?|quizz(?:es)?|quiz|questions?|worksheets?|texts?|images?"
    r"|reports?|feedback|content|rubrics?|resources?|slides?|stories|essays?|comments?)"
)
AI_GENERATIVE: dict[str, tuple[str, ...]] = {
    "yes": (
        "generative AI", r"gen ?AI", r"large language models?", r"(?-i:LLMs?)",
        r"GPT-?\d(?:\.\d)?o?",
        r"AI[- ](?:generated|generates?|generation|writ(?:ing|er|es)|created)",
        rf"{_MAKES} (?:[\w,]+ ){{0,6}}?{_ARTEFACTS} (?:\w+ ){{0,3}}?"
        r"(?:with|using|via|powered by|by)"
        r" (?:the (?:help|power) of )?(?:generative )?(?:AI|artificial intelligence)",
        r"(?:AI|artificial intelligence) (?:that |which |to )?(?:generates?|creates?|writes?"
        r"|drafts?|produces?)",
        rf"(?:AI|artificial intelligence)[- ]powered {_ARTEFACTS}",
        r"(?:AI|artificial intelligence)(?: \w+){0,3}? (?:generates?|creates?|writes?|drafts?"
        r"|produces?|builds?|turns?|summari[sz]es|rewrites?|proposes?)\b",
        rf"(?:AI|artificial intelligence)[- ](?:powered |assisted )?(?:\w+ )?{_ARTEFACTS}"
        r" (?:generator|creator|writer|builder|maker)s?",
        r"generative (?:features?|tools?|models?|technology|capabilities)",
        rf"(?:with|using) (?:AI|artificial intelligence),? (?:\w+ ){{0,3}}?{_MAKES}",
        r"text-to-image", r"image generation",
        # AI making content, not only replies: "the AI ... to generate responses and activities"
        r"(?:AI|artificial intelligence|language models?|(?-i:LLMs?))\b[^.;]{0,60}?\bto (?:generate"
        r"|create|write|draft|produce) (?:(?:responses|replies|answers) (?:and|&) )?"
        r"(?:a |an |the )?(?:\w+ )?"
        r"(?:content|text|activities|questions|quizz(?:es)?|feedback|summar(?:y|ies)"
        r"|explanations|lessons?|responses?|goals|suggestions|insights|reports?|comments"
        r"|rubrics?|resources|drafts?)\b",
        # what a model sends back: "the API returns the generated content"
        r"(?:AI|artificial intelligence|language models?|(?-i:LLMs?|API))\b[^.;]{0,60}?"
        r"\b(?:returns?|sends? back|produces?) (?:the |a |its )?generated (?:content|text"
        r"|responses?|feedback|answers?)",
        # written feedback from AI: "AI essay feedback", "AI marking and feedback"
        r"(?<!on )(?<!about )(?<!for )\bAI[- ](?:powered |driven |assisted )?"
        r"(?:[\w-]+ (?:and |& )?){0,2}?feedback\b(?! (?:form|survey|from|to us))",
    ),
}
# Made by a named model: "uses Gemini to draft lesson starters", "question generator".
# Generated replies to a learner are the chatbot's (AI_CHATBOT), not content generation.
AI_GENERATIVE_NAMED: dict[str, tuple[str, ...]] = {
    "yes": (
        r"(?:to|that|which) (?:generate|create|write|draft|produce|summari[sz]e|rewrite)s?"
        r"(?! (?:\w+ )?(?:responses|replies)\b)",
        rf"{_ARTEFACTS} (?:generators?|generation)",
        r"for (?:(?:content|text|lesson|image|question|quiz|feedback) )?generation"
        r"(?! (?:of|z|alpha)\b)",
    ),
}
# Said of the product itself, no AI word needed: "ClassMind drafts teaching resources",
# "the product creates draft lesson plans".
AI_GENERATIVE_DRAFTS: dict[str, tuple[str, ...]] = {
    "yes": (rf"drafts (?:\w+ ){{0,2}}?{_ARTEFACTS}",
            rf"(?:generat|creat|produc|writ)\w* (?:a |the )?(?:first )?drafts? (?:of )?"
            rf"(?:\w+ ){{0,2}}?{_ARTEFACTS}",
            # a summariser: "Quillo summarises long articles into key points"
            r"summari[sz]es (?:\w+ ){0,3}?(?:articles?|texts?|documents?|readings?|videos?"
            r"|chapters?|notes|lessons?|books?)"),
}
# A list item under an AI lead-in ("Specifically, AI helps:" / "Generate story scenarios").
_EXTRA_ARTEFACTS = r"(?:scenarios?|examples?|explanations?|summar(?:y|ies)|prompts?|hints?)"
AI_GENERATIVE_ITEM: dict[str, tuple[str, ...]] = {
    "yes": (rf"^\W*(?:generat|creat|writ|draft|produc)\w* (?:[\w-]+ ){{0,3}}?"
            rf"(?:{_ARTEFACTS}|{_EXTRA_ARTEFACTS})",),
}
AI_LEAD = _cues(  # the lead-in says AI does what follows: "AI helps:", "With AI, Quillo can:"
    r"\b(?:(?:generative )?AI|artificial intelligence|language models?|LLMs?)\s+(?:\w+\s+)?"
    r"(?:helps?|can|will|is used to|lets?|allows?|assists?)\b[^.]*:\s*$"
    r"|\b(?:with|uses?|using) (?:generative )?(?:AI|artificial intelligence)\b[^.]*:\s*$",
)


def under_an_ai_lead(claim: Claim) -> bool:
    return bool(AI_LEAD.search(claim.lead))


def made_by_the_product(claim: Claim) -> bool:
    """The product is the verb's own subject ("Quillo drafts ..."), not someone it helps."""
    names = _names_pattern(claim.names)
    tail = re.search(r"([\w.'’-]+(?:\s+[\w'’-]+)?)\s+(?:\w+ly\s+)?$", claim.before)
    if tail is None:
        return False
    words = tail.group(1)
    last = words.split()[-1]
    return bool(re.fullmatch(rf"(?:{VENDOR_WORDS})", words, re.IGNORECASE)
                or re.fullmatch(r"(?:we|it)", last, re.IGNORECASE)
                or (names is not None and names.fullmatch(last)))
AI_GENERATIVE_DECLINED: dict[str, tuple[str, ...]] = {
    "no": (r"(?:do|does|will) ?(?:not|n['’]t) use (?:any )?(?:generative AI|gen ?AI"
           r"|large language models?|LLMs?)",),
}
# "There is no chatbot", "Quillo does not include a chat assistant": a stated negative.
AI_CHATBOT_DECLINED: dict[str, tuple[str, ...]] = {
    "no": (r"there(?: is|['’]s) no (?:AI )?(?:chat ?bot|chat assistant|AI chat)",
           r"(?:do|does|will) ?(?:not|n['’]t) (?:have|include|offer|use|provide) (?:a|an|any)"
           r" (?:AI )?(?:chat ?bots?|chat assistants?|AI chat)"),
}
_TUTORS = r"(?:tutors?|assistants?|coach(?:es)?|companions?|helpers?|buddy|buddies|chat)"
_CHAT_PARTNERS = (r"(?:your |the |each |every )?(?:pupils?|students?|learners?|child(?:ren)?|kids"
                  r"|you)")
AI_CHATBOT: dict[str, tuple[str, ...]] = {
    "yes": (
        # a writing or essay assistant drafts text (generative), it does not converse
        r"chat ?bots?",  # "AI tutor", "AI-powered grading and planning assistant"
        rf"AI[- ](?:powered )?(?:(?!writing |essay )\w+ (?:and |& )?){{0,2}}?{_TUTORS}",
        r"AI teaching assistants?",
        r"AI[- ](?:\w+ )?tutoring",
        r"virtual (?:assistant|tutor|teaching assistant)s?", "conversational AI",
        r"(?:voice|conversational|socratic)(?:[- ]based)? (?:\w+ )?(?:tutors?|assistants?|coach)",
        r"chat (?:with|to) (?:an? |our |the )?(?:AI|bot|assistant|tutor|virtual)",
        r"(?:ask|talk to|speak to|chat with) (?:our |the |an |your )?AI",
        r"(?:talk|speak|chat)(?:s|ing)? (?:to|with) (?:it|him|her|them) (?:\w+ ){0,2}?"
        r"(?:conversationally|naturally|out loud|in (?:plain|natural) language)",
        r"AI\b[^.;]{0,60}?\b(?:through|via) (?:a |an )?(?:Socratic |spoken |voice |live )?"
        r"(?:dialogues?|conversations?)",
        r"(?:converse|conversation|conversations) with (?:an? |our |the )?(?:\w+ )?(?:AI|bot|tutor"
        r"|assistant|characters?)", r"chat-based", r"chat interface",
        r"(?:tutor|assistant|bot|AI) (?:that |which |who )?(?:answers|replies to|responds to)"
        r" (?:\S+ ){0,3}?questions",  # one of the AI's verbs: "the AI explains it, answers ..."
        r"(?:tutor|assistant|bot|AI) (?!(?:policy|policies|FAQs?|guide|page|statement|notice"
        r"|section|team)\b)(?:[\w'’]+ ){1,4}?[\w'’]+, (?:and )?(?:answers|replies to"
        r"|responds to) (?:\S+ ){0,3}?questions",
        r"(?:tutor|coach)(?:['’]s)? (?:is |are )?(?:built on|powered by|based on"
        r"|running on)", r"ask (?:\w+['’]s |the |our )(?:AI )?(?:tutor|assistant|coach)",
        r"(?:tutor(?:ing)?|assistant|bot|AI)(?:['’]s)? (?:\w+ ){0,3}?(?:answers?|replies|responds)"
        r" (?:to )?(?:(?:[\w'’]+ ){0,3}?questions?|from (?:[\w'’-]+ ){0,3}?(?:materials?|notes"
        r"|textbooks?|uploads?|documents?))",
        # replies to what users write: "processes your messages ... to generate responses"
        r"(?:messages|questions|prompts)\b[^.;]{0,60}?\bto generate (?:\w+ )?(?:responses|replies"
        r"|answers)",
        r"generat\w* (?:tutoring|chat|conversational|AI|tutor) (?:responses|replies)"
        r"|generat\w* (?:responses|replies) to (?:[\w'’]+ ){0,2}?(?:questions|messages|prompts)",
        # a character or companion, not a human tutor ("our tutors talk with students")
        rf"(?:buddy|buddies|companions?|characters?) (?:\w+ ){{0,2}}?(?:talks?|chats?)"
        rf" (?:with |to )?{_CHAT_PARTNERS}\b",
        r"(?:buddy|buddies|companions?|characters?) (?:[\w'’]+ ){1,6}?and (?:responds|replies)\b",
        r"AI[- ](?:powered|driven|based) (?:[\w-]+ ){0,2}?(?:communication|messaging|enquiry"
        r"|help ?desk|question[- ]answering|conversation) (?:platform|assistant|tool|service"
        r"|app)s?",
    ),
}
# The product itself converses, no AI word needed: "Quillo chats with learners", "ask Quillo
# anything", "Quillo replies in seconds"; a reading buddy that "listens ... and responds".
AI_CHATBOT_SELF: dict[str, tuple[str, ...]] = {
    "yes": (rf"(?:chats?|converses?) (?:with|to) {_CHAT_PARTNERS}\b",
            # at once, not a help desk's "replies within a day"
            r"(?:repl(?:ies|y)|answers?|responds?) (?:[\w'’]+ ){0,4}?(?:instantly|in seconds"
            r"|straight away)"),
}
AI_CHATBOT_ASKED: dict[str, tuple[str, ...]] = {
    "yes": (r"ask (?P<asked>[\w.-]+) (?:anything|any question|questions|about)",),
}


def asks_the_product(claim: Claim) -> bool:
    """"Ask Quillo anything": the one asked is the product."""
    names = _names_pattern(claim.names)
    match = re.match(r"ask ([\w.-]+)", claim.sentence[claim.start:claim.end], re.IGNORECASE)
    return bool(names and match and names.fullmatch(match.group(1)))


_EACH_LEARNER = (
    r"(?:each|every|individual|the|your|their|a|his|her) (?:\w+['’]s? )?(?:student|learner|child"
    r"|pupil|user)?s?['’]?s? ?(?:level|needs|pace|ability|abilities|progress|answers|responses"
    r"|strengths|gaps)?"
)
_A_LEARNER = (  # a learner or their level named, not "tailored to your needs"
    r"(?:(?:the )?(?:needs of )?(?:each|every|individual)\b"
    r"|(?:the|your|their|a|his|her) (?:\w+ )?(?:student|learner|child|pupil)s?\b"
    r"|(?:your|their|his|her) (?:own )?(?:current )?(?:skill |reading |ability )?(?:level|pace"
    r"|abilit(?:y|ies)|progress|strengths|gaps)\b)"
)
AI_ADAPTIVE: dict[str, tuple[str, ...]] = {
    "yes": (
        r"adaptive(?:,? [\w-]+){0,5}? (?:learning|engine|technology|algorithms?|practice"
        r"|assessments?|platform|teaching|tutoring|instruction"
        r"|questions?|difficulty|pathways?|paths?|maths|reading|programme|program|tests?"
        r"|testing|system|tutoring|homework|quizz(?:es)?|sequencing)",
        r"adapts? (?:\w+ ){0,3}?to (?:each|every|the|your|individual|their) (?:\w+['’]?s? )?"
        r"(?:student|learner|child|pupil|user|level|needs|pace|ability|progress)s?",
        r"(?:adjusts?|adapts?|changes?|tailors?) (?:the )?(?:level of )?(?:difficulty|level"
        r"|pace|questions|content|challenge)",
        r"(?:we|it|the (?:engine|system|algorithm|app|platform|AI)|our (?:engine|system"
        r"|algorithm|AI)) (?:then |automatically )?(?:adjusts?|adapts?|tailors?) (?:the |each "
        r"(?:pupil|child|student|learner)['’]s |their )?(?:work|learning) (?:programs?|programmes?"
        r"|plans?)",
        r"individuali[sz]ed (?:direct |one-to-one )?instruction",
        r"difficulty (?:level )?(?:adjusts|adapts|changes|increases|rises)",
        r"adapt(?:s|ing)? (?:\w+ )?(?:in real[- ]time|as (?:you|they|students|pupils|learners"
        r"|children) (?:learn|go|progress|answer|work))(?! to (?:any |your |all |the |different )?"
        r"(?:screens?|devices?|mobile|tablets?|browsers?|layouts?|windows?))",
        r"(?:questions?|practice|tasks?|content|activities|work|problems) (?:\w+ ){0,3}?"
        r"(?:get|gets|getting|become|becomes|becoming|grow|grows) (?:harder|easier"
        r"|more (?:challenging|difficult))",
        r"(?:questions?|practice|tasks?|activities|exercises|problems) (?:will |can )?(?:adapt"
        r"|adjust)s?\b(?! to (?:any |your |all |the |different )?(?:screens?|devices?|mobile"
        r"|tablets?|browsers?|layouts?))",
        r"(?:determin|decid|choos|select|pick|work)\w*(?: out)? (?:which|what) (?:\w+ ){0,2}?"
        r"(?:level|question|activity|lesson|task|skill|game|content|topic)s? (?:\w+ ){0,3}?next",
        # a learner moved up or down its levels without a teacher
        r"mov\w* (?:\w+ ){0,2}?automatically (?:(?:up|down)(?: (?:or|and) (?:up|down))? )?"
        r"(?:through|between|up|down|on|to)\b"
        r"(?: [\w-]+){0,4}? levels?\b",
        # the next quiz picked from how the learner has been doing
        r"(?:decid|choos|select|pick)\w* (?:which|what) [^.]{0,60}?\bbased on (?:your|their|each"
        r"|the (?:student|learner|pupil|child)|how|what|several|recent)\b",
        r"mov\w* (?:\w+ ){0,2}?(?:up or down|forward (?:or|and) back\w*|back and forth)"
        r" (?:between|through) (?:\w+ )?levels",
        # "tailored to each learner", "to your child's level"; not "tailored to your needs"
        r"(?:tailor|personalis|personaliz)\w* (?:\w+ ){0,3}?to " + _A_LEARNER,
        r"personali[sz]ed (?:learning )?(?:paths?|pathways?|journeys?|practice|questions"
        r"|recommendations|revision|sequences?)",
        r"individuali[sz]ed learning (?:paths?|pathways?)", r"spaced[- ]repetition",
        # "a unique learning path for every pupil", "what each child is ready to learn next"
        r"(?:unique|individual|own|bespoke) learning (?:paths?|pathways?|journeys?)",
        r"(?:paths?|pathways?) (?:for|to) (?:each|every) (?:student|learner|pupil|child)",
        r"(?:is|are) ready to (?:learn|practi[sc]e|work on|tackle) next",
        r"(?:identif|spot|find|finds|pinpoint)\w* (?:\w+ ){0,2}?gaps\b[^.]{0,40}?"
        r"(?:targeted|tailored|personali[sz]ed) (?:practice|questions|activities|work|tasks)",
        "knowledge tracing",
        r"(?:picks|chooses|selects|serves|recommends|suggests) (?:up )?(?:the )?(?:next|right)"
        r" (?:question|task|activity|lesson|step|problem|skill)",
        r"responds? to (?:each|every) (?:answer|response)",
        r"adapts? (?:\w+ )?(?:based on|according to|depending on|in response to)"
        r" (?:how (?:well )?|what )?(?:each |every |the |your |their |a |an )?(?:individual )?"
        r"(?:student|pupil|learner|child|user)(?:s|ren)?\b",
        r"(?:gauges?|judges?|works? out|determines?|pinpoints?) (?:the |their |each |a )?"
        r"(?:\w+['’]s? )?"
        r"(?:working |current |right |correct )?level (?:of (?:homework|work|questions|practice)"
        r"|to (?:give|set|start))",
        # tasks pitched to each reader's level, texts levelled automatically
        r"(?:matched|calibrated|pitched|levell?ed|tuned|geared) (?:\w+ )?to " + _A_LEARNER,
        r"auto-?level(?:l)?ing\b",
        # "questions pitched at the right level for each pupil"
        r"(?:pitched|set|kept|matched|delivered|served) (?:\w+ )?at (?:just )?the right level"
        r"(?: of challenge)? for " + _A_LEARNER,
    ),
}
AI_PROVIDER: dict[str, tuple[str, ...]] = {
    # Azure OpenAI is Microsoft's and OpenAI's
    "openai": ("OpenAI", "ChatGPT", r"GPT-?[345](?:\.\d)?o?(?:[- ]?(?:turbo|mini))?",
               r"DALL[·-]?E"),
    "anthropic": ("Anthropic",),
    "google": (r"Google (?:AI|Gemini|DeepMind|Bard|PaLM)", "Vertex AI"),
    "meta": (r"Meta AI", r"Meta['’]?s Llama"),
    "mistral": ("Mistral AI",),
    "microsoft": (r"Azure OpenAI", r"Azure AI", r"(?:Microsoft|GitHub|Microsoft 365|M365) Copilot",
                  r"Copilot for Microsoft 365"),
    "amazon": (r"(?:Amazon|AWS) (?:Bedrock|Titan|Nova)",),
}
# Names that are also ordinary words or people (Claude Monet, the Gemini star sign, llamas).
AI_PROVIDER_AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "anthropic": (r"(?-i:Claude)",),
    "google": (r"(?-i:Gemini|Bard|PaLM)", r"(?<=OpenAI and )(?-i:Google)",
               r"(?<=OpenAI, )(?-i:Google)", r"(?-i:Google)(?= \(AI)"),
    "meta": (r"(?-i:Llama|LLaMA)",),
    "mistral": (r"(?-i:Mistral)",),
    "amazon": (r"(?-i:Bedrock)",),
    "cohere": (r"(?-i:Cohere)",),
}

# A privacy page's sharing list: "OpenAI/ChatGPT: chat messages are processed to ...".
SHARED_WITH = _any(r"process(?:ed|es|ing)", r"shared?", "sent", r"transmit\w*", "disclosed")
LABEL_NEGATED = _cues(r"\b(?:not|never|no longer)\b|n['’]t\b")  # "without names" still uses it
PROVIDER_LABEL_AFTER = re.compile(r"^(?:\s*/\s*[\w.&-]+|\s+[\w.&-]+){0,2}\s*:\s+\S")


def a_sharing_list_label(claim: Claim) -> bool:
    """The provider heads an item of a list of who receives what data."""
    if claim.before.strip() or LABEL_NEGATED.search(claim.after):
        return False  # "OpenAI: we never send it names" states no use
    return bool(PROVIDER_LABEL_AFTER.match(claim.after))


# --------------------------------------------------------------------------- the rule set

RULES: list[Rule] = [
    *_table("pricing_model", PRICING_MODEL),
    Rule("pricing_model", "paid", _compile("|".join(PER_UNIT_PAID), bounded=False), (CURRENCY,)),
    *PRICE_RULES,
    *_table("audience", AUDIENCE),
    *_table("phase", PHASE),
    *GRADE_RULES,
    *_table("subject", SUBJECT),
    *_table("subject", SUBJECT_LIST_ITEM, SUBJECT_LIST),
    *_table("integration", INTEGRATION),
    *_table("integration", INTEGRATION_AMBIGUOUS, LMS_CONTEXT),
    *_law_rules(),
    *_table("dpa_offered", DPA, DPA_OFFER),
    *[replace(rule, checks=(vendors_own_agreement,)) for rule in _table("dpa_offered", DPA)],
    *[replace(rule, checks=(not_a_trust_page_label,)) for rule in _table("dpa_offered",
                                                                          DPA_TITLE)],
    *[replace(rule, checks=(the_agreement_page,)) for rule in _table("dpa_offered",
                                                                      DPA_POLICY_TITLE)],
    *_table("dpa_offered", DPA_DECLINED, guarded=False),
    *DATA_LOCATION_RULES,
    *_table("certification", CERTIFICATION),
    Rule("certification", "casa", _compile(  # a trust page's badge: "CASA Tier 2 verified"
        r"(?-i:CASA)(?: \(Cloud Application Security Assessment\))?(?: tier \d)?"
        r" (?:verified|validated|certified|assessed|attested|passed|compliant)"
    )),
    # CASA is also a requirement others set ("Google requires a CASA assessment"): only a
    # result held counts
    Rule("certification", "casa", _compile(
        r"(?:passed|completed|holds?|maintains?|achieved|earned|awarded|obtained|has)"
        r" (?:an? |the |our )?(?:formal )?(?-i:CASA)\b"
        r"(?: \(Cloud Application Security Assessment\))?"
        r"(?: tier \d)?(?: (?:certification|assessment|verification|validation|audit))?"
    )),
    *MINIMUM_AGE_RULES,
    *_table("trains_on_user_data", TRAINING),
    *_table("trains_on_user_data", TRAINING_DECLINED, guarded=False),
    *RETENTION_RULES,
    *_table("ai_generative", AI_GENERATIVE),
    *_table("ai_generative", AI_GENERATIVE_DECLINED, guarded=False),
    *_table("ai_chatbot", AI_CHATBOT_DECLINED, guarded=False),
    *[replace(rule, checks=(made_by_the_product,)) for rule in _table("ai_generative",
                                                                       AI_GENERATIVE_DRAFTS)],
    *[replace(rule, checks=(under_an_ai_lead,)) for rule in _table("ai_generative",
                                                                    AI_GENERATIVE_ITEM)],
    *_table("ai_generative", AI_GENERATIVE_NAMED, _any(
        "OpenAI", "ChatGPT", r"GPT-?\d\w*", "Anthropic", "Claude", "Gemini", "Llama", "Mistral",
        r"LLMs?", r"language models?", "AI", "Copilot", "Bedrock")),
    *_table("ai_chatbot", AI_CHATBOT),
    *[replace(rule, checks=(made_by_the_product,)) for rule in _table("ai_chatbot",
                                                                       AI_CHATBOT_SELF)],
    *[replace(rule, checks=(asks_the_product,)) for rule in _table("ai_chatbot",
                                                                    AI_CHATBOT_ASKED)],
    *_table("ai_adaptive", AI_ADAPTIVE),
    *_table("ai_provider", AI_PROVIDER, AI_USE),
    *_table("ai_provider", AI_PROVIDER_AMBIGUOUS, AI_USE, AI_CONTEXT),
    *[replace(rule, checks=(a_sharing_list_label,)) for rule in _table("ai_provider",
                                                                        AI_PROVIDER, SHARED_WITH)],
]

# --------------------------------------------------------------------------- pre-filter
#
# Trying every rule on every sentence costs ~2.7 ms per kB of text, yet nearly every rule can
# only match where one of a few literal strings occurs: its *triggers* ("gdpr", "per month",
# "google classroom", "27001"...). At import each rule's pattern is read with the parser behind
# re.compile to derive them (strings one of which every match must contain); a page is then
# scanned once for all triggers, and each rule is tried only on the sentences holding one of
# its own. The output is exactly that of trying every rule everywhere: a rule is skipped only
# where it cannot match. A rule without usable triggers (say, one matching "k5") is tried on
# every sentence. tests/test_facts.py checks the triggers against every match on the fixtures.

Literal = tuple[str, bool]  # (text, exact): exact text is case-sensitive, else lower-cased

# The characters other than A-Z that re.IGNORECASE equates with an ASCII letter (İ ı ſ K).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLD_CHARS = tuple(chr(code) for code in _FOLD)
_EMPTY: Literal = ("", True)
_MAX_STRINGS = 16  # the most strings one fragment may expand to ("[- ]?" is 3)


def _fold(text: str) -> str:
    """Lower-cased so that a match of a case-insensitive literal becomes that literal.

    Keeps every character's position: İ, the only character str.lower() lengthens, is
    translated first.
    """
    if any(char in text for char in _FOLD_CHARS):
        text = text.translate(_FOLD)
    return text.lower()


def _char(code: int, ignore_case: bool) -> set[Literal] | None:
    """A pattern character as a literal; None for one whose case re folds in other ways."""
    char = chr(code)
    if not char.isprintable() or (char.isspace() and char != " "):
        return None  # "\n" joins the sentences scanned; they hold no other spacing
    if not char.isascii() and not char.lower() == char == char.upper():
        return None  # a non-ASCII letter with case
    return {(char.lower(), False) if ignore_case else (char, True)}


def _concat(a: Literal, b: Literal) -> Literal:
    if not a[0] or not b[0]:
        return a if a[0] else b
    if a[1] and b[1]:
        return a[0] + b[0], True
    return (a[0].lower() if a[1] else a[0]) + (b[0].lower() if b[1] else b[0]), False


def _product(a: set[Literal] | None, b: set[Literal] | None) -> set[Literal] | None:
    if a is None or b is None or len(a) * len(b) > _MAX_STRINGS:
        return None
    return {_concat(x, y) for x in a for y in b}


def _case(flags_on: int, flags_off: int, ignore_case: bool) -> bool:
    return bool(flags_on & re.IGNORECASE) or (ignore_case and not flags_off & re.IGNORECASE)


def _language(items, ignore_case: bool) -> set[Literal] | None:
    """All the strings a sequence of parsed nodes can match, if few; else None."""
    out: set[Literal] | None = {_EMPTY}
    for item in items:
        out = _product(out, _node_language(item, ignore_case))
    return out


def _node_language(node, ignore_case: bool) -> set[Literal] | None:
    op, arg = node
    if op is _parser.LITERAL:
        return _char(arg, ignore_case)
    if op is _parser.IN:
        chars: set[Literal] = set()
        for item_op, item in arg:
            if item_op is _parser.LITERAL:
                codes = [item]
            elif item_op is _parser.RANGE and item[1] - item[0] < _MAX_STRINGS:
                codes = range(item[0], item[1] + 1)
            else:  # a negation or a category (\w, \d...)
                return None
            for code in codes:
                char = _char(code, ignore_case)
                if char is None:
                    return None
                chars |= char
        return chars if len(chars) <= _MAX_STRINGS else None
    if op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):  # zero-width
        return {_EMPTY}
    if op is _parser.SUBPATTERN:
        _group, flags_on, flags_off, items = arg
        return _language(items, _case(flags_on, flags_off, ignore_case))
    if op is _parser.BRANCH:
        out: set[Literal] = set()
        for alternative in arg[1]:
            strings = _language(alternative, ignore_case)
            if strings is None:
                return None
            out |= strings
        return out if len(out) <= _MAX_STRINGS else None
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and arg[1] <= 3:
        low, high, items = arg
        unit, power, out = _language(items, ignore_case), {_EMPTY}, set()
        for count in range(high + 1):
            if power is None:
                return None
            if count >= low:
                out |= power
            power = _product(power, unit)
        return out if len(out) <= _MAX_STRINGS else None
    return None


def _required(items, ignore_case: bool) -> set[Literal] | None:
    """Strings one of which every match of the sequence contains; None if none is known.

    Candidates: each run of consecutive nodes with few strings ("iso[ -]?27001": 3 strings),
    each run of nodes with one string ("27001"), and what nested nodes require.
    """
    best, run, fixed = None, {_EMPTY}, _EMPTY
    for item in [*items, None]:
        strings = None if item is None else _node_language(item, ignore_case)
        if strings is not None and len(strings) == 1:
            fixed = _concat(fixed, next(iter(strings)))
        else:
            best, fixed = _better(best, {fixed}), _EMPTY
        longer = _product(run, strings)
        if longer is not None:
            run = longer
            continue
        best = _better(best, run)  # a run of fixed fragments ends here
        run = strings or {_EMPTY}
        if item is not None and strings is None:
            best = _better(best, _node_required(item, ignore_case))
    return best


def _node_required(node, ignore_case: bool) -> set[Literal] | None:
    op, arg = node
    if op is _parser.SUBPATTERN:
        _group, flags_on, flags_off, items = arg
        return _required(items, _case(flags_on, flags_off, ignore_case))
    if op is _parser.BRANCH:
        out: set[Literal] = set()
        for alternative in arg[1]:
            strings = _required(alternative, ignore_case)
            if strings is None:
                return None
            out |= strings
        return out
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _required(arg[2], ignore_case)
    if op is _parser.ATOMIC_GROUP:
        return _required(arg, ignore_case)
    return None


def _better(a: set[Literal] | None, b: set[Literal] | None) -> set[Literal] | None:
    """The set less likely to occur by chance: longer strings (case-sensitive ones count
    double), then fewer of them."""
    def rank(strings: set[Literal]) -> tuple[int, int]:
        shortest = min(len(text) * (2 if exact else 1) for text, exact in strings)
        return min(shortest, 8), -len(strings)

    if b is None or _EMPTY in b:
        return a
    if a is None or _EMPTY in a:
        return b
    return b if rank(b) > rank(a) else a


def triggers(rule: Rule) -> frozenset[Literal] | None:
    """Strings one of which every match of ``rule.pattern`` contains (exact ones in the
    sentence as written, the others in ``_fold(sentence)``); None: try it everywhere."""
    try:
        flags = rule.pattern.flags
        strings = _required(_parser.parse(rule.pattern.pattern, flags), bool(flags & re.I))
    except Exception:  # an unforeseen construct (or no parser): no pre-filter for this rule
        return None
    if not strings or any(len(text) == 1 and text.isalnum() for text, _exact in strings):
        return None  # a single letter or digit occurs in nearly every sentence
    # "math" also finds "mathematics": keep only the shortest of overlapping strings
    return frozenset(
        (text, exact) for text, exact in strings
        if not any((other, other_exact) != (text, exact)
                   and other in (text if other_exact == exact else text.lower())
                   and (exact or not other_exact)
                   for other, other_exact in strings)
    )


def _trie(strings: list[str]) -> re.Pattern[str] | None:
    """One pattern matching any of ``strings``, the longest at each position, as a trie
    ("ab(?:c|d)?") so that re checks each position in a few steps."""
    if not strings:
        return None
    root: dict = {}
    for text in strings:
        node = root
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(root))


def _prefix_mask(masks: dict[str, int], text: str) -> int:
    mask = 0
    for end in range(1, len(text) + 1):
        mask |= masks.get(text[:end], 0)
    return mask


class _Scanner:
    """Finds, per sentence, the rules whose triggers occur in it (as a bit mask)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.everywhere = 0  # the rules tried on every sentence
        masks: tuple[dict[str, int], dict[str, int]] = ({}, {})  # folded, exact
        for index, rule in enumerate(rules):
            found = triggers(rule)
            if found is None:
                self.everywhere |= 1 << index
            for text, exact in found or ():
                masks[exact][text] = masks[exact].get(text, 0) | 1 << index
        # A hit reports the longest trigger at a position; the shorter ones there are its
        # prefixes, so each trigger's mask includes those of its prefixes.
        self.masks = tuple({text: _prefix_mask(kind, text) for text in kind} for kind in masks)
        self.patterns = tuple(_trie(sorted(kind)) for kind in masks)

    def rules_per_sentence(self, units: list[str]) -> list[int]:
        found = [self.everywhere] * len(units)
        starts, offset = [], 0
        for unit in units:
            starts.append(offset)
            offset += len(unit) + 1
        text = "\n".join(units)
        for scanned, pattern, masks in zip((_fold(text), text), self.patterns, self.masks,
                                           strict=True):
            if pattern is None:
                continue
            search, position = pattern.search, 0
            while match := search(scanned, position):
                position = match.start()
                index = bisect_right(starts, position) - 1
                found[index] |= masks[match.group()]
                position += 1
        return found


_SCANNER = _Scanner(RULES)


# --------------------------------------------------------------------------- negation

CLAUSE_BREAK = re.compile(
    r"[,;:()\[\]–—|]|\s-\s|\b(?:but|however|whereas|although|though|while)\b", re.IGNORECASE
)
_NEGATION_WORDS = (
    r"not|no|never|neither|nor|without|unlike|instead of|rather than|versus|vs|unable"
    r"|cannot|refuse[sd]?|decline[sd]?|prohibit(?:s|ed|ing)?|forbid(?:s|den)?|forbade|bar(?:s|red)"
    r"|ban(?:s|ned)"
    r"|compared? (?:to|with)|comparison|alternatives? to|switch(?:ing|ed)? from|free from"
    r"|similar to|akin to|inspired by"
    r"|\w+er than|more \w+ than|less \w+ than"
)
_FUTURE_WORDS = (r"working towards?|pursuing|in the process of|plan(?:s|ning)? to"
                 r"|if (?:tomorrow|one day|in (?:the )?future|we (?:ever|decide|choose|consider"
                 r"|were))")
_AIM_WORDS = r"aim(?:s|ing)? to"
NEGATION_BEFORE = re.compile(rf"\b(?:{_NEGATION_WORDS}|{_FUTURE_WORDS}|{_AIM_WORDS})\b|n['’]t\b",
                             re.IGNORECASE)
# Who a product is for stays true of an aim: "Quillo aims to help teachers plan" has teachers
# (a plan, "we plan to add GCSE science", is still the future).
NEGATION_ONLY_BEFORE = re.compile(rf"\b(?:{_NEGATION_WORDS}|{_FUTURE_WORDS})\b|n['’]t\b",
                                  re.IGNORECASE)
AIMS_DESCRIBE = frozenset({"audience", "phase", "subject"})
NEGATION_AFTER = re.compile(
    r"^\s*(?:-\s*)?(?:alternatives?|competitors?|rivals?|clones?|killers?|vs\b\.?|versus"
    r"|replacements?)\b|^\s*(?:\S+\s+){0,2}?(?:(?:is|are|was|were)\s+not\b|(?:isn|aren)['’]t)",
    re.IGNORECASE,
)


# "We do not sell data, show adverts, or use pupils' work to train models": the last verb of a
# series is denied with the first.
SERIES_OR = re.compile(r"\s*(?:or|nor)\s+(?!we\b|you\b|they\b|it\b)", re.IGNORECASE)
SERIES_DENIAL = re.compile(
    r"\b(?:(?:do|does|did|will|shall|would|can|could|may)\s+not|never|n['’]t)\s+\w+[^.;:()]*$",
    re.IGNORECASE)


def _denied_by_series(sentence: str, start: int) -> bool:
    """The match at ``start`` is the last verb of a series under one denial."""
    breaks = list(CLAUSE_BREAK.finditer(sentence, 0, start))
    return bool(breaks) and _last_of_a_denied_series(sentence, breaks[-1].end())


def _last_of_a_denied_series(sentence: str, clause_start: int) -> bool:
    if not SERIES_OR.match(sentence, clause_start):
        return False
    head = sentence[:clause_start]
    last_break = max(head.rfind(mark) for mark in (".", ";", ":"))
    return bool(SERIES_DENIAL.search(head, last_break + 1))


NEW_CLAUSE_AFTER = re.compile(
    r"\s+(?:can|could|will|would|may|might|must|should|still|also|are|is|have|has|get|gets"
    r"|do|does)\b", re.IGNORECASE,
)
LIST_ITEM = re.compile(  # not a new subject: "..., and we use"
    r"^\s*(?!(?:(?:and|or|nor)\s+)?(?:we|you|they|it|he|she|i)\s)(?:(?:and|or|nor)\s+)?"
    r"(?:[\w.'’-]+\s+){0,2}$",
    re.IGNORECASE)


UNLESS = re.compile(r"\bunless\b", re.IGNORECASE)
# Fields where "unless X" offers X ("not required unless SSO is requested"): the negation
# before "unless" is about something else.
OFFERED_UNLESS = frozenset({"integration"})


def _negated(sentence: str, start: int, end: int, unless_offers: bool = False,
             aims_negate: bool = True) -> bool:
    """True if the match sits in a negated or comparative clause (see module docstring)."""
    before = sentence[:start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    if unless_offers:
        breaks += list(UNLESS.finditer(before))
        breaks.sort(key=lambda m: m.end())
    own_clause = breaks[-1].end() if breaks else 0
    # a list item ("we do not use OpenAI, Anthropic or ...") belongs to the list's clause,
    # but not a new clause's subject ("..., teachers can still download it")
    if not NEW_CLAUSE_AFTER.match(sentence, end):
        while (breaks and breaks[-1].group() == ","
               and LIST_ITEM.match(before[breaks[-1].end():])):
            breaks.pop()
    clause_start = breaks[-1].end() if breaks else 0
    negation = NEGATION_BEFORE if aims_negate else NEGATION_ONLY_BEFORE
    if negation.search(sentence[clause_start:end]):
        return True
    if _last_of_a_denied_series(sentence, own_clause):
        return True
    after = sentence[end:]
    stop = CLAUSE_BREAK.search(after)
    return bool(NEGATION_AFTER.search(after[: stop.start()] if stop else after))


# --------------------------------------------------------------------------- extraction


def extract_facts(page: PageContent, url: str | None = None) -> list[Fact]:
    """Facts stated on ``page``; ``url`` (default ``page.url``) is recorded as the source."""
    source = url or page.url
    names = product_names(page, source)
    found: dict[tuple[str, str], Fact] = {}
    units = _text_units(page)
    kinds = page_kinds(page, units, source, names)
    # a sub-processor list names its AI providers without a verb ("OpenAI, L.L.C.")
    given = {AI_USE: True} if "suppliers" in kinds else {}
    leads = _list_leads(units)
    in_ai_section = _ai_supplier_sections(units)
    for sentence, candidates, lead, ai_section in zip(
            units, _SCANNER.rules_per_sentence(units), leads, in_ai_section, strict=True):
        present: dict[re.Pattern[str], bool] = dict(given)  # context cues, shared by rules
        if ai_section:  # a table of models under "AI providers we use"
            present |= {AI_USE: True, AI_CONTEXT: True}
        if lead and COMPLIANT_LEAD.search(lead):  # an item of "We comply with:"
            present[COMPLIANCE] = True
        denied_item = _denied_item(sentence, lead)
        while candidates:  # the rules that can match here, in RULES order
            lowest = candidates & -candidates
            candidates ^= lowest
            rule = RULES[lowest.bit_length() - 1]
            denied = rule.guarded and denied_item
            for value, start, end in _matches(rule, sentence, present, names, kinds, lead):
                evidence = quote(sentence, start, end)
                if denied:  # "We will not:" / "Use pupil data to train AI models"
                    if (rule.field, value) not in DENIED_ITEM_GIVES:
                        continue
                    value = DENIED_ITEM_GIVES[rule.field, value]
                    evidence = quote(f"{lead} … {evidence}", 0, 0)
                key = (rule.field, value)
                # the first sentence stating it, but a sentence rather than a heading
                if key not in found or (_heading(found[key].evidence) and not _heading(sentence)):
                    found[key] = Fact(rule.field, value, evidence, source)
    text_prices = [value for field, value in found if field == "price"]
    for fact in _offer_facts(page, source):
        if not any(price.startswith(fact.value + "/") for price in text_prices):
            found.setdefault((fact.field, fact.value), fact)
    facts = _reconcile_pricing(list(found.values()))
    order = {name: i for i, name in enumerate(FACT_FIELDS)}
    return sorted(facts, key=lambda f: order[f.field])


# A heading or lead-in over the AI suppliers a product uses: "Our AI providers",
# "Which models power Quillo?", "Models we use:". The short lines after it name them
# without a verb ("Mistral Small", "Cohere").
AI_SUPPLIER_HEADING = _cues(
    r"\b(?:AI|model|LLM) (?:providers?|vendors?|partners?|suppliers?|sub-?processors?)\b"
    r"|\b(?:models|LLMs) (?:we use|used|that power|powering)\b|\bwhich (?:AI )?models\b")
AI_SECTION_UNITS = 15  # short lines read as the section's table
NOT_OURS_HEADING = _cues(
    r"\b(?:not|never|no(?!-)|other|others|rejected|competitors?|avoid\w*|why)\b|n['’]t\b")
AI_SECTION_LINE_WORDS = 6


def _ai_supplier_sections(units: list[str]) -> list[bool]:
    """For each unit, whether it is a short line of a section headed by AI_SUPPLIER_HEADING."""
    if not any(AI_SUPPLIER_HEADING.search(unit) for unit in units):
        return [False] * len(units)
    marks, left = [], 0
    for unit in units:
        short = len(unit.split()) <= AI_SECTION_LINE_WORDS
        marks.append(left > 0 and short)
        left = max(left - 1, 0)
        lead_or_question = unit.rstrip().endswith((":", "?"))
        if lead_or_question:
            left = 0  # a new section
        if ((_heading(unit) or lead_or_question) and AI_SUPPLIER_HEADING.search(unit)
                and not NOT_OURS_HEADING.search(unit)):
            left = AI_SECTION_UNITS
    return marks


# A list whose lead-in denies what follows: "Quillo will not:", a heading
# "Things Quillo never does".
DENIED_LEAD = re.compile(  # its subject denies: not "Bundles (these do not lapse):"
    r"^\W*(?:(?:what|things)\s+)?[\w.'’-]+(?:\s+(?:will|would|shall|does|do|did|can|must|is"
    r"|are|wo|ca))?(?:\s+(?:never|not|no longer)\b|n['’]t\b)|^\W*(?:never|not)\b",
    re.IGNORECASE,
)
# What a denied item states instead: "never: train AI models on your data" is a "no".
DENIED_ITEM_GIVES = {("trains_on_user_data", "yes"): "no"}


# A heading that opens the next section rather than being an item of the list before it.
SECTION_TITLE = re.compile(r"\W*(?:what|how|why|where|when|who|which|things)\b", re.IGNORECASE)


def _denied_item(unit: str, lead: str) -> bool:
    """``unit`` is a short item (no full stop) of a list whose lead-in denies its items. An
    item with a negation of its own ("No card numbers, as Quillo costs nothing") speaks for
    itself."""
    return (bool(lead) and not re.search(r"[.!?]\s*$", unit) and len(unit.split()) <= 20
            and DENIED_LEAD.search(lead) is not None and not NEGATION_BEFORE.search(unit))


def _list_leads(units: list[str]) -> list[str]:
    """For each unit, the lead-in of the list it is an item of, else "": a line ending with
    ":", or a short heading that denies ("Things Quillo never does"). A list runs on while its items
    are short; a full sentence ends it."""
    leads, lead = [], ""
    for unit in units:
        leads.append(lead)
        end = unit.rstrip()[-1:]
        if end == ":" or (_heading(unit) and DENIED_LEAD.search(unit)):
            lead = unit
        elif (end in (".", "!", "?") or unit.count(" ") > 15
              or (lead and _heading(lead) and SECTION_TITLE.match(unit))):  # "Which data we keep"
            lead = ""
    return leads


def _heading(text: str) -> bool:
    """A title or label ("Student Data Privacy and AI Tutors"), not a sentence."""
    return len(text.split()) <= 8 and not re.search(r"[.!?;:]\s*$", text)


def _text_units(page: PageContent) -> list[str]:
    """Distinct sentences of the main text, then of the meta description, within budget."""
    units: list[str] = []
    seen: set[str] = set()
    budget = MAX_TEXT_CHARS
    for text in (page.main_text, page.meta_description):
        for sentence in sentences(text[: max(budget, 0)]):
            for unit in _bounded(sentence):
                if unit not in seen:
                    seen.add(unit)
                    units.append(unit)
                    budget -= len(unit)
    return units


MAX_UNIT_CHARS = 1_000  # real sentences are far shorter; a table row on one line is not
UNIT_WINDOW = 600
TABLE_CELL_BREAK = re.compile(r"\s+\|\s+")


def _bounded(sentence: str) -> list[str]:
    """A sentence, or a line with no sentence breaks (a table flattened to one line) cut
    into pieces of at most MAX_UNIT_CHARS: at its cells, then at spaces. Scope checks look
    at what comes before a match, so one unbounded line would cost time quadratic in it."""
    if len(sentence) <= MAX_UNIT_CHARS:
        return [sentence]
    pieces: list[str] = []
    for cell in TABLE_CELL_BREAK.split(sentence):
        while len(cell) > MAX_UNIT_CHARS:
            cut = cell.rfind(" ", 0, UNIT_WINDOW)
            cut = cut if cut > 0 else UNIT_WINDOW
            pieces.append(cell[:cut].strip())
            cell = cell[cut:]
        pieces.append(cell.strip())
    return [piece for piece in pieces if piece]


def _matches(
    rule: Rule, sentence: str, present: dict[re.Pattern[str], bool],
    names: tuple[str, ...] = (), kinds: frozenset[str] = frozenset(), lead: str = "",
) -> Iterator[tuple[str, int, int]]:
    for required in rule.requires:
        if required not in present:
            present[required] = required.search(sentence) is not None
        if not present[required]:
            return
    allowed = FACT_FIELDS[rule.field]
    for match in rule.pattern.finditer(sentence):
        if rule.guarded and _negated(sentence, match.start(), match.end(),
                                     rule.field in OFFERED_UNLESS,
                                     rule.field not in AIMS_DESCRIBE):
            # "We do not sell data, show adverts, or use pupil work to train models"
            denial = (DENIED_ITEM_GIVES.get((rule.field, rule.value))
                      if isinstance(rule.value, str) else None)
            if denial is None or not _denied_by_series(sentence, match.start()):
                continue
            values = [denial]
        else:
            values = [rule.value] if isinstance(rule.value, str) else rule.value(match)
        for value in values:
            claim = Claim(sentence, match.start(), match.end(), value, names, kinds, lead)
            if (allowed is None or value in allowed) and in_scope(rule.field, claim, rule.checks):
                yield value, match.start(), match.end()


def quote(sentence: str, start: int, end: int, limit: int = MAX_EVIDENCE) -> str:
    """The sentence, or a window of it around ``[start, end)`` cut at word boundaries.

    The result is always a verbatim substring of the sentence, at most ``limit`` long.
    """
    if len(sentence) <= limit:
        return sentence
    if end - start >= limit:
        return sentence[start : start + limit].strip()
    left = max(0, min(start - (limit - (end - start)) // 2, len(sentence) - limit))
    right = left + limit
    if left > 0 and sentence[left - 1] != " ":
        next_space = sentence.find(" ", left, start)
        left = next_space + 1 if next_space != -1 else left
    if right < len(sentence) and sentence[right] != " ":
        last_space = sentence.rfind(" ", end, right)
        right = last_space if last_space != -1 else right
    return sentence[left:right].strip()


def _offer_facts(page: PageContent, source: str) -> list[Fact]:
    """``price`` (and a free signal for price 0) from schema.org Offers."""
    facts = []
    for offer in page.offers:
        named = f' "{offer.name}"' if offer.name else ""
        evidence = f"schema.org Offer{named}: {offer.price} {offer.currency}".strip()
        if offer.price == "0":
            facts.append(Fact("pricing_model", "free", evidence, source))
            continue
        value = f"{offer.currency.lower()} {offer.price}".strip()
        facts.append(Fact("price", value, evidence, source))
    return facts


def _reconcile_pricing(facts: list[Fact]) -> list[Fact]:
    """Keep one pricing_model: free + a charge -> freemium; a price implies paid."""
    models: dict[str, Fact] = {}
    for fact in facts:
        if fact.field == "pricing_model":
            models.setdefault(fact.value, fact)
    price = next((f for f in facts if f.field == "price"), None)
    if price is not None and "paid" not in models:
        models["paid"] = replace(price, field="pricing_model", value="paid")
    if price is None and "quote-only" in models:  # a quoted plan with yearly billing
        models.pop("paid", None)
    rest = [f for f in facts if f.field != "pricing_model"]
    chosen = _choose_model(models)
    return rest + ([chosen] if chosen else [])


def _choose_model(models: dict[str, Fact]) -> Fact | None:
    if "freemium" in models:
        return models["freemium"]
    free = models.get("free")
    charged = models.get("paid") or models.get("quote-only")
    if free and charged:
        joined = quote(f"{free.evidence} … {charged.evidence}", 0, 0)
        return replace(free, value="freemium", evidence=joined)
    return charged or free


def _check_rules() -> None:
    """Fail at import if a table names a field or closed value the vocabulary lacks."""
    for rule in RULES:
        allowed = FACT_FIELDS[rule.field]
        if isinstance(rule.value, str) and allowed is not None and rule.value not in allowed:
            raise ValueError(f"{rule.field}={rule.value!r} is not in the vocabulary")
    unknown = (set(AI_PROVIDER) | set(AI_PROVIDER_AMBIGUOUS)) - set(AI_PROVIDERS)
    if unknown:
        raise ValueError(f"unknown AI providers {sorted(unknown)}")


_check_rules()
