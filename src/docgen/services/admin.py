"""Administration as one user: accounts and roles, the audit rules (``rules.json``), the document templates.

What ``docgen user …``, ``docgen rules …`` and ``docgen templates …`` do at
the terminal, for the administrator's pages: every function checks the
``users``, ``rules`` or ``templates`` permission in the core and writes in a
journaled transaction naming the acting user.

- **Rules**: the file is validated as a whole (:func:`docgen.audit.rules.parse_rules`)
  before anything is written; an edit names the version it was based on (the
  sha256 of the text the form showed), so two administrators never overwrite
  each other's change; the history is the journal's.
- **Templates** live outside the archive (``[generate] templates``).  A new
  version is checked first, exactly as ``docgen templates check`` checks (its
  variables, the house style, one render on sample records), in a scratch
  copy of the folder; only a template that passes replaces the old one, which
  is kept in ``.history/`` beside it; the change is journaled with both hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, NotFoundError, StaleEditError, UsageError, show_input
from docgen.session import Session
from docgen.users import Account, UserStore

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_RULES_BYTES = 2 * 1024 * 1024
HISTORY = ".history"


# -- accounts -------------------------------------------------------------------------------
def accounts(session: Session) -> list[Account]:
    """Every account (passwords and tokens are hashes; the pages show neither)."""
    session.require("users")
    return UserStore(session.archive).accounts()


def add_account(session: Session, name: str, role: str, *, password: str, projects: Iterable[str] = (),
                sign_as: Iterable[str] = ()) -> Account:
    """Add an account with a first password (the user changes it with the administrator's help)."""
    session.require("users")
    return UserStore(session.archive).add(name, role, password=password, projects=projects, sign_as=sign_as)


def change_account(session: Session, name: str, *, role: str, projects: Iterable[str],
                   sign_as: Iterable[str]) -> Account:
    """Change an account's role, projects and countersign steps (effective at the user's next request)."""
    session.require("users")
    if name == session.user.name and role != session.user.role:
        raise UsageError("不能修改自己的角色(请由另一位系统管理员修改),以免失去管理权限")
    return UserStore(session.archive).set_role(name, role, projects=projects, sign_as=sign_as)


def set_password(session: Session, name: str, password: str) -> Account:
    """Set a new password for an account."""
    session.require("users")
    return UserStore(session.archive).set_password(name, password)


def set_disabled(session: Session, name: str, disabled: bool) -> Account:
    """Disable an account (its sessions and tokens stop at their next request) or enable it again."""
    session.require("users")
    if disabled and name == session.user.name:
        raise UsageError("不能停用自己的账号")
    return UserStore(session.archive).set_disabled(name, disabled)


# -- the audit rules -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RulesText:
    """The rules file as an editor shows it: its text, where it came from, and the version (sha256) shown."""

    text: str
    source: str
    version: str
    custom: bool
    """True when the archive has its own ``rules.json`` (else the packaged defaults are in force)."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rules_text(session: Session) -> RulesText:
    """The rules in force as text (the archive's ``rules.json``, else the packaged defaults)."""
    session.require("read")
    from docgen.audit.rules import default_rules_bytes

    path = session.archive.layout.rules
    try:
        data = path.read_bytes()
        custom = True
        source = "档案库的 rules.json"
    except FileNotFoundError:
        data = default_rules_bytes()
        custom = False
        source = "内置默认规则(档案库中还没有 rules.json;保存后即写入)"
    return RulesText(data.decode("utf-8", "replace"), source, _digest(data), custom)


def save_rules(session: Session, text: str, *, version: str, note: str = "") -> RulesText:
    """Validate and write ``rules.json`` (journaled); refuse an edit based on another version than the current one."""
    session.require("rules")
    from docgen.audit.rules import parse_rules

    data = text.replace("\r\n", "\n").encode("utf-8")
    if len(data) > MAX_RULES_BYTES:
        raise UsageError(f"规则文件过大(最多 {MAX_RULES_BYTES // 1024 // 1024} MB)")
    if not data.endswith(b"\n"):
        data += b"\n"
    parse_rules(data, "rules.json")  # RecordError with each problem in Chinese; nothing written
    current = rules_text(session)
    if version != current.version:
        last = session.archive.journal_index.entries(target=session.archive.layout.rules_rel, limit=1)
        who = f"{last[0].actor} 于 {last[0].ts[:16].replace('T', ' ')}" if last else "他人"
        raise StaleEditError(f"规则文件已被 {who} 修改,您编辑的是之前的版本;请刷新后再改(您的修改仍在下方)",
                             current=0, updated_by=last[0].actor if last else "")
    if data == current.text.encode("utf-8") and current.custom:
        return current
    why = " ".join(note.split())[:100]
    session.archive.write_config_file(session.archive.layout.rules_rel, data,
                                      "修改审计规则 rules.json" + (f":{why}" if why else ""))
    return rules_text(session)


def rules_history(session: Session, limit: int = 50) -> list[Any]:
    """Who changed ``rules.json`` and when, newest first (from the journal)."""
    session.require("read")
    return session.archive.journal_index.entries(target=session.archive.layout.rules_rel, limit=limit)


# -- templates ---------------------------------------------------------------------------------
def template_reports(session: Session) -> list[Any]:
    """``docgen templates check`` for every template: variables, house style, a sample render."""
    session.require("templates")
    from docgen.generate.catalog import check_templates

    return check_templates(session.config.generate)


def template_file(session: Session, kind: str) -> Path:
    """The current file of one template (for download)."""
    session.require("templates")
    from docgen.generate.catalog import TEMPLATES, template_path

    if kind not in TEMPLATES:
        raise NotFoundError(f"没有模板 {show_input(kind)}")
    path = template_path(session.config.generate, kind)
    if not path.is_file():
        raise NotFoundError(f"模板文件 {path.name} 不存在")
    return path


class TemplateRejected(DocgenError):
    """A new template version failed the check; ``report`` says why (nothing was replaced)."""

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report


def replace_template(session: Session, kind: str, data: bytes, *, original_name: str = "") -> Any:
    """Check a new version of template ``kind`` and, only if it passes, put it in place (old one kept, journaled)."""
    session.require("templates")
    from docgen.generate.catalog import TEMPLATES, check_template, templates_folder

    if kind not in TEMPLATES:
        raise NotFoundError(f"没有模板 {show_input(kind)}")
    if not data:
        raise UsageError("请选择要上传的 .docx 文件")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise UsageError(f"模板文件过大(最多 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB)")
    if not data.startswith(b"PK"):
        raise UsageError(f"{original_name or '上传的文件'} 不是 .docx 文件(Word/WPS 另存为 .docx 后再上传)")
    settings = session.config.generate
    configured = Path(settings.templates)
    current_folder = templates_folder(settings)
    spec = TEMPLATES[kind]
    with tempfile.TemporaryDirectory(prefix="docgen-template-") as scratch:
        trial = Path(scratch) / "templates"
        shutil.copytree(current_folder, trial, ignore=shutil.ignore_patterns(HISTORY))
        (trial / spec.file_name).write_bytes(data)
        report = check_template(settings.model_copy(update={"templates": trial}), kind)
        if not report.ok:
            problems = [*([report.error] if report.error else []),
                        *(f"模板用了无法提供的变量 {v}" for v in report.unsupplied), *report.style]
            raise TemplateRejected(f"新模板未通过检查,未替换原模板:{';'.join(problems)}", report)
        if current_folder != configured:  # the built-in templates were in use: the archive gets its own folder
            shutil.copytree(current_folder, configured, ignore=shutil.ignore_patterns(HISTORY), dirs_exist_ok=True)
    target = configured / spec.file_name
    old = target.read_bytes() if target.is_file() else b""
    history = configured / HISTORY
    history.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if old:
        (history / f"{kind}-{stamp}.docx").write_bytes(old)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    session.archive.record_access(
        "template.update", f"template:{kind}", f"更新文书模板 {spec.title}({spec.file_name})",
        {"kind": kind, "before": _digest(old) if old else None, "after": _digest(data),
         "kept": f"{HISTORY}/{kind}-{stamp}.docx" if old else None, "name": original_name[:100]},
    )
    return check_template(settings, kind)


def template_history(session: Session, kind: str, limit: int = 20) -> list[Any]:
    """Who replaced template ``kind`` and when, newest first (from the journal)."""
    session.require("templates")
    return session.archive.journal_index.entries(target=f"template:{kind}", limit=limit)


__all__ = [
    "RulesText",
    "TemplateRejected",
    "accounts",
    "add_account",
    "change_account",
    "replace_template",
    "rules_history",
    "rules_text",
    "save_rules",
    "set_disabled",
    "set_password",
    "template_file",
    "template_history",
    "template_reports",
]
