"""Demo accounts for the web application: one per role, with passwords made up for this run.

Only the tour's scratch copy (``demo-run/``) gets them: a real archive starts
with no accounts and an administrator adds them (``docgen user add``).  The
passwords are random per run and printed by the tour, never stored in clear.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from docgen.archive import Archive
from docgen.permissions import ROLE_LABELS
from docgen.users import UserStore

# login name, role, projects (empty: all), countersign steps
DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("archivist", "archivist", (), ()),
    ("staff", "staff", (), ()),
    ("auditor", "auditor", (), ()),
    ("manager", "manager", (), ("客户服务部负责人",)),
    ("admin", "admin", (), ()),
    ("yhw-staff", "staff", ("YHW",), ()),
)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """An account the tour made, with its password (shown once)."""

    name: str
    role: str
    password: str
    projects: tuple[str, ...]

    @property
    def role_label(self) -> str:
        """The role's Chinese name."""
        return ROLE_LABELS[self.role]


def make_demo_accounts(archive: Archive) -> list[DemoAccount]:
    """Add the demo accounts to ``archive`` (skipping a scope whose project the sample lacks); return them."""
    store = UserStore(archive)
    known = set(archive.project_codes())
    made: list[DemoAccount] = []
    for name, role, projects, sign_as in DEMO_ACCOUNTS:
        if any(p not in known for p in projects):
            continue
        password = f"demo-{secrets.token_urlsafe(6)}"
        store.add(name, role, password=password, projects=projects, sign_as=sign_as)
        made.append(DemoAccount(name, role, password, projects))
    return made
