"""The company rules of /work/shared/POLICIES.md in Chinese, one line per ID, so that pages show a
rule in words with its ID as a small reference (`policy_ref("C8")` in templates: <abbr title=...>).
tests/test_policy_texts.py checks every ID of the catalogue has its text here."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

POLICY_TEXTS: dict[str, str] = {
    # C — 公众号、头条号、网站内容
    "C1": "每个渠道有类型（品牌宣传、销售推广、员工工具、其他）和受众（员工、合作伙伴、公众）",
    "C2": "每个渠道有级别：集团、子公司、员工互动、部门",
    "C3": "每篇稿件有类别：新闻；内部员工活动；对外销售推广；员工工具与知识；文章推荐及其他消息（含转载、摘编）",
    "C4": "稿件须按其渠道和类别完成审核流程后才能发布",
    "C5": "未公开的涉及公司核心利益的制度，未经许可不得采集、审核或发布：标记“保密”的稿件不能终审通过，也不能发布，须由平台主管领导解除",
    "C6": "各部门指定供稿员（信息员），对稿件的真实、准确、及时负责；供稿员变更时告知办公室",
    "C7": "审核流程：供稿员撰稿 → 部门负责人审核签字 → 分管领导复核 → 办公室编辑 → 校对 → 平台主管领导审批并决定是否群发、是否上报 → 重要稿件由党政一把手审批 → 账号管理员发布；其他公司流程较短",
    "C8": "稿件审核通过后当天发布；计划发布日更晚的，在计划发布日发布",
    "C9": "每篇稿件注明来源；转载注明原始出处；来源不明的不发布",
    "C10": "格式统一：同一渠道标题和正文的字体、字号、颜色基本一致（不一致时提醒，不阻止）；文字简洁；图片清晰",
    "C11": "每篇稿件附信息发布申请表，随稿件存档",
    "C12": "提前申请：常规信息约提前一周提出发布需求（天数可设置，默认 7 天）；重要且紧急的信息至少提前一个工作日。提前量不足时提醒，审核人可见其理由",
    "C13": "所有已发布内容连同审批记录存档备查",
    "C14": "尊重版权：未经许可不得使用他人作品；发布者对纠纷负责",
    "C15": "禁止内容：违法、淫秽、赌博、暴力、恐怖、谣言、政治错误、迷信、诽谤、公司秘密、客户资料、个人隐私、与公司业务无关的广告",
    "C16": "及时回复粉丝留言，回复不得泄露机密信息",
    "C17": "渠道账号密码由指定管理员保管并定期更换；其他人经授权方可使用，用后退出",
    "C18": "平台主管领导按重要程度和本月群发次数，逐篇决定群发给粉丝还是仅发布",
    # U — 人员与账号
    "U1": "账号仅限员工使用，绑定真实姓名、部门和职务；不得出借或转让",
    "U2": "密码保密并定期更换",
    "U3": "密码泄露或丢失须立即报告，账号当即锁定或重置",
    "U4": "员工离职即取消其权限，并由管理员确认",
    "U5": "显示名称和头像符合公司规范（实名）",
    "U6": "由管理小组（组长：行政负责人；成员：各部门负责人、IT 负责人、管理员）负责系统运行",
    "U7": "所有操作留存为证据，公司可随时检查",
    "U8": "违规行为记录在案并予以处理：警告、书面警告、罚款、扣发奖金、降职、停职、停用企业微信账号、辞退",
    # G — 工作群
    "G1": "工作群分类：公司级、部门级、专项、临时等",
    "G2": "建群须报经公司分管领导同意，并填写工作微信群备案表（群名、群主、用途、类别）报公司综合办备案",
    "G3": "每个群有一名群主（管理员）：设定群名、核实入群、增删成员、定期检查成员、监督内容",
    "G4": "实名入群，群昵称统一格式：公司级“姓名-部门”，部门或专项群“姓名-岗位”（另有“姓名-部门-电话”）",
    "G5": "新员工入职满 3 个工作日后方可邀请入群",
    "G6": "成员离职或调岗后 48 小时内移出群",
    "G7": "临时群在工作结束后 5 天内解散（延期须说明理由），解散前在群内通知原因、时间和操作人",
    "G8": "各类群的成员范围（如总裁群：董事长、总裁、副总裁）",
    "G9": "员工只加入工作需要的群",
    "G10": "群内违禁内容和泄密行为须记录、处理并上报",
    "G11": "领导在群内布置的当天任务，责任人须在 30 分钟内回复（否则建议罚款 100 元）；推诿拖延每次 50 元；通知须回复“收到”，不罚款",
    "G12": "对群成员和群主进行考核（活跃度、违规处理情况）",
    # P — 微信支付
    "P1": "每个微信支付账户由指定专人管理",
    "P2": "开立、变更或注销账户须经财务审批",
    "P3": "支付流程：员工填写微信支付申请表 → 财务审核并为申请人开通 → 申请人交易 → 财务对账 → 财务归档",
    "P4": "支付须在预算和付款计划内、在工作时间内，且出于业务需要",
    "P5": "每日限额 5000 元；重大业务活动经公司领导批准，或紧急情况下可提高，系统记录领导的批准及事由",
    "P6": "妥善保管密码；发现异常立即报告财务；财务定期检查账户",
    "P7": "定期监督和考核制度执行情况",
}

_ID = re.compile(r"\b([CUGP]\d{1,2})\b")


def policy_text(policy_id: str) -> str:
    return POLICY_TEXTS.get(str(policy_id).strip().upper(), "")


def policy_ref(policy_id: str) -> Markup:
    """The rule's ID as a small reference whose hover (title) gives the rule's text: <abbr>."""
    pid = str(policy_id).strip().upper()
    text = policy_text(pid)
    if not text:
        return Markup('<span class="policy-ref">%s</span>') % pid
    return Markup('<abbr class="policy-ref" title="%s">%s</abbr>') % (f"{pid}：{text}", pid)


def policy_refs(text) -> Markup:
    """`text` (escaped) with every policy ID in it (C8, U2 ...) shown as policy_ref: a filter for
    labels and messages that name rules by ID."""
    if text is None:
        return Markup("")
    escaped = str(escape(text))
    return Markup(_ID.sub(lambda m: str(policy_ref(m.group(1))) if m.group(1) in POLICY_TEXTS else m.group(0),
                          escaped))
