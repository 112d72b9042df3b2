"""`report.html`: the run report's Markdown as one self-contained page (charts inlined, no external resources)."""

from __future__ import annotations

import base64
import html
import mimetypes
from pathlib import Path

from markdown_it import MarkdownIt

# CommonMark plus GFM tables; raw HTML off, so text from the data (quarantine reasons) is always escaped.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2rem; }
img { max-width: 100%; display: block; margin: 1rem 0; }
"""


def render_page(markdown: str, base_dir: Path) -> str:
    """The page for `markdown`, whose relative image paths are files under `base_dir`; links are left as written."""
    tokens = _MARKDOWN.parse(markdown)
    title = "report"
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            title = tokens[index + 1].content
        for child in token.children or []:
            if child.type == "image":
                child.attrSet("src", _data_uri(base_dir / str(child.attrGet("src"))))
    body = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _data_uri(path: Path) -> str:
    media_type, _ = mimetypes.guess_type(path.name)
    return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
