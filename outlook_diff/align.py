"""The align stage: two editions in, the chapter alignment out.

Which old chapter became which new one. Every old/new pair of chapters of the same kind
(numbered chapters with numbered chapters, front matter with front matter) gets four component
scores:

- author: same author (rapidfuzz on normalised names) 1.0, different 0.0, unknown when either
  chapter has no author (then the component is left out, not counted as a mismatch);
- title: rapidfuzz similarity of the normalised titles;
- tfidf: cosine of character 2-3-gram TF-IDF vectors over the chapter text;
- sections: the share of both chapters' sections whose nearest section (by embedding) in the
  other edition lies in the other chapter of the pair.

The combined score links pairs; links form groups (several old → one new is a merge, one old
→ several new a split); chapters left alone are dropped or new. No pair is forced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from outlook_diff.model import Chapter, Edition
from outlook_diff.normalize import normalize
from outlook_diff.report import AlignmentLink, AlignmentStatus
from outlook_diff.topics import chapter_topics

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.embed import Embedder

# Weights and thresholds, measured on the shipped editions against the hand-made alignment in
# tests/data/eval/alignment.toml. The one-to-one links are robust: the labelled links come out
# exactly for every weight combination tried (author 0.1-0.4, title 0-0.2, text 0.1-0.4,
# sections 0.1-0.4) and link thresholds 0.35-0.55, because a continuing chapter keeps its author
# and most of its content. Content carries most of the weight since titles are rewritten every
# year; the author is decisive when known.
WEIGHTS = {"author": 0.30, "title": 0.10, "tfidf": 0.30, "sections": 0.30}
LINK_THRESHOLD = 0.45  # combined score needed to link two chapters at all
# Fold-ins (merges) are the fragile part: 2025 ch3 (labelled merged into 2026 ch1) beats its
# runner-up by 2.25x, 2025 ch12 (labelled dropped) by 1.93x; a ratio of 2 separates them, so
# 1.75 or 2.25 would each get one of the two wrong. Content below 0.25 never folds in.
FOLD_CONTENT = 0.25  # content score at which an unlinked chapter folds into another (a merge)
FOLD_RATIO = 2.0  # ... if its best candidate has at least this many times the runner-up's content
# A fold-in (or its refusal) is settled only when the ratio is at least twice the threshold
# (4.0) or at most half of it (1.0); in between the link is made or refused as the threshold
# says, but flagged "uncertain" with the ratio, so a reader checks it (both real cases are).
SETTLED_FACTOR = 2.0
SECTION_CHARS = 300  # the model reads ~512 tokens; a section is embedded from its opening


@dataclass(frozen=True)
class PairScore:
    old: str
    new: str
    author: float | None
    title: float
    tfidf: float
    sections: float
    sections_matched: int
    sections_total: int
    shared_author: str | None
    authors: str = ""  # e.g. "舟津奈緒子 → 小谷哲男", for the reason

    @property
    def content(self) -> float:
        """What the two chapters share in substance, whoever wrote them."""
        return (self.tfidf + self.sections) / 2

    @property
    def score(self) -> float:
        parts = {"title": self.title, "tfidf": self.tfidf, "sections": self.sections}
        if self.author is not None:
            parts["author"] = self.author
        total_weight = sum(WEIGHTS[k] for k in parts)
        return sum(WEIGHTS[k] * v for k, v in parts.items()) / total_weight

    def reason(self) -> str:
        bits: list[str] = []
        if self.author is None:
            bits.append("author unknown on one side")
        elif self.shared_author:
            bits.append(f"same author {self.shared_author}")
        else:
            bits.append(f"different authors ({self.authors})")
        bits.append(
            f"{self.sections_matched}/{self.sections_total} sections have their counterpart here"
        )
        bits.append(f"text {self.tfidf:.2f}")
        bits.append(f"title {self.title:.2f}")
        return f"{self.old} → {self.new}: " + "; ".join(bits)


@dataclass(frozen=True)
class Alignment:
    links: tuple[AlignmentLink, ...]
    scores: tuple[PairScore, ...]  # every scored pair, for diagnostics and the evaluation

    def new_for(self, old_id: str) -> tuple[str, ...]:
        return next((link.new for link in self.links if old_id in link.old), ())

    def group_of(self, chapter_id: str) -> AlignmentLink:
        for link in self.links:
            if chapter_id in link.old or chapter_id in link.new:
                return link
        raise KeyError(chapter_id)

    @cached_property
    def _aligned_pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset((o, n) for link in self.links for o in link.old for n in link.new)

    def aligned(self, old_id: str, new_id: str) -> bool:
        """Whether the two chapters are in one aligned group (called for every sentence pair)."""
        return (old_id, new_id) in self._aligned_pairs


def _ngrams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for n in (2, 3):
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def _tfidf_cosines(old_texts: Sequence[str], new_texts: Sequence[str]) -> np.ndarray:
    """Cosines of character 2-3-gram TF-IDF vectors, every old text against every new one.

    One matrix per edition (texts x n-grams, sublinear tf, smoothed idf over both editions,
    rows of unit length) and one matrix product: linear in the text, not a Python loop over
    chapter pairs.
    """
    import numpy as np

    counts = [_ngrams(t) for t in (*old_texts, *new_texts)]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    column = {gram: i for i, gram in enumerate(df)}
    idf = np.log((1 + len(counts)) / (1 + np.fromiter(df.values(), dtype=np.float64)))
    matrix = np.zeros((len(counts), len(column)), dtype=np.float32)
    for row, c in enumerate(counts):
        cols = np.fromiter((column[g] for g in c), dtype=np.int64, count=len(c))
        tf = np.fromiter(c.values(), dtype=np.float64, count=len(c))
        matrix[row, cols] = (1 + np.log(tf)) * idf[cols]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1.0)
    split = len(old_texts)
    return np.asarray(matrix[:split] @ matrix[split:].T, dtype=np.float64)


def _author_score(old: Chapter, new: Chapter) -> tuple[float | None, str | None]:
    from rapidfuzz import fuzz

    if not old.authors or not new.authors:
        return None, None
    for a in old.authors:
        for b in new.authors:
            if fuzz.ratio(normalize(a), normalize(b)) >= 90:
                return 1.0, b
    return 0.0, None


def _title_score(old: Chapter, new: Chapter) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.token_set_ratio(normalize(old.title), normalize(new.title))) / 100.0


def chapter_text(chapter: Chapter) -> str:
    """What a chapter is about: its title, body and recommendations."""
    return normalize(
        chapter.title
        + "\n"
        + chapter.text
        + "\n"
        + "\n".join(r.text for r in chapter.recommendations)
    )


def section_texts(chapter: Chapter) -> list[str]:
    """One text per section (heading and opening) for section embeddings."""
    texts: list[str] = []
    for section in chapter.sections:
        head = f"{section.heading}\n" if section.heading else ""
        texts.append(normalize(head + section.text)[:SECTION_CHARS])
    if chapter.recommendations:
        texts.append(normalize("\n".join(r.text for r in chapter.recommendations))[:SECTION_CHARS])
    return texts


def score_pairs(old: Edition, new: Edition, embedder: Embedder) -> list[PairScore]:
    import numpy as np

    if old.label == new.label:
        raise ValueError("editions to align need distinct labels (chapter ids would collide)")
    chapters = list(old.chapters) + list(new.chapters)
    cosines = _tfidf_cosines(
        [chapter_text(c) for c in old.chapters], [chapter_text(c) for c in new.chapters]
    )
    texts = {c.id: section_texts(c) for c in chapters}
    flat = [t for c in chapters for t in texts[c.id]]
    vectors = embedder.embed(flat) if flat else np.zeros((0, 1), dtype=np.float32)
    owner = [c.id for c in chapters for _ in texts[c.id]]
    nearest = _nearest_chapter(vectors, owner, old, new)

    pairs = [(o, n) for o in old.chapters for n in new.chapters if o.kind == n.kind]
    row = {c.id: i for i, c in enumerate(old.chapters)}
    col = {c.id: i for i, c in enumerate(new.chapters)}
    raw_tfidf = {(o.id, n.id): float(cosines[row[o.id], col[n.id]]) for o, n in pairs}
    # Character n-gram cosines between rewritten chapters are small (0.03-0.15 here) and
    # depend on chapter length; rescale them to 0-1 over the pairs being compared.
    low = min(raw_tfidf.values(), default=0.0)
    span = (max(raw_tfidf.values(), default=1.0) - low) or 1.0

    scores: list[PairScore] = []
    for o, n in pairs:
        author, shared = _author_score(o, n)
        matched = nearest.get(o.id, []).count(n.id) + nearest.get(n.id, []).count(o.id)
        total = len(texts[o.id]) + len(texts[n.id])
        scores.append(
            PairScore(
                old=o.id,
                new=n.id,
                author=author,
                title=_title_score(o, n),
                tfidf=(raw_tfidf[(o.id, n.id)] - low) / span,
                sections=matched / total if total else 0.0,
                sections_matched=matched,
                sections_total=total,
                shared_author=shared,
                authors=f"{'、'.join(o.authors) or '?'} → {'、'.join(n.authors) or '?'}",
            )
        )
    return scores


def _nearest_chapter(
    vectors: np.ndarray, owner: list[str], old: Edition, new: Edition
) -> dict[str, list[str]]:
    """For every section, the chapter of the other edition that holds its closest section.

    Cosines between sections of one report are all high (0.80-0.90 with e5): which chapter
    holds a section's nearest neighbour is the robust signal, not the cosine itself.
    """
    import numpy as np

    kinds = {c.id: c.kind for c in (*old.chapters, *new.chapters)}
    old_ids = {c.id for c in old.chapters}
    nearest: dict[str, list[str]] = {}
    for from_old in (True, False):
        for kind in ("chapter", "front"):
            rows = [
                i for i, c in enumerate(owner) if (c in old_ids) == from_old and kinds[c] == kind
            ]
            cols = [
                i for i, c in enumerate(owner) if (c in old_ids) != from_old and kinds[c] == kind
            ]
            if not rows or not cols:
                continue
            sims = vectors[np.array(rows)] @ vectors[np.array(cols)].T
            for row, best in zip(rows, sims.argmax(axis=1), strict=True):
                nearest.setdefault(owner[row], []).append(owner[cols[int(best)]])
    return nearest


def align(old: Edition, new: Edition, embedder: Embedder) -> Alignment:
    scores = score_pairs(old, new, embedder)
    by_pair = {(s.old, s.new): s for s in scores}
    primary = _primary_links(scores)
    folded = _fold_ins(scores, primary)
    links = _groups(old, new, primary | set(folded), by_pair, folded)
    return Alignment(links=tuple(links), scores=tuple(scores))


def _ranked(scores: list[PairScore], side: str, key: str) -> dict[str, list[PairScore]]:
    groups: dict[str, list[PairScore]] = {}
    for s in scores:
        groups.setdefault(getattr(s, side), []).append(s)
    for candidates in groups.values():
        candidates.sort(key=lambda s: (-getattr(s, key), s.old, s.new))
    return groups


def _primary_links(scores: list[PairScore]) -> set[tuple[str, str]]:
    """Pairs that are each other's best by the combined score, above the threshold."""
    best_new = {k: v[0] for k, v in _ranked(scores, "old", "score").items()}
    best_old = {k: v[0] for k, v in _ranked(scores, "new", "score").items()}
    return {
        (s.old, s.new)
        for s in best_new.values()
        if s.score >= LINK_THRESHOLD and best_old[s.new] is s
    }


