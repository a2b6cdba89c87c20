"""scikit-learn pipelines that tag tools on `purpose` and `pedagogy`.

Modules: `features` (documents to weighted TF-IDF), `pipelines` (candidates by name),
`training` (labels, cross-validation, thresholds, model card), `model_store` (versioned skops
model directories), `predict` (probabilities, uncertain flags and evidence), `evaluate`,
`agreement` (LearnPlatform check), `labels` (label files and the labelling loop).

This package's `__init__` imports nothing heavy: the CLI imports it at start-up.
"""
