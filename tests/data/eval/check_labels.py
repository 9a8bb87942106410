"""Check the hand labels in tests/data/eval/*.toml against the two shipped editions.

Run:
    python tests/data/eval/check_labels.py
        exit 1 on any miss, 0 when every label checks out
    python tests/data/eval/check_labels.py --judgements FILE [FILE ...]
        also check judgement labels kept in other files (same shape as judgements.toml)
    python tests/data/eval/check_labels.py --measure TERM [TERM ...]
        print counts per edition and region ("re:REGEX" counts a regex)

Stand-alone on purpose (standard library only, no import of outlook_diff): the labels must be
checkable independently of the engine they evaluate. The segmentation below is deliberately simple
and only serves to locate the chapter in which a quoted string must occur.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EDITIONS = {"old": ROOT / "data" / "outlook-2025.txt", "new": ROOT / "data" / "outlook-2026.txt"}
FRONT = {
    "old": ["理事長メッセージ", "「グローバル・レジリエンスへの挑戦」・解題"],
    "new": ["はじめに"],
}
CHAPTER_HEADING = re.compile(r"^第\s*(\d+)\s*章")
TOC_LINE = re.compile(r"\t\d+\s*$")
COLOPHON = re.compile(r"^戦略アウトルック\s*20\d\d")
BULLET = re.compile(r"^(?:-\s*・|-|・|•)\s*")
REC_HEADING = re.compile(r"^◆\s*(?:政策)?提言\s*$")
SIGN_OFF = re.compile(r"^[（(]脱稿日")
STATUSES = {"kept", "modified", "moved", "dropped", "new"}
CLASSES = {"reaffirmed", "strengthened", "weakened", "reversed", "realized", "unrealized"}
OUTCOMES = {"realized", "unrealized", "open", "not_mentioned"}
CONFIDENCE = {"high", "medium", "low"}
MIN_QUOTE = 15


def read(side: str) -> str:
    return EDITIONS[side].read_text(encoding="utf-8")


def regions(side: str) -> dict[object, list[str]]:
    """Map region key (chapter number, or front-matter name) -> its lines (heading excluded)."""
    out: dict[object, list[str]] = {}
    current: object = None
    seen_chapter = False
    for line in read(side).split("\n"):
        stripped = line.strip()
        if TOC_LINE.search(line):
            continue
        m = CHAPTER_HEADING.match(stripped)
        if m:
            current = int(m.group(1))
            seen_chapter = True
            out[current] = [stripped]  # the heading belongs to its chapter
            continue
        front = next(
            (f for f in FRONT[side] if stripped == f or stripped.startswith(f + " ")), None
        )
        if front and not seen_chapter:
            current = front
            out[current] = [stripped[len(front) :]]
            continue
        if seen_chapter and COLOPHON.match(stripped):
            current = None
            continue
        if current is not None:
            out[current].append(line)
    return out


def recommendations(side: str) -> dict[int, list[str]]:
    """Recommendations per chapter, by the conventions in README.md."""
    out: dict[int, list[str]] = {}
    for key, lines in regions(side).items():
        if not isinstance(key, int):
            continue
        recs: list[str] = []
        inside = False
        for line in lines:
            s = line.strip()
            if REC_HEADING.match(s):
                inside = True
                continue
            if not inside or not s:
                continue
            if SIGN_OFF.match(s):
                break
            m = BULLET.match(s)
            if m:
                recs.append(s[m.end() :])
            elif s.startswith("以上でみたように"):
                continue  # 2026 ch1 lead-in, not a recommendation
            elif recs and not _paragraph_style(side, key):
                recs[-1] += s  # continuation of the previous bullet
            else:
                recs.append(s)  # paragraph-style recommendations (2026 ch2)
        if recs:
            out[key] = recs
    return out


def _paragraph_style(side: str, chapter: int) -> bool:
    # A 提言 section without any bullet marker writes its recommendations as paragraphs.
    lines = regions(side)[chapter]
    start = next(i for i, ln in enumerate(lines) if REC_HEADING.match(ln.strip()))
    body = [ln.strip() for ln in lines[start + 1 :] if ln.strip()]
    body = body[: next((i for i, ln in enumerate(body) if SIGN_OFF.match(ln)), len(body))]
    return not any(BULLET.match(ln) for ln in body)


def region_key(value: object) -> object:
    return value if isinstance(value, int) else str(value)


def enclosing_sentence(text: str, pos: int, length: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos + length)
    line_end = len(text) if line_end < 0 else line_end
    start = max(text.rfind("。", line_start, pos) + 1, line_start)
    end = text.find("。", pos + length, line_end)
    end = line_end if end < 0 else end + 1
    return text[start:end]


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.region_text = {
            side: {k: "\n".join(v) for k, v in regions(side).items()} for side in EDITIONS
        }
        self.recs = {side: recommendations(side) for side in EDITIONS}

    def fail(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def quote(self, where: str, side: str, chapter: object, text: str, cues: list[str]) -> None:
        key = region_key(chapter)
        body = self.region_text[side].get(key)
        if body is None:
            self.fail(where, f"{side} edition has no region {chapter!r}")
            return
        if len(text) < MIN_QUOTE:
            self.fail(where, f"quote shorter than {MIN_QUOTE} characters: {text!r}")
        if "\n" in text:
            self.fail(where, "quote spans a line break")
        pos = body.find(text)
        if pos < 0:
            elsewhere = [k for k, v in self.region_text[side].items() if text in v]
            self.fail(
                where,
                f"{side} text not found in chapter {chapter!r} (found in {elsewhere}): {text!r}",
            )
            return
        sentence = enclosing_sentence(body, pos, len(text))
        for cue in cues:
            if cue not in sentence:
                self.fail(where, f"cue {cue!r} not in the {side} sentence {sentence!r}")

    def rec_ref(self, where: str, side: str, chapter: int, index: int, prefix: str) -> None:
        recs = self.recs[side].get(chapter, [])
        if not 1 <= index <= len(recs):
            self.fail(
                where,
                f"{side} ch{chapter} has {len(recs)} recommendations, index {index} out of range",
            )
            return
        if not recs[index - 1].startswith(prefix):
            self.fail(
                where,
                f"{side} ch{chapter} rec {index} is {recs[index - 1][:20]!r}, label: {prefix!r}",
            )
        if len(prefix) < 15:
            self.fail(where, f"prefix shorter than 15 characters: {prefix!r}")

    # -------------------------------------------------------------- files
    def alignment(self) -> Counter[str]:
        data = tomllib.loads((HERE / "alignment.toml").read_text(encoding="utf-8"))
        counts: Counter[str] = Counter()
        old_seen: list[object] = []
        new_seen: list[object] = []
        old_chapters = {k for k in self.region_text["old"] if isinstance(k, int)}
        new_chapters = {k for k in self.region_text["new"] if isinstance(k, int)}
        if (
            len(old_chapters) != data["meta"]["old_chapters"]
            or len(new_chapters) != data["meta"]["new_chapters"]
        ):
            self.fail(
                "alignment meta",
                f"chapter counts differ from the text: {len(old_chapters)}, {len(new_chapters)}",
            )
        for i, link in enumerate(data.get("link", []), 1):
            where = f"alignment link {i}"
            if not link.get("why"):
                self.fail(where, "missing why")
            old = link.get("old", []) + link.get("old_front", [])
            new = link.get("new", []) + link.get("new_front", [])
            for k in old:
                if region_key(k) not in self.region_text["old"]:
                    self.fail(where, f"no old region {k!r}")
            for k in new:
                if region_key(k) not in self.region_text["new"]:
                    self.fail(where, f"no new region {k!r}")
            expected = "merged" if len(old) > 1 else "continued"
            if link["status"] != expected:
                self.fail(where, f"status {link['status']!r} but {len(old)} old / {len(new)} new")
            for side, names in (
                ("old", link.get("authors_old", [])),
                ("new", link.get("authors_new", [])),
            ):
                regs = old if side == "old" else new
                for name in names:
                    if not any(name in self.region_text[side][region_key(k)] for k in regs):
                        self.fail(where, f"author {name} not found in the {side} region(s)")
            old_seen += old
            new_seen += new
            counts[link["status"]] += 1
        for i, d in enumerate(data.get("dropped", []), 1):
            if not d.get("why"):
                self.fail(f"alignment dropped {i}", "missing why")
            old_seen.append(d["old"])
            counts["dropped"] += 1
        all_old = set(self.region_text["old"])
        all_new = set(self.region_text["new"])
        if sorted(map(str, old_seen)) != sorted(map(str, all_old)):
            self.fail(
                "alignment", f"old regions not covered exactly once: {sorted(map(str, old_seen))}"
            )
        if sorted(map(str, new_seen)) != sorted(map(str, all_new)):
            self.fail(
                "alignment", f"new regions not covered exactly once: {sorted(map(str, new_seen))}"
            )
        return counts

    def recommendations_file(self) -> Counter[str]:
        data = tomllib.loads((HERE / "recommendations.toml").read_text(encoding="utf-8"))
        counts: Counter[str] = Counter()
        old_labelled: Counter[tuple[int, int]] = Counter()
        new_accounted: Counter[tuple[int, int]] = Counter()
        for i, r in enumerate(data["rec"], 1):
            old_ref = f"{r.get('old_chapter')}/{r.get('old_index')}"
            new_ref = f"{r.get('new_chapter')}/{r.get('new_index')}"
            where = f"rec {i} ({r.get('status')} old={old_ref} new={new_ref})"
            status = r.get("status")
            if status not in STATUSES:
                self.fail(where, f"bad status {status!r}")
                continue
            if r.get("confidence", "high") not in CONFIDENCE:
                self.fail(where, "bad confidence")
            if not r.get("why"):
                self.fail(where, "missing why")
            has_old = "old_chapter" in r
            has_new = "new_chapter" in r
            if (status == "new") == has_old or (status == "dropped") == has_new:
                self.fail(where, "old/new sides do not fit the status")
            if has_old:
                self.rec_ref(where, "old", r["old_chapter"], r["old_index"], r["old_prefix"])
                old_labelled[(r["old_chapter"], r["old_index"])] += 1
            if has_new:
                self.rec_ref(where, "new", r["new_chapter"], r["new_index"], r["new_prefix"])
                new_accounted[(r["new_chapter"], r["new_index"])] += 1
            if "cand_chapter" in r:
                cand_side = "new" if status == "dropped" else "old"
                self.rec_ref(
                    where + " candidate",
                    cand_side,
                    r["cand_chapter"],
                    r["cand_index"],
                    r["cand_prefix"],
                )
            if "alt_new_chapter" in r:
                self.rec_ref(
                    where + " alternative",
                    "new",
                    r["alt_new_chapter"],
                    r["alt_new_index"],
                    r["alt_new_prefix"],
                )
            if r.get("alt_status") not in (None, *STATUSES):
                self.fail(where, "bad alt_status")
            if status in ("modified", "kept", "moved"):
                moved = not self._aligned(r["old_chapter"], r["new_chapter"])
                if moved != (status == "moved"):
                    self.fail(
                        where,
                        f"status {status} but chapters {'are not' if moved else 'are'} aligned",
                    )
            counts[status] += 1
            counts[f"{status}/{r.get('confidence', 'high')}"] += 1
        for side, seen in (("old", old_labelled), ("new", new_accounted)):
            for ch, recs in self.recs[side].items():
                for idx in range(1, len(recs) + 1):
                    if seen[(ch, idx)] == 0:
                        self.fail("recommendations", f"{side} ch{ch} rec {idx} is not labelled")
        for key, n in old_labelled.items():
            if n > 1:
                self.fail("recommendations", f"old rec {key} labelled {n} times")
        counts["old_total"] = sum(len(v) for v in self.recs["old"].values())
        counts["new_total"] = sum(len(v) for v in self.recs["new"].values())
        return counts

    def _aligned(self, old: int, new: int) -> bool:
        data = tomllib.loads((HERE / "alignment.toml").read_text(encoding="utf-8"))
        return any(
            old in link.get("old", []) and new in link.get("new", []) for link in data["link"]
        )

    def judgements(self, extra: list[Path] | None = None) -> Counter[str]:
        files = [*sorted(HERE.glob("judgements*.toml")), *(extra or [])]
        counts: Counter[str] = Counter()
        used: dict[tuple[str, str], str] = {}
        forecast_used: set[str] = set()
        for path in files:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            for section, sides in (
                ("pair", ("old", "new")),
                ("dropped", ("old",)),
                ("new", ("new",)),
            ):
                for i, item in enumerate(data.get(section, []), 1):
                    cls = item.get("class", section)
                    where = f"{path.name} judgement {section} {i} ({cls})"
                    if section == "pair" and cls not in CLASSES:
                        self.fail(where, f"bad class {cls!r}")
                    self._common(where, item)
                    for side in sides:
                        text = item[f"{side}_text"]
                        self.quote(
                            where, side, item[f"{side}_chapter"], text, item.get(f"{side}_cues", [])
                        )
                        key = (side, text)
                        if key in used:
                            self.fail(where, f"{side} quote reused (first in {used[key]})")
                        used[key] = where
                    counts[cls] += 1
            # A forecast of 2025 and what 2026 says became of it. Its quotes may also stand in a
            # pair above (a forecast is often one side of a labelled pair).
            for i, item in enumerate(data.get("forecast", []), 1):
                outcome = item.get("outcome")
                where = f"{path.name} forecast {i} ({outcome})"
                if outcome not in OUTCOMES:
                    self.fail(where, f"bad outcome {outcome!r}")
                self._common(where, item)
                self.quote(where, "old", item["old_chapter"], item["old_text"], item["old_cues"])
                if not item["old_cues"]:
                    self.fail(where, "a forecast needs the words that make it one (old_cues)")
                if outcome == "not_mentioned":
                    if "new_text" in item:
                        self.fail(where, "not_mentioned takes no new_text")
                else:
                    self.quote(where, "new", item["new_chapter"], item["new_text"], [])
                if item["old_text"] in forecast_used:
                    self.fail(where, "forecast labelled twice")
                forecast_used.add(item["old_text"])
                counts[f"forecast_{outcome}"] += 1
        return counts

    def _common(self, where: str, item: dict[str, Any]) -> None:
        if item.get("confidence", "high") not in CONFIDENCE:
            self.fail(where, "bad confidence")
        if not item.get("why"):
            self.fail(where, "missing why")

    def themes(self) -> Counter[str]:
        data = tomllib.loads((HERE / "themes.toml").read_text(encoding="utf-8"))
        counts: Counter[str] = Counter()
        texts = {side: read(side) for side in EDITIONS}
        for kind in ("new", "dropped", "rising", "fading", "same_term"):
            for i, t in enumerate(data.get(kind, []), 1):
                where = f"theme {kind} {i} ({t['term']})"
                if not t.get("why"):
                    self.fail(where, "missing why")
                for side in EDITIONS:
                    n = count_term(texts[side], t)
                    if n != t[f"{side}_count"]:
                        self.fail(where, f"{side}_count {t[f'{side}_count']} but measured {n}")
                    label = f"{side}_chapters"
                    if label in t:
                        found = sorted(
                            (str(k) for k, v in self.region_text[side].items() if count_term(v, t)),
                        )
                        if sorted(map(str, t[label])) != found:
                            self.fail(where, f"{label} {t[label]} but found in {found}")
                oc, nc = t["old_count"], t["new_count"]
                if kind == "new" and oc != 0:
                    self.fail(where, "new theme occurs in 2025")
                if kind == "dropped" and nc != 0:
                    self.fail(where, "dropped theme occurs in 2026")
                if kind == "rising" and not nc / SIZE_RATIO > 2 * max(oc, 0.5):
                    self.fail(where, "not rising by 2x after size adjustment")
                if kind == "fading" and not oc * SIZE_RATIO > 2 * max(nc, 0.5):
                    self.fail(where, "not fading by 2x after size adjustment")
                counts[kind] += 1
        return counts


def count_term(text: str, entry: dict[str, Any]) -> int:
    if "pattern" in entry:
        return len(re.findall(entry["pattern"], text))
    return sum(text.count(s) for s in [entry["term"], *entry.get("variants", [])])


SIZE_RATIO = len(EDITIONS["new"].read_text(encoding="utf-8")) / len(
    EDITIONS["old"].read_text(encoding="utf-8")
)


def measure(terms: list[str]) -> None:
    c = Checker()
    for term in terms:
        entry = {"pattern": term[3:]} if term.startswith("re:") else {"term": term}
        for side in EDITIONS:
            per = {k: count_term(v, entry) for k, v in c.region_text[side].items()}
            per = {k: v for k, v in per.items() if v}
            print(f"{term}\t{side}\t{count_term(read(side), entry)}\t{per}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--measure"]:
        measure(argv[1:])
        return 0
    extra = [Path(a) for a in argv[1:]] if argv[:1] == ["--judgements"] else []
    c = Checker()
    report = {
        "alignment": c.alignment(),
        "recommendations": c.recommendations_file(),
        "judgements": c.judgements(extra),
        "themes": c.themes(),
    }
    for name, counts in report.items():
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if c.errors:
        print(f"\n{len(c.errors)} problem(s):", file=sys.stderr)
        for e in c.errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("all labels check out")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
