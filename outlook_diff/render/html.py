"""Draw a `View` as one self-contained HTML page.

Takes the view (render/view.py) and returns an HTML document: inline CSS, no script, no request
to any other host, a table of contents with anchors, the headline, the editions, each section
with its legend and tables, and cards with both quotes side by side and where they stand.
Print-friendly (cards do not break across pages). The page is drawn by a jinja2 template
(report.html.j2) with autoescape on: every text from an input or an option is escaped by
markupsafe, after its control characters were made visible (render/safe.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from outlook_diff.render.safe import visible
from outlook_diff.render.view import View

TEMPLATE = Path(__file__).with_name("report.html.j2")


@cache
def _template() -> Any:
    import jinja2

    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["visible"] = visible
    return environment.from_string(TEMPLATE.read_text(encoding="utf-8"))


def render_html(view: View) -> str:
    """The view as one HTML document ending in a single newline."""
    cards = {card.id for s in view.sections for t in s.tables for card in t.cards}
    text: str = _template().render(view=view, cards=cards)
    return text.rstrip("\n") + "\n"
