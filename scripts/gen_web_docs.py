"""Regenerate the generated tables of docs/web.md: the roles and permissions, and every route.

    .venv/bin/python scripts/gen_web_docs.py          # rewrite the tables in docs/web.md
    .venv/bin/python scripts/gen_web_docs.py --check  # exit 1 if they are out of date

The roles table comes from docgen.permissions (the table the core enforces), the
routes table from the application's own route declarations (docgen.web.routing),
so the documentation cannot drift from the code (tests/test_web_permissions.py
runs the check).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.permissions import PERMISSION_LABELS, PERMISSIONS, ROLE_LABELS  # noqa: E402
from docgen.web.app import routes_table  # noqa: E402

DOC = ROOT / "docs" / "web.md"
KIND_LABELS = {"page": "页面", "partial": "页面片段(htmx)", "api": "接口(JSON)", "public": "公开"}


def roles_table() -> str:
    """Permissions × roles, ✓ where the role has the permission."""
    roles = list(ROLE_LABELS)
    lines = ["| 权限 | 说明 | " + " | ".join(f"{ROLE_LABELS[r]} `{r}`" for r in roles) + " |",
             "|---|---|" + "---|" * len(roles)]
    for perm, label in PERMISSION_LABELS.items():
        marks = " | ".join("✓" if perm in PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{perm}` | {label} | {marks} |")
    return "\n".join(lines)


def routes() -> str:
    """Every route: method, path, the permission it needs, what it is."""
    perm = {**{p: f"`{p}`" for p in PERMISSION_LABELS}, "public": "无需登录", "login": "已登录"}
    lines = ["| 方法 | 路径 | 权限 | 类别 | 作用 |", "|---|---|---|---|---|"]
    for r in routes_table():
        for method in r["methods"]:
            if method == "HEAD":
                continue
            lines.append(f"| {method} | `{r['path']}` | {perm[r['permission']]} | {KIND_LABELS[r['kind']]} | {r['summary']} |")
    lines.append("| GET | `/api/openapi.json` | 无需登录 | 接口(JSON) | The OpenAPI description of the API. |")
    return "\n".join(lines)


def render(text: str) -> str:
    """The doc with its generated blocks replaced."""
    for name, body in (("roles-table", roles_table()), ("routes-table", routes())):
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(\n<!-- /{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/web.md has no <!-- {name} --> block")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def main() -> None:
    current = DOC.read_text("utf-8")
    wanted = render(current)
    if "--check" in sys.argv:
        if wanted != current:
            print("docs/web.md is out of date: run .venv/bin/python scripts/gen_web_docs.py", file=sys.stderr)
            sys.exit(1)
        return
    DOC.write_text(wanted, "utf-8")


if __name__ == "__main__":
    main()