def fold_ratio(best: float, runner_up: float) -> float:
    """How many times the best candidate's content score is the runner-up's (inf: no rival)."""
    return best / runner_up if runner_up > 0 else float("inf")


def unsettled(ratio: float) -> bool:
    """A fold-in ratio too close to FOLD_RATIO to decide a merge with confidence."""
    return FOLD_RATIO / SETTLED_FACTOR < ratio < FOLD_RATIO * SETTLED_FACTOR


def _fold_ins(
    scores: list[PairScore], linked: set[tuple[str, str]]
) -> dict[tuple[str, str], float]:
    """Chapters left alone whose content clearly went into one chapter of the other edition.

    A chapter whose author left (2025 chapters 3 and 5) can fold into another author's chapter:
    the author component then says nothing, so this looks at content alone and asks for a clear
    winner over the runner-up. Old chapters fold into new ones (merges), new chapters into old
    ones (splits). Returns each fold-in pair with its runner-up's content score.
    """
    done = {"old": {o for o, _ in linked}, "new": {n for _, n in linked}}
    found: dict[tuple[str, str], float] = {}
    for side in ("old", "new"):
        for chapter_id, ranked in _ranked(scores, side, "content").items():
            if chapter_id in done[side]:
                continue
            best = ranked[0]
            runner_up = ranked[1].content if len(ranked) > 1 else 0.0
            if best.content >= FOLD_CONTENT and best.content >= FOLD_RATIO * runner_up:
                found[(best.old, best.new)] = runner_up
    return found


