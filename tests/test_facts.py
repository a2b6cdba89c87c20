"""crawler.facts: exact facts and evidence from hand-written pages, the negation and
comparison guard, value formats, and sanity on the real saved pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from catalogue.errors import EdcatError
from catalogue.vocabulary import FACT_FIELDS
from crawler.extract import Offer, PageContent, extract_page, sentences
from crawler.facts import _SCANNER, RULES, Fact, extract_facts, product_names, quote, triggers
from crawler.facts_eval import (
    DEFAULT_CORPUS,
    DEFAULT_JUDGEMENTS,
    NEVER_FALSE_YES,
    comparable,
    evaluate,
    evaluate_pages,
    facts_of_case,
    format_page_report,
    format_report,
    format_unseen_report,
    load_corpus,
    load_judgements,
    load_pages,
    unseen_scores,
)

HTML = Path(__file__).parent / "fixtures" / "html"
URL = "https://lessonloop.example/page"
YES_NO_FIELDS = [name for name, values in FACT_FIELDS.items() if values == ("yes", "no")]


@cache
def fixture_facts(relative: str) -> tuple[Fact, ...]:
    page = extract_page((HTML / relative).read_bytes(), URL)
    return tuple(extract_facts(page))


def facts_of(text: str, description: str = "", offers: tuple[Offer, ...] = ()) -> list[Fact]:
    page = PageContent(url=URL, main_text=text, meta_description=description, offers=list(offers))
    return extract_facts(page)


def values(facts, field: str) -> set[str]:
    return {f.value for f in facts if f.field == field}


def pairs(facts) -> set[tuple[str, str]]:
    return {(f.field, f.value) for f in facts}


# --------------------------------------------------------------------------- hand-written pages


def test_pricing_page():
    facts = fixture_facts("synthetic/pricing.html")
    models = [f for f in facts if f.field == "pricing_model"]
    assert [(f.value, f.evidence) for f in models] == [
        ("freemium", "Free for teachers. … Whole-school licences cost £3 per pupil per year.")
    ]
    prices = {f.value: f.evidence for f in facts if f.field == "price"}
    assert prices == {
        "usd 8/month": "Pro $8/month.",
        "gbp 3/pupil/year": "Whole-school licences cost £3 per pupil per year.",
        # only in JSON-LD; the $8 Offer duplicates the text price and is dropped
        "gbp 1200": 'schema.org Offer "School": 1200 GBP',
    }
    # "$17 million in funding" and "save $20" are not prices
    assert all(f.source_url == URL for f in facts)


def test_privacy_page_exact_facts_and_evidence():
    facts = fixture_facts("synthetic/privacy.html")
    evidence = {(f.field, f.value): f.evidence for f in facts}
    expected = {
        ("gdpr", "yes"): "We are fully compliant with the UK GDPR.",
        ("data_location", "uk"): "All customer data is stored in the UK.",
        ("dpa_offered", "yes"): "A data processing agreement (DPA) is available on request.",
        ("certification", "iso-27001"):
            "LessonLoop is ISO 27001 certified and we hold Cyber Essentials Plus.",
        ("certification", "cyber-essentials-plus"):
            "LessonLoop is ISO 27001 certified and we hold Cyber Essentials Plus.",
        ("ai_provider", "openai"): "Our lesson assistant is powered by OpenAI.",
        ("minimum_age", "13"): "Users must be 13 or older to create an account.",
        ("trains_on_user_data", "no"): "We never use student data to train AI models.",
        ("retention", "30-days"):
            "We retain pupil data for 30 days after a school closes its account.",
        ("phase", "primary"):
            "LessonLoop is a lesson planning service for primary and secondary schools.",
        ("phase", "secondary"):
            "LessonLoop is a lesson planning service for primary and secondary schools.",
    }
    assert evidence == expected


def test_privacy_page_states_nothing_it_does_not_say():
    facts = fixture_facts("synthetic/privacy.html")
    fields = {f.field for f in facts}
    # never mentioned: no fact at all, in particular no default "no"
    assert not fields & {"coppa", "ferpa", "ai_generative", "ai_adaptive", "pricing_model"}
    # "Cyber Essentials Plus" is not also plain "Cyber Essentials"
    assert "cyber-essentials" not in values(facts, "certification")
    # "never use student data to train" must not also read as "uses data to train"
    assert values(facts, "trains_on_user_data") == {"no"}
    # "student data" / "pupil data" describe data, not the audience
    assert "students" not in values(facts, "audience")


def test_comparison_page_yields_no_provider_and_no_gdpr():
    facts = fixture_facts("synthetic/comparison.html")
    assert values(facts, "ai_provider") == set()
    assert not {f.field for f in facts} & {"gdpr", "ai_generative", "pricing_model"}


# --------------------------------------------------------------------------- negation guard


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Unlike ChatGPT, our tutor never gives the answer away.", "ai_provider"),
        ("The safe ChatGPT alternative for schools, built with AI.", "ai_provider"),
        ("An alternative to ChatGPT that uses AI safely.", "ai_provider"),
        ("Our AI model is better than Gemini for homework help.", "ai_provider"),
        ("Compared to Claude, our AI model is smaller.", "ai_provider"),
        ("No ChatGPT needed: our model runs on your laptop.", "ai_provider"),
        ("We do not use OpenAI models.", "ai_provider"),
        ("We don't use OpenAI or Anthropic models.", "ai_provider"),
        ("Instead of GPT-4, we use our own model.", "ai_provider"),
        ("ChatGPT vs our AI model: a comparison.", "ai_provider"),
        ("Teachers are worried about ChatGPT.", "ai_provider"),  # no use stated
        ("Claude Monet painted water lilies in his garden.", "ai_provider"),
        ("Our llama farm uses solar power.", "ai_provider"),
        ("This demo is not GDPR compliant.", "gdpr:yes"),
        ("GDPR compliance is not something this free tool offers.", "gdpr"),
        ("Under the GDPR you have the right to access your data.", "gdpr"),  # no claim
        ("We are working towards ISO 27001 certification.", "certification"),
        ("Your data is never stored in the US.", "data_location"),
        ("Our office is based in the UK.", "data_location"),
        ("We do not offer a DPA.", "dpa_offered:yes"),
        ("We never use your data to train AI models.", "trains_on_user_data:yes"),
        ("We do not use generative AI.", "ai_generative:yes"),
        ("Start your 14-day free trial.", "pricing_model:free"),
        ("Start your 14-day free trial.", "pricing_model:freemium"),
        ("It is not free.", "pricing_model"),
        ("Clever ideas for busy classrooms.", "integration"),
        ("Start with a blank canvas and draw.", "integration"),
        ("Use the interactive blackboard mode.", "integration"),
        ("We raised $17 million in funding.", "price"),
        ("Save $20 when you pay yearly.", "price"),
        ("A state-of-the-art platform with our primary goal of saving time.", "subject"),
        ("A state-of-the-art platform with our primary goal of saving time.", "phase"),
        ("See your order history and browser history.", "subject"),
        ("Computer science lessons for all.", "subject:science"),
        ("Headteachers love it.", "audience:teachers"),
        ("IT administrators can deploy it in minutes.", "audience:leaders"),
        ("Our principal aim is simplicity.", "audience"),
        ("Send us a message.", "subject"),
    ],
)
def test_no_fact_without_a_positive_statement(text, field):
    facts = facts_of(text)
    name, _, value = field.partition(":")
    found = values(facts, name)
    assert (value not in found) if value else not found, facts


def test_a_comparison_clause_does_not_hide_the_real_claim():
    facts = facts_of("Unlike ChatGPT, our tutor is powered by Claude from Anthropic.")
    assert values(facts, "ai_provider") == {"anthropic"}


def test_stated_negatives_are_no_facts():
    facts = facts_of(
        "We are not GDPR compliant. We do not offer a DPA. "
        "We never use your data to train AI models. We do not use generative AI."
    )
    assert pairs(facts) >= {
        ("gdpr", "no"), ("dpa_offered", "no"), ("trains_on_user_data", "no"),
        ("ai_generative", "no"),
    }
    assert not {f for f in facts if f.value == "yes"}


def test_absent_evidence_means_no_fact():
    assert facts_of("Welcome to our website. We hope you enjoy your visit.") == []
    assert facts_of("") == []


# --------------------------------------------------------------------------- positive rules


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        # pricing model (one per page)
        ("Free forever for every classroom.", "pricing_model", {"free"}),
        ("Start your 14-day free trial.", "pricing_model", {"paid"}),
        ("Contact sales for district pricing.", "pricing_model", {"quote-only"}),
        ("Get a quote for your trust.", "pricing_model", {"quote-only"}),
        ("Use the free plan, or upgrade to Pro for more.", "pricing_model", {"freemium"}),
        ("Free for teachers. Contact us for school pricing.", "pricing_model", {"freemium"}),
        ("Plans from $5 per month.", "pricing_model", {"paid"}),
        ("Try it free for 30 days.", "pricing_model", {"paid"}),
        # price formats
        ("Only $12/month.", "price", {"usd 12/month"}),
        ("Just £3 per pupil per year.", "price", {"gbp 3/pupil/year"}),
        ("A one-off €99 licence.", "price", {"eur 99"}),
        ("From 49 EUR per year.", "price", {"eur 49/year"}),
        ("USD 1,500 per school.", "price", {"usd 1500/school"}),
        ("$4.99 a month.", "price", {"usd 4.99/month"}),
        ("A$10/mo for families.", "price", {"aud 10/month"}),
        ("£2.50 per student, billed annually.", "price", {"gbp 2.50/student"}),
        ("$8 per user per month or $80 per user per year.", "price",
         {"usd 8/user/month", "usd 80/user/year"}),
        # audience
        ("Built for school leaders and SLT.", "audience", {"leaders"}),
        ("Bursars and business managers save hours.", "audience", {"admin"}),
        ("Headteachers love it.", "audience", {"leaders"}),
        ("Keep parents and carers informed.", "audience", {"parents"}),
        ("IT administrators can deploy it.", "audience", {"admin"}),
        ("Teachers set work and pupils complete it.", "audience", {"teachers", "students"}),
        ("District administrators see every school.", "audience", {"leaders"}),
        # subjects
        ("Maths and physics practice.", "subject", {"maths", "science"}),
        ("Computer science lessons.", "subject", {"computing"}),
        ("Phonics for early reading.", "subject", {"literacy"}),
        ("Spanish lessons for beginners.", "subject", {"languages"}),
        ("Support for pupils with dyslexia.", "subject", {"send"}),
        ("Great for SEND pupils.", "subject", {"send"}),
        ("Coding for kids.", "subject", {"computing"}),
        ("PSHE and RSE resources.", "subject", {"pshe"}),
        ("STEM activities.", "subject", {"science"}),
        # integrations
        ("Sync rosters with Clever and ClassLink.", "integration", {"clever", "classlink"}),
        ("Works with Canvas, Schoology and Moodle via LTI 1.3.", "integration",
         {"canvas", "schoology", "moodle", "lti"}),
        ("Single sign-on with Google.", "integration", {"sso"}),
        ("Sign in with Microsoft.", "integration", {"sso"}),
        ("Assign straight to Google Classroom and Microsoft Teams.", "integration",
         {"google-classroom", "microsoft-teams"}),
        ("Export to Google Drive.", "integration", {"google-workspace"}),
        ("Rosters sync nightly from Wonde.", "integration", {"wonde"}),
        # privacy
        ("We comply with COPPA and FERPA.", "coppa", {"yes"}),
        ("We comply with COPPA and FERPA.", "ferpa", {"yes"}),
        ("Data is hosted in the EU and the UK.", "data_location", {"eu", "uk"}),
        ("Our servers are located in Canada.", "data_location", {"canada"}),
        ("Amazon Web Services hosts our data in the United States.", "data_location", {"us"}),
        ("Everything runs in UK data centres.", "data_location", {"uk"}),
        ("Data may be transferred to and processed in the United States.", "data_location",
         {"us"}),
        ("We are SOC 2 Type II audited and ISO/IEC 27701 certified.", "certification",
         {"soc-2", "iso-27701"}),
        ("We signed the Student Privacy Pledge.", "certification", {"student-privacy-pledge"}),
        ("We hold Cyber Essentials.", "certification", {"cyber-essentials"}),
        ("You must be at least 16 years old to use the service.", "minimum_age", {"16"}),
        ("The service is not intended for children under 13.", "minimum_age", {"13"}),
        ("We keep backups for one year.", "retention", {"1-year"}),
        ("Inactive accounts are deleted after 12 months.", "retention", {"12-months"}),
        ("We retain your data until you delete your account.", "retention",
         {"until-account-deleted"}),
        ("Schools can sign our DPA.", "dpa_offered", {"yes"}),
        ("We may use your content to train our AI models.", "trains_on_user_data", {"yes"}),
        ("Your data is never used to train AI.", "trains_on_user_data", {"no"}),
        # AI
        ("Generate quizzes in seconds with AI.", "ai_generative", {"yes"}),
        ("Built on large language models.", "ai_generative", {"yes"}),
        ("AI-generated feedback on every essay.", "ai_generative", {"yes"}),
        ("Chat with our AI tutor at any time.", "ai_chatbot", {"yes"}),
        ("A friendly chatbot answers questions.", "ai_chatbot", {"yes"}),
        ("Our adaptive learning engine adjusts difficulty.", "ai_adaptive", {"yes"}),
        ("Questions adapt to each student's level.", "ai_adaptive", {"yes"}),
        ("Personalised learning paths for every child.", "ai_adaptive", {"yes"}),
        ("Powered by GPT-4o.", "ai_provider", {"openai"}),
        # as the judges' guide has it: Azure OpenAI is Microsoft's service of OpenAI's models
        ("Built on Azure OpenAI Service.", "ai_provider", {"microsoft", "openai"}),
        ("Powered by Google Gemini.", "ai_provider", {"google"}),
        ("Our assistant uses Claude, Anthropic's AI model.", "ai_provider", {"anthropic"}),
        ("We use Llama 3 models hosted on Amazon Bedrock.", "ai_provider", {"meta", "amazon"}),
        ("Sub-processors: OpenAI (AI model provider), Mistral AI.", "ai_provider",
         {"openai", "mistral"}),
    ],
)
def test_rules(text, field, expected):
    assert values(facts_of(text), field) == expected


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("For K-12 schools.", {"primary", "secondary"}),
        ("Built for K12 districts.", {"primary", "secondary"}),
        ("Designed for grades 3-8.", {"primary", "secondary"}),
        ("For grades K-5.", {"primary"}),
        ("Works for grades 1-5.", {"primary"}),
        ("Made for grades 6 through 12.", {"secondary"}),
        ("Great for K-8 classrooms.", {"primary", "secondary"}),
        ("From PreK-12.", {"early-years", "primary", "secondary"}),
        ("For 4th through 8th graders.", {"primary", "secondary"}),
        ("A grade 10 unit.", {"secondary"}),
        ("KS3 science.", {"secondary"}),
        ("KS1 and KS2 reading.", {"primary"}),
        ("GCSE revision.", {"secondary"}),
        ("Sixth form students love it.", {"post-16"}),
        ("Revise for your A-levels.", {"post-16"}),
        ("FE colleges and universities.", {"post-16", "higher-education"}),
        ("Supports the EYFS framework.", {"early-years"}),
        ("For nurseries and preschools.", {"early-years"}),
        ("Kindergarten readiness.", {"early-years"}),
        ("Primary schools and middle schools.", {"primary", "secondary"}),
        ("High school and college students.", {"secondary", "higher-education"}),
        ("Years 7-11.", {"secondary"}),
        ("From Year R to Year 2.", {"early-years", "primary"}),
        ("Undergraduate courses.", {"higher-education"}),
        ("Grades 5-14.", set()),  # not a US grade range
        ("In 2023 we grew.", set()),
    ],
)
def test_phase_mapping(text, phases):
    assert values(facts_of(text), "phase") == phases


# --------------------------------------------------------------------------- mechanics


def test_deduplicated_keeping_first_evidence():
    facts = facts_of("Teachers love it. Teachers save time.", description="Made for teachers.")
    assert [(f.value, f.evidence) for f in facts if f.field == "audience"] == [
        ("teachers", "Teachers love it.")
    ]


def test_meta_description_is_evidence_too():
    facts = facts_of("", description="The AI tutor for GCSE maths.")
    assert pairs(facts) == {
        ("ai_chatbot", "yes"), ("phase", "secondary"), ("subject", "maths"),
    }


def test_offers_give_prices_and_free_signal():
    facts = facts_of("", offers=(Offer("0", "USD", "Basic"), Offer("9.99", "GBP", "Plus")))
    assert values(facts, "price") == {"gbp 9.99"}
    assert values(facts, "pricing_model") == {"freemium"}


def test_long_evidence_is_trimmed_around_the_match():
    filler = "word " * 100
    sentence = f"{filler}we are fully GDPR compliant and {filler}".strip()
    (fact,) = facts_of(sentence)
    assert fact.field == "gdpr"
    assert len(fact.evidence) <= 300
    assert "GDPR compliant" in fact.evidence
    assert fact.evidence in sentence


def test_quote_keeps_short_sentences_whole():
    assert quote("Short one.", 0, 5) == "Short one."
    long = "a" * 400
    assert quote(long, 10, 20) == long[:300]


def test_facts_are_sorted_by_field_order():
    facts = facts_of("Powered by OpenAI. Free forever. For teachers.")
    order = list(FACT_FIELDS)
    indexes = [order.index(f.field) for f in facts]
    assert indexes == sorted(indexes)


def test_every_rule_is_valid_against_the_vocabulary():
    for rule in RULES:
        assert rule.field in FACT_FIELDS
        allowed = FACT_FIELDS[rule.field]
        if isinstance(rule.value, str) and allowed is not None:
            assert rule.value in allowed


# --------------------------------------------------------------------------- real pages

REAL_PAGES = sorted(
    str(p.relative_to(HTML)) for p in HTML.glob("*/*.html") if p.parent.name != "synthetic"
)


@pytest.mark.parametrize("relative", REAL_PAGES)
def test_real_pages_give_well_formed_facts(relative):
    page = extract_page((HTML / relative).read_bytes(), URL)
    text = page.main_text + "\n" + page.meta_description
    for fact in extract_facts(page):
        allowed = FACT_FIELDS[fact.field]
        assert allowed is None or fact.value in allowed
        assert fact.value == fact.value.lower()
        assert 0 < len(fact.evidence) <= 300
        if not fact.evidence.startswith("schema.org") and " … " not in fact.evidence:
            assert fact.evidence in text
        if fact.field in YES_NO_FIELDS:
            assert fact.value == "yes"  # no real page states a negative


def test_real_page_facts():
    remind = fixture_facts("homepages-2018/remind.com.html")
    assert ("certification", "ikeepsafe") in pairs(remind)
    # "Send quick, simple messages to any device—for free."
    assert values(remind, "pricing_model") == {"free"}
    assert values(remind, "audience") >= {"teachers", "students", "parents"}

    tynker = fixture_facts("homepages-2018/tynker.com.html")
    assert values(tynker, "phase") == {"primary", "secondary"}  # "4th through 8th graders"
    assert "computing" in values(tynker, "subject")

    desmos = fixture_facts("homepages-2018/desmos.com.html")
    assert "maths" in values(desmos, "subject")

    kahoot = fixture_facts("homepages-2018/kahoot.com.html")
    assert values(kahoot, "price") == set()  # "$17 million in funding" is not a price

    sugar = fixture_facts("sugarlabs_www/sugarizer.html")
    assert ("audience", "admin") in pairs(sugar)  # "best for sysadmins of schools"

    music = fixture_facts("sugarlabs_www/music-blocks.html")
    assert "music" in values(music, "subject")


def test_comparison_in_real_text_is_not_an_integration():
    # sugarlabs school-administrators.html: "similar to the now commonplace Google Docs"
    facts = fixture_facts("sugarlabs_www/school-administrators.html")
    evidence = [f.evidence for f in facts if f.value == "google-workspace"]
    assert evidence == [
        "The Sugar Journal has extensions that allow for interoperability with a number of "
        "cloud-based services, such as Dropbox and Google Drive."
    ]


def test_long_real_page_full_output():
    # 13.8 kB of text: every fact, in order, with its evidence (pins the rule pre-filter)
    facts = fixture_facts("sugarlabs_www/school-administrators.html")
    assert {f.source_url for f in facts} == {URL}
    assert [(f.field, f.value, f.evidence) for f in facts] == [
        ("pricing_model", "free",
         "The Sugar parallels to the Free/Libre Software movement are tools of expression, "
         "children creating content as well as consuming it, and a strong emphasis on "
         "collaboration, co-creation, and helping one another."),
        # audience only where the text says who it helps ("help your students"), not from
        # a list of evaluation levels ("... students, teachers, and parents")
        ("audience", "students",
         "Here you will find all you need to know on how Sugar can help your students and "
         "teachers."),
        ("audience", "teachers",
         "Here you will find all you need to know on how Sugar can help your students and "
         "teachers."),
        ("audience", "admin",
         "These data help teachers, administrators and stakeholders understand the impact of a "
         "program and make adjustments to it."),
        ("subject", "computing",
         "Sugar tries to accommodate a wide variety of users with different levels of skill in "
         "terms of reading and language and different levels of experience with computing by "
         "providing activities with a ‘‘low floor’’ and, where possible, ‘‘no ceiling.’’"),
        ("subject", "maths",
         "These include many programs such as Turtle Blocks, which is based on Logo and allows "
         "children to make images while learning concepts of geometry and programming; "
         "Scratch, a programming language that enables the creation of interactive stories, "
         "games, music, and art; and Squeak Etoys, a multimedia"),
        ("subject", "science",
         "Scratch, a programming language that enables the creation of interactive stories, "
         "games, music, and art; and Squeak Etoys, a multimedia authoring environment and "
         "visual programming system that is meant as an educational tool to teach children "
         "powerful ideas (primarily science and math) in new ways."),
        ("subject", "music",
         "while learning concepts of geometry and programming; Scratch, a programming language "
         "that enables the creation of interactive stories, games, music, and art; and Squeak "
         "Etoys, a multimedia authoring environment and visual programming system that is "
         "meant as an educational tool to teach children"),
        ("subject", "art",  # an item of a list of subjects: "music, and art"
         "learning concepts of geometry and programming; Scratch, a programming language "
         "that enables the creation of interactive stories, games, music, and art; and "
         "Squeak Etoys, a multimedia authoring environment and visual programming system "
         "that is meant as an educational tool to teach children powerful"),
        ("integration", "google-workspace",
         "The Sugar Journal has extensions that allow for interoperability with a number of "
         "cloud-based services, such as Dropbox and Google Drive."),
    ]


# --------------------------------------------------------------------------- rule pre-filter


def test_prefilter_never_skips_a_rule_that_could_match():
    # every sentence of every saved page, as written and in upper case: each rule that
    # matches a sentence must be among the rules the pre-filter tries on it
    units = []
    for path in sorted([*HTML.glob("*/*.html"), *(HTML.parent / "sites").glob("*/*.html")]):
        page = extract_page(path.read_bytes(), URL)
        units += sentences(page.main_text) + sentences(page.meta_description)
    units += [unit.upper() for unit in units]
    checked = 0
    for unit, tried in zip(units, _SCANNER.rules_per_sentence(units), strict=True):
        for index, rule in enumerate(RULES):
            if rule.pattern.search(unit):
                checked += 1
                assert tried >> index & 1, (rule.field, rule.value, unit)
    assert checked > 500


def test_prefilter_triggers():
    by_value = {rule.value: rule for rule in RULES if isinstance(rule.value, str)}
    assert triggers(by_value["google-classroom"]) == {("google classroom", False)}
    assert triggers(by_value["soc-2"]) == {("soc 2", False), ("soc-2", False), ("soc2", False),
                                          ("soc ii", False)}
    # case-sensitive names are looked for as written: "SEN", not every "sent"
    assert ("SEN", True) in triggers(by_value["send"])
    # only a rule with no selective literal (pre-k/k-12 grades: just "k") runs everywhere
    assert bin(_SCANNER.everywhere).count("1") <= 2


@pytest.mark.parametrize(
    ("text", "fact"),
    [  # characters re.IGNORECASE equates with ASCII letters: ſ (long s), K (kelvin), İ, ı
        ("Works with Google Claſſroom.", ("integration", "google-classroom")),
        ("We are \u212aidSAFE certified.", ("certification", "kidsafe")),
        ("Our tutor is powered by OPENA\u0130.", ("ai_provider", "openai")),
        ("Our tutor is powered by Anthropıc.", ("ai_provider", "anthropic")),
        ("WE ARE FULLY COMPLIANT WITH THE UK GDPR.", ("gdpr", "yes")),
    ],
)
def test_prefilter_matches_case_as_re_does(text, fact):
    assert fact in pairs(facts_of(text))


# --------------------------------------------------------------------------- sentence corpus

CORPUS = load_corpus(DEFAULT_CORPUS)


def test_corpus_has_positives_and_traps_for_every_field():
    assert len(CORPUS) >= 400
    stated = Counter(name for case in CORPUS for name, _value in case.expected)
    traps = sum(1 for case in CORPUS if not case.expected)
    assert all(stated[name] >= 4 for name in FACT_FIELDS), stated
    assert traps >= 100
    for name in NEVER_FALSE_YES:  # each strict field has a stated negative too
        assert any((name, "no") in case.expected for case in CORPUS), name


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(reason=c.known, strict=True)) if c.known else c
     for c in CORPUS],
    ids=[f"line{c.line}" for c in CORPUS],
)
def test_corpus_sentence(case):
    facts = facts_of_case(case)
    assert {(f.field, f.value) for f in facts} == case.expected
    for fact in facts:  # the evidence is the sentence that states the fact (or its list's
        # lead-in and the item, joined by " … ")
        assert all(part in sentences(case.text) for part in fact.evidence.split(" … "))


@pytest.mark.parametrize("case", CORPUS, ids=[f"line{c.line}" for c in CORPUS])
def test_corpus_sentence_never_a_false_yes(case):
    found = {(f.field, f.value) for f in facts_of_case(case)}
    wrong = {(name, value) for name, value in found - case.expected
             if name in NEVER_FALSE_YES and value == "yes"}
    assert not wrong


def test_corpus_scores_meet_the_aims():
    report = evaluate(CORPUS)
    total = report.total
    assert total.precision >= 0.92 and total.recall >= 0.85, format_report(report)
    assert report.false_yes == []
    text = format_report(report, show_wrong=True)
    assert max(len(line) for line in text.splitlines()[:25]) <= 80
    assert "all" in text and "precision" in text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "corpus.jsonl:2: not JSON"),
        ('{"text": "x"}', 'corpus.jsonl:2: expected an object with "text" and "facts"'),
        ('{"text": "x", "facts": {"colour": ["red"]}}', "unknown fact field 'colour'"),
        ('{"text": "x", "facts": {"gdpr": "yes"}}', "facts.gdpr must be a list of strings"),
        ('{"text": "x", "facts": {}, "page": "security"}', 'page must be a path starting with "/"'),
    ],
)
def test_bad_corpus_line_is_one_clear_error(tmp_path, line, message):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"text": "GDPR compliant.", "facts": {"gdpr": ["yes"]}}\n' + line + "\n")
    with pytest.raises(EdcatError, match=re.escape(message)):
        load_corpus(path)


def test_corpus_score_counts(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"text": "We are GDPR compliant.", "facts": {"gdpr": ["yes"]}}\n'
        '{"text": "Most pupils now use ChatGPT.", "facts": {}}\n'
        '{"text": "Powered by OpenAI.", "facts": {"ai_provider": ["openai", "anthropic"]}}\n'
    )
    report = evaluate(load_corpus(path))
    assert (report.fields["gdpr"].precision, report.fields["gdpr"].recall) == (1.0, 1.0)
    provider = report.fields["ai_provider"]
    counts = (provider.true_positives, provider.false_positives, provider.false_negatives)
    assert counts == (1, 0, 1)
    assert report.fields["coppa"].precision is None
    assert len(report.wrong) == 1


# --------------------------------------------------------------------------- scope, by example


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        # the vendor's own name is the subject, and no integration
        ("Clever syncs rosters with Google Classroom.", "Clever",
         {("integration", "google-classroom")}),
        ("Quillo is fully GDPR compliant.", "Quillo", {("gdpr", "yes")}),
        # a named third party is not the vendor
        ("Quillo's sub-processors are GDPR compliant.", "Quillo", set()),
    ],
)
def test_product_name_from_the_page_scopes_claims(text, title, expected):
    page = PageContent(url=f"https://{title.lower()}.example/", title=title, main_text=text)
    assert pairs(extract_facts(page)) == expected


def test_product_names_come_from_host_title_and_site_name():
    page = PageContent(url="https://www.quizzly.example/privacy", title="Privacy | Quizzly AI",
                       opengraph={"site_name": "Quizzly"})
    assert product_names(page, page.url) == ("quizzly", "privacy", "quizzly ai")


@pytest.mark.parametrize(
    ("host", "text", "expected"),
    [
        # the host's one word spelled as the page spells the name; on an article ("How
        # ..."), only what is said of the product counts
        ("spellowl", "Spell Owl is for children in Year 2 to Year 4.",
         {("audience", "students"), ("phase", "primary")}),
        ("www.markmyessays", "Mark My Essays is used by teachers.", {("audience", "teachers")}),
        ("learnwithpip", "Learn with Pip is used by parents at home.", {("audience", "parents")}),
        ("gettellmo", "Tellmo is for pupils in Year 5.",
         {("audience", "students"), ("phase", "primary")}),
        # part of the name, or other words, name nothing
        ("spellowl", "Spell checkers are for children in Year 2.", set()),
        ("spellowl", "Owl Club is for children in Year 2.", set()),
        ("gettellmo", "Get Tell apps are for children in Year 2.", set()),
    ],
)
def test_a_host_name_spelled_in_words_names_the_product(host, text, expected):
    page = PageContent(url=f"https://{host}.example/blog/how-it-works", title="How it works",
                       main_text=text)
    assert pairs(extract_facts(page)) == expected


def test_a_help_subdomain_keeps_the_vendors_own_name():
    page = PageContent(url="https://school-support.wonde.example/hc/articles/1",
                       title="Managing connections",
                       main_text="Manage every app your school uses through the Wonde portal.")
    assert "wonde" in product_names(page, page.url)
    assert ("integration", "wonde") not in pairs(extract_facts(page))


@pytest.mark.parametrize(
    ("url", "text", "named", "unnamed"),
    [
        # a domain hack names the product only where the page spells it so
        ("https://qu.illo/docs/privacy", "Quillo is fully FERPA compliant.", "quillo", ""),
        ("https://qu.illo/docs/privacy", "Our docs are fully FERPA compliant.", "", "quillo"),
        # a "-support" or "-help" host keeps the vendor's own spelling
        ("https://www.tellmosupport.example/hc/1", "TellMo classes sync nightly.", "tellmo", ""),
    ],
)
def test_host_names_a_page_spells_name_the_product(url, text, named, unnamed):
    names = product_names(PageContent(url=url, title="", main_text=text), url)
    assert not named or named in names
    assert not unnamed or unnamed not in names


def test_a_phase_word_inside_the_hosts_spelled_name_states_no_phase():
    page = PageContent(url="https://www.glimmerk12.example/privacy", title="Privacy",
                       main_text="Glimmer K12 keeps your data safe. "
                                 "Glimmer is used in K-12 schools.")
    assert [f.evidence for f in extract_facts(page) if f.field == "phase"] == [
        "Glimmer is used in K-12 schools.", "Glimmer is used in K-12 schools."]


def test_a_policys_defined_term_for_we_names_the_vendor():
    page = PageContent(url="https://pupilpath.example/privacy", title="Privacy",
                       main_text='This notice says how Tellmo Learning Ltd ("we", "us") handles '
                                 "data. Tellmo Learning complies with the UK GDPR.")
    assert "tellmo learning" in product_names(page, page.url)
    assert ("gdpr", "yes") in pairs(extract_facts(page))


def test_spelled_out_host_names_join_to_the_host_label():
    page = PageContent(url="https://www.spellowl.example/", title="About Spell Owl",
                       main_text="Spell-Owl and Spell Owl Pro. SpellOwl. Spelling Owls.")
    assert product_names(page, page.url) == ("spellowl", "spell owl", "about spell owl")


def test_facts_eval_command(edcat, tmp_path):
    result = edcat("facts", "eval", "--show-wrong")
    assert "precision" in result.stdout and "\nall " in result.stdout
    assert "false yes on gdpr, coppa, ferpa, dpa_offered, trains_on_user_data: 0" in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    failed = edcat("facts", "eval", "--corpus", str(bad), check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        f'error: {bad}:1: expected an object with "text" and "facts"'
    )


# --------------------------------------------------------------------------- real judged pages

SAMPLE_PAGES = DEFAULT_CORPUS.parent / "judged-pages-sample.jsonl"
SAMPLE_JUDGEMENTS = DEFAULT_CORPUS.parent / "judged-sample.json"


def test_pages_are_scored_against_their_judgements_by_url():
    report = evaluate_pages(load_pages(SAMPLE_PAGES), load_judgements(SAMPLE_JUDGEMENTS))
    assert [o.case.url for o in report.outcomes] == [
        "https://www.quillo.example/privacy", "https://tellmo.example/pricing"]
    assert report.unjudged == ["https://unjudged.example/"]
    total = report.total
    assert (total.true_positives, total.false_positives, total.false_negatives) == (8, 1, 1)
    assert report.fields["ai_adaptive"].false_negatives == 1  # judged, not read
    assert report.fields["audience"].false_positives == 1  # "Teachers can try it free"
    assert report.false_yes == []
    text = format_page_report(report, show_wrong=True)
    assert "2 judged pages, 2 not exactly right" in text
    assert "1 page without a judgement skipped" in text
    assert "  missed ai_adaptive=yes" in text and max(map(len, text.splitlines())) <= 80


def test_a_set_can_be_scored_alone():
    report = evaluate_pages(load_pages(SAMPLE_PAGES), load_judgements(SAMPLE_JUDGEMENTS), ["Y"])
    assert [o.case.url for o in report.outcomes] == ["https://tellmo.example/pricing"]
    assert len(report.unjudged) == 2


def test_prices_compare_on_currency_amount_and_period():
    assert comparable("price", "gbp 3/pupil/year") == comparable("price", "gbp 3/year")
    assert comparable("price", "gbp 368/block") == "gbp 368"
    assert comparable("price", "usd 12/seat/month") == "usd 12/month"
    assert comparable("retention", "30-days") == "30-days"


def test_the_bundled_judgements_load_with_every_set():
    judgements = load_judgements()
    assert {j.set for j in judgements} >= {"A", "B", "C", "D", "E", "F", "G"}
    assert len(judgements) >= 180


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"url": "https://a.example/"}\n',
         'pages.jsonl:1: expected an object with "url" and "text"'),
        ("\nnot json\n", "pages.jsonl:2: not JSON"),
        ("\n", "pages.jsonl: no pages"),
    ],
)
def test_bad_pages_files_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "pages.jsonl"
    path.write_text(content)
    with pytest.raises(EdcatError, match=re.escape(message)):
        load_pages(path)


def test_bad_judgements_name_the_page(tmp_path):
    path = tmp_path / "judged.json"
    path.write_text('{"pages": [{"url": "https://a.example/", "judged": {"colour": ["red"]}}]}')
    with pytest.raises(EdcatError, match=re.escape("page 1 (https://a.example/): unknown fact "
                                                   "field 'colour'")):
        load_judgements(path)
    path.write_text("[]")
    with pytest.raises(EdcatError, match='expected a JSON object with a "pages" list'):
        load_judgements(path)


def test_facts_eval_pages_command(edcat, tmp_path):
    result = edcat("facts", "eval-pages", str(SAMPLE_PAGES), "--judgements",
                   str(SAMPLE_JUDGEMENTS), "--show-wrong")
    assert "\nall " in result.stdout and "2 judged pages" in result.stdout
    assert "https://tellmo.example/pricing\n  extra  audience=teachers" in result.stdout
    failed = edcat("facts", "eval-pages", str(tmp_path / "missing.jsonl"), check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().startswith(f"error: cannot read pages {tmp_path}")


def _scores_file(tmp_path, scores):
    path = tmp_path / "judged.json"
    path.write_text(json.dumps({"pages": [], "scores": scores}))
    return path


def test_unseen_scores_pool_each_sets_first_counts_only(tmp_path):
    first = {"precision": 0.5, "recall": 0.5, "false_yes": 1,
             "fields": {"audience": {"stated": 4, "found": 4, "right": 2}}}
    path = _scores_file(tmp_path, {
        "X": {"pages": 3, "first": first,
              "now": {"fields": {"audience": {"stated": 4, "found": 4, "right": 4}}}},
        "Y": {"pages": 2, "first": {**first, "false_yes": 0, "fields": {
            "audience": {"stated": 2, "found": 1, "right": 1},
            "gdpr": {"stated": 1, "found": 0, "right": 0}}}},
        "Z": {"pages": 9, "first": {"precision": 0.9, "recall": 0.9, "false_yes": 0}},
    })
    report = unseen_scores(path)
    assert report.sets == ["X", "Y"] and report.pages == 5 and report.false_yes == 1
    audience = report.fields["audience"]
    assert (audience.precision, audience.recall) == (3 / 5, 3 / 6)
    assert report.fields["gdpr"].recall == 0 and report.fields["gdpr"].precision is None
    text = format_unseen_report(report)
    assert "2 held-out sets (X-Y), 5 judged" in text
    assert all(len(line) <= 80 for line in text.splitlines())


@pytest.mark.parametrize("counts", [{"stated": 1, "found": 1}, {"stated": 1, "found": 1,
                                                                   "right": 2}])
def test_malformed_first_counts_name_the_set(tmp_path, counts):
    path = _scores_file(tmp_path, {"Q": {"pages": 1, "first": {
        "false_yes": 0, "fields": {"phase": counts}}}})
    with pytest.raises(EdcatError, match=re.escape("scores 'Q': malformed first-score counts")):
        unseen_scores(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    (b"[]", 'expected a JSON object with a "scores" object'),
    (b'{"scores": []}', 'expected a JSON object with a "scores" object'),
    (b'{"scores": {"Q": 5}}', "scores 'Q': expected an object"),
    (b'{"scores": {"Q": {"pages": ' + b"9" * 5000 + b"}}}", "not JSON (a number too long"),
    (b"[" * 100_000, "not JSON (nested too deeply)"),
    (b'{"scores": {"Q": {"pages": -5, "first": {"false_yes": 0, "fields": {}}}}}',
     "pages must be a whole number from 0, got -5"),
    (b'{"scores": {"Q": {"pages": 1, "first": {"false_yes": 0, "fields": {"phase": '
     b'{"stated": 1e400, "found": 1, "right": 1}}}}}}', "phase stated must be a whole number"),
    (b'{"scores": {"Q": {"pages": 1, "first": {"false_yes": true, "fields": {}}}}}',
     "false_yes must be a whole number from 0, got True"),
    (b'{"scores": {"Q": {"pages": 1, "first": {"false_yes": 0, "fields": {"colour": '
     b'{"stated": 1, "found": 1, "right": 1}}}}}}', "unknown fact field 'colour'"),
])
def test_unreadable_scores_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "judged.json"
    path.write_bytes(content)
    with pytest.raises(EdcatError, match=re.escape(message)) as caught:
        unseen_scores(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_byte_order_mark_is_not_an_error(tmp_path):
    path = tmp_path / "judged.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"pages": [], "scores": {}}).encode())
    assert unseen_scores(path).sets == [] and load_judgements(path) == []


def test_pages_and_judgements_that_are_not_utf8_name_the_file(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b'{"url": "https://a.example", "text": "caf\xe9"}\n')
    with pytest.raises(EdcatError, match=re.escape(f"{path}: not UTF-8 text (byte 41)")):
        load_pages(path)
    with pytest.raises(EdcatError, match=re.escape(f"{path}: not UTF-8 text")):
        load_judgements(path)


def test_set_names_read_as_ranges():
    from crawler.facts_eval import _set_names

    assert _set_names(["M", "N", "O", "Q", "S", "T", "all", "U"]) == "M-O, Q, S-T, all, U"


def test_bundled_unseen_scores_match_each_sets_first_figure():
    """The per-field counts add up to the precision and recall quoted for each set."""
    doc = json.loads(DEFAULT_JUDGEMENTS.read_text())
    report = unseen_scores()
    assert len(report.sets) >= 9 and report.pages >= 340
    for name in report.sets:
        first = doc["scores"][name]["first"]
        counts = first["fields"].values()
        stated, found, right = (sum(c[k] for c in counts) for k in ("stated", "found", "right"))
        assert (round(right / found, 2), round(right / stated, 2)) == (
            first["precision"], first["recall"]), name


def test_readme_trust_table_is_the_shipped_first_scores():
    """The README's table is what `edcat facts trust` computes, so neither drifts alone."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("<!-- trust-table: edcat facts trust -->\n", 1)[1].split("\n\n")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip(" `*") for cell in line.strip("|").split("|")]
        name, stated, found, right = cells[:4]
        rows[name] = (int(stated), int(found), int(right))
    report = unseen_scores()
    expected = {score.field: (score.true_positives + score.false_negatives,
                              score.true_positives + score.false_positives,
                              score.true_positives)
                for score in [*report.fields.values(), report.total]
                if score.true_positives + score.false_positives + score.false_negatives}
    assert rows == expected


