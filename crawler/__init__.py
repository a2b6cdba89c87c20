"""Crawling edtech vendor sites.

The pure extraction layer lives here: ``extract`` (one HTML page -> ``PageContent``),
``page_kinds`` (what kind of page a URL is, which links a buyer needs) and ``facts``
(evidence-backed facts from a page). None of them do I/O; spiders and pipelines call them.
"""
