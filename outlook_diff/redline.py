"""Where two texts differ: runs of kept, deleted and inserted pieces.

Takes two sequences (characters of two texts, or their tokens) and returns the runs that turn
one into the other. Equal runs shorter than 3 items between two edits are folded into the
edits, so a rewritten Japanese sentence reads as phrases replaced, not as confetti of single
kana. The recommendation stage writes JSON's `[-…-]{+…+}` redline from these runs, the
renderers their spans; nobody parses a redline back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Piece = tuple[Literal["kept", "deleted", "inserted"], str]
Run = tuple[bool, int, int, int, int]  # (is_edit, old_start, old_end, new_start, new_end)


def edit_runs(old: Sequence[str], new: Sequence[str]) -> list[Run]:
    """The runs from `old` to `new`, short equal bridges between edits folded into them."""
    from rapidfuzz.distance import Indel

    runs: list[Run] = []
    ops = Indel.opcodes(old, new)
    for i, op in enumerate(ops):
        bridge = op.tag == "equal" and op.src_end - op.src_start < 3 and 0 < i < len(ops) - 1
        edit = op.tag != "equal" or bridge
        if runs and runs[-1][0] and edit:
            runs[-1] = (True, runs[-1][1], op.src_end, runs[-1][3], op.dest_end)
        else:
            runs.append((edit, op.src_start, op.src_end, op.dest_start, op.dest_end))
    return runs


def pieces(old: str, new: str) -> list[Piece]:
    """The character redline of two texts as (kind, text) pieces, in reading order."""
    out: list[Piece] = []
    for edit, a0, a1, b0, b1 in edit_runs(old, new):
        if not edit:
            out.append(("kept", old[a0:a1]))
            continue
        if a1 > a0:
            out.append(("deleted", old[a0:a1]))
        if b1 > b0:
            out.append(("inserted", new[b0:b1]))
    return out
