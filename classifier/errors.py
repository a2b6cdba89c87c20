"""Errors a user can cause and fix; the CLI prints each as one line and exits 1."""

from __future__ import annotations

from catalogue.errors import EdcatError


class ClassifierError(EdcatError):
    """Anything wrong with a model, a label file or a classification request."""


class ModelNotFound(ClassifierError):
    pass


class ModelRefused(ClassifierError):
    """A model file that edcat will not load: changed since training, foreign or unsafe."""
