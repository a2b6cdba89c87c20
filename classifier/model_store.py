"""Versioned model directories: save, find, list, load safely, and the default.

A model is a directory named by its version (`2026.11.23-1a2b3c4d`: training date and the
first 8 hex digits of the SHA-256 of the training data) holding one skops file per dimension
(`purpose.skops`, `pedagogy.skops`, ZIP_DEFLATED) and a model card (`card.json`, `card.md`).
The card records each file's SHA-256.

Where models are looked up, in order:

1. in the catalogue, when one is open: `model_versions.path` of a registered version, and its
   default (`edcat model promote` sets it);
2. the models directory, `$EDCAT_MODELS` when set;
3. the bundled models shipped with edcat, `data/models/`.

The default version, without a catalogue default, is named by the `DEFAULT` text file of the
first of 2-3 that has one. `edcat model train` writes to the models directory
(`$EDCAT_MODELS`, else `data/models/`) unless given `--out`.

Loading never unpickles: a file whose SHA-256 differs from its card is refused, and a skops file
is loaded only when every type it names is in `TRUSTED_TYPES` (skops' own defaults cover
numpy, scipy and scikit-learn's public estimators; we add our transformers and the two private
calibration types `CalibratedClassifierCV` stores).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalogue.vocabulary import DIMENSIONS
from classifier.errors import ModelNotFound, ModelRefused

MODELS_ENV = "EDCAT_MODELS"
BUNDLED_MODELS = Path(__file__).resolve().parent.parent / "data" / "models"
DEFAULT_FILE = "DEFAULT"
CARD_JSON = "card.json"
CARD_MD = "card.md"
MODEL_FORMAT = 1

# Types a model file may contain beyond skops' defaults. Anything else is refused.
TRUSTED_TYPES = (
    "classifier.bags.AnalyseText",
    "classifier.bags.CharGrams",
    "classifier.bags.SignalShares",
    "classifier.bags.SummedBags",
    "classifier.features.DocumentFields",
    "classifier.features.WeightedTextVectorizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)


@dataclass
class Model:
    """A loaded model: one fitted pipeline per dimension, and its card."""

    version: str
    path: Path
    card: dict[str, Any]
    pipelines: dict[str, Any] = field(default_factory=dict)

    @property
    def thresholds(self) -> dict[str, float]:
        return {d: float(t) for d, t in self.card.get("thresholds", {}).items()}


@dataclass(frozen=True)
class ModelInfo:
    version: str
    path: Path | None
    created: str | None
    origin: str  # "catalogue", "models dir", "bundled", or "missing"
    default: bool
    summary: str


# --- where models live ------------------------------------------------------------------------


def models_dir() -> Path:
    """Where training writes and `promote` (without a catalogue) records the default."""
    env = os.environ.get(MODELS_ENV)
    return Path(env).expanduser() if env else BUNDLED_MODELS


def search_dirs() -> list[tuple[str, Path]]:
    dirs = []
    if os.environ.get(MODELS_ENV):
        dirs.append(("models dir", Path(os.environ[MODELS_ENV]).expanduser()))
    dirs.append(("bundled", BUNDLED_MODELS))
    return dirs


def default_version_in_dirs() -> str | None:
    for _, directory in search_dirs():
        marker = directory / DEFAULT_FILE
        if marker.is_file():
            version = marker.read_text(encoding="utf-8").strip()
            if version:
                return version
    return None


def write_default_file(version: str, directory: Path | None = None) -> Path:
    """Name `version` as the default in a models directory's DEFAULT file."""
    directory = directory or models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / DEFAULT_FILE
    marker.write_text(version + "\n", encoding="utf-8")
    return marker


