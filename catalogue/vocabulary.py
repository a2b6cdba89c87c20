"""The fixed vocabularies edcat uses everywhere: label slugs, fact fields and facet values.

Everything that validates a filter, a label or a fact value reads from here, so a slug is
defined once. Values are lower-case slugs.
"""

from __future__ import annotations

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "purpose": ("workflow-productivity", "teaching-learning"),
    "pedagogy": ("behaviourist", "individual-constructivist", "social-constructivist", "none"),
}
PURPOSES = DIMENSIONS["purpose"]
PEDAGOGIES = DIMENSIONS["pedagogy"]

PAGE_KINDS = ("home", "features", "pricing", "privacy", "terms", "about", "other")

AUDIENCES = ("students", "teachers", "leaders", "parents", "admin")
PHASES = ("early-years", "primary", "secondary", "post-16", "higher-education")
PRICING_MODELS = ("free", "freemium", "paid", "quote-only")
SUBJECTS = (
    "maths",
    "english",
    "literacy",
    "science",
    "computing",
    "languages",
    "history",
    "geography",
    "art",
    "music",
    "pe",
    "religious-education",
    "pshe",
    "business",
    "economics",
    "psychology",
    "send",
)
AI_PROVIDERS = ("openai", "anthropic", "google", "meta", "mistral", "microsoft", "amazon", "cohere")
YES_NO = ("yes", "no")

# Fact fields and, where the field has a closed vocabulary, its allowed values.
# `None` means free text (a price, a data location, a retention period...).
FACT_FIELDS: dict[str, tuple[str, ...] | None] = {
    "pricing_model": PRICING_MODELS,
    "price": None,
    "audience": AUDIENCES,
    "phase": PHASES,
    "subject": SUBJECTS,
    "integration": None,
    "gdpr": YES_NO,
    "coppa": YES_NO,
    "ferpa": YES_NO,
    "dpa_offered": YES_NO,
    "data_location": None,
    "certification": None,
    "minimum_age": None,
    "trains_on_user_data": YES_NO,
    "retention": None,
    "ai_generative": YES_NO,
    "ai_chatbot": YES_NO,
    "ai_adaptive": YES_NO,
    "ai_provider": None,
}

# Facts that answer privacy / data-protection questions (used by `stats` and the DPIA view).
PRIVACY_FIELDS = (
    "gdpr",
    "coppa",
    "ferpa",
    "dpa_offered",
    "data_location",
    "certification",
    "minimum_age",
    "trains_on_user_data",
    "retention",
)
AI_FIELDS = ("ai_generative", "ai_chatbot", "ai_adaptive", "ai_provider")


def check_value(kind: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` normalised, or raise ValueError listing the valid values."""
    normalised = value.strip().lower()
    if normalised not in allowed:
        raise ValueError(f"unknown {kind} {value!r}; valid values: {', '.join(allowed)}")
    return normalised
