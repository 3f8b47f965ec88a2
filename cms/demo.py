"""The demo company: departments and one user per role, named after the role, placed so that
the review chain works (policy C7). Idempotent: running it twice changes nothing."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cms.auth import service
from cms.auth.models import Department, User
from cms.extensions import db

DEMO_PASSWORD = "Demo-Pass-2026"

# (name, kind, parent name, flags)
UNITS = [
    ("星海集团", "group", None, {}),
    ("星海科技有限公司", "subsidiary", "星海集团", {}),
    ("办公室", "department", "星海科技有限公司", {"is_office": True}),
    ("市场部", "department", "星海科技有限公司", {}),
    ("行政管理部", "department", "星海科技有限公司", {"is_admin_office": True}),
    ("财务部", "department", "星海科技有限公司", {}),
    ("信息技术部", "department", "星海科技有限公司", {}),
]

# (username = role, real name, department, title, roles as "role" or "role@department")
PEOPLE = [
    ("contributor", "张晓雯", "市场部", "市场专员", ["contributor"]),
    ("department_head", "李建国", "市场部", "市场部经理", ["department_head", "contributor"]),
    ("leader", "王志强", "星海科技有限公司", "副总经理", ["leader@市场部", "leader@信息技术部", "leader@财务部"]),
    ("editor", "陈思远", "办公室", "编辑", ["editor"]),
    ("proofreader", "刘雅琴", "办公室", "校对", ["proofreader"]),
    ("supervisor", "赵明", "办公室", "办公室主任（平台主管领导）", ["supervisor"]),
    ("chief", "周国华", "星海科技有限公司", "总经理", ["chief"]),
    ("account_admin", "吴婷", "办公室", "新媒体运营", ["account_admin"]),
    ("moderator", "郑浩", "办公室", "留言管理员", ["moderator"]),
    ("group_admin", "孙丽", "行政管理部", "综合办主任", ["group_admin"]),
    ("finance", "钱伟", "财务部", "会计", ["finance"]),
    ("payment_custodian", "冯静", "财务部", "出纳", ["payment_custodian"]),
    ("auditor", "何平", "信息技术部", "审计专员", ["auditor"]),
    ("sysadmin", "马骏", "信息技术部", "系统管理员", ["sysadmin"]),
]


# (name, platform, type, audience, level, account kind): C1 C2
CHANNELS = [
    ("星海集团", "wechat", "brand", "public", "group", "service"),
    ("星海科技", "wechat", "sales", "public", "subsidiary", "subscription"),
    ("星海头条号", "toutiao", "brand", "public", "group", "service"),
    ("星海官网", "website", "brand", "public", "group", "service"),
]
# Sandbox credentials (the sandbox's own secret, cms.sandbox.SANDBOX_SECRET): with CMS_SANDBOX on,
# `make run` mounts the sandbox and these accounts answer there (channels.service
# register_sandbox_accounts gives each its kind, and the WeChat ones their server configuration:
# callbacks in safe mode to CMS_PUBLIC_BASE_URL/wechat/callback/<id>). Website channels have a feed
# name instead. Demo values only: a real account's token and EncodingAESKey come from its MP console.
DEMO_CREDENTIALS = {
    "星海集团": {"app_id": "wxdemo000000group", "callback_token": "xinghaiGroupDemo2026",
                 "encoding_aes_key": "XingHaiGroupDemoEncodingAESKey2026abcdefghi"},
    "星海科技": {"app_id": "wxdemo00000subsid", "callback_token": "xinghaiTechDemo2026",
                 "encoding_aes_key": "XingHaiTechDemoEncodingAESKey2026abcdefghij"},
    "星海头条号": {"app_id": "tt_demo_xinghai"},
    "星海官网": {"slug": "xinghai"},
}
DEMO_CHANNEL_MANAGER = "account_admin"


def load_channels_and_words() -> None:
    from cms.channels import service as channels
    from cms.channels.models import Channel
    from cms.content import checks
    from cms.content.models import ForbiddenWord
    from cms.content.service import set_word_lists
    from cms.sandbox.state import SANDBOX_SECRET

    manager_id = db.session.scalar(select(User.id).where(User.username == DEMO_CHANNEL_MANAGER))
    for name, platform, kind, audience, level, account_kind in CHANNELS:
        extra = DEMO_CREDENTIALS[name]
        values = {"name": name, "platform": platform, "channel_type": kind, "audience": audience, "level": level,
                  "account_kind": account_kind, "manager_id": manager_id or "", **extra}
        if platform != "website":
            values["app_secret"] = SANDBOX_SECRET
        channel = db.session.scalar(select(Channel).where(Channel.name == name))
        if channel is None:
            channels.create_channel(values)
        elif platform != "website" and not channel.app_id:  # made before channels had credentials
            channels.update_channel(channel, {k: values[k] for k in ("app_id", "app_secret", "manager_id",
                                                                     "callback_token", "encoding_aes_key")
                                              if k in values})
        elif platform == "wechat" and not channel.has_callback_token:  # made before callbacks
            channels.update_channel(channel, {k: extra[k] for k in ("callback_token", "encoding_aes_key")})
        elif platform == "website" and not channel.slug:
            channels.update_channel(channel, {"slug": extra["slug"]})
    db.session.commit()
    if not db.session.scalar(select(ForbiddenWord.id).limit(1)):
        set_word_lists(checks.load_seed_terms())


def load() -> list[tuple[str, str]]:
    """Create what is missing; return the demo logins (username, password)."""
    units: dict[str, Department] = {}
    for name, kind, parent, flags in UNITS:
        parent_id = units[parent].id if parent else None
        dep = db.session.scalar(select(Department).where(Department.name == name, Department.parent_id == parent_id))
        if dep is None:
            dep = service.create_department(name, parent_id, kind, **flags)
        units[name] = dep
    for username, real_name, dep_name, title, roles in PEOPLE:
        if db.session.scalar(select(User.id).where(User.username == username)):
            continue
        dep = units[dep_name]
        parsed = []
        for r in roles:
            role, _sep, scope_dep = r.partition("@")
            parsed.append((role, "department", units[scope_dep].id) if scope_dep
                          else service.parse_role(role, dep.id))
        service.create_user(username=username, real_name=real_name, department_id=dep.id, title=title,
                            phone="", hire_date=date(2020, 3, 1), roles=parsed, password=DEMO_PASSWORD,
                            must_change=False)
    load_channels_and_words()
    load_chains()
    load_groups()
    load_payments()
    return [(p[0], DEMO_PASSWORD) for p in PEOPLE]


# WeChat Pay (seed §9): one merchant account held by the demo cashier (P1), with its budget lines
# (P4). The API key is the sandbox's (cms.platforms.pay.SANDBOX_PAY_KEY); a real one comes from the merchant platform.
DEMO_PAY_ACCOUNT = {"name": "星海科技微信支付", "mch_id": "1900000109", "app_id": "wxdemo00000subsid",
                    "custodian": "payment_custodian", "department": "财务部"}
DEMO_BUDGET_LINES = [("日常采购", 2_000_000), ("市场活动", 5_000_000)]  # per year, in fen


def load_payments() -> None:
    from cms.channels.models import encrypt
    from cms.payments.models import BudgetLine, PayAccount
    from cms.platforms.pay import SANDBOX_PAY_KEY

    spec = DEMO_PAY_ACCOUNT
    account = db.session.scalar(select(PayAccount).where(PayAccount.name == spec["name"]))
    if account is None:
        custodian = db.session.scalar(select(User).where(User.username == spec["custodian"]))
        department = db.session.scalar(select(Department).where(Department.name == spec["department"]))
        account = PayAccount(name=spec["name"], mch_id=spec["mch_id"], app_id=spec["app_id"],
                             custodian_id=custodian.id if custodian else None,
                             department_id=department.id if department else None,
                             api_key_enc=encrypt(SANDBOX_PAY_KEY))
        db.session.add(account)
        db.session.flush()
    for year in (2026, 2027):
        for name, amount in DEMO_BUDGET_LINES:
            if not db.session.scalar(select(BudgetLine.id).where(BudgetLine.account_id == account.id,
                                                                 BudgetLine.year == year, BudgetLine.name == name)):
                db.session.add(BudgetLine(account_id=account.id, year=year, name=name, amount_fen=amount))
    db.session.commit()


def load_chains() -> None:
    """The three chains of the seeds (C7); promotions on the sales account follow §14's."""
    from cms.channels.models import Channel
    from cms.workflow import templates as workflow_templates
    from cms.workflow.models import WorkflowRule, WorkflowTemplate

    workflow_templates.ensure_templates()
    sales = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    marketing = db.session.scalar(select(WorkflowTemplate).where(WorkflowTemplate.key == "marketing"))
    if sales and not db.session.scalar(select(WorkflowRule.id).where(WorkflowRule.channel_id == sales.id)):
        db.session.add(WorkflowRule(channel_id=sales.id, category="promotion", template_id=marketing.id))
        db.session.commit()


