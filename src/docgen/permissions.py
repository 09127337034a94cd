"""Who may do what: the roles of the department and the permissions each one has.

One table, asked everywhere (the services check it, the web pages only hide
what a role cannot use), so that the rules are enforced in the core and the
documentation (docs/web.md) shows the same table the code uses.

Roles (角色):

- ``archivist`` 档案管理员: search, view, file scans and work the review queue,
  edit dossier data, the certificate paperwork;
- ``staff`` 客服: cases (repairs, complaints, revisits, settlements), paperwork,
  handover day, certificates;
- ``auditor`` 审计: read everything (masked), audit, verify, the journal; nothing that
  writes, no reveal (an auditor works from masked reports; the policy is
  :data:`docgen.privacy.ROLES`);
- ``manager`` 经理: figures (including per person), approvals at the steps
  assigned to them, the audit;
- ``admin`` 系统管理员: users, audit rules, templates; no personal data;
- ``operator`` 本机操作员: the person at the archive's own terminal (the CLI):
  everything, since whoever can run the CLI can read the files anyway; every
  reveal is still journaled with a reason.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["archivist", "staff", "auditor", "manager", "admin", "operator"]

ROLE_LABELS: dict[str, str] = {
    "archivist": "档案管理员",
    "staff": "客服",
    "auditor": "审计",
    "manager": "经理",
    "admin": "系统管理员",
    "operator": "本机操作员",
}

PERMISSION_LABELS: dict[str, str] = {
    "read": "检索和查看档案(个人信息遮蔽)",
    "reveal": "查看未遮蔽的个人信息(须说明理由,记入日志)",
    "file": "归档扫描件、处理待确认队列",
    "edit": "修改档案和项目资料",
    "cases": "报修、投诉、回访、第三方维修结算",
    "generate": "生成文书",
    "handover": "交房现场办理",
    "certificates": "办证",
    "approve": "在会签链上签字(本人负责的环节)",
    "audit": "审计、完整性核验、查看变更日志",
    "figures": "决策数据(报表)",
    "figures_people": "个人绩效数据",
    "users": "管理用户和角色",
    "rules": "修改审计规则",
    "templates": "管理文书模板",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "archivist": frozenset({"read", "reveal", "file", "edit", "certificates"}),
    "staff": frozenset({"read", "reveal", "cases", "generate", "handover", "certificates"}),
    "auditor": frozenset({"read", "audit"}),
    "manager": frozenset({"read", "reveal", "approve", "audit", "figures", "figures_people"}),
    "admin": frozenset({"read", "users", "rules", "templates"}),
    "operator": frozenset(PERMISSION_LABELS),
}
ROLES: tuple[str, ...] = tuple(PERMISSIONS)


def allowed(role: str, permission: str) -> bool:
    """True if ``role`` has ``permission`` (an unknown role has none)."""
    if permission not in PERMISSION_LABELS:
        raise KeyError(f"未知的权限 {permission}")
    return permission in PERMISSIONS.get(role, frozenset())


def role_label(role: str) -> str:
    """The Chinese name of a role."""
    return ROLE_LABELS.get(role, role)
