"""Administration pages: accounts and roles, the audit rules (view, edit with validation, history), the templates.

Each form calls one function of :mod:`docgen.services.admin` (the same rules
as ``docgen user``, ``docgen rules`` and ``docgen templates``): a refusal is
shown beside the field it concerns, and every change is journaled with the
administrator as the actor.  Passwords are typed twice, never shown, never in
a URL; the rules editor keeps what was typed when the file does not validate
or someone else saved first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from docgen.errors import (
    DocgenError,
    NotFoundError,
    RecordError,
    StaleEditError,
    UsageError,
    show_input,
)
from docgen.permissions import ROLE_LABELS
from docgen.services import admin
from docgen.users import CHAIN_ROLES, check_login_name
from docgen.web.forms import FormErrors, user_message
from docgen.web.render import page
from docgen.web.routing import route, session_of
from docgen.web.views.common import file_response

router = APIRouter()
ROLES = [(r, label) for r, label in ROLE_LABELS.items() if r != "operator"]


@route(router, "/admin", permission="users")
def admin_home(request: Request) -> Response:
    """Administration: accounts, audit rules, templates."""
    return RedirectResponse("/admin/users", status_code=303)


# -- accounts -------------------------------------------------------------------------------------------
def render_users(request: Request, *, errors: FormErrors | None = None, values: dict[str, Any] | None = None,
                 target: str = "", status: int = 200, message: str = "") -> Response:
    """The accounts with their role, projects and countersign steps, the forms to add and change them."""
    session = session_of(request)
    return page(request, "admin_users.html", {
        "title": "用户和角色", "accounts": admin.accounts(session), "roles": ROLES, "chain_roles": CHAIN_ROLES[1:],
        "projects": session.archive.project_codes(), "errors": errors or FormErrors(), "values": values or {},
        "target": target, "message": message or ("已保存。" if request.query_params.get("saved") else ""),
    }, status=status)


@route(router, "/admin/users", permission="users")
def users_page(request: Request) -> Response:
    """Accounts and roles."""
    return render_users(request)


def _form_list(form: Any, name: str) -> list[str]:
    return [str(v).strip() for v in form.getlist(name) if str(v).strip()]


def _user_errors(exc: DocgenError) -> FormErrors:
    errors = FormErrors()
    message = user_message(exc)
    if "密码" in message:
        errors.add("password", message)
    elif "用户名" in message or "已存在" in message:
        errors.add("name", message)
    elif "项目" in message:
        errors.add("projects", message)
    elif "会签" in message:
        errors.add("sign_as", message)
    elif "角色" in message:
        errors.add("role", message)
    else:
        errors.add("", message)
    return errors


@route(router, "/admin/users", permission="users", methods=("POST",), name="users_add")
async def users_add(request: Request) -> Response:
    """Add an account with its role, projects, countersign steps and a first password (typed twice)."""
    form = await request.form()
    session = session_of(request)
    name, role = str(form.get("name") or ""), str(form.get("role") or "")
    projects, sign_as = _form_list(form, "projects"), _form_list(form, "sign_as")
    values: dict[str, Any] = {"name": name, "role": role, "projects": projects, "sign_as": sign_as}
    password, again = str(form.get("password") or ""), str(form.get("password2") or "")
    try:
        if password != again:
            raise UsageError("两次输入的密码不一致")
        admin.add_account(session, name, role, password=password, projects=projects, sign_as=sign_as)
    except DocgenError as exc:
        return render_users(request, errors=_user_errors(exc), values=values, target="", status=400)
    return RedirectResponse("/admin/users?saved=1", status_code=303)


def _name(name: str) -> str:
    try:
        return check_login_name(name)
    except UsageError as exc:
        raise NotFoundError(f"用户 {show_input(name)} 不存在") from exc


@route(router, "/admin/users/{name}", permission="users", methods=("POST",))
async def user_change(request: Request, name: str) -> Response:
    """Change an account: role, projects, countersign steps; or a new password; or disable / enable it."""
    form = await request.form()
    session = session_of(request)
    name = _name(name)
    action = str(form.get("action") or "role")
    try:
        if action == "password":
            password, again = str(form.get("password") or ""), str(form.get("password2") or "")
            if password != again:
                raise UsageError("两次输入的密码不一致")
            admin.set_password(session, name, password)
        elif action in ("disable", "enable"):
            admin.set_disabled(session, name, action == "disable")
        else:
            admin.change_account(session, name, role=str(form.get("role") or ""),
                                 projects=_form_list(form, "projects"), sign_as=_form_list(form, "sign_as"))
    except DocgenError as exc:
        if isinstance(exc, NotFoundError) and "用户" in str(exc):
            raise
        return render_users(request, errors=_user_errors(exc), target=name, status=400)
    return RedirectResponse(f"/admin/users?saved=1#user-{name}", status_code=303)


# -- rules ---------------------------------------------------------------------------------------------
def render_rules(request: Request, *, text: str | None = None, version: str | None = None,
                 errors: list[str] | None = None, stale: str = "", status: int = 200) -> Response:
    """The rules file in an editor, where it came from, what is wrong with the text typed, its history."""
    session = session_of(request)
    current = admin.rules_text(session)
    return page(request, "admin_rules.html", {
        "title": "审计规则", "text": current.text if text is None else text, "version": version or current.version,
        "current": current, "errors": errors or [], "stale": stale, "history": admin.rules_history(session),
        "message": "已保存,新规则立即生效。" if request.query_params.get("saved") else "",
    }, status=status)


@route(router, "/admin/rules", permission="rules")
def rules_page(request: Request) -> Response:
    """The audit rules (rules.json): view and edit, with the change history."""
    return render_rules(request)


@route(router, "/admin/rules", permission="rules", methods=("POST",), name="rules_save")
def rules_save(request: Request, text: str = Form(""), version: str = Form(""), note: str = Form("")) -> Response:
    """Save the rules after checking the whole file (nothing is written when it does not validate)."""
    session = session_of(request)
    try:
        admin.save_rules(session, text, version=version, note=note)
    except RecordError as exc:
        return render_rules(request, text=text, version=version, errors=exc.problems, status=400)
    except StaleEditError as exc:
        return render_rules(request, text=text, stale=str(exc), status=409)
    return RedirectResponse("/admin/rules?saved=1", status_code=303)


# -- templates -------------------------------------------------------------------------------------------
def render_templates(request: Request, *, target: str = "", problems: list[str] | None = None,
                     status: int = 200) -> Response:
    """Each template: its file, the variables it uses, the check's result, who replaced it and when."""
    session = session_of(request)
    reports = admin.template_reports(session)
    history = {r.kind: admin.template_history(session, r.kind, 5) for r in reports}
    return page(request, "admin_templates.html", {
        "title": "文书模板", "reports": reports, "history": history, "target": target, "problems": problems or [],
        "message": "已替换,新模板已通过检查并立即生效。" if request.query_params.get("saved") else "",
    }, status=status)


