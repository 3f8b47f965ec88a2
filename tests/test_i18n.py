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


MO = PO.with_suffix(".mo")


def test_the_compiled_catalogue_is_committed_and_matches_the_po(tmp_path):
    """Issue 13 part 8: `pip install .` without make speaks Chinese because the compiled
    catalogue ships in the tree; it must be the compilation of today's .po."""
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(MO.relative_to(ROOT))],
                             cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0, "messages.mo is not tracked by git: a fresh clone would speak English"
    fresh = tmp_path / "messages.mo"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "compile", "-f",
                    "-i", str(PO), "-o", str(fresh)], check=True)
    assert MO.read_bytes() == fresh.read_bytes(), "messages.mo is stale: run `make translations` and commit it"


def test_a_wheel_built_from_a_clean_checkout_carries_the_chinese_catalogue(tmp_path):
    """What a fresh clone holds (git's tracked files), built as `pip install .` would, without make."""
    import zipfile

    files = subprocess.run(["git", "ls-files", "-z", "pyproject.toml", "cms"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    src = tmp_path / "src"
    for name in filter(None, files):
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    (src / "README.md").write_text("cms\n")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert "cms/translations/zh_Hans_CN/LC_MESSAGES/messages.mo" in zipfile.ZipFile(wheel).namelist()
