"""Every string goes through gettext, and the zh_CN catalogue translates every one."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "cms/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_catalogue_is_complete(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "N_", "-o", str(pot), "."], cwd=ROOT, check=True)
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    translated = {m.id for m in read_po(PO.open("rb")) if m.id and m.string and not m.fuzzy}
    assert sorted(wanted - translated) == []


def test_pages_speak_chinese(client):
    from tests.conftest import login

    page = login(client, "sysadmin").get("/admin/users").get_data(as_text=True)
    assert "用户" in page and "新建用户" in page and "Users" not in page
