"""``docgen user …``: accounts for the web application (roles, projects, passwords, API tokens).

Every change is journaled with the operator as the actor; passwords are read
from a hidden prompt (twice) or, for scripts, from standard input with
``--password-stdin``, never from the command line (it would stay in the
shell's history and in ``ps``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from docgen.cli.common import App, console, emit_json, pass_app, table
from docgen.errors import UsageError
from docgen.permissions import ROLE_LABELS

JSON = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出(供脚本使用)。")
ROLE_CHOICE = click.Choice([r for r in ROLE_LABELS if r != "operator"])

if TYPE_CHECKING:
    from docgen.users import UserStore


def _store(app: App) -> UserStore:
    from docgen.users import UserStore

    app.session.require("users")
    return UserStore(app.archive)


def _password(from_stdin: bool, prompt: str = "密码") -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError("标准输入中没有密码(--password-stdin 从标准输入读一行)")
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt="再输入一次"))


@click.group()
def user() -> None:
    """网页端的用户:新建、列出、改密码、停用、改角色、签发接口令牌。

    \b
    角色:archivist 档案管理员、staff 客服、auditor 审计、manager 经理、admin 系统管理员。
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="角色。")
@click.option("--project", "projects", multiple=True, help="只能查看该项目(可多次;不给则可看全部项目)。")
@click.option("--sign-as", "sign_as", multiple=True, help="负责的会签环节:客户服务部负责人、分管领导、总经理(可多次)。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码(供脚本使用)。")
@click.option("--no-password", is_flag=True, help="不设密码(只能用接口令牌)。")
@pass_app
def user_add(app: App, name: str, role: str, projects: tuple[str, ...], sign_as: tuple[str, ...],
             password_stdin: bool, no_password: bool) -> None:
    """新建用户 NAME。"""
    store = _store(app)
    password = None if no_password else _password(password_stdin)
    account = store.add(name, role, password=password, projects=projects, sign_as=sign_as)
    scope = "、".join(account.projects) or "全部项目"
    console().print(f"已新建用户 {account.name}(角色 {ROLE_LABELS[account.role]},{scope})")


@user.command("list")
@JSON
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """列出用户(不显示密码和令牌)。"""
    accounts = _store(app).accounts()
    rows = [{"name": a.name, "role": a.role, "role_label": ROLE_LABELS[a.role], "projects": a.projects,
             "sign_as": a.sign_as, "disabled": a.disabled, "password": bool(a.password_hash),
             "tokens": [{"id": t.id, "label": t.label, "created_at": t.created_at.isoformat()} for t in a.tokens],
             "created_at": a.created_at.isoformat()} for a in accounts]
    if as_json:
        emit_json(rows)
        return
    if not accounts:
        console().print("还没有用户;用 docgen user add 新建。")
        return
    table("用户", ["用户名", "角色", "项目", "会签环节", "状态", "令牌"],
          [(a.name, ROLE_LABELS[a.role], "、".join(a.projects) or "全部", "、".join(a.sign_as),
            "已停用" if a.disabled else "正常", len(a.tokens)) for a in accounts])


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码。")
@pass_app
def user_passwd(app: App, name: str, password_stdin: bool) -> None:
    """修改用户 NAME 的密码。"""
    store = _store(app)
    store.set_password(name, _password(password_stdin, "新密码"))
    console().print(f"已修改用户 {name} 的密码")


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="重新启用。")
@pass_app
def user_disable(app: App, name: str, enable: bool) -> None:
    """停用(或 --enable 重新启用)用户 NAME;停用后不能登录,令牌也失效。"""
    _store(app).set_disabled(name, not enable)
    console().print(f"已{'启用' if enable else '停用'}用户 {name}")


@user.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--project", "projects", multiple=True, help="同时改为只能查看这些项目(可多次)。")
@click.option("--all-projects", is_flag=True, help="同时改为可查看全部项目。")
@click.option("--sign-as", "sign_as", multiple=True, help="同时改为负责这些会签环节(可多次)。")
@pass_app
def user_role(app: App, name: str, role: str, projects: tuple[str, ...], all_projects: bool,
              sign_as: tuple[str, ...]) -> None:
    """修改用户 NAME 的角色(及可查看的项目、会签环节)。"""
    if projects and all_projects:
        raise UsageError("--project 与 --all-projects 只能选一个")
    scope = [] if all_projects else (list(projects) if projects else None)
    account = _store(app).set_role(name, role, projects=scope, sign_as=list(sign_as) if sign_as else None)
    console().print(f"已把用户 {name} 的角色改为 {ROLE_LABELS[account.role]}(项目:{'、'.join(account.projects) or '全部'})")


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="令牌用途(如 某脚本)。")
@click.option("--revoke", "revoke", metavar="TOKEN_ID", help="吊销该编号的令牌,而不是签发新令牌。")
@pass_app
def user_token(app: App, name: str, label: str, revoke: str | None) -> None:
    """为用户 NAME 签发接口令牌(只显示这一次,请妥善保存),或 --revoke 吊销。"""
    store = _store(app)
    if revoke:
        store.revoke_token(name, revoke)
        console().print(f"已吊销用户 {name} 的令牌 {revoke}")
        return
    token = store.new_token(name, label)
    click.echo(token)
    click.echo("请立即保存此令牌:它只显示这一次。接口调用时使用 Authorization: Bearer <令牌>", err=True)
