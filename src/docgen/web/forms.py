"""Forms: the fields a page shows, what the user typed, and the core's refusals shown beside each field.

The rules are the core's: a view passes what was typed to a service, and a
refusal comes back as

- :class:`~docgen.validation.core.RuleViolations` (a rule of the department:
  dates in order, the warranty component, money): each problem carries the
  field's path (``repairs[BX-2026-00012].completed_on``);
- :class:`~docgen.errors.RecordError` (a value that is not a date, not a
  number, not one of a list): each problem with its field path (``fields``);
- :class:`~docgen.errors.StaleEditError`: someone saved the record first;
- any other ``DocgenError``: a sentence for the top of the form (attached to a
  field when it starts with that field's label, e.g. ``报修日期 '2026-02-30' 不是有效日期``).

:func:`form_errors` sorts them onto the form's fields, so a template shows
each message beside its input, and the form is shown again with everything
the user typed.  Nothing is re-checked here.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from docgen.errors import DocgenError, LockTimeout, RecordError, StaleEditError

log = logging.getLogger("docgen.web")

_RECORD_PREFIX = re.compile(r"^(?:repairs|complaints|revisits|settlements|units|owners)\[[^\]]*\]\.?")


@dataclass(frozen=True)
class Field:
    """One input of a form: its name (the record's field), label, kind and choices."""

    name: str
    label: str
    kind: str = "text"
    """text, textarea, date, datetime, select, number, checkboxes, password."""
    options: Sequence[tuple[str, str]] = ()
    """(value, label) pairs for select and checkboxes."""
    required: bool = False
    hint: str = ""
    readonly: bool = False


@dataclass
class FormErrors:
    """The core's refusal sorted onto a form: messages by field name, and the rest for the top."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    stale: StaleEditError | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.general or self.stale)

    def of(self, name: str) -> list[str]:
        """The messages for one field (``items[0].unit_price`` counts for ``items``' row 0 too)."""
        return self.fields.get(name, [])

    def add(self, name: str, message: str) -> None:
        """Attach a message to a field ('' for the top of the form)."""
        if name:
            self.fields.setdefault(name, []).append(message)
        else:
            self.general.append(message)


def field_name(path: str) -> str:
    """The form field of a problem's path: ``repairs[BX-2026-00012].completed_on`` → ``completed_on``."""
    return _RECORD_PREFIX.sub("", path, count=1)


def user_message(exc: DocgenError) -> str:
    """What a page says of a core refusal: its message, but a lock's without who holds it where (that is logged).

    A :class:`~docgen.errors.LockTimeout` names the holder's user, host,
    command and lock file for the operator at the terminal; in a browser it
    says only what happened and what to do (:attr:`LockTimeout.brief`).
    """
    if isinstance(exc, LockTimeout):
        log.warning("%s", exc)
        return exc.brief
    return str(exc)


def form_errors(exc: DocgenError, fields: Iterable[Field] = ()) -> FormErrors:
    """Sort a core refusal onto the form's fields (see the module docstring)."""
    from docgen.validation.core import RuleViolations

    known = {f.name: f for f in fields}
    out = FormErrors()
    if isinstance(exc, StaleEditError):
        out.stale = exc
        return out
    if isinstance(exc, RuleViolations):
        for p in exc.found:
            out.add(_known(field_name(p.path), known), p.message)
        return out
    if isinstance(exc, RecordError):
        for message, path in zip(exc.problems, exc.fields, strict=False):
            out.add(_known(field_name(path), known), message)
        return out
    message = user_message(exc)
    target = next((f.name for f in known.values() if f.label and message.startswith(f.label)), "")
    out.add(target, message)
    return out


def _known(name: str, known: Mapping[str, Field]) -> str:
    """The field a path belongs to (``items[0].unit_price`` → itself; an unknown field → the top)."""
    if not name:
        return ""
    if name in known:
        return name
    base = name.split("[", 1)[0].split(".", 1)[0]
    if base in known:
        return name if "[" in name else base
    return ""


def text(values: Mapping[str, Any], name: str, limit: int = 4000) -> str:
    """A form value as text, NFC-normalised and stripped ('' when absent); overly long input is cut at ``limit``."""
    value = values.get(name)
    if value is None or not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", value).strip()[:limit]


def listed(values: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), stripped, without empties or repeats."""
    getter = getattr(values, "getlist", None)
    raw = getter(name) if getter is not None else ([values.get(name)] if values.get(name) else [])
    out: list[str] = []
    for v in raw:
        if isinstance(v, str):
            v = unicodedata.normalize("NFC", v).strip()
            if v and v not in out:
                out.append(v)
    return out


def revision(values: Mapping[str, Any]) -> int | None:
    """The revision the form was loaded at (hidden field ``revision``); None when absent or not a number."""
    raw = values.get("revision")
    try:
        return int(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def typed(values: Any, fields: Iterable[Field]) -> dict[str, Any]:
    """What the user typed into each field (lists for checkboxes), to show the form again."""
    out: dict[str, Any] = {}
    for f in fields:
        out[f.name] = listed(values, f.name) if f.kind == "checkboxes" else text(values, f.name)
    return out
