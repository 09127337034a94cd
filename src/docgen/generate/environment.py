"""The Jinja environment every template renders in: sandboxed, strict, autoescaping.

docxtpl's default environment is a plain ``jinja2.Environment``: a template (or a
staff member's edit to one) can reach ``cycler.__init__.__globals__.os`` and
run shell commands; a misspelt variable renders as silent blank text; a value
holding ``&`` or ``<`` breaks the XML and docxtpl's recovering parser silently
drops the rest of the paragraph.  Here:

* :class:`~jinja2.sandbox.SandboxedEnvironment` refuses dunder attribute access
  (``SecurityError``);
* :class:`Strict` (a ``StrictUndefined``) makes any use of a missing name an
  error, and :func:`missing` is the same for a value a record lacks, carrying a
  hint that names the field and the record;
* autoescape turns ``&<>`` in values into XML entities, so they are kept.
"""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from docgen.generate.filters import FILTERS


class Strict(StrictUndefined):
    """A missing value: every use (print, test, iterate) raises ``UndefinedError``."""

    __slots__ = ()


def missing(field: str, record: str, label: str = "") -> Strict:
    """A placeholder for a value the record lacks; using it is an error naming both."""
    what = f"{field}({label})" if label else field
    return Strict(hint=f"{record} 缺少字段 {what}", name=field)


def make_environment() -> SandboxedEnvironment:
    """A fresh sandboxed, strict, autoescaping environment with the Chinese filters."""
    env = SandboxedEnvironment(undefined=Strict, autoescape=True, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env


def is_missing(value: Any) -> bool:
    """True for a :func:`missing` placeholder (or any undefined)."""
    return isinstance(value, StrictUndefined)