def test_facts_trust_command(edcat, tmp_path):
    result = edcat("facts", "trust")
    assert "held-out sets" in result.stdout and "\naudience " in result.stdout
    failed = edcat("facts", "trust", "--judgements", str(tmp_path / "none.json"), check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().startswith(f"error: cannot read judgements {tmp_path}")


# --------------------------------------------------------------------------- one page, three paths


@pytest.mark.slow
def test_a_page_has_the_same_facts_crawled_replayed_and_read_directly(edcat, tmp_path, db_path):
    """The trusted-tutor privacy page: a live crawl, a replay of its archive and
    analyse_page on the same bytes store the same facts with the same stating sentences."""
    import sqlite3
    import urllib.request

    from crawl_sites import serve, tools_csv

    from crawler.analysis import analyse_page

    fast = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False"]
    archive, replayed_db = tmp_path / "crawl.warc.gz", tmp_path / "replayed.db"
    with serve("trusted-tutor") as (site,):
        url = site.url("/privacy")
        tools = tools_csv(tmp_path / "tools.csv", {"TrustedTutor": site.url()})
        edcat("tools", "import", str(tools))
        edcat("crawl", "--all", "--archive", str(archive), "--allow-private", *fast)
        with urllib.request.urlopen(url) as response:
            body, content_type = response.read(), response.headers.get("Content-Type")
    edcat("tools", "import", str(tools), db=replayed_db)
    edcat("crawl", "--all", "--replay", str(archive), *fast, db=replayed_db)

    def stored(db):
        with sqlite3.connect(db) as conn:
            return set(conn.execute(
                "SELECT field, value, evidence FROM facts WHERE source_url = ? "
                "AND retracted_at IS NULL", (url,)))

    direct = {(f.field, f.value, f.evidence) for f in analyse_page(body, url, content_type).facts}
    assert stored(db_path) == stored(replayed_db) == direct
    assert direct >= {
        ("gdpr", "yes", "We are fully compliant with UK GDPR."),
        ("dpa_offered", "yes",
         "A data processing agreement is available on request for every school."),
        ("ai_provider", "openai", "Our feedback features are powered by OpenAI."),
    }


# --------------------------------------------------------------------------- page-level scope


def page_facts(url: str, text: str, title: str = "") -> set[tuple[str, str]]:
    return pairs(extract_facts(PageContent(url=url, title=title, main_text=text)))


def test_a_sub_processor_list_states_its_suppliers_certifications_not_the_vendors():
    text = ("Sub-processors we use\n"
            "Example Cloud: hosting, SOC 2 Type II and ISO 27001 certified, DPA signed.\n"
            "OpenAI, L.L.C.\n"
            "Schools under a signed DPA are told before we add a sub-processor.")
    found = page_facts("https://quillo.example/legal", text)
    assert ("ai_provider", "openai") in found  # named on the list: used, without a verb
    assert ("dpa_offered", "yes") in found  # from the sentence about schools
    assert not {f for f, _v in found if f == "certification"}


@pytest.mark.parametrize("heading", ["Processors (GDPR Art. 30)",
                                     "Full list of our service providers"])
def test_a_controllers_list_of_its_processors_is_a_supplier_list(heading):
    """Each entry's "DPA:" line is the supplier's agreement, not one offered to schools."""
    text = (f"{heading}\nEvery provider that handles your data.\n"
            "Example Cloud Inc.\n- Location:\n- Frankfurt\n- DPA:\n- example.com/legal/dpa\n"
            "Example Mail Ltd\n- Purpose:\n- email\n- DPA:\n- signed 2024")
    assert not {f for f, _ in page_facts("https://quillo.example/legal/processors", text)
                if f == "dpa_offered"}
    own = text.replace(heading, "Our data processing agreement")
    assert ("dpa_offered", "yes") in page_facts("https://quillo.example/legal/dpa", own)


@pytest.mark.parametrize("opening", [
    "Processors must act only on written instructions.",
    "Processors’ obligations",
    "Processors: what the law says",
    "Processors and controllers under the GDPR",
    "Processors can ask us for help.",
])
def test_processors_as_a_subject_do_not_make_a_supplier_list(opening):
    """Only a heading naming a list of processors does; the vendor's own certifications on a
    page that opens by talking about processors are the vendor's."""
    from crawler.facts import _text_units, page_kinds

    text = f"{opening}\nQuillo is ISO 27001 certified. We are SOC 2 Type II certified."
    page = PageContent(url="https://quillo.example/security", title="Quillo security",
                       main_text=text)
    assert "suppliers" not in page_kinds(page, _text_units(page), page.url)
    found = page_facts("https://quillo.example/security", text)
    assert {("certification", "iso-27001"), ("certification", "soc-2")} <= found
    listed = page_facts("https://quillo.example/security", text.replace(opening, "Processors"))
    assert not {pair for pair in listed if pair[0] == "certification"}


def test_a_section_on_ai_providers_names_them_without_a_verb():
    text = ("Quillo\nAI providers and our guarantees\n"
            "Quillo sends each request to one of several models.\n"
            "Mistral Small\nLlama 3.3 70B\nCohere\n")
    assert {v for f, v in page_facts("https://quillo.example/trust", text)
            if f == "ai_provider"} == {"mistral", "meta", "cohere"}
    # the same names with no such heading, or far below it, are not providers
    assert not {f for f, _ in page_facts("https://quillo.example/trust", text.replace(
        "AI providers and our guarantees", "Our team")) if f == "ai_provider"}
    padding = "".join(f"Point {n} of our approach to planning.\n" for n in range(20))
    assert not {f for f, _ in page_facts("https://quillo.example/trust", text.replace(
        "Quillo sends", padding + "Quillo sends")) if f == "ai_provider"}


def test_a_blog_host_is_an_article_host():
    text = "Virtual experiments suit pupils in middle and high school."
    assert page_facts("https://blog.quillo.example/labs", text) == set()
    assert ("phase", "secondary") in page_facts("https://quillo.example/labs", text)


def test_an_article_states_only_what_names_the_product():
    text = ("What is adaptive learning?\n"
            "Adaptive practice adjusts the difficulty to each learner.\n"
            "Our adaptive engine picks the next question for every pupil.")
    on_blog = page_facts("https://quillo.example/blog/adaptive", text)
    assert on_blog == {("ai_adaptive", "yes"), ("audience", "students")}
    evidence = [f.evidence for f in extract_facts(PageContent(
        url="https://quillo.example/blog/adaptive", main_text=text))]
    assert set(evidence) == {"Our adaptive engine picks the next question for every pupil."}


@pytest.mark.parametrize(
    ("title", "article"),
    [
        ("How marking is checked - Quillo", False),  # the product's own process
        ("How AI tutors work in class - Quillo", True),  # the world explained
        ("How the marking works", True),  # names no product
        ("How to choose a marking tool | Quillo", True),  # advice, whoever publishes it
        ("Why good feedback matters | Quillo", True),
    ],
)
def test_a_title_heading_repeated_on_the_page_keeps_the_titles_kind(title, article):
    heading = title.split(" - ")[0].split(" | ")[0]
    text = f"Quillo\n{heading}\nAI drafts a first version of each feedback comment."
    found = page_facts("https://quillo.example/marking", text, title)
    assert (("ai_generative", "yes") not in found) is article


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("An AI quiz generator is software that drafts questions with a language model.", set()),
        ("An AI tutor for GCSE maths.",
         {("ai_chatbot", "yes"), ("phase", "secondary"), ("subject", "maths")}),
        ("DATA PROCESSING ADDENDUM", {("dpa_offered", "yes")}),
        ("Frequently asked questions about data processing agreements.", set()),
        ("The Service Provider shall comply with the UK GDPR.", {("gdpr", "yes")}),
        ("comply with applicable laws (for example, the GDPR);", set()),
        ("Quillo exists to ensure school privacy and GDPR compliance.", set()),
        ("Staying compliant with Keeping Children Safe in Education is hard for DSLs.", set()),
        ("We do not use OpenAI, Anthropic or Google models.", set()),
        ("Customer content is processed in US Central.", {("data_location", "us")}),
        ("Retention: up to 30 days, then deleted.", {("retention", "30-days")}),
        ("Before the rise of AI chatbots, filtering was enough.", set()),
        ("In 2024 the gap at Key Stage 2 was 18 percentage points.", set()),
        # a law named as a topic, heading or kind of tool is no claim
        ("COPPA Compliance", set()),
        ("A FERPA compliance checklist for districts.", set()),
        ("FERPA-aligned AI platforms compared for 2026.", set()),
        ("GDPR compliant.", {("gdpr", "yes")}),
        ("Our platform operates in compliance with the UK GDPR.", {("gdpr", "yes")}),
        # someone else's negative is not the vendor's
        ("Many AI tools do not offer DPAs suitable for schools.", set()),
        ("Payments go through Stripe, which is PCI DSS certified.", set()),
        ("We keep your data while your account is active.",
         {("retention", "until-account-deleted")}),
        ("Files go to the AI providers we use (currently OpenAI and Google).",
         {("ai_provider", "openai"), ("ai_provider", "google")}),
    ],
)
def test_scope_on_constructions_seen_on_real_pages(text, expected):
    assert pairs(facts_of(text)) == expected


