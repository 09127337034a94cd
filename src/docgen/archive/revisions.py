"""Revisions: every record says which change it is at, who made it and when.

Several people work on one archive at once (the web application), so an edit
made on a form that was loaded before someone else saved must be refused, not
merged silently.  Each record (a dossier's own fields, each case record, a
batch, each unit of a batch, a project, a registration batch and each of its
households) carries ``revision``, ``updated_by`` and ``updated_at``.

The storage layer stamps them (:class:`~docgen.archive.Archive`'s ``edit_*``
methods compare what they read under the write lock with what they are about
to write), so every caller, the CLI, the web and ingest alike, raises
revisions the same way; a service that takes an edit based on revision N
calls :func:`check` under the same lock to refuse a stale one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docgen.errors import StaleEditError
from docgen.models import Batch, Dossier, Project, Registration

REVISION_FIELDS = frozenset({"revision", "updated_by", "updated_at"})
CASE_LISTS = ("repairs", "complaints", "revisits", "settlements")
_DOSSIER_CHILDREN = frozenset({"documents", *CASE_LISTS})


def _own(record: Any, children: frozenset[str] = frozenset()) -> dict[str, Any]:
    return dict(record.model_dump(exclude=REVISION_FIELDS | children))


def stamp(record: Any, actor: str, now: dt.datetime) -> None:
    """Raise a record's revision and note who changed it and when."""
    record.revision = int(record.revision) + 1
    record.updated_by = actor
    record.updated_at = now


def _stamp_children(old: list[Any], new: list[Any], key: str, actor: str, now: dt.datetime) -> None:
    before = {getattr(r, key): r for r in old}
    for record in new:
        previous = before.get(getattr(record, key))
        if previous is None or _own(previous) != _own(record):
            if previous is not None:
                record.revision = max(record.revision, previous.revision)
            stamp(record, actor, now)


def stamp_dossier(old: Dossier | None, new: Dossier, actor: str, now: dt.datetime) -> None:
    """Stamp the parts of a dossier that changed between ``old`` (None: new dossier) and ``new``."""
    if old is None or _own(old, _DOSSIER_CHILDREN) != _own(new, _DOSSIER_CHILDREN):
        if old is not None:
            new.revision = max(new.revision, old.revision)
        stamp(new, actor, now)
    for kind in CASE_LISTS:
        _stamp_children(getattr(old, kind) if old is not None else [], getattr(new, kind), "id", actor, now)


def stamp_batch(old: Batch | None, new: Batch, actor: str, now: dt.datetime) -> None:
    """Stamp a batch's own fields and each of its units that changed."""
    if old is None or _own(old, frozenset({"units"})) != _own(new, frozenset({"units"})):
        if old is not None:
            new.revision = max(new.revision, old.revision)
        stamp(new, actor, now)
    _stamp_children(old.units if old is not None else [], new.units, "unit", actor, now)


def stamp_registration(old: Registration | None, new: Registration, actor: str, now: dt.datetime) -> None:
    """Stamp a registration batch's own fields and each of its households that changed."""
    if old is None or _own(old, frozenset({"households"})) != _own(new, frozenset({"households"})):
        if old is not None:
            new.revision = max(new.revision, old.revision)
        stamp(new, actor, now)
    _stamp_children(old.households if old is not None else [], new.households, "unit", actor, now)


def stamp_project(old: Project | None, new: Project, actor: str, now: dt.datetime) -> None:
    """Stamp a project whose own fields (not its documents) changed."""
    if old is None or _own(old, frozenset({"documents"})) != _own(new, frozenset({"documents"})):
        if old is not None:
            new.revision = max(new.revision, old.revision)
        stamp(new, actor, now)


def describe_change(record: Any, today: dt.date | None = None) -> str:
    """``张三 于 10:42`` (or ``于 11月30日 10:42`` on another day): who last changed a record, for messages."""
    who = record.updated_by or "他人"
    when: dt.datetime | None = record.updated_at
    if when is None:
        return who
    local = when.astimezone()
    today = today or dt.date.today()
    stamp_text = f"{local:%H:%M}" if local.date() == today else f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{who} 于 {stamp_text}"


def check(record: Any, expected: int | None, what: str) -> None:
    """Refuse an edit based on an older revision of ``record`` (``what`` names it: ``报修单 BX-2026-00012``).

    ``expected`` None means the caller read and changes the record in one
    transaction (the CLI): nothing can have changed in between.
    """
    if expected is None or int(record.revision) == int(expected):
        return
    raise StaleEditError(
        f"{what} 已被 {describe_change(record)} 修改(现为第 {record.revision} 版,您编辑的是第 {expected} 版),"
        "请刷新后再试",
        current=int(record.revision),
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )
