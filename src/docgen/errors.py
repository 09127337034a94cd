"""The docgen error family.

Every failure a user can understand and fix is a ``DocgenError`` whose message is
written for the person reading it (in Chinese, since the department reads
Chinese).  The CLI converts them in one place (exit 1; ``UsageError`` exits 2).
Causes are always chained with ``raise ... from exc`` so that ``--debug`` can
show them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

SHOWN_CHARS = 40
"""How much of a value a message quotes: enough to recognise what was typed, never a 5,000-digit echo."""


def show_input(value: object, limit: int = SHOWN_CHARS) -> str:
    """What a message shows of a value someone typed or sent: safe to print, never a Python repr.

    Every id, name or value the core puts into a message goes through here, so
    a message reads the same in the terminal and in the browser: control
    characters become their visible pictures (NUL → ␀, a newline → ␊), other
    invisible ones (zero-width, bidi overrides) their code point ``⟨U+202E⟩``,
    and a value longer than ``limit`` characters is cut, saying how long it was
    (``1111…(共 5000 个字符)``), so an error page does not echo a whole upload.
    """
    text = value if isinstance(value, str) else str(value)
    out = "".join(_visible(ch) for ch in text[:limit])
    if len(text) > limit:
        out += f"…(共 {len(text)} 个字符)"
    return out


def quote_input(value: object, limit: int = SHOWN_CHARS) -> str:
    """:func:`shown` between corner brackets, for a value inside a sentence: ``金额「12,5」不是有效数字``."""
    return f"「{show_input(value, limit)}」"


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␉ ␊ …
    if code == 0x7F:
        return "\u2421"
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"⟨U+{code:04X}⟩"
    return ch


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """The same as :func:`show_input` (the name the CLI's click layer and the validation checks use)."""
    return show_input(value, limit)


def quoted(value: object, limit: int = SHOWN_CHARS) -> str:
    """``“value”``: what the user typed, in Chinese quotation marks, made safe by :func:`show_input`."""
    return f"“{show_input(value, limit)}”"


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


class IndexUnavailable(NotFoundError):
    """The search index cannot answer now (not built, outdated, damaged) and this search may not rebuild it."""

    def __init__(self, message: str, *, reason: str, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason
        """Why, for the log (``索引尚未建立``, ``索引版本 … 与程序 … 不符``, the damaged file and its error)."""
        self.kind = kind
        """What a user is told: ``missing``, ``version``, ``unreadable`` (its files cannot be opened), or
        ``damaged`` (a segment failed while being read: only a rebuild mends it)."""


class ConflictError(DocgenError):
    """The change would clash with what is already in the archive (a duplicate key, say)."""


class UnsafePathError(DocgenError, ValueError):
    """A path or id would escape the archive (``../``, an absolute path, a separator).

    Also a ValueError, so that inside a model validator it becomes a validation
    error naming the file and the field.
    """


class LockTimeout(DocgenError):
    """Another process held the archive's write lock for longer than we were willing to wait."""

    def __init__(self, message: str, *, brief: str | None = None) -> None:
        super().__init__(message)
        self.brief = brief or message
        """What a browser shows: the message without the holder's user, host, command and lock file.

        Those help the operator at the server (the terminal, the server's log),
        not a clerk, and they are not every logged-in user's business."""


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
