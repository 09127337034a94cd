"""The countersign chain (会签链) of a third-party repair settlement: who signs, in what order.

Every settlement is signed by 经办人 then 客户服务部负责人; larger amounts go on
to each role whose threshold (``[generate] approval_thresholds``, yuan) the
approved total reaches, in ascending order of threshold (分管领导 ≥ 5,000,
总经理 ≥ 50,000 by default).  The chain is one rule used by the workflow
(who may sign next), the validation of stored records, the audit and the
generated sheet, so none of them can disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

FIRST_ROLES = ("经办人", "客户服务部负责人")


def approval_chain(amount: Decimal, thresholds: Mapping[str, Decimal]) -> list[str]:
    """The signing roles for an approved amount: 经办人, 客户服务部负责人, then each role whose threshold it reaches."""
    roles = list(FIRST_ROLES)
    for role, limit in sorted(thresholds.items(), key=lambda kv: kv[1]):
        if amount >= limit and role not in roles:
            roles.append(role)
    return roles


def signed_roles(approvals: Sequence[Any]) -> list[str]:
    """The roles that have signed (同意 or 不同意), in the order stored."""
    return [a.role for a in approvals if a.decision in ("同意", "不同意")]


def next_role(amount: Decimal, approvals: Sequence[Any], thresholds: Mapping[str, Decimal]) -> str | None:
    """The role whose signature the chain waits for, or None when it is complete or was refused."""
    if any(a.decision == "不同意" for a in approvals):
        return None
    done = signed_roles(approvals)
    for role in approval_chain(amount, thresholds):
        if role not in done:
            return role
    return None
