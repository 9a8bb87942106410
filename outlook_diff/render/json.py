"""Render a `Report` as `outlook-diff/report-v2` JSON.

The format is documented in docs/report-v2.md and declared in docs/report-v2.schema.json.

Takes a `Report`, returns `Report.to_dict()` serialised with Japanese kept as written
(`ensure_ascii=False`), two-space indents, keys in the order the report declares them, and one
final newline; C1 controls and bidi overrides from the inputs are written as JSON escapes
(render/safe.py). `--limit` and `--only` shape what a person reads in the other formats, never
what another program receives; a `--change` filter applies here too (the report comes filtered).
"""

from __future__ import annotations

import json

from outlook_diff.render.safe import json_text
from outlook_diff.report import Report


def render_json(report: Report) -> str:
    """The whole report as report-v2 JSON text ending in one newline; no rows are left out."""
    text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=False)
    return json_text(text) + "\n"