def resolve_model(ref: str | Path | None = None, catalogue: Any = None) -> tuple[str, Path]:
    """(version, directory) of the model `ref` names: a version or a directory path.

    With no `ref`, the default: the catalogue's (when `catalogue` is given and has one), else
    the DEFAULT file of the models directories.
    """
    registered = _registered(catalogue)
    if ref is None:
        version = next((m["version"] for m in registered if m["is_default"]), None)
        version = version or default_version_in_dirs()
        if version is None:
            raise ModelNotFound(
                "no default model: train one with `edcat model train` or name one with --model"
            )
        ref = version
    ref_path = Path(ref).expanduser()
    if (ref_path / CARD_JSON).is_file():
        return _card_version(ref_path), ref_path
    version = str(ref)
    for model in registered:
        if model["version"] == version and (Path(model["path"]) / CARD_JSON).is_file():
            return version, Path(model["path"])
    for _, directory in search_dirs():
        if (directory / version / CARD_JSON).is_file():
            return version, directory / version
    known = ", ".join(info.version for info in list_models(catalogue)) or "none"
    raise ModelNotFound(f"no model {version!r} (known: {known})")


def _registered(catalogue: Any) -> list[dict[str, Any]]:
    if catalogue is None:
        return []
    from catalogue.labels import model_versions

    return model_versions(catalogue)


def _card_version(path: Path) -> str:
    return str(read_card(path).get("version") or path.name)


def list_models(catalogue: Any = None) -> list[ModelInfo]:
    """Every model edcat can find: registered ones first, then the models directories."""
    registered = _registered(catalogue)
    default = next((m["version"] for m in registered if m["is_default"]), None)
    default = default or default_version_in_dirs()
    seen: dict[str, ModelInfo] = {}
    for model in registered:
        path = Path(model["path"])
        origin = "catalogue" if (path / CARD_JSON).is_file() else "missing"
        seen[model["version"]] = _info(model["version"], path, origin, default)
    for origin, directory in search_dirs():
        if not directory.is_dir():
            continue
        for card in sorted(directory.glob(f"*/{CARD_JSON}")):
            version = card.parent.name
            if version not in seen:
                seen[version] = _info(version, card.parent, origin, default)
    return sorted(seen.values(), key=lambda m: m.version, reverse=True)


def _info(version: str, path: Path, origin: str, default: str | None) -> ModelInfo:
    card: dict[str, Any] = {}
    if origin != "missing":
        try:
            card = read_card(path)
        except ModelRefused:
            origin = "unreadable"
    return ModelInfo(
        version=version,
        path=path,
        created=card.get("created"),
        origin=origin,
        default=version == default,
        summary=card_summary(card),
    )


def card_summary(card: dict[str, Any]) -> str:
    parts = []
    for dimension, info in card.get("dimensions", {}).items():
        f1 = info.get("macro_f1", {})
        if "validation" in f1:
            parts.append(f"{dimension} {f1['validation']:.2f}")
        elif "mean" in f1:
            parts.append(f"{dimension} {f1['mean']:.2f}±{f1.get('std', 0):.2f}")
    kind = "validation" if card.get("trained_on") == "pages" else "CV"
    return (f"{kind} macro-F1 " + ", ".join(parts)) if parts else ""