@route(router, "/admin/templates", permission="templates")
def templates_page(request: Request) -> Response:
    """The document templates and ``templates check``."""
    return render_templates(request)


@route(router, "/admin/templates/{kind}.docx", permission="templates")
def template_download(request: Request, kind: str) -> Response:
    """The current template file (to edit in Word or WPS and upload again)."""
    path = admin.template_file(session_of(request), kind)
    return file_response(path, path.name,
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@route(router, "/admin/templates/{kind}", permission="templates", methods=("POST",))
async def template_upload(request: Request, kind: str) -> Response:
    """Upload a new version of a template: it replaces the old one only after passing ``templates check``."""
    import anyio.to_thread

    form = await request.form(max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        return render_templates(request, target=kind, problems=["请选择要上传的 .docx 文件"], status=400)
    data = await upload.read(admin.MAX_TEMPLATE_BYTES + 1)  # type: ignore[union-attr]
    name = getattr(upload, "filename", "") or ""

    def replace() -> Response:
        session = session_of(request)
        try:
            admin.replace_template(session, kind, data, original_name=name)
        except admin.TemplateRejected as exc:
            return render_templates(request, target=kind, problems=[str(exc)], status=400)
        except (UsageError, RecordError) as exc:
            return render_templates(request, target=kind, problems=[str(exc)], status=400)
        return RedirectResponse("/admin/templates?saved=1", status_code=303)

    return await anyio.to_thread.run_sync(replace)
