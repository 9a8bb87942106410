"""Fit the judgement stage's retrieval weights and calibration on the tuning half of the labels.

    .venv/bin/python tests/calibrate.py [tuning|held-out] [--keep]

Prints, for a small grid of weights and cross-chapter margins, recall@1 and recall@3 of the
labelled partners on the tuning half; then fits the logistic calibration (score, leads, cosine)
on the best setting, and the confidence threshold that gives the best F1 of exact pairs after
the one-to-one assignment. The printed values go into `JudgementRules` by hand (and the
held-out figures come from `make eval`, never from here).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from outlook_diff.align import align  # noqa: E402
from outlook_diff.compare import Options, embedder_for  # noqa: E402
from outlook_diff.editions import load_edition  # noqa: E402
from outlook_diff.judgements import (  # noqa: E402
    JudgementRules,
    _assign,
    _tracked,
    _typical_cosine,
    _units,
    identical,
    lead,
    score_pairs,
)
from tests.judgement_labels import half, load  # noqa: E402


def main() -> None:
    old, new = load_edition("2025"), load_edition("2026")
    embedder = embedder_for(Options(), print)
    olds_all, news = _units(old), _units(new)
    vectors = embedder.embed([u.text for u in olds_all + news])
    ov, nv = vectors[: len(olds_all)], vectors[len(olds_all) :]
    alignment = align(old, new, embedder)
    tracked = [k for k, u in enumerate(olds_all) if _tracked(u.stance)]
    row_of = {olds_all[k].text: r for r, k in enumerate(tracked)}
    col_of = {u.text: j for j, u in enumerate(news)}
    want = next((a for a in sys.argv[1:] if not a.startswith("--")), "tuning")
    labels = [lab for lab in load(old, new) if half(lab.id) == want]
    gold = {}  # row -> gold column (None: nothing in new)
    untracked = 0
    for lab in labels:
        if lab.old is None or lab.section == "new":
            continue
        if lab.old not in row_of:
            untracked += 1
            continue
        target = None
        if lab.section == "pair" or (lab.section == "forecast" and lab.cls != "not_mentioned"):
            target = col_of.get(lab.new or "")
        if lab.section == "forecast" and lab.old in {o for o in gold if False}:
            continue
        gold.setdefault(row_of[lab.old], target)
    pairs = {r: c for r, c in gold.items() if c is not None}
    print(
        f"{want}: {len(pairs)} labelled partners, {len(gold) - len(pairs)} unpaired, "
        f"{untracked} labelled old sentences not tracked as judgements"
    )

    best = None
    grid = itertools.product(
        (1.0,), (0.0, 0.5, 1.0), (0.5, 1.0), (0.0, 0.5, 1.0), (0.5, 1.0, 1.5, 2.5)
    )
    for emb, ctx, chars, terms, margin in grid:
        rules = JudgementRules(
            embedding_weight=emb,
            context_weight=ctx,
            character_weight=chars,
            term_weight=terms,
            cross_chapter_margin=margin,
        )
        s = score_pairs(olds_all, news, ov, nv, alignment, rules, tracked).score
        ranks = [int((s[r] > s[r, c]).sum()) + 1 for r, c in pairs.items()]
        r1 = np.mean([k == 1 for k in ranks])
        r3 = np.mean([k <= 3 for k in ranks])
        mrr = np.mean([1 / k for k in ranks])  # breaks ties (several settings rank alike)
        if best is None or (round(r1 + r3, 6), mrr) > best[0]:
            best = ((round(r1 + r3, 6), mrr), rules)
        print(
            f"  emb {emb} ctx {ctx} chars {chars} terms {terms} margin {margin}: r@1 {r1:.2f} r@3 {r3:.2f}"
        )
    assert best is not None
    # --keep: fit the calibration for the weights JudgementRules has now, not the grid's best.
    rules = JudgementRules() if "--keep" in sys.argv else best[1]
    print("rules:", rules)
    sc = score_pairs(olds_all, news, ov, nv, alignment, rules, tracked)
    s = sc.score
    row_lead, col_lead = lead(s), lead(s.T).T
    mean, spread = _typical_cosine(ov, nv)
    cosine = (ov[tracked] @ nv.T - mean) / spread  # in the editions' own units, as score_pairs
    X, y = [], []
    for r, c in gold.items():
        for j in range(s.shape[1]):
            X.append((s[r, j], row_lead[r, j], col_lead[r, j], cosine[r, j], 1.0))
            y.append(1.0 if j == c else 0.0)
    X, y = np.array(X), np.array(y)
    w = np.zeros(X.shape[1])
    for _ in range(50):  # Newton's method, lightly regularised
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + 0.01 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 0.01 * np.eye(X.shape[1])
        w -= np.linalg.solve(hess, grad)
    print("calibration (a, b, c, e, d):", tuple(round(float(v), 3) for v in w))
    conf = 1 / (1 + np.exp(-(w[0] * s + w[1] * row_lead + w[2] * col_lead + w[3] * cosine + w[4])))
    olds = [olds_all[k] for k in tracked]
    fixed = identical(olds, news)
    for threshold in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5):
        assigned = dict(_assign(conf, threshold, fixed))
        given = [r for r in gold if r in assigned]
        right = [r for r in given if assigned[r] == gold[r]]
        precision = len(right) / len(given) if given else 1.0
        recall = len(right) / len(pairs)
        f1 = 2 * precision * recall / (precision + recall) if right else 0.0
        print(
            f"  min_confidence {threshold}: precision {precision:.2f} recall {recall:.2f}"
            f" F1 {f1:.2f}"
        )


if __name__ == "__main__":
    main()
