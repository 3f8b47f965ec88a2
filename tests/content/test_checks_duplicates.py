"""SimHash near-duplicates (policy C14)."""

from __future__ import annotations

import pytest

from cms.content.checks import article_simhash, hamming, simhash
from cms.content.checks.duplicates import near_duplicates, normalise_for_simhash

# A real article is hundreds of characters: SimHash's 3-bit threshold is meant for that length.
BASE = (
    "公司于2024年3月15日在总部召开年度总结表彰大会。会议由总经理主持，各部门负责人依次汇报了全年工作完成情况，"
    "并就明年的重点工作进行了深入讨论。会上，公司对在安全生产、质量管理、客户服务和市场开拓等方面表现突出的集体和个人"
    "进行了表彰。总经理在讲话中指出，过去一年公司克服了原材料价格上涨、市场竞争加剧等困难，主要经营指标稳中有进，"
    "新产品销售收入同比增长两成以上，安全生产实现全年零事故。新的一年，全体员工要坚定信心、真抓实干，聚焦主业、"
    "深化改革，加快数字化转型，推动公司高质量发展再上新台阶。"
    "会议要求，各部门要在一季度末前完成年度目标分解，层层压实责任，确保各项任务落到实处。生产部门要围绕降本增效，"
    "持续推进精益生产，优化工艺流程，提高设备综合效率；质量部门要严把原材料入厂检验关，完善质量追溯体系，"
    "坚决杜绝批量质量事故；销售部门要巩固老客户、开拓新市场，重点做好华东和西南区域的渠道建设；"
    "人力资源部门要加快年轻干部培养，完善绩效考核办法，让想干事、能干事、干成事的员工有舞台、有回报。"
    "财务部门要加强资金管理和预算控制，严格执行费用审批制度，防范经营风险。"
    "会议强调，安全生产是企业发展的生命线。各单位要牢固树立安全发展理念，深入开展隐患排查治理，"
    "加强危险作业现场管理，做好汛期、高温等特殊时段的安全防范，坚决防止各类事故发生。"
    "同时，要关心关爱一线员工，改善食堂、宿舍等生活条件，积极开展文体活动，增强员工的获得感和归属感。"
    "会议最后，与会人员观看了公司年度宣传片，并集体合影留念。大家纷纷表示，将以此次大会为新的起点，"
    "立足岗位、担当作为，为完成全年目标任务贡献自己的力量。"
)
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
