"""classifier/agreement.py: LearnPlatform's primary function as a check on `purpose`."""

from __future__ import annotations

import pytest

from classifier.agreement import (
    AMBIGUOUS,
    LPProduct,
    learnplatform_agreement,
    load_learnplatform,
    lp_purpose,
    match_products,
)


@pytest.mark.parametrize(
    ("function", "purpose"),
    [
        ("LC - Study Tools", "teaching-learning"),
        ("SDO - Learning Management Systems (LMS)", "workflow-productivity"),
        ("CM - Teacher Resources - Grading & Attendance", "workflow-productivity"),
        ("CM - Classroom Engagement & Instruction - Communication & Messaging", AMBIGUOUS),
        ("CM - Virtual Classroom - Video Conferencing & Screen Sharing", AMBIGUOUS),
        ("LC/CM/SDO - Other", None),
        ("SDO - Other", None),
        ("", None),
    ],
)
def test_primary_function_to_purpose(function, purpose):
    assert lp_purpose(function) == purpose


PRODUCTS = [
    LPProduct("Kahoot!", "https://kahoot.com/?utm=x", "LC - Study Tools", "teaching-learning"),
    LPProduct("PowerSchool", "https://www.powerschool.com", "SDO - SIS", "workflow-productivity"),
    LPProduct("Remind", "https://remind.com", "CM - Classroom Engagement", AMBIGUOUS),
    LPProduct("Canva", "https://canva.com", "LC - Content Creation", "teaching-learning"),
]


def test_match_by_url_then_by_name():
    rows = [("Kahoot", "http://www.kahoot.com"), ("Power School", None), ("Other", "https://x.org")]
    assert [p and p.name for p in match_products(rows, PRODUCTS)] == ["Kahoot!", "PowerSchool",
                                                                       None]


def test_agreement_counts_kappa_and_keeps_ambiguous_apart():
    rows = [("Kahoot!", None), ("PowerSchool", None), ("Remind", None), ("Canva", None)]
    ours = ["teaching-learning", "workflow-productivity", "workflow-productivity",
            "workflow-productivity"]
    result = learnplatform_agreement(rows, {"hand": ours}, PRODUCTS)
    hand = result["by_source"]["hand"]
    assert (hand["matched"], hand["agree"], hand["agreement"]) == (3, 2, 0.6667)
    assert hand["kappa"] == pytest.approx(0.4, abs=1e-4)  # po 2/3, pe 4/9
    assert result["ambiguous"]["hand"] == {"workflow-productivity": 1}


def test_bundled_reference_file_loads():
    products = load_learnplatform()
    assert len(products) == 372
    assert sum(p.purpose == "teaching-learning" for p in products) > 200
