"""WeChat Pay in Chromium with CSRF on, from the application form to an archived day (P3 P4 P5):
an employee applies, finance enables them, they file a payment in yuan and pay it out by transfer
to the live sandbox, and the next day finance checks the downloaded fund-flow bill against it and
archives the day."""
import re

from tests.conftest import served_sandbox_app

PASSWORD = "Demo-Pass-2026"


def _session(browser, base, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(base + "/")
    return context, page


def test_from_the_application_form_to_an_archived_day(browser, templates, tmp_path, clock):
    clock.set("2026-12-08 09:30", tick=True)  # a Tuesday, a working day
    with served_sandbox_app(templates, tmp_path, WTF_CSRF_ENABLED=True) as app:
        base = app.config["PUBLIC_BASE_URL"]

        # the employee files the WeChat Pay application form (P3)
        ctx, me = _session(browser, base, "contributor")
        me.locator("nav").get_by_role("link", name=re.compile(r"^微信支付")).click()
        me.get_by_role("link", name="申请开通微信支付（P3）").click()
        me.fill("#reason", "市场部客户开放日采购")
        me.click("#submit")
        assert me.locator(".alert-success").get_by_text("申请表已提交财务部门").is_visible()
        assert "待财务审核" in me.locator("#my-enrolments").inner_text()

        # finance enables it
        fctx, fin = _session(browser, base, "finance")
        fin.goto(base + "/payments/")
        fin.locator("#pay-enrolments button[value=enable]").click()
        assert fin.locator(".alert-success").get_by_text("已为 张晓雯 开通").is_visible()

        # the employee files a payment in yuan; over the day's limit is refused naming P5, input kept
        me.goto(base + "/payments/")
        me.get_by_role("link", name="新建付款").click()
        me.fill("#amount", "5000.01")
        me.fill("#purpose", "开放日茶歇")
        me.fill("#payee_name", "茶歇供应商")
        me.fill("#payee_openid", "o-browser-payee")
        me.click("#submit")
        assert "P5" in me.locator(".alert-danger").first.inner_text()
        assert me.input_value("#purpose") == "开放日茶歇"
        me.fill("#amount", "1,234.50")
        me.click("#submit")
        assert me.locator("#payment-amount").inner_text() == "¥1,234.50"
        me.click("#execute-transfer")
        assert me.locator("#payment-state").inner_text() == "已付款"
        ctx.close()

        # the next day finance downloads the bill, every line matches, and archives the day
        clock.set("2026-12-09 10:30", tick=True)
        fctx.close()
        fctx, fin = _session(browser, base, "finance")  # a new day, a new login
        fin.goto(base + "/payments/accounts/1/days/2026-12-08")
        fin.click("#check-bill")
        assert fin.locator("#anomalies").get_by_text("账单每一行都有对应的付款。").is_visible()
        assert "已对账" in fin.locator("#payments-list").inner_text()
        fin.click("#archive-day")
        assert "已对账归档" in fin.locator("#day-state").inner_text()
        assert fin.locator("#bill-form").count() == 0
        fctx.close()