def test_real_excerpt_judgements_use_the_vocabulary():
    """tests/fixtures/facts/real-excerpts.json: URLs and hand judgements only (no page text)."""
    import json

    doc = json.loads((DEFAULT_CORPUS.parent / "real-excerpts.json").read_text())
    assert len(doc["pages"]) >= 20
    for page in doc["pages"]:
        assert page["url"].startswith(("http://", "https://")) and set(page) == {
            "url", "set", "judged", "found"}
        for facts in (page["judged"], page["found"]):
            for name, found_values in facts.items():
                allowed = FACT_FIELDS[name]
                assert allowed is None or set(found_values) <= set(allowed), (page["url"], name)


def test_evidence_is_the_stating_sentence_not_a_heading():
    facts = facts_of("Student privacy and AI tutors\n"
                     "Quillo is the AI tutor that asks pupils questions instead of answering.")
    (chatbot,) = [f for f in facts if f.field == "ai_chatbot"]
    assert chatbot.evidence == (
        "Quillo is the AI tutor that asks pupils questions instead of answering.")


def test_a_line_with_no_sentence_breaks_is_read_in_bounded_pieces():
    """A table flattened to one long line: cut at its cells, then at spaces, so the scope
    checks (which read what comes before a match) stay linear in the page."""
    from crawler.facts import MAX_UNIT_CHARS, _bounded

    row = "| Quillo Pro | £5 per pupil per year | hosted in the UK "
    line = row * 2_000
    pieces = _bounded(line)
    assert all(len(piece) <= MAX_UNIT_CHARS for piece in pieces)
    assert all(piece in line for piece in pieces)
    words = " ".join(["pupils practise maths with Quillo"] * 400)
    assert all(len(p) <= MAX_UNIT_CHARS for p in _bounded(words))
    assert " ".join(_bounded(words)) == words
    facts = extract_facts(PageContent(url="https://quillo.example/", title="Quillo",
                                      main_text=line))
    assert {(f.field, f.value) for f in facts} >= {("price", "gbp 5/pupil/year"),
                                                   ("data_location", "uk")}
    assert all(f.evidence in line for f in facts)
