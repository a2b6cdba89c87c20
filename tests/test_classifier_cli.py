"""`edcat classify`, `edcat model ...` and `edcat label ...` end to end, via the real command."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from catalogue.db import execute_sql
from classifier.model_store import BUNDLED_MODELS, DEFAULT_FILE
from classifier.training import load_labelled_set, train

LABELS = Path(__file__).parent / "fixtures" / "labels"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    return train(load_labelled_set([LABELS / "toy.csv"]), out=out, repeats=1).path


def test_classify_with_the_bundled_model_then_filter(small_catalogue, edcat):
    shipped = (BUNDLED_MODELS / DEFAULT_FILE).read_text().strip()
    out = edcat("classify").stdout
    assert f"classified 6 tools with model {shipped}" in out
    rows = execute_sql(
        small_catalogue,
        "SELECT t.name, c.dimension, c.label, c.uncertain, c.model_version, c.evidence "
        "FROM classifications c JOIN tools t ON t.id = c.tool_id WHERE c.is_current",
    )
    assert len(rows) == 12 and {r[4] for r in rows} == {shipped}
    for *_, evidence in rows:
        items = json.loads(evidence)
        assert items and set(items[0]) == {"term", "weight", "sentence"}
    workflow = {r[0] for r in rows
                if r[1] == "purpose" and r[2] == "workflow-productivity" and not r[3]}
    assert "Arbor MIS" in workflow
    listed = json.loads(
        edcat("tools", "list", "--purpose", "workflow-productivity", "--format", "json").stdout
    )
    assert {row["name"] for row in listed} == workflow
    assert all(row["model_version"] == shipped for row in listed)
    version_rows = execute_sql(small_catalogue, "SELECT version, is_default FROM model_versions")
    assert version_rows == [(shipped, 1)]


def test_classify_named_tools_with_a_chosen_model(small_catalogue, edcat, toy_dir):
    out = edcat("classify", "--tool", "kahoot", "--tool", "Padlet", "--model", str(toy_dir))
    assert f"classified 2 tools with model {toy_dir.name}" in out.stdout
    rows = execute_sql(small_catalogue, "SELECT DISTINCT model_version FROM classifications")
    assert rows == [(toy_dir.name,)]


def test_train_compare_registers_and_promotes(small_catalogue, edcat, tmp_path):
    out = edcat("model", "train", "--labels", str(LABELS / "toy.csv"), "--compare",
                "--out", str(tmp_path), "--promote", "--jobs", "1").stdout
    assert "cross-validated macro-F1" in out and "word-char-svc-balanced" in out
    [model_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert f"wrote model {model_dir.name}" in out
    assert execute_sql(small_catalogue, "SELECT version, is_default FROM model_versions") == [
        (model_dir.name, 1)
    ]
    listed = edcat("model", "list").stdout
    assert model_dir.name[:10] in listed
    shown = edcat("model", "show").stdout  # the catalogue's default
    assert shown.startswith(f"# edcat model {model_dir.name}")
    assert "Agreement with LearnPlatform" in shown


def test_model_commands_without_a_catalogue(edcat, toy_dir, tmp_path, db_path):
    env = {"EDCAT_MODELS": str(toy_dir.parent)}
    # no DEFAULT file in $EDCAT_MODELS yet: the bundled default
    bundled = (BUNDLED_MODELS / DEFAULT_FILE).read_text().strip()
    assert json.loads(edcat("model", "show", "--format", "json", env=env).stdout)[
        "version"] == bundled
    assert edcat("model", "show", "nope", env=env, check=False).stderr.startswith(
        "error: no model 'nope'")
    edcat("model", "promote", toy_dir.name, env=env)
    assert (toy_dir.parent / DEFAULT_FILE).read_text().strip() == toy_dir.name
    card = json.loads(edcat("model", "show", "--format", "json", env=env).stdout)
    assert card["version"] == toy_dir.name and set(card["thresholds"]) == {"purpose", "pedagogy"}
    result = json.loads(edcat("model", "evaluate", "--labels", str(LABELS / "eval_tiny.csv"),
                              "--format", "json", env=env).stdout)
    assert set(result) == {"purpose", "pedagogy"}
    for scores in result.values():
        assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(scores)
    assert result["pedagogy"]["accuracy"] == 0.8
    text = edcat("model", "evaluate", "--labels", str(LABELS / "eval_tiny.csv"), env=env).stdout
    assert "macro-F1 0.833" in text and "confusion" in text
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("name,text\nA,Quiz points streaks\nB,Payroll and rota\n")
    edcat("model", "predict", "--input", str(source), "--output", str(out), env=env)
    rows = list(csv.DictReader(out.open()))
    assert [(r["purpose"], r["pedagogy"]) for r in rows] == [
        ("teaching-learning", "behaviourist"), ("workflow-productivity", "none")]
    assert not db_path.exists()  # none of this made a catalogue


def test_user_errors_are_one_line(small_catalogue, edcat, toy_dir, tmp_path):
    bad = edcat("label", "import", str(LABELS / "bad_unknown_label.csv"), check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ")
    assert "row 3 (Padlet)" in bad.stderr and "Traceback" not in bad.stderr
    assert execute_sql(small_catalogue, "SELECT count(*) FROM labels") == [(0,)]
    tampered = tmp_path / toy_dir.name
    tampered.mkdir()
    for f in toy_dir.iterdir():
        tampered.joinpath(f.name).write_bytes(f.read_bytes())
    (tampered / "purpose.skops").write_bytes(b"not a model")
    refused = edcat("classify", "--model", str(tampered), check=False)
    assert refused.returncode == 1 and "changed since it was trained" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_label_loop(small_catalogue, edcat, toy_dir, tmp_path):
    out = edcat("label", "import", str(LABELS / "good.csv")).stdout
    assert "imported 8 labels from 4 rows" in out and "1 kept as free text" in out
    edcat("label", "set", "padlet", "--purpose", "teaching-learning", "--pedagogy",
          "social-constructivist", "--annotator", "jb")
    listed = json.loads(edcat("tools", "list", "--pedagogy", "social-constructivist",
                              "--format", "json").stdout)
    assert [row["name"] for row in listed] == ["Padlet"]
    suggested = edcat("label", "suggest", "--n", "5", "--model", str(toy_dir)).stdout
    assert "2 tools to label next" in suggested and "Arbor" not in suggested
    export = tmp_path / "labels.csv"
    edcat("label", "export", str(export))
    assert len(list(csv.DictReader(export.open()))) == 5


def test_model_and_label_commands_do_not_load_sklearn_at_start_up():
    probe = (
        "import sys\nfrom cli.main import app\n"
        "for args in (['model', '--help'], ['label', '--help'], ['classify', '--help']):\n"
        "    try:\n        app(args=args, prog_name='edcat')\n"
        "    except SystemExit:\n        pass\n"
        "print('LOADED:' + ','.join(m for m in ('sklearn', 'skops', 'scipy') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).parent.parent)
    assert result.stdout.rsplit("LOADED:", 1)[-1].strip() == ""


def test_every_classifier_command_has_help_with_an_example():
    from typer.main import get_command

    from cli.main import app

    root = get_command(app)
    commands = {"classify": root.commands["classify"]}
    for group in ("model", "label"):
        commands |= {f"{group} {n}": c for n, c in root.commands[group].commands.items()}
    assert len(commands) == 12  # label unset (cli/manage.py) included
    for name, command in commands.items():
        assert command.help and "Example:" in command.help, f"edcat {name} lacks an example"


def test_review_fixes_end_to_end(small_catalogue, edcat, toy_dir, tmp_path):
    blank = LABELS / "eval_no_pedagogy.csv"
    text = edcat("model", "evaluate", "--labels", str(blank), "--model", str(toy_dir)).stdout
    assert "purpose: 3 labelled" in text and "pedagogy: no labels in the file" in text
    scores = json.loads(edcat("model", "evaluate", "--labels", str(blank), "--model",
                              str(toy_dir), "--format", "json").stdout)
    assert scores["pedagogy"]["n"] == 0 and scores["pedagogy"]["absent"] is True
    negative = edcat("label", "suggest", "--n", "-2", "--model", str(toy_dir), check=False)
    assert negative.returncode == 2 and "Traceback" not in negative.stderr
    conflict = edcat("label", "import", str(LABELS / "bad_conflict.csv"), check=False)
    assert conflict.returncode == 1 and "rows 2 and 4" in conflict.stderr
    source = tmp_path / "in.csv"
    source.write_text("name,text\nA,quiz points\n")
    for args in (("label", "export", str(tmp_path / "nope" / "x.csv")),
                 ("label", "export", str(tmp_path)),
                 ("model", "predict", "--input", str(source), "--output",
                  str(tmp_path / "nope" / "x.csv"), "--model", str(toy_dir)),
                 ("model", "predict", "--input", str(source), "--output", str(tmp_path),
                  "--model", str(toy_dir))):
        result = edcat(*args, check=False)
        assert result.returncode == 1, args
        assert result.stderr.startswith("error: cannot write") or "is a directory" in (
            result.stderr), args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "nope").exists()
