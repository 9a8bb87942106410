"""Floors on the hand-labelled evaluation (`make eval` prints the same figures).

The floors sit a little under the figures measured when they were set (see README), so a
change that makes the tool worse at its job fails here.
"""

from __future__ import annotations

import pytest

from tests.evaluate import (
    evaluate_alignment,
    evaluate_judgements,
    evaluate_recommendations,
    evaluate_themes,
    top_rows_with_stance_change,
)

pytestmark = pytest.mark.slow


def test_alignment_floors() -> None:
    scores = evaluate_alignment()
    assert scores["links"].precision >= 0.9 and scores["links"].recall >= 0.9
    assert scores["dropped"].precision >= 0.75 and scores["dropped"].recall >= 0.75


def test_close_merges_are_flagged_uncertain() -> None:
    """2025 ch3 folds into 2026 ch1 at 2.2x its runner-up, 2025 ch12 stays dropped at 1.9x: both
    calls sit next to the 2x rule, so the report must say they are uncertain."""
    from tests.evaluate import report

    flagged = {(link.old, link.status) for link in report().alignment if link.uncertain}
    assert (("2025/ch02", "2025/ch03"), "merged") in flagged
    assert (("2025/ch12",), "dropped") in flagged
    assert not any(link.uncertain for link in report().alignment if link.status == "continued")


def test_recommendation_floors() -> None:
    # All labels, then the held-out half (15 of the 51 labels: one item is 0.067 there).
    scores = evaluate_recommendations()
    assert scores["exact fate"].precision >= 0.85
    assert scores["matched pairs"].precision >= 0.8 and scores["matched pairs"].recall >= 0.75
    assert scores["dropped"].precision >= 0.85 and scores["dropped"].recall >= 0.9
    assert scores["new"].recall >= 0.8
    assert scores["moved"].recall >= 0.5  # 2025 ch2 item 4, found in 2026 ch6
    assert scores["candidate of dropped"].recall >= 0.6
    held_out = evaluate_recommendations("held-out")
    assert held_out["exact fate"].precision >= 0.75


def test_judgement_floors() -> None:
    # On the held-out half of the labels (the thresholds were fitted on the other half).
    # Measured (issue 11, second pass): pairs P 0.30 (7/23), R 0.13 (7/53), @3 0.32 (17/53),
    # dropped / not mentioned 0.85 (11/13), forecast outcome 0.20 (6/30); each floor allows
    # about one label less.
    scores = evaluate_judgements("held-out")
    assert scores["pairs"].precision >= 0.25
    assert scores["pairs"].recall >= 0.1
    assert scores["pairs@3"].recall >= 0.28
    assert scores["dropped / not mentioned"].recall >= 0.75
    assert scores["forecast outcome"].recall >= 0.15


def test_the_first_judgement_rows_are_changes_of_stance() -> None:
    assert top_rows_with_stance_change(20) >= 12


def test_theme_floors() -> None:
    # On the held-out half of the theme labels; the selection was tuned on the other half.
    scores = evaluate_themes("held-out")
    for kind in ("new (top 40)", "rising (top 40)", "dropped (top 60)", "fading (top 60)"):
        assert scores[kind].precision >= 0.8, kind
    # Measured (issue 15): new 0.69, dropped 0.52, rising 1.00, fading 0.62.
    assert scores["new (top 40)"].recall >= 0.6
    assert scores["dropped (top 60)"].recall >= 0.45
    assert scores["rising (top 40)"].recall >= 0.8
    assert scores["fading (top 60)"].recall >= 0.5
    # Nothing the stoplist names is ever reported (the stop-terms are never terms at all).
    assert scores["stoplist terms listed"].correct == 0
