"""The docgen error family.

Every failure a user can understand and fix is a ``DocgenError`` whose message is
written for the person reading it (in Chinese, since the department reads
Chinese).  The CLI converts them in one place (exit 1; ``UsageError`` exits 2).
Causes are always chained with ``raise ... from exc`` so that ``--debug`` can
show them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_UNSEEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, line breaks and bidi overrides: what a message must show rather than print."""


def shown(value: object, limit: int = 30) -> str:
    """A user's value fit to put in a message: control and bidi characters made visible, long text cut.

    ``'x\\x00'`` (a Python repr) means nothing to a clerk; ``x<U+0000>`` at
    least shows where the odd character is, and cannot break the line or
    reorder the text around it.
    """
    text = _UNSEEN.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(value))
    return text if len(text) <= limit else text[:limit] + "……"


def quoted(value: object, limit: int = 30) -> str:
    """``“value”``: what the user typed, in Chinese quotation marks, made safe by :func:`shown`."""
    return f"“{shown(value, limit)}”"


class DocgenError(Exception):
    """A failure the user can understand and fix."""

    exit_code = 1


class UsageError(DocgenError):
    """The command was called wrongly (bad arguments or options)."""

    exit_code = 2


class ConfigError(DocgenError):
    """The configuration file or environment is invalid."""

    exit_code = 2


class NotFoundError(DocgenError):
    """A project, dossier, document or record does not exist."""


class ConflictError(DocgenError):
    """The change would clash with what is already in the archive (a duplicate key, say)."""


class UnsafePathError(DocgenError, ValueError):
    """A path or id would escape the archive (``../``, an absolute path, a separator).

    Also a ValueError, so that inside a model validator it becomes a validation
    error naming the file and the field.
    """


class LockTimeout(DocgenError):
    """Another process held the archive's write lock for longer than we were willing to wait."""


class IntegrityError(DocgenError):
    """The archive on disk disagrees with itself (hash mismatch, broken journal chain)."""


class RecordError(DocgenError):
    """A record file could not be read or failed validation; names the file and the fields.

    ``fields`` (when known) gives, for each problem, the field's path inside
    the record (``completed_on``, ``items[0].unit_price``; empty for the
    record as a whole), so that a form can show each message beside its field.
    """

    def __init__(self, path: Path | str | None, problems: Sequence[str], fields: Sequence[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.problems = list(problems)
        self.fields = list(fields) if fields is not None else [""] * len(self.problems)
        where = f"{self.path}: " if self.path is not None else ""
        if len(self.problems) == 1:
            message = f"{where}{self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{where}发现 {len(self.problems)} 处问题:\n{lines}"
        super().__init__(message)


class StaleEditError(ConflictError):
    """An edit was based on an older revision of a record that someone else has changed since.

    Carries the record's current revision and who changed it last, so that a
    form can say so and keep what the user typed.
    """

    def __init__(self, message: str, *, current: int, updated_by: str = "", updated_at: object = None) -> None:
        super().__init__(message)
        self.current = current
        self.updated_by = updated_by
        self.updated_at = updated_at


class PermissionDenied(DocgenError):
    """The acting user's role or project scope does not allow this."""


class ValidationFailed(DocgenError):
    """A change breaks one of the department's rules; ``problems`` lists each one in words a clerk reads."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"发现 {len(self.problems)} 处问题:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)
