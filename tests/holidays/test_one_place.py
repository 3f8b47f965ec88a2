"""Every working-day rule reads the days administrators entered through cms/holidays/service.py:
no feature asks cms/workdays.py's calendar functions directly, where the stored days would be
silently left out (the review due times and C12 once did, so 2027's Spring Festival counted as
working days)."""
import re
from pathlib import Path

CMS = Path(__file__).resolve().parents[2] / "cms"
DIRECT = re.compile(r"\bworkdays\.(is_workday|next_workday|add_workdays|workdays_between|add_working_hours)\b")


def test_no_feature_bypasses_the_stored_days():
    offenders = [f"{path.relative_to(CMS)}:{n}" for path in CMS.rglob("*.py")
                 if path.parts[-2:] != ("holidays", "service.py") and path.name != "workdays.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if DIRECT.search(line)]
    assert offenders == [], "ask cms.holidays.service (is_workday, add_working_hours) instead"
