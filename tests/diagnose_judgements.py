"""Where the labelled judgement pairs are lost, label by label (tuning half unless told).

    .venv/bin/python tests/diagnose_judgements.py [tuning|held-out] [--all]

For every labelled pair (and forecast with evidence) it prints: whether the 2025 sentence is
found in the parsed edition and tracked as a judgement, whether the 2026 sentence is found (every
2026 sentence is a candidate), the gold partner's rank among all candidates under each
similarity (embedding, context, character grams, key terms) and under the combined score, whether
the pair lies in one aligned chapter group, and where it was finally lost: to the rank, to the
cross-chapter margin, to the min-confidence cut, or to the assignment (another row took the
partner). A summary counts each cause. `--all` also lists the rows found.
"""

from __future__ import annotations

import sys
from collections import Counter
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
    _character_similarity,
    _context,
    _in_group,
    _term_similarity,
    _tracked,
    _units,
    _z,
    identical,
    score_pairs,
)
from tests.judgement_labels import half, load  # noqa: E402


def _rank(row: np.ndarray, j: int) -> int:
    return int((row > row[j]).sum()) + 1


def main() -> None:
    part = next((a for a in sys.argv[1:] if not a.startswith("--")), "tuning")
    rules = JudgementRules()
    old, new = load_edition("2025"), load_edition("2026")
    embedder = embedder_for(Options(), lambda message: None)
    olds_all, news = _units(old), _units(new)
    vectors = embedder.embed([u.text for u in olds_all + news])
    ov, nv = vectors[: len(olds_all)], vectors[len(olds_all) :]
    alignment = align(old, new, embedder)
    tracked = [k for k, u in enumerate(olds_all) if _tracked(u.stance)]
    row_of = {olds_all[k].text: r for r, k in enumerate(tracked)}
    col_of = {u.text: j for j, u in enumerate(news)}
    olds = [olds_all[k] for k in tracked]

    sims = {
        "emb": (ov @ nv.T)[tracked],
        "ctx": (_context(olds_all, ov) @ _context(news, nv).T)[tracked],
        "chr": _character_similarity(olds_all, news)[tracked],
        "trm": _term_similarity(olds_all, news)[tracked],
    }
    scores = score_pairs(olds_all, news, ov, nv, alignment, rules, tracked)
    in_group = _in_group(olds, news, alignment)
    assigned = dict(_assign(scores.confidence, rules.min_confidence, identical(olds, news)))
    owner = {j: i for i, j in assigned.items()}
    # The same combined score without the cross-chapter margin: what the margin costs.
    free = score_pairs(
        olds_all,
        news,
        ov,
        nv,
        alignment,
        JudgementRules(**{**rules.__dict__, "cross_chapter_margin": 0.0}),
        tracked,
    ).score
    z_emb = _z(np.array((ov @ nv.T), dtype=np.float32))[tracked]

    labels = [lab for lab in load(old, new) if half(lab.id) == part]
    wanted = [
        lab
        for lab in labels
        if lab.section == "pair" or (lab.section == "forecast" and lab.new is not None)
    ]
    print(
        f"{part}: {len(wanted)} labelled partners; {len(tracked)} tracked of {len(olds_all)} old "
        f"sentences, {len(news)} new sentences"
    )
    header = (
        f"{'id':>3} {'cls':12} {'old':5} {'new':5} {'grp':3} "
        f"{'emb':>4} {'zemb':>4} {'ctx':>4} {'chr':>4} {'trm':>4} {'free':>4} {'comb':>4} "
        f"{'conf':>5} {'cos':>5}  fate"
    )
    print(header)
    causes: Counter[str] = Counter()
    seen: set[str] = set()
    for k, lab in enumerate(wanted):
        if lab.old in seen:
            continue
        seen.add(lab.old or "")
        if lab.old is None:
            cause, cells = "old not parsed", ""
        elif lab.old not in row_of:
            old_unit = next(u for u in olds_all if u.text == lab.old)
            s = old_unit.stance
            cause, cells = f"old untracked ({s.kind if s else 'no stance'})", ""
        elif lab.new is None or lab.new not in col_of:
            cause, cells = "new not parsed", ""
        else:
            i, j = row_of[lab.old], col_of[lab.new]
            ranks = {name: _rank(sim[i], j) for name, sim in sims.items()}
            comb = _rank(scores.score[i], j)
            conf = float(scores.confidence[i, j])
            cells = (
                f"{'yes' if in_group[i, j] else 'NO':3} "
                + " ".join(f"{ranks[n]:4d}" for n in ("emb",))
                + f" {_rank(z_emb[i], j):4d} "
                + " ".join(f"{ranks[n]:4d}" for n in ("ctx", "chr", "trm"))
                + f" {_rank(free[i], j):4d} {comb:4d} {conf:5.2f} {sims['emb'][i, j]:5.3f}"
            )
            if assigned.get(i) == j:
                cause = "found"
            elif comb > 1 and _rank(free[i], j) == 1:
                cause = "lost to the cross-chapter margin"
            elif comb > 3:
                cause = "rank > 3"
            elif comb > 1:
                cause = "rank 2-3"
            elif conf < rules.min_confidence:
                cause = "rank 1, below min_confidence"
            elif j in owner:
                cause = "rank 1, taken by another row"
            else:
                cause = "rank 1, row given another"
        causes[cause] += 1
        if cause != "found" or "--all" in sys.argv:
            print(f"{k:3d} {lab.cls[:12]:12} {cells}  {cause}")
            print(f"      old: {(lab.old or '')[:70]}")
            print(f"      new: {(lab.new or '')[:70]}")
            if lab.old in row_of and cause != "found":
                i = row_of[lab.old]
                got = assigned.get(i)
                if got is not None:
                    print(f"      got: {news[got].text[:70]}")
                if lab.new in col_of and col_of[lab.new] in owner:
                    print(f"      taken by: {olds[owner[col_of[lab.new]]].text[:70]}")
    print()
    for cause, n in causes.most_common():
        print(f"{n:4d}  {cause}")


if __name__ == "__main__":
    main()