def _groups(
    old: Edition,
    new: Edition,
    linked: set[tuple[str, str]],
    by_pair: dict[tuple[str, str], PairScore],
    folded: dict[tuple[str, str], float],
) -> list[AlignmentLink]:
    # Connected components over the links.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for o, n in linked:
        parent[find(o)] = find(n)
    components: dict[str, tuple[list[str], list[str]]] = {}
    order_old = [c.id for c in old.chapters]
    order_new = [c.id for c in new.chapters]
    for o, n in sorted(linked):
        olds, news = components.setdefault(find(o), ([], []))
        if o not in olds:
            olds.append(o)
        if n not in news:
            news.append(n)

    chapters = {c.id: c for c in (*old.chapters, *new.chapters)}
    links: list[AlignmentLink] = []
    for olds, news in components.values():
        olds.sort(key=order_old.index)
        news.sort(key=order_new.index)
        status: AlignmentStatus
        if len(olds) == 1 and len(news) == 1:
            status = "continued"
        elif len(news) == 1:
            status = "merged"
        elif len(olds) == 1:
            status = "split"
        else:
            status = "merged"
        pairs = [by_pair[(o, n)] for o in olds for n in news if (o, n) in linked]
        pairs.sort(key=lambda s: -s.score)
        ratios = [
            fold_ratio(p.content, folded[(p.old, p.new)]) for p in pairs if (p.old, p.new) in folded
        ]
        links.append(
            AlignmentLink(
                old=tuple(olds),
                new=tuple(news),
                status=status,
                score=max(s.score for s in pairs),
                reasons=tuple(_reason(s, folded) for s in pairs),
                # What the group is about now: a merged-in chapter's old subjects do not
                # make the group match a topic the new chapter no longer treats.
                topics=_topics(chapters[c] for c in news),
                uncertain=any(unsettled(r) for r in ratios),
            )
        )
    linked_old = {o for o, _ in linked}
    linked_new = {n for _, n in linked}
    for chapter in old.chapters:
        if chapter.id not in linked_old:
            links.append(_unmatched(chapter, "dropped", by_pair, old=True))
    for chapter in new.chapters:
        if chapter.id not in linked_new:
            links.append(_unmatched(chapter, "new", by_pair, old=False))

    def sort_key(link: AlignmentLink) -> tuple[int, int]:
        # Continuing chapters in the new edition's order, then dropped in the old order.
        if link.new:
            return (0, order_new.index(link.new[0]))
        return (1, order_old.index(link.old[0]))

    links.sort(key=sort_key)
    return links


