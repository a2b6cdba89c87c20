"""Untrusted text made safe for each output format, one function per format.

Tool names, descriptions, vendor page text, quotes, reviews and label notes come from lists
and web sites edcat does not control. Whatever they contain must reach the reader as text:

- CSV: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to a
  spreadsheet. `csv_cell` puts a `'` in front (OWASP's advice on CSV injection), which a
  spreadsheet shows as text; the rest of the cell is unchanged.
- Markdown: `markdown_text` escapes everything that could start markup (emphasis, links,
  images, code, table pipes, raw HTML, headings, quotes, lists) and folds line breaks into
  spaces, so one value stays one line of one cell or paragraph. `markdown_link` makes a link
  only to an http(s) URL.
- HTML: never built here. The web interface renders through Jinja with autoescape on; this
  module deliberately offers nothing that marks text as safe HTML.
- Terminal: `terminal_text` removes ANSI escape sequences and control characters; rich tables
  take it as `rich.text.Text` (never parsed as markup), and `rich_markup_text` escapes `[` for
  the few messages composed as rich markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# --- CSV ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value safe as a spreadsheet cell: text that a spreadsheet would run as a formula gets
    a leading `'`. Numbers and other non-text values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: csv_cell(value) for key, value in row.items()}


def csv_cell_read(text: str) -> str:
    """The inverse, for reading CSV: a `'` before a formula character is dropped, as a
    spreadsheet does when it saves such a cell, so edcat's own exports re-import unchanged."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# --- Markdown ----------------------------------------------------------------------------------

# Every character that can open or close inline markup (emphasis, code, strikethrough, and the
# `[` and `]` that every link and image needs), plus table pipes. Backslash-escaped ASCII
# punctuation is always literal in CommonMark and GitHub Markdown. `(`, `)` and `!` only act
# next to a bracket, so they stay as written.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")
# At the start of the text, these open a block: heading, list item, setext underline, ordered
# list item (`1.`: the dot is escaped). `>` (a quote) is already an entity by then.
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*[0-9]*)([-+=#.)])")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(value: Any) -> str:
    """Untrusted text as literal Markdown, safe in a table cell or a line of prose.

    Raw HTML cannot pass (`<`, `>` and `&` become entities); line breaks become spaces, so the
    text cannot start a heading or end a table row.
    """
    text = _one_line(value)
    text = "".join(_HTML_ENTITIES.get(c, c) for c in text)
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_BLOCK_START.sub(r"\1\\\2", text, count=1)


def markdown_link(text: Any, url: str | None) -> str:
    """`[text](url)` for an http(s) URL; anything else (`javascript:`, `data:`) as plain text."""
    label = markdown_text(text)
    if not url or not _is_web_url(url):
        return label + (f" ({markdown_text(url)})" if url and str(url) != str(text) else "")
    target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    target = target.replace("<", "%3C").replace(">", "%3E")
    return f"[{label}](<{target}>)"


def markdown_code(value: Any) -> str:
    """A short value (a fact field or value) as inline code, whatever backticks it holds."""
    text = _one_line(value)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else "` `"


def _one_line(value: Any) -> str:
    """Printable text with every run of white space, line breaks included, one space."""
    return _printable(" ".join(str(value if value is not None else "").split()))


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and url == url.strip()


# --- terminal ----------------------------------------------------------------------------------

# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), and other two-byte ESC sequences.
_ANSI_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
)


def terminal_text(value: Any, keep_newlines: bool = True) -> str:
    """Text that cannot move the cursor, recolour, retitle or link the terminal: escape
    sequences and control characters removed (tabs become spaces; newlines kept unless
    `keep_newlines` is false)."""
    text = _ANSI_ESCAPE.sub("", str(value if value is not None else ""))
    text = text.replace("\t", " ")
    if not keep_newlines:
        text = " ".join(text.splitlines())
    return _printable(text, keep="\n" if keep_newlines else "")


# What rich reads as a tag: `[` then a letter, `#`, `/` or `@`, up to the next `]`; with the
# backslashes before it (rich halves an even run and an odd one escapes the tag).
_RICH_TAG = re.compile(r"(\\*)(\[[a-zA-Z#/@][^\[]*?\])")


def rich_markup_text(value: Any) -> str:
    """Untrusted text to embed in a rich markup string: control characters removed and every
    tag-like `[...]` escaped, so `[red]` or `[link=...]` prints as written."""
    text = _RICH_TAG.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), terminal_text(value))
    # A trailing backslash would escape the tag the caller writes next.
    return text + " " if text.endswith("\\") else text


def _printable(text: str, keep: str = "") -> str:
    """`text` without control and format characters (C0, C1, DEL, bidi overrides), except
    those in `keep`."""
    return "".join(c for c in text if c in keep or not is_control(c))


def is_control(char: str) -> bool:
    """A control or invisible format character (C0, C1, DEL, bidi overrides); the zero-width
    joiner, part of many emoji, is not one."""
    return unicodedata.category(char) in ("Cc", "Cf") and char != "\u200d"
