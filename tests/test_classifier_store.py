"""classifier/model_store.py: saving, loading safely, versions, lookup and the default."""

from __future__ import annotations

import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from catalogue.labels import model_versions
from classifier import model_store
from classifier.errors import ModelNotFound, ModelRefused
from classifier.model_store import (
    list_models,
    load_model,
    load_pipeline,
    promote,
    resolve_model,
    sha256_file,
)
from classifier.predict import predict_documents
from classifier.training import load_labelled_set, train

TOY = Path(__file__).parent / "fixtures" / "labels" / "toy.csv"
TEXTS = ["quiz points streaks", "discuss together with peers", "payroll and rota", "build code"]


class Sneaky(TransformerMixin, BaseEstimator):
    """A type no edcat model contains: loading a file that names it must be refused."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    return train(load_labelled_set([TOY]), out=out, repeats=1).path


@pytest.fixture
def models(tmp_path, toy_dir, monkeypatch):
    """$EDCAT_MODELS pointing at a fresh directory holding a copy of the toy model."""
    directory = tmp_path / "models"
    shutil.copytree(toy_dir, directory / toy_dir.name)
    monkeypatch.setenv(model_store.MODELS_ENV, str(directory))
    return directory


def test_saved_and_loaded_model_predicts_identically(toy_dir, tmp_path):
    first = load_model(toy_dir)
    copy = tmp_path / toy_dir.name
    shutil.copytree(toy_dir, copy)
    second = load_model(copy)
    for dimension in ("purpose", "pedagogy"):
        a = first.pipelines[dimension].predict_proba(TEXTS)
        b = second.pipelines[dimension].predict_proba(TEXTS)
        assert np.array_equal(a, b)
    assert second.version == first.version and second.thresholds == first.thresholds


def test_files_are_compressed_skops(toy_dir):
    for name in ("purpose.skops", "pedagogy.skops"):
        with zipfile.ZipFile(toy_dir / name) as archive:
            assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}


def test_changed_bytes_are_refused(toy_dir, tmp_path):
    copy = tmp_path / "tampered"
    shutil.copytree(toy_dir, copy)
    target = copy / "pedagogy.skops"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelRefused, match="changed since it was trained"):
        load_model(copy)


def _swap_in(copy: Path, name: str, payload: Path) -> None:
    """Replace a model file and update the card's hash, as an attacker who edits both would."""
    shutil.copy(payload, copy / name)
    card = json.loads((copy / "card.json").read_text())
    card["files"][name.removesuffix(".skops")]["sha256"] = sha256_file(copy / name)
    (copy / "card.json").write_text(json.dumps(card))


def test_untrusted_type_is_refused_even_with_a_matching_hash(toy_dir, tmp_path):
    evil = tmp_path / "evil.skops"
    pipeline = Pipeline([("sneaky", Sneaky()), ("model", LogisticRegression())])
    pipeline.fit(np.eye(4), [0, 1, 0, 1])
    sio.dump(pipeline, evil)
    with pytest.raises(ModelRefused, match="does not trust.*Sneaky"):
        load_pipeline(evil)
    copy = tmp_path / "swapped"
    shutil.copytree(toy_dir, copy)
    _swap_in(copy, "purpose.skops", evil)
    with pytest.raises(ModelRefused, match="Sneaky"):
        load_model(copy)


def test_a_pickle_is_never_unpickled(toy_dir, tmp_path):
    marker = tmp_path / "unpickled"

    class Payload:  # unpickling this would create `marker`
        def __reduce__(self):
            return (Path.touch, (marker,))

    payload = tmp_path / "model.pkl"
    payload.write_bytes(pickle.dumps(Payload()))
    copy = tmp_path / "pickled"
    shutil.copytree(toy_dir, copy)
    _swap_in(copy, "purpose.skops", payload)
    with pytest.raises(ModelRefused, match="not a skops model file"):
        load_model(copy)
    assert not marker.exists()


def test_lookup_by_version_default_file_and_missing(models):
    [version] = [p.name for p in models.iterdir()]
    assert resolve_model(version) == (version, models / version)
    with pytest.raises(ModelNotFound, match="no model 'nope'"):
        resolve_model("nope")
    where = promote(version)  # no catalogue: the DEFAULT file of $EDCAT_MODELS
    assert Path(where) == models / "DEFAULT"
    assert resolve_model(None) == (version, models / version)
    listed = {m.version: m for m in list_models()}
    assert listed[version].default and listed[version].origin == "models dir"


def test_promote_with_a_catalogue_sets_its_default(models, catalogue):
    [version] = [p.name for p in models.iterdir()]
    promote(version, catalogue)
    [registered] = model_versions(catalogue)
    assert registered["version"] == version and registered["is_default"]
    assert Path(registered["path"]) == (models / version).resolve()
    assert not (models / "DEFAULT").exists()
    assert resolve_model(None, catalogue)[0] == version
    loaded = load_model(None, catalogue)
    assert predict_documents(loaded, TEXTS[:1], evidence=False)[0]["pedagogy"].label


def test_bundled_default_model_loads():
    model = load_model()
    assert set(model.pipelines) == {"purpose", "pedagogy"}
    card = model.card
    assert card["trained_on"] == "pages"
    assert card["dimensions"]["purpose"]["macro_f1"]["validation"] > 0.7
    assert card["agreement"]["by_source"]["hand labels"]["matched"] > 50
    assert sum((model.path / f).stat().st_size for f in ("purpose.skops", "pedagogy.skops")) < 2e6