# --- saving -----------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(
    directory: Path, pipelines: dict[str, Any], card: dict[str, Any], card_markdown: str
) -> Path:
    """Write a model directory (skops files + card) atomically; replaces an existing one."""
    import skops.io as sio

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a model directory is ordinary data
    try:
        files = {}
        for dimension, pipeline in pipelines.items():
            target = staging / f"{dimension}.skops"
            sio.dump(pipeline, target, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
            files[dimension] = {"path": target.name, "sha256": sha256_file(target)}
        card = {**card, "format": MODEL_FORMAT, "files": files}
        (staging / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        (staging / CARD_MD).write_text(card_markdown, encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


# --- loading ----------------------------------------------------------------------------------


def read_card(directory: Path) -> dict[str, Any]:
    path = Path(directory) / CARD_JSON
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelNotFound(f"{directory} is not a model directory (no {CARD_JSON})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelRefused(f"{path} is not a readable model card ({exc})") from None
    if not isinstance(card, dict):
        raise ModelRefused(f"{path} is not a model card")
    _check_card_types(card, path)
    return card


# The card entries edcat reads, and the JSON type each must have (a hand-edited or damaged
# card is refused in one line instead of failing later with a TypeError).
CARD_TYPES: dict[str, tuple[type, ...]] = {
    "version": (str,),
    "created": (str,),
    "files": (dict,),
    "dimensions": (dict,),
    "thresholds": (dict,),
    "data": (dict,),
    "cv": (dict,),
    "libraries": (dict,),
}


def _check_card_types(card: dict[str, Any], path: Path) -> None:
    def refuse(entry: str, expected: str, value: Any) -> None:
        raise ModelRefused(
            f"{path}: model card entry {entry} should be {expected}, not "
            f"{type(value).__name__}; retrain or restore the model"
        )

    for key, types in CARD_TYPES.items():
        if key in card and not isinstance(card[key], types):
            refuse(repr(key), f"a JSON {'string' if types == (str,) else 'object'}", card[key])
    for dimension, entry in (card.get("files") or {}).items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("path", "sha256")
        ):
            refuse(f"files.{dimension}", "an object with string path and sha256", entry)
    for dimension, info in (card.get("dimensions") or {}).items():
        if not isinstance(info, dict):
            refuse(f"dimensions.{dimension}", "a JSON object", info)
    for dimension, value in (card.get("thresholds") or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            refuse(f"thresholds.{dimension}", "a number", value)


def load_model(
    ref: str | Path | None = None, catalogue: Any = None, dimensions: tuple[str, ...] | None = None
) -> Model:
    """Load a model by version, directory or (None) the default, checking every file first."""
    version, directory = resolve_model(ref, catalogue)
    card = read_card(directory)
    files = card.get("files") or {}
    pipelines = {}
    for dimension in dimensions or tuple(d for d in DIMENSIONS if d in files):
        entry = files.get(dimension)
        if not entry:
            raise ModelRefused(f"model {version} has no {dimension} pipeline")
        path = directory / Path(entry["path"]).name
        if not path.is_file():
            raise ModelRefused(f"model {version}: {path} is missing")
        actual = sha256_file(path)
        if actual != entry.get("sha256"):
            raise ModelRefused(
                f"model {version}: {path} has changed since it was trained (SHA-256 {actual[:12]}"
                f"... differs from the card's); refusing to load it. Retrain or restore the file."
            )
        pipelines[dimension] = load_pipeline(path)
    return Model(version=version, path=directory, card=card, pipelines=pipelines)


def load_pipeline(path: Path) -> Any:
    """Load one skops file, refusing it unless every type it names is trusted."""
    import skops.io as sio
    from sklearn.pipeline import Pipeline

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # not a zip, no schema, bad JSON: not a skops file we wrote
        raise ModelRefused(
            f"{path} is not a skops model file ({type(exc).__name__}: {exc}); refusing to load it"
        ) from None
    unknown = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if unknown:
        raise ModelRefused(
            f"{path} contains types edcat does not trust ({', '.join(unknown)}); "
            "refusing to load it"
        )
    try:
        pipeline = sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelRefused(f"{path} could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(pipeline, Pipeline):
        raise ModelRefused(f"{path} holds a {type(pipeline).__name__}, not a Pipeline")
    return pipeline


# --- the catalogue side -----------------------------------------------------------------------


def register(catalogue: Any, model: Model | tuple[str, Path], make_default: bool = False) -> None:
    """Record a model in the catalogue's model_versions (idempotent)."""
    from catalogue.store import register_model

    if isinstance(model, Model):
        version, path, card = model.version, model.path, model.card
    else:
        version, path = model
        card = read_card(path)
    metrics = {
        d: {"macro_f1": info.get("macro_f1"), "candidate": info.get("candidate")}
        for d, info in card.get("dimensions", {}).items()
    }
    metrics["thresholds"] = card.get("thresholds", {})
    register_model(
        catalogue,
        version,
        str(Path(path).resolve()),
        metrics,
        data_hash=card.get("data", {}).get("sha256"),
        make_default=make_default,
    )


def promote(version: str, catalogue: Any = None) -> str:
    """Make `version` the default: in the catalogue when one is given, else the DEFAULT file.

    Returns where the default was recorded.
    """
    found_version, path = resolve_model(version, catalogue)
    read_card(path)
    if catalogue is not None:
        from catalogue.store import set_default_model

        register(catalogue, (found_version, path), make_default=True)
        set_default_model(catalogue, found_version)
        return f"catalogue {catalogue.path}"
    return str(write_default_file(found_version))
