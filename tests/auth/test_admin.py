"""User and department administration in the browser (policies U1 U4 U6)."""
from sqlalchemy import select

from cms.audit.models import AuditEntry
from cms.auth.models import Department, User
from cms.extensions import db


def _dept(name):
    return db.session.scalar(select(Department).where(Department.name == name))


def test_create_user_shows_the_initial_password_once(client_as):
    admin = client_as("sysadmin")
    r = admin.post("/admin/users/new", data={
        "username": "wangwu", "real_name": "王五", "department_id": _dept("市场部").id, "title": "记者",
        "phone": "010-12345678", "hire_date": "2026-11-02"}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "已创建用户 wangwu" in text and "初始密码（仅显示一次）" in text
    created = db.session.scalar(select(User).where(User.username == "wangwu"))
    assert created.real_name == "王五" and created.department.name == "市场部" and created.must_change_password
    assert "wangwu" not in (created.password_hash or "")


def test_bad_user_input_is_named_and_kept(client_as):
    admin = client_as("sysadmin")
    r = admin.post("/admin/users/new", data={"username": "bad name!", "real_name": "", "department_id": _dept("市场部").id,
                                             "phone": "abc"})
    text = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "必须填写真实姓名（U1）" in text and "只能包含字母" in text and "只能包含数字" in text
    assert 'value="bad name!"' in text  # what was typed is kept
    r = admin.post("/admin/users/new", data={"username": "Contributor", "real_name": "重名",
                                             "department_id": _dept("市场部").id})
    assert r.status_code == 400 and "该用户名已被使用" in r.get_data(as_text=True)


def test_department_choice_must_exist(client_as):
    admin = client_as("sysadmin")
    r = admin.post("/admin/users/new", data={"username": "x1", "real_name": "某", "department_id": 9999})
    assert r.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "x1")) is None


def test_roles_are_added_for_a_scope_and_removed(client_as, user):
    admin = client_as("sysadmin")
    uid = user("editor").id
    market = _dept("市场部").id
    r = admin.post(f"/admin/users/{uid}/roles", data={"role-role": "leader", "role-scope": f"department:{market}"})
    assert r.status_code == 302
    editor = user("editor")
    leader = [r for r in editor.roles if r.role == "leader"]
    assert [(r.scope_type, r.scope_id) for r in leader] == [("department", market)]
    assert editor.has_permission("post.review", ("department", market))
    # a role that must be scoped cannot be held company-wide
    r = admin.post(f"/admin/users/{uid}/roles", data={"role-role": "contributor", "role-scope": ""},
                   follow_redirects=True)
    assert "不能按此范围分配" in r.get_data(as_text=True)
    admin.post(f"/admin/users/{uid}/roles/{leader[0].id}/remove")
    assert "leader" not in user("editor").role_names()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(uid))).all()
    assert actions.count("user.roles_changed") == 2


def test_edit_user_keeps_real_name_rule(client_as, user):  # policy U1
    admin = client_as("sysadmin")
    uid = user("editor").id
    r = admin.post(f"/admin/users/{uid}", data={"real_name": " ", "department_id": _dept("办公室").id})
    assert r.status_code == 400 and "必须填写真实姓名" in r.get_data(as_text=True)
    r = admin.post(f"/admin/users/{uid}", data={"real_name": "陈思远", "department_id": _dept("市场部").id,
                                                "title": "高级编辑"})
    assert r.status_code == 302
    assert user("editor").title == "高级编辑" and user("editor").department.name == "市场部"


def test_departments_tree_and_duplicate_names(client_as):
    admin = client_as("sysadmin")
    parent = _dept("星海科技有限公司").id
    r = admin.post("/admin/departments", data={"name": "品牌部", "parent_id": parent, "kind": "department"})
    assert r.status_code == 302
    page = admin.get("/admin/departments").get_data(as_text=True)
    assert "品牌部" in page and page.index("星海科技有限公司") < page.index("品牌部")
    r = admin.post("/admin/departments", data={"name": "品牌部", "parent_id": parent, "kind": "department"})
    assert r.status_code == 400 and "此处已有名为 品牌部 的单位" in r.get_data(as_text=True)
    r = admin.post("/admin/departments", data={"name": "", "parent_id": parent, "kind": "department"})
    assert r.status_code == 400 and "请填写部门名称" in r.get_data(as_text=True)


def test_user_list_filters(client_as):
    admin = client_as("sysadmin")
    page = admin.get(f"/admin/users?department={_dept('财务部').id}").get_data(as_text=True)
    assert "钱伟" in page and "冯静" in page and "张晓雯" not in page
    page = admin.get("/admin/users?state=departed").get_data(as_text=True)
    assert "没有符合条件的用户" in page


def test_navigation_follows_roles(client_as):
    assert "/admin/users" in client_as("sysadmin").get("/").get_data(as_text=True)
    page = client_as("contributor").get("/").get_data(as_text=True)
    assert "/admin/users" not in page and "/audit/" not in page
    assert "/audit/" in client_as("auditor").get("/").get_data(as_text=True)
