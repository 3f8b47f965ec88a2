"""The forbidden-word list (policy C15): Aho-Corasick, leftmost-longest, normalised matching."""

from __future__ import annotations

import random

import pytest

from cms.content.checks import WordList, load_seed_terms
from cms.content.checks.words import CATEGORY_LABELS, category_label


def test_finds_cjk_terms_with_their_category_and_offset():
    words = WordList({"gambling": ["赌博"], "advertising": ["刷单"]})
    assert words.find("有人刷单，有人赌博。") == [("刷单", "advertising", 2), ("赌博", "gambling", 7)]


def test_adjacent_terms_are_both_found():
    words = WordList({"gambling": ["赌博"], "advertising": ["刷单"]})
    assert words.find("赌博刷单") == [("赌博", "gambling", 0), ("刷单", "advertising", 2)]


def test_overlapping_terms_leftmost_longest():
    words = WordList({"gambling": ["博彩", "博彩网站", "赌博"]})
    # nested terms: the longest one wins
    assert words.find("这是博彩网站") == [("博彩网站", "gambling", 2)]
    # a term that overlaps another from the left: the leftmost one wins, matches never overlap
    assert words.find("赌博彩票") == [("赌博", "gambling", 0)]
    # the same term over and over
    assert words.find("赌博赌博") == [("赌博", "gambling", 0), ("赌博", "gambling", 2)]


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("说明：賭博", 3),  # traditional characters
        ("说明：赌  博", 3),  # spaces between the characters
        ("说明：赌\u200b博", 3),  # a zero-width space
    ],
)
def test_normalised_matching_reports_offsets_in_the_original_text(text, offset):
    words = WordList({"gambling": ["赌博"]})
    assert words.find(text) == [("赌博", "gambling", offset)]


def test_latin_terms_ignore_case_and_full_width():
    words = WordList({"advertising": ["Free Money"]})
    assert words.find("点击ＦＲＥＥ money领取") == [("Free Money", "advertising", 2)]


def test_a_term_listed_twice_keeps_its_first_category():
    words = WordList({"rumour": ["内部消息"], "company_secret": ["内部消息", "绝密"]})
    assert len(words) == 2
    assert words.find("内部消息") == [("内部消息", "rumour", 0)]


def test_empty_list_and_empty_terms():
    assert WordList({}).find("赌博") == []
    assert WordList({"x": ["", "  "]}).find("赌博") == []
    assert WordList({"gambling": ["赌博"]}).find("") == []


def test_ten_thousand_terms():
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]
    terms = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 4))) for _ in range(10_000)}
    words = WordList({"generated": sorted(terms)})
    target = sorted(terms)[1234]
    text = "甲" * 500 + target + "乙" * 500
    assert (target, "generated", 500) in words.find(text)


def test_seed_list_loads_with_known_categories():
    seed = load_seed_terms()
    assert set(seed) <= set(CATEGORY_LABELS)
    words = WordList(seed)
    assert words.find("严禁赌博") == [("赌博", "gambling", 2)]
    assert category_label("gambling") == "赌博"
    assert category_label("自定义") == "自定义"


def test_a_term_does_not_run_across_a_paragraph_break():
    words = WordList({"gambling": ["赌博"]})
    assert words.find("第一段最后一个字是赌\n博物馆在第二段") == []