def _reason(pair: PairScore, folded: dict[tuple[str, str], float]) -> str:
    runner_up = folded.get((pair.old, pair.new))
    if runner_up is None:
        return pair.reason()
    ratio = fold_ratio(pair.content, runner_up)
    note = (
        f"; uncertain: {ratio:.2f}x is close to the {FOLD_RATIO:g}x a merge needs "
        f"(settled at {FOLD_RATIO * SETTLED_FACTOR:g}x)"
        if unsettled(ratio)
        else ""
    )
    rival = (
        f"next best candidate {runner_up:.2f}, {ratio:.2f}x"
        if runner_up > 0
        else "no other candidate"
    )
    return f"{pair.reason()}; folded in by content {pair.content:.2f} ({rival}){note}"


def _topics(chapters: object) -> tuple[str, ...]:
    found: list[str] = []
    for chapter in chapters:  # type: ignore[attr-defined]
        for key in chapter_topics(chapter):
            if key not in found:
                found.append(key)
    return tuple(found)


def _unmatched(
    chapter: Chapter,
    status: AlignmentStatus,
    by_pair: dict[tuple[str, str], PairScore],
    *,
    old: bool,
) -> AlignmentLink:
    candidates = [s for (o, n), s in by_pair.items() if (o if old else n) == chapter.id]
    best = max(candidates, key=lambda s: (s.score, s.old, s.new), default=None)
    reasons: tuple[str, ...]
    uncertain = False
    if best is None:
        reasons = ("no chapter of the same kind on the other side",)
        score = 0.0
    else:
        reasons = (f"closest candidate {best.score:.2f} < {LINK_THRESHOLD}: " + best.reason(),)
        score = best.score
        # Did its content nearly fold into one chapter? Then say so: the call is close.
        by_content = sorted(candidates, key=lambda s: (-s.content, s.old, s.new))
        top = by_content[0]
        ratio = fold_ratio(top.content, by_content[1].content if len(by_content) > 1 else 0.0)
        if top.content >= FOLD_CONTENT and unsettled(ratio):
            uncertain = True
            other = top.new if old else top.old
            reasons = (
                *reasons,
                f"uncertain: its content nearly folds into {other} ({ratio:.2f}x the runner-up; "
                f"a merge needs {FOLD_RATIO:g}x, settled below {FOLD_RATIO / SETTLED_FACTOR:g}x)",
            )
    return AlignmentLink(
        old=(chapter.id,) if old else (),
        new=() if old else (chapter.id,),
        status=status,
        score=score,
        reasons=reasons,
        topics=chapter_topics(chapter),
        uncertain=uncertain,
    )
