"""Measure outlook-diff against the hand-made labels in tests/data/eval (`make eval`).

Runs the real pipeline (default embedder, on-disk cache) on the shipped 2025 and 2026 editions
and prints precision and recall for the chapter alignment, recommendation fates, judgement
pairs and themes. tests/test_eval.py asserts floors on the same numbers.

Definitions (a "unit" is what a label names):
- alignment: precision/recall of (old chapter, new chapter) links; dropped chapters likewise.
- recommendations: for each labelled fate, the predicted status and counterpart. A matched
  pair (kept/modified/moved) is correct when the counterpart is the labelled one; precision
  and recall per status over the labelled items; "exact" = status and counterpart both right.
  Printed for the held-out half of the labels and, as a fit, for the tuning half the
  `RecommendationRules` were chosen on (by a hash of `recommendation_label_id`).
- judgements: see `evaluate_judgements`; printed for the held-out half of the labels and,
  as a fit, for the tuning half the thresholds were chosen on (tests/judgement_labels.py).
- themes: recall of the labelled new/dropped/rising/fading terms in the predicted lists;
  precision = predicted-and-labelled in the right list / predicted-and-labelled in any list.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "eval"
sys.path.insert(0, str(ROOT))

from outlook_diff.compare import Options, compare  # noqa: E402
from outlook_diff.editions import load_edition  # noqa: E402
from outlook_diff.model import Edition  # noqa: E402
from outlook_diff.normalize import normalize  # noqa: E402
from outlook_diff.report import RecommendationFate, Report, ThemeChanges  # noqa: E402
from tests.judgement_labels import chapter_id as _chapter_id  # noqa: E402
from tests.judgement_labels import half  # noqa: E402


@dataclass(frozen=True)
class Score:
    correct: int  # predictions that are right
    predicted: int
    gold: int
    found: int | None = None  # labels recovered, when that differs from `correct`

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        found = self.correct if self.found is None else self.found
        return found / self.gold if self.gold else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "correct": self.correct,
            "predicted": self.predicted,
            "gold": self.gold,
        }


def _labels(name: str) -> dict[str, Any]:
    with (LABELS / name).open("rb") as f:
        return tomllib.load(f)


@cache
def editions() -> tuple[Edition, Edition]:
    return load_edition("2025"), load_edition("2026")


@cache
def report() -> Report:
    old, new = editions()
    return compare(old, new, Options())


def evaluate_alignment() -> dict[str, Score]:
    old, new = editions()
    labels = _labels("alignment.toml")
    gold_links: set[tuple[str, str]] = set()
    for link in labels["link"]:
        olds = [_chapter_id(old, r) for r in link.get("old", []) + link.get("old_front", [])]
        news = [_chapter_id(new, r) for r in link.get("new", []) + link.get("new_front", [])]
        gold_links |= {(o, n) for o in olds for n in news}
    gold_dropped = {_chapter_id(old, d["old"]) for d in labels.get("dropped", [])}
    predicted_links = {(o, n) for link in report().alignment for o in link.old for n in link.new}
    predicted_dropped = {
        o for link in report().alignment if link.status == "dropped" for o in link.old
    }
    return {
        "links": Score(len(gold_links & predicted_links), len(predicted_links), len(gold_links)),
        "dropped": Score(
            len(gold_dropped & predicted_dropped), len(predicted_dropped), len(gold_dropped)
        ),
    }


def _rec_key(edition: Edition, chapter: int, index: int, prefix: str) -> tuple[str, int]:
    chapter_id = _chapter_id(edition, chapter)
    rec = edition.chapter(chapter_id).recommendations[index - 1]
    assert rec.text.startswith(prefix), (chapter_id, index, prefix, rec.text[:20])
    return chapter_id, index


def recommendation_label_id(item: dict[str, Any]) -> str:
    """A label's stable id, for the halves: the item it is about ("rec:2025/ch02#4").

    An old item is named by its 2025 place, a new one (no ancestor) by its 2026 place.
    """
    if "old_chapter" in item:
        return f"rec:2025/ch{item['old_chapter']:02d}#{item['old_index']}"
    return f"rec:2026/ch{item['new_chapter']:02d}#{item['new_index']}"


def evaluate_recommendations(
    part: str | None = None, fates: Sequence[RecommendationFate] | None = None
) -> dict[str, Score]:
    """Fates of the labelled recommendations; `part` picks one half (by id hash), None all.

    "candidate of dropped": of the dropped items labelled with a near miss (`cand_*`), the share
    whose reported best candidate is that item.
    """
    old, new = editions()
    fates = report().recommendations if fates is None else fates
    predicted_old: dict[tuple[str, int], tuple[str, tuple[str, int] | None]] = {}
    predicted_candidate: dict[tuple[str, int], tuple[str, int] | None] = {}
    predicted_new: dict[tuple[str, int], str] = {}
    for fate in fates:
        if fate.old is not None:
            partner = (fate.new.chapter, fate.new.index) if fate.new else None
            predicted_old[(fate.old.chapter, fate.old.index)] = (fate.status, partner)
            candidate = fate.candidate
            predicted_candidate[(fate.old.chapter, fate.old.index)] = (
                (candidate.chapter, candidate.index) if candidate else None
            )
        elif fate.new is not None:
            predicted_new[(fate.new.chapter, fate.new.index)] = fate.status

    statuses = ("kept", "modified", "moved", "dropped", "new")
    correct: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    exact = matched_gold = matched_pred = matched_right = 0
    candidates_gold = candidates_right = 0
    items = [
        item
        for item in _labels("recommendations.toml")["rec"]
        if part is None or half(recommendation_label_id(item)) == part
    ]
    for item in items:
        status = item["status"]
        gold[status] += 1
        if status == "new":
            key = _rec_key(new, item["new_chapter"], item["new_index"], item["new_prefix"])
            got = predicted_new.get(key, "matched")
            predicted[got] += 1
            if got == "new":
                correct["new"] += 1
                exact += 1
            continue
        key = _rec_key(old, item["old_chapter"], item["old_index"], item["old_prefix"])
        got_status, got_partner = predicted_old[key]
        predicted[got_status] += 1
        want_partner = (
            _rec_key(new, item["new_chapter"], item["new_index"], item["new_prefix"])
            if status in ("kept", "modified", "moved")
            else None
        )
        if got_status == status:
            correct[status] += 1
        if got_status == status and got_partner == want_partner:
            exact += 1
        if want_partner is not None:
            matched_gold += 1
        if got_partner is not None:
            matched_pred += 1
            if got_partner == want_partner:
                matched_right += 1
        if status == "dropped" and "cand_chapter" in item:
            candidates_gold += 1
            want = _rec_key(new, item["cand_chapter"], item["cand_index"], item["cand_prefix"])
            candidates_right += predicted_candidate.get(key) == want
    scores = {
        s: Score(correct[s], predicted[s], gold[s]) for s in statuses if gold[s] or predicted[s]
    }
    scores["matched pairs"] = Score(matched_right, matched_pred, matched_gold)
    scores["exact fate"] = Score(exact, len(items), len(items))
    scores["candidate of dropped"] = Score(candidates_right, candidates_gold, candidates_gold)
    return scores


def evaluate_judgements(part: str = "held-out") -> dict[str, Score]:
    """Judgement figures on one half of the labels ("tuning" or "held-out", by id hash).

    - pairs: a labelled pair is found when its 2025 sentence's row has the labelled 2026
      sentence; precision is over the labelled 2025 sentences the tool gives any partner
      (labelled pairs, dropped judgements and not-mentioned forecasts alike).
    - pairs@3: the labelled 2026 sentence is the partner or one of the alternatives.
    - class: the change class of the pairs found.
    - forecasts: the outcome (realized / unrealized / open / not mentioned) of the labelled
      forecasts, counted right only with the labelled evidence sentence when there is one.
    """
    from tests.judgement_labels import half, load

    old, new = editions()
    labels = [label for label in load(old, new) if half(label.id) == part]
    rows = {normalize(j.old.text): j for j in report().judgements if j.old is not None}
    unpaired_new = {
        normalize(j.new.text) for j in report().judgements if j.old is None and j.new is not None
    }
    forecasts = {normalize(f.old.text): f for f in report().forecasts}

    def partner(text: str | None) -> str | None:
        row = rows.get(text or "")
        return normalize(row.new.text) if row is not None and row.new is not None else None

    gold_pairs = [label for label in labels if label.section == "pair"]
    given = found = at3 = right_class = 0
    for label in gold_pairs:
        row = rows.get(label.old or "")
        got = partner(label.old)
        given += got is not None
        if got is not None and got == label.new:
            found += 1
            right_class += row is not None and row.change == label.cls
        candidates = {got} | (
            {normalize(a.quote.text) for a in row.alternatives} if row is not None else set()
        )
        at3 += label.new is not None and label.new in candidates
    nothing = [
        label
        for label in labels
        if label.section == "dropped"
        or (label.section == "forecast" and label.cls == "not_mentioned")
    ]
    wrongly_given = sum(1 for label in nothing if partner(label.old) is not None)
    new_gold = [label for label in labels if label.section == "new"]
    new_right = sum(1 for label in new_gold if label.new in unpaired_new)
    forecast_gold = [label for label in labels if label.section == "forecast"]
    outcome_right = outcome_only = 0
    for label in forecast_gold:
        f = forecasts.get(label.old or "")
        if f is None:
            continue
        evidence = normalize(f.evidence.text) if f.evidence else None
        outcome_only += f.outcome == label.cls
        outcome_right += f.outcome == label.cls and (label.new is None or evidence == label.new)
    return {
        "pairs": Score(found, given + wrongly_given, len(gold_pairs)),
        "pairs@3": Score(at3, len(gold_pairs), len(gold_pairs)),
        "class (of found pairs)": Score(right_class, found, found),
        "dropped / not mentioned": Score(len(nothing) - wrongly_given, len(nothing), len(nothing)),
        "new": Score(new_right, len(new_gold), len(new_gold)),
        "forecast outcome": Score(outcome_right, len(forecast_gold), len(forecast_gold)),
        # The outcome word alone, whatever evidence sentence it rests on (a weaker measure).
        "forecast outcome word": Score(outcome_only, len(forecast_gold), len(forecast_gold)),
    }


def top_rows_with_stance_change(n: int = 20) -> int:
    """How many of the first `n` judgement rows are changes of stance (issue 11's target)."""
    from outlook_diff.report import STANCE_CHANGES

    return sum(1 for j in report().judgements[:n] if j.change in STANCE_CHANGES)


THEME_TOP = {"new": 40, "rising": 40, "dropped": 60, "fading": 60}


def evaluate_themes(
    part: str | None = None, themes: ThemeChanges | None = None
) -> dict[str, Score]:
    """Recall of the labelled terms in the top of their list, and precision of those tops.

    A labelled term is found when a reported term in the top N (`THEME_TOP`) of the right
    list carries it (高市首相 reports 高市). Precision: of the top-N terms that carry any
    labelled term, the share in the right list. `part` picks one half of the labels (by a hash
    of the term), None all of them. "stoplist" counts reported terms that the stoplist names.
    """
    from outlook_diff.terms import fold
    from outlook_diff.themes import bare_term

    themes = themes or report().themes
    # A list shows an acronym with what it stands for (NSS（国家安全保障戦略）); the term is NSS.
    lists = {
        kind: [fold(bare_term(t.term)) for t in getattr(themes, kind)][:top]
        for kind, top in THEME_TOP.items()
    }
    labels = _labels("themes.toml")
    labelled = {
        fold(item["term"]): kind
        for kind in lists
        for item in labels.get(kind, [])
        if part is None or half("theme:" + item["term"]) == part
    }
    scores: dict[str, Score] = {}
    for kind, predicted in lists.items():
        gold = {term for term, k in labelled.items() if k == kind}
        judged = {t for t in predicted if any(g in t for g in labelled)}
        right = {t for t in judged if any(g in t for g in gold)}
        found = {g for g in gold if any(g in t for t in predicted)}
        scores[f"{kind} (top {THEME_TOP[kind]})"] = Score(
            len(right), len(judged), len(gold), found=len(found)
        )
    from outlook_diff.datafiles import load_table

    table = load_table("themes.toml")
    stop = {normalize(t) for t in table["extract"]["stop"] + table["select"]["not_themes"]}
    every = [fold(bare_term(t.term)) for kind in THEME_TOP for t in getattr(themes, kind)]
    listed = sum(1 for t in every if t in stop)
    scores["stoplist terms listed"] = Score(listed, len(every), 0)
    return scores


def evaluate() -> dict[str, dict[str, Score]]:
    return {
        "alignment": evaluate_alignment(),
        "recommendations (held-out half)": evaluate_recommendations("held-out"),
        "recommendations (tuning half: a fit)": evaluate_recommendations("tuning"),
        "judgements (held-out half)": evaluate_judgements("held-out"),
        "judgements (tuning half: a fit, not a score)": evaluate_judgements("tuning"),
        "themes (held-out half)": evaluate_themes("held-out"),
        "themes (tuning half: a fit)": evaluate_themes("tuning"),
    }


def main() -> None:
    results = evaluate()
    for area, scores in results.items():
        print(f"{area}:")
        for name, score in scores.items():
            print(
                f"  {name:24} precision {score.precision:5.2f}  recall {score.recall:5.2f}"
                f"   ({score.correct} right of {score.predicted} predicted, {score.gold} labelled)"
            )
    print(f"stance changes among the first 20 judgement rows: {top_rows_with_stance_change()}")
    if "--json" in sys.argv:
        print(json.dumps({a: {k: v.to_dict() for k, v in s.items()} for a, s in results.items()}))


if __name__ == "__main__":
    main()
