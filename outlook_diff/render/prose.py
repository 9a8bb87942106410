"""Line breaks for Japanese text in a fixed-width cell: between phrases, never against kinsoku.

Takes a line of text and a width in terminal cells; returns the offsets where the line is
broken. Breaks fall between phrases (budoux's Japanese model), at spaces, or, when a phrase is
wider than the cell, between characters; a line never starts with a closing mark (、。」ー…)
nor ends with an opening one (「（…), by the rules in data/typesetting.toml. Standard library,
budoux and rich's cell widths only.
"""

from __future__ import annotations

from functools import cache

from outlook_diff.datafiles import load_table


@cache
def _rules() -> tuple[frozenset[str], frozenset[str]]:
    table = load_table("typesetting.toml")
    return frozenset(table["no_start"]), frozenset(table["no_end"])


@cache
def _parser() -> object:
    import budoux

    return budoux.load_default_japanese_parser()


@cache
def phrase_ends(text: str) -> frozenset[int]:
    """Offsets in `text` between two phrases (and after each run of spaces)."""
    ends: set[int] = set()
    at = 0
    for phrase in _parser().parse(text):  # type: ignore[attr-defined]
        at += len(phrase)
        ends.add(at)
    ends.update(i + 1 for i, ch in enumerate(text) if ch == " ")
    ends.discard(len(text))
    # budoux's model now and then ends a phrase inside a number (…、202 / 5年10月の): not there.
    return frozenset(i for i in ends if 0 < i < len(text) and not _in_word(text, i))


def allowed(text: str, offset: int) -> bool:
    """Whether a line may break before `text[offset]` by the kinsoku rules (spaces at a break
    are dropped, so the next line starts with what follows them)."""
    no_start, no_end = _rules()
    if offset <= 0 or offset >= len(text):
        return False
    after = offset
    while after < len(text) and text[after] == " ":
        after += 1
    return (after == len(text) or text[after] not in no_start) and text[offset - 1] not in no_end


def break_offsets(text: str, width: int) -> list[int]:
    """Where to break `text` so that no line is wider than `width` cells (when possible)."""
    from rich.cells import cell_len

    if width <= 0 or cell_len(text) <= width:
        return []
    ends = phrase_ends(text)
    offsets: list[int] = []
    start = 0
    while cell_len(text[start:]) > width:
        # The longest line that fits, from `start`.
        used, end = 0, start
        while end < len(text) and used + cell_len(text[end]) <= width:
            used += cell_len(text[end])
            end += 1
        if end <= start:  # one character wider than the cell: it gets a line of its own
            end = start + 1
        best = next((i for i in range(end, start, -1) if i in ends and allowed(text, i)), None)
        if best is None:  # a phrase wider than the cell: break inside it, not inside a word
            best = next(
                (i for i in range(end, start, -1) if allowed(text, i) and not _in_word(text, i)),
                None,
            )
        if best is None:
            best = next((i for i in range(end, start, -1) if allowed(text, i)), end)
        offsets.append(best)
        start = best
        while start < len(text) and text[start] == " ":  # a break eats the spaces at it
            start += 1
        if start == len(text):  # only spaces were left: they end the last line
            offsets.pop()
        elif start != best:
            offsets[-1] = start
    return offsets


def _in_word(text: str, offset: int) -> bool:
    """Whether `offset` falls inside a Latin word or a number (2025, NATO, 3.5%)."""
    before, after = text[offset - 1], text[offset]
    return before.isascii() and after.isascii() and before.isalnum() and after.isalnum()
