"""The shape of the code (issue 14), checked on every run: dependencies point one way between cms
packages, wechatpy stays in cms/platforms (and the sandbox that plays WeChat), services read no
Flask request globals, no view rolls back, no module grows past 600 lines, and README's picture
is the graph the code has (tools/architecture.py --write refreshes it)."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CMS = ROOT / "cms"
_spec = importlib.util.spec_from_file_location("architecture", ROOT / "tools/architecture.py")
architecture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(architecture)

MAX_LINES = 600
REQUEST_GLOBALS = {"current_user", "request", "session", "g", "render_template", "has_request_context",
                   "login_user", "logout_user"}


def _modules():
    for path in sorted(CMS.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path


def _web_layer(rel: str) -> bool:
    """Views and the API parse requests and render; cms/web.py holds what they share; the app
    factory wires them; the sandbox is a web server of its own (it plays WeChat)."""
    name = rel.rsplit("/", 1)[-1]
    return (name == "views.py" or name.endswith("_views.py") or rel.startswith(("cms/api/", "cms/sandbox/"))
            or rel in ("cms/web.py", "cms/__init__.py"))


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                yield node.lineno, node.module, a.name


def test_no_import_cycle_between_cms_packages():
    edges = architecture.graph()
    found = architecture.cycles(edges)
    detail = {tuple(g): sorted(f"{a} -> {b}: {', '.join(sorted(w))}" for (a, b), w in edges.items()
                               if a in g and b in g) for g in found}
    assert found == [], f"packages importing each other (each arrow and the modules behind it): {detail}"


def test_the_cycle_check_sees_a_cycle():
    assert architecture.cycles({("a", "b"): {"x"}, ("b", "c"): {"y"}, ("c", "a"): {"z"}, ("c", "d"): {"w"}}) \
        == [["a", "b", "c"]]


def test_only_the_platforms_and_the_sandbox_import_wechatpy():
    found = [f"{rel}:{line}" for rel, path in _modules() if not rel.startswith(("cms/platforms/", "cms/sandbox/"))
             for line, module, _name in _imports(path) if module.split(".")[0] == "wechatpy"]
    assert found == []


def test_services_read_no_request_globals():
    found = [f"{rel}:{line} {name}" for rel, path in _modules() if not _web_layer(rel)
             for line, module, name in _imports(path)
             if module in ("flask", "flask_login") and name in REQUEST_GLOBALS]
    assert found == [], "a service takes the user and the values it needs; the view reads the request"


def test_no_view_rolls_back():
    found = [rel for rel, path in _modules() if _web_layer(rel) and not rel.startswith("cms/sandbox/")
             and rel != "cms/__init__.py" and "db.session.rollback()" in path.read_text(encoding="utf-8")]
    # /healthz turns a failed SELECT 1 into 503 and must leave the session usable for the next probe.
    assert found == ["cms/main/views.py"], "an @operation (cms/transactions.py) rolls back what it raised"


def test_no_module_over_600_lines():
    found = {rel: n for rel, path in _modules() if (n := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES}
    assert found == {}


def test_the_readme_picture_is_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert architecture.readme_picture(readme) == architecture.mermaid(architecture.graph()), \
        "run `python tools/architecture.py --write`"
