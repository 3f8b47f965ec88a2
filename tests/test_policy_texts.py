"""Issue 19 part 6: a policy ID on a page is a small reference that reveals its rule's text on
hover (cms/policy_texts.py, cms/ui.py), and every ID of the catalogue (POLICIES.md) has its text."""
import re
from pathlib import Path

from cms.policy_texts import POLICY_TEXTS, policy_ref

CATALOGUE = Path("/work/shared/POLICIES.md")


def test_every_policy_id_has_its_text_in_chinese():
    ids = set(re.findall(r"^\| ([CUGP]\d+) \|", CATALOGUE.read_text(), re.M)) if CATALOGUE.exists() else set()
    assert ids <= set(POLICY_TEXTS), sorted(ids - set(POLICY_TEXTS))
    assert len(POLICY_TEXTS) >= 45
    for pid, text in POLICY_TEXTS.items():
        assert re.search(r"[\u4e00-\u9fff]", text), pid


def test_policy_ref_is_an_abbr_with_the_rule():
    assert str(policy_ref("C8")) == '<abbr class="policy-ref" title="C8：稿件审核通过后当天发布；计划发布日更晚的，在计划发布日发布">C8</abbr>'


def test_every_page_carries_the_rule_texts_for_the_hover(client_as, app):
    import json
    import re as re_

    c = client_as("account_admin")
    page = c.get("/publish/today").get_data(as_text=True)
    m = re_.search(r'<script src="/static/policy_refs.js" defer id="policy-refs" data-src="([^"]*)"', page)
    assert m and json.loads(c.get(m.group(1)).get_data(as_text=True))["C8"] == POLICY_TEXTS["C8"]
