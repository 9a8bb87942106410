"""What a modified recommendation changed: key terms added and removed, the firmness of the ask."""

from __future__ import annotations

from outlook_diff.recommendations import ask, changes
from outlook_diff.report import RecommendationChange


def test_the_ask_has_levels_from_data() -> None:
    assert ask("日本は同盟を強化すべきである。") == (3, "べきである")
    assert ask("日本は同盟を強化する必要がある。")[0] == 2
    assert ask("日本は同盟の強化を検討する余地がある")[0] == 1
    assert ask("同盟が強化された。") == (0, None)  # a past statement asks nothing


def test_changes_name_the_terms_and_the_direction_of_the_ask() -> None:
    old = "日本はIPEFを通じてインド太平洋の経済連携を検討してはどうか。"
    new = "日本はCPTPPを通じてインド太平洋の経済連携を強化すべきである。"
    change = changes(old, new, {"CPTPP": 3.0, "IPEF": 3.0})
    assert "CPTPP" in change.added and "IPEF" in change.removed
    assert "インド太平洋" not in change.added + change.removed  # in both
    assert (change.old_ask, change.new_ask, change.ask) == ("検討", "べきである", "stronger")
    assert change.summary.startswith("adds CPTPP")
    assert "the ask is firmer (検討 → べきである)" in change.summary


def test_a_longer_term_speaks_for_the_shorter_one_inside_it() -> None:
    change = changes("首脳の会談を重ねる。", "ハイレベル外交を重ねる。", {})
    assert "ハイレベル外交" in change.added
    assert "ハイレベル" not in change.added


def test_nothing_but_rewording_says_so() -> None:
    same = RecommendationChange((), (), "べき", "べき", "same")
    assert same.summary == "the same key terms and the same ask, reworded"
    assert same.to_dict()["summary"] == same.summary
