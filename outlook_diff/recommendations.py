"""Recommendation fates: every old recommendation against every new one.

Takes the two editions, their alignment and an embedder; returns one `RecommendationFate` per
old recommendation (kept, modified, moved or dropped) and per new one without an ancestor (new).

A pair is a match when it is the best on both sides (each is the other's first choice) and it
stands out from the other candidates: its cosine is well above the row's and the column's other
cosines (a z-score), or ahead of the runner-up by a clear margin. A fixed cosine threshold does
not work here: with e5, a right match and an unrelated pair of recommendations can differ by
0.001 of cosine, because every recommendation in the report talks about Japan, the US and
security. Kept and modified are told apart by character similarity of the normalised texts;
moved means matched across chapters that the alignment does not link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from outlook_diff.model import Edition, Recommendation
from outlook_diff.normalize import normalize
from outlook_diff.report import RecommendationFate, RecRef

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class RecommendationRules:
    """Decision thresholds (see tests/data/eval/recommendations.toml for how they were fitted)."""

    min_z: float = 2.0  # how far above the other candidates' cosines (in standard deviations)
    min_margin: float = 0.02  # or: cosine ahead of the runner-up by this much
    min_cosine: float = 0.80  # below this nothing is a match, whatever the rank
    kept_similarity: float = 0.80  # character similarity at or above which it is "kept"
    aligned_bonus: float = 0.01  # a candidate in an aligned chapter wins a near tie


def _ref(rec: Recommendation) -> RecRef:
    return RecRef(rec.chapter, rec.index, rec.text)


def redline(old: str, new: str) -> str:
    """Inline character redline of two texts: [-deleted-]{+inserted+}.

    Equal runs shorter than 3 characters between two edits are folded into the edits, so a
    rewritten Japanese sentence reads as phrases replaced, not as confetti of single kana.
    """
    from rapidfuzz.distance import Indel

    ops = [(op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end) for op in Indel.opcodes(old, new)]
    merged: list[list[object]] = []
    for i, (tag, a0, a1, b0, b1) in enumerate(ops):
        short_bridge = (
            tag == "equal" and (a1 - a0) < 3 and 0 < i < len(ops) - 1
        )
        kind = "edit" if tag != "equal" or short_bridge else "equal"
        if merged and merged[-1][0] == kind == "edit":
            merged[-1][2] = a1
            merged[-1][4] = b1
        else:
            merged.append([kind, a0, a1, b0, b1])
    out: list[str] = []
    for kind, a0, a1, b0, b1 in merged:
        assert isinstance(a0, int) and isinstance(a1, int)
        assert isinstance(b0, int) and isinstance(b1, int)
        if kind == "equal":
            out.append(old[a0:a1])
            continue
        if a1 > a0:
            out.append(f"[-{old[a0:a1]}-]")
        if b1 > b0:
            out.append(f"{{+{new[b0:b1]}+}}")
    return "".join(out)


def character_similarity(a: str, b: str) -> float:
    from rapidfuzz.distance import Indel

    return float(Indel.normalized_similarity(normalize(a), normalize(b)))


def _z_scores(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far each cosine stands above its row's and its column's others."""
    import numpy as np

    def z(matrix: np.ndarray, axis: int) -> np.ndarray:
        mean = matrix.mean(axis=axis, keepdims=True)
        std = matrix.std(axis=axis, keepdims=True)
        return np.asarray((matrix - mean) / np.where(std > 1e-6, std, 1.0))

    return z(sims, 1), z(sims, 0)


def compare_recommendations(
    old: Edition,
    new: Edition,
    alignment: Alignment,
    embedder: Embedder,
    rules: RecommendationRules = RecommendationRules(),
) -> tuple[RecommendationFate, ...]:
    import numpy as np

    olds = list(old.recommendations)
    news = list(new.recommendations)
    if not olds and not news:
        return ()
    vectors = embedder.embed([normalize(r.text) for r in olds + news])
    sims = vectors[: len(olds)] @ vectors[len(olds) :].T if olds and news else np.zeros((len(olds), len(news)))
    if olds and news:
        bonus = np.array(
            [[rules.aligned_bonus if alignment.aligned(o.chapter, n.chapter) else 0.0 for n in news] for o in olds]
        )
        ranked = sims + bonus
    else:
        ranked = sims
    z_row, z_col = _z_scores(sims) if olds and news and min(sims.shape) > 1 else (sims * 0, sims * 0)

    fates: list[RecommendationFate] = []
    matched_new: set[int] = set()
    for i, o in enumerate(olds):
        if not news:
            fates.append(RecommendationFate("dropped", _ref(o), None, None, None, None))
            continue
        order = np.argsort(-ranked[i], kind="stable")
        j = int(order[0])
        cosine = float(sims[i, j])
        runner_up = float(sims[i, order[1]]) if len(order) > 1 else -1.0
        column_order = np.argsort(-ranked[:, j], kind="stable")
        mutual = int(column_order[0]) == i
        column_runner_up = float(sims[column_order[1], j]) if len(column_order) > 1 else -1.0
        stands_out = min(z_row[i, j], z_col[i, j]) >= rules.min_z or (
            cosine - max(runner_up, column_runner_up) >= rules.min_margin
        )
        if mutual and stands_out and cosine >= rules.min_cosine:
            matched_new.add(j)
            n = news[j]
            text_similarity = character_similarity(o.text, n.text)
            status = "kept" if text_similarity >= rules.kept_similarity else "modified"
            if not alignment.aligned(o.chapter, n.chapter):
                status = "moved"
            fates.append(
                RecommendationFate(
                    status,  # type: ignore[arg-type]
                    _ref(o),
                    _ref(n),
                    cosine,
                    None,
                    None if status == "kept" and o.text == n.text else redline(o.text, n.text),
                )
            )
        else:
            fates.append(RecommendationFate("dropped", _ref(o), None, cosine, _ref(news[j]), None))
    for j, n in enumerate(news):
        if j in matched_new:
            continue
        if olds:
            i = int(np.argmax(sims[:, j]))
            fates.append(RecommendationFate("new", None, _ref(n), float(sims[i, j]), _ref(olds[i]), None))
        else:
            fates.append(RecommendationFate("new", None, _ref(n), None, None, None))
    return tuple(sorted(fates, key=_importance))


_STATUS_ORDER = {"dropped": 0, "new": 1, "moved": 2, "modified": 3, "kept": 4}


def _importance(fate: RecommendationFate) -> tuple[int, float, str, int]:
    """Dropped and new first (what a reader most needs), then moved, modified, kept.

    Within a class: for dropped/new the ones with the weakest candidate first (most surely gone
    or new); for matches the least similar first (the biggest rewrite).
    """
    ref = fate.old or fate.new
    assert ref is not None
    similarity = fate.similarity if fate.similarity is not None else 0.0
    return (_STATUS_ORDER[fate.status], similarity, ref.chapter, ref.index)
