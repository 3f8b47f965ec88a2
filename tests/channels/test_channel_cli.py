"""`flask cms channel add|list|rotate-secret`: secrets read from stdin or a hidden prompt, never printed."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from cms import workdays
from cms.channels.models import Channel
from cms.extensions import db
from tests.channels.test_channels import assert_never_audited

SECRET = "Cli-Secret-4e1d77"


def cli(app, *args, input=None):
    return CliRunner().invoke(app.cli, ["cms", "channel", *args], input=input)


def _channel(name):
    db.session.expire_all()
    return db.session.scalar(select(Channel).where(Channel.name == name))


def test_add_list_rotate_never_print_a_secret(app):
    r = cli(app, "add", "--name", "命令行服务号", "--platform", "wechat", "--appid", "wxcli000000000001",
            "--secret-stdin", "--account-kind", "subscription", "--type", "employee_tools", "--audience",
            "employees", "--level", "department", "--manager", "account_admin", "--push-quota", "1",
            input=SECRET + "\n")
    assert r.exit_code == 0, r.output
    assert "Added channel" in r.output and SECRET not in r.output
    channel = _channel("命令行服务号")
    assert channel.secret() == SECRET and channel.account_kind == "subscription" and channel.push_quota == 1
    assert channel.level == "department" and channel.manager.username == "account_admin"

    r = cli(app, "list")
    assert r.exit_code == 0 and SECRET not in r.output and "sandbox-secret" not in r.output
    line = next(x for x in r.output.splitlines() if "命令行服务号" in x)
    assert "wxcli000000000001" in line and "0 days" in line and "account_admin" in line
    assert "OVERDUE" not in r.output
    site = next(x for x in r.output.splitlines() if "星海官网" in x)
    assert "\t-\t" in site  # no secret to age

    r = cli(app, "rotate-secret", "命令行服务号", "--secret-stdin", input="Cli-Secret-rotated\n")
    assert r.exit_code == 0, r.output
    assert "rotated" in r.output and "Cli-Secret-rotated" not in r.output and SECRET not in r.output
    assert _channel("命令行服务号").secret() == "Cli-Secret-rotated"
    # The prompt asks twice and hides the input.
    r = cli(app, "rotate-secret", "命令行服务号", input="Prompted-Secret-1\nPrompted-Secret-1\n")
    assert r.exit_code == 0, r.output
    assert "Prompted-Secret-1" not in r.output and _channel("命令行服务号").secret() == "Prompted-Secret-1"
    assert_never_audited(SECRET, "Cli-Secret-rotated", "Prompted-Secret-1")


def test_add_refuses_naming_the_field(app):
    r = cli(app, "add", "--name", "缺AppID", "--platform", "wechat", "--secret", "x1", "--manager", "account_admin")
    assert r.exit_code != 0 and "微信渠道需要填写 AppID" in r.output and "x1" not in r.output
    r = cli(app, "add", "--name", "无负责人", "--platform", "toutiao", "--appid", "tt_cli_1", "--secret-stdin",
            input="s3cret\n")
    assert r.exit_code != 0 and "指定保管本渠道密钥的负责人" in r.output
    r = cli(app, "add", "--name", "站点", "--platform", "website", "--slug", "site-two")
    assert r.exit_code == 0 and _channel("站点").slug == "site-two"
    assert _channel("缺AppID") is None and _channel("无负责人") is None
    r = cli(app, "rotate-secret", "没有这个渠道", "--secret-stdin", input="x\n")
    assert r.exit_code != 0 and "没有名为 没有这个渠道 的渠道" in r.output
    r = cli(app, "rotate-secret", "星海集团", "--secret-stdin", input="sandbox-secret\n")
    assert r.exit_code != 0 and "已保存的 AppSecret" in r.output and "sandbox-secret" not in r.output


def test_list_flags_an_overdue_secret(app):
    channel = _channel("星海集团")
    channel.secret_rotated_at = workdays.now() - timedelta(days=91)
    db.session.commit()
    r = cli(app, "list")
    line = next(x for x in r.output.splitlines() if "星海集团" in x)
    assert "91 days OVERDUE (C17)" in line
