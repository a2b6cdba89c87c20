"""Damaged input files a command reads end in one line naming the file, never a traceback."""

from __future__ import annotations

import json
import shutil

import pytest

from classifier.model_store import ModelRefused, read_card
from tests.conftest import REPO

DEMO_ARCHIVE = REPO / "data" / "archive" / "demo-sites.warc.gz"
MODEL = next(p for p in sorted((REPO / "data" / "models").iterdir()) if p.is_dir())


def test_a_warc_damaged_after_its_first_record_is_one_line(edcat, small_catalogue, tmp_path):
    data = bytearray(DEMO_ARCHIVE.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes(2000)
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data))
    result = edcat("crawl", "--replay", str(damaged), "--all", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {damaged} is not a WARC archive (record 54 is damaged: Invalid WARC record)"
    ]


@pytest.mark.parametrize(
    ("entry", "value", "message"),
    [
        ("thresholds", {"purpose": "high"}, "thresholds.purpose should be a number, not str"),
        ("files", ["purpose.skops"], "entry 'files' should be a JSON object, not list"),
        ("files", {"purpose": "purpose.skops"}, "files.purpose should be an object with string"),
        ("dimensions", {"purpose": 3}, "dimensions.purpose should be a JSON object, not int"),
        ("version", 7, "entry 'version' should be a JSON string, not int"),
    ],
)
def test_a_model_card_entry_of_the_wrong_type_is_refused(tmp_path, entry, value, message):
    model = shutil.copytree(MODEL, tmp_path / "model")
    card = json.loads((model / "card.json").read_text())
    card[entry] = value
    (model / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelRefused, match=message):
        read_card(model)


def test_a_bad_model_card_is_one_line_in_the_cli(edcat, small_catalogue, tmp_path):
    model = shutil.copytree(MODEL, tmp_path / "model")
    card = json.loads((model / "card.json").read_text())
    card["thresholds"] = "0.5"
    (model / "card.json").write_text(json.dumps(card))
    result = edcat("model", "show", str(model), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "model card entry 'thresholds' should be a JSON object, not str" in result.stderr