# Work groups (G1-G12): (name, category, department, owner, filed by, state, members as (username,
# nickname as entered), days from today to the expected end of a temporary group)
GROUPS = [
    ("市场部工作群", "department", "市场部", "department_head", "department_head", "active",
     [("department_head", "李建国-市场部经理"), ("leader", "王志强")], None),
    ("财务报销通知群", "company", "财务部", "finance", "group_admin", "active",
     [("finance", "钱伟-财务部"), ("payment_custodian", "冯静-财务部"), ("chief", "周国华")], None),
    ("年终团建临时联络群", "temporary", "市场部", "department_head", "department_head", "filed", [], 20),
]


def load_groups() -> None:
    """A few filed groups, so `make run` shows the registry: two active (one nickname off, G4), one
    temporary filing waiting for the leader's approval (G2)."""
    from datetime import timedelta

    from cms import workdays
    from cms.groups import operations
    from cms.groups.models import WorkGroup

    def person(name):
        return db.session.scalar(select(User).where(User.username == name))

    for name, category, dep_name, owner, filer, state, members, days in GROUPS:
        if db.session.scalar(select(WorkGroup.id).where(WorkGroup.name == name)):
            continue
        dep = db.session.scalar(select(Department).where(Department.name == dep_name))
        group = operations.file_group(person(filer), {
            "name": name, "category": category, "purpose": f"{dep_name}工作联络", "department": dep.id,
            "owner": owner, "ends_on": workdays.today() + timedelta(days=days) if days else None})
        if state == "active":
            operations.approve(person("leader"), group)  # the leader in charge of 市场部 and 财务部 (G2)
            operations.record(person("group_admin"), group)
            for username, nickname in members:
                operations.add_member(person(owner), group, username=username, nickname=nickname)

