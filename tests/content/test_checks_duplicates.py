"""SimHash near-duplicates (policy C14)."""

from __future__ import annotations

import pytest

from cms.content.checks import article_simhash, hamming, simhash
from cms.content.checks.duplicates import near_duplicates, normalise_for_simhash
from tests.content.texts import ANNUAL_MEETING

# A real article is hundreds of characters: SimHash's 3-bit threshold is meant for that length.
BASE = ANNUAL_MEETING
OTHER = (
    "为丰富员工业余生活，工会于本周六组织了春季登山健步走活动。两百余名员工及家属参加，大家沿着山间步道拾级而上，"
    "一路欢声笑语。活动结束后，工会为完成全程的参与者颁发了纪念品。不少员工表示，这样的活动既锻炼了身体，"
    "又增进了同事之间的交流，希望以后多多举办。工会负责人介绍，今年还将陆续开展读书分享、羽毛球比赛和亲子运动会等活动。"
)


def test_stored_values_never_change():
    # Archived posts keep their SimHash: a new Python or machine must compute the same numbers.
    assert simhash("公司召开年度总结大会") == 14141747284182993890
    assert simhash("WeChat 发布") == 72778903202336004
    assert simhash("") == 0


def test_value_is_64_bits():
    assert 0 < simhash(BASE) < 2**64


def test_small_edit_is_a_near_duplicate():
    edited = BASE.replace("深入讨论", "认真讨论")
    assert hamming(simhash(BASE), simhash(edited)) <= 3


def test_different_texts_are_far_apart():
    assert hamming(simhash(BASE), simhash(OTHER)) > 10


@pytest.mark.parametrize(
    "variant",
    [BASE.replace("，", ","), BASE.replace("。", "。\n\n"), BASE.replace("2024", "２０２４"), " ".join(BASE)],
)
def test_punctuation_spacing_and_width_do_not_matter(variant):
    assert simhash(variant) == simhash(BASE)


def test_case_does_not_matter():
    assert normalise_for_simhash("使用 WeChat，发布！") == normalise_for_simhash("使用wechat发布")


def test_article_simhash_reads_the_visible_text():
    html = '<section style="color:#333333"><p>' + BASE[:100] + "</p><p>" + BASE[100:] + "</p></section>"
    assert article_simhash(html) == simhash(BASE)


def test_near_duplicates_sorted_by_distance():
    value = simhash(BASE)
    archive = [(1, value ^ 0b111), (2, value), (3, value ^ 0b1111), (4, simhash(OTHER))]
    assert near_duplicates(value, archive) == [(2, 0), (1, 3)]
    assert near_duplicates(value, archive, max_distance=4) == [(2, 0), (1, 3), (3, 4)]
