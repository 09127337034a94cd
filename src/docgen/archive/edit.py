"""Field assignments (``stage=交房``, ``owners[0].phone=13800000000``) applied to records.

The CLI's ``dossier set`` and ``batch unit`` pass strings; pydantic's lax mode
turns them into dates, decimals and booleans when the record is validated
again, so the type rules live in one place (the model).  ``null`` or an empty
value clears an optional field.
"""

from __future__ import annotations

import re
from typing import Any

from docgen.errors import UsageError, quote_input

_PART_RE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
# Lists of records that `set` must not replace wholesale (they have their own commands).
PROTECTED = {"documents", "repairs", "complaints", "revisits", "settlements", "project", "unit"}


def apply_assignments(data: dict[str, Any], assignments: dict[str, str], *, protected: set[str] = PROTECTED) -> None:
    """Set each dotted path in ``data`` (a record's JSON form) to its string value, in place."""
    for path, raw in assignments.items():
        parts = path.split(".")
        if parts[0].split("[")[0] in protected:
            raise UsageError(f"字段 {path} 不能用 set 修改(请用对应的命令,如 document add、repair new)")
        value: Any = None if raw.strip().lower() in ("", "null", "none") else raw
        node: Any = data
        for i, part in enumerate(parts):
            m = _PART_RE.match(part)
            if m is None:
                raise UsageError(f"字段路径{quote_input(path)}无效(应如 stage 或 owners[0].phone)")
            name, index = m["name"], m["index"]
            last = i == len(parts) - 1
            if not isinstance(node, dict) or name not in node:
                known = "、".join(node) if isinstance(node, dict) else ""
                raise UsageError(f"没有字段{quote_input(path)}(可用:{known})")
            if index is None:
                if last:
                    if isinstance(node[name], list | dict):
                        raise UsageError(f"字段 {path} 是列表或对象,请指定其中一项,如 {name}[0].…")
                    node[name] = value
                else:
                    node = node[name]
            else:
                seq = node[name]
                if not isinstance(seq, list) or int(index) >= len(seq):
                    raise UsageError(f"字段 {path}: {name} 没有第 {index} 项")
                if last:
                    raise UsageError(f"字段 {path} 是一整项,请指定其中的字段,如 {name}[{index}].name")
                node = seq[int(index)]
