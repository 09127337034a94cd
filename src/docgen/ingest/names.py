"""File names as they arrive: bytes until proven text, shown readably, shortened safely.

A scanner or a Windows share can give a name that is not UTF-8 (a GBK name
copied from Chinese Windows: ``\\xd2\\xb5\\xd6\\xf7.pdf``).  Python hands such a
name over with surrogate escapes (PEP 383): fine for ``open`` and ``rename``,
fatal for anything that encodes it as UTF-8 (a log line, a JSON sidecar, the
terminal, the journal).  So the real name is kept for the file itself, and
everything written or shown about it uses :func:`text_name` (its GB18030
reading when the bytes decode, else the bad bytes escaped as ``\\xNN``) or
:func:`display_name` (the same on one line: control characters escaped).

Names derived from an arrival (``failed/<name>.reason.txt``, the review prefix,
a temporary ``.<name>.<pid>.tmp``) can pass the filesystem's 255-byte limit
for a name that was legal on its own; :func:`fit_name` shortens the stem with a
hash of the whole name, keeping the extension, and the caller records the
original beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

NAME_MAX = 255  # bytes in one path component on every filesystem docgen targets (ext4, NTFS via SMB, APFS)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def name_bytes(name: str) -> bytes:
    """The bytes of a name as the filesystem holds them (surrogate escapes turned back into bytes)."""
    return os.fsencode(name)


def is_text(name: str) -> bool:
    """True when the name is valid Unicode text (no undecodable bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_name(name: str) -> str:
    """A name as valid text: itself when it is UTF-8, else its GB18030 reading, the bytes neither reads as ``\\xNN``.

    Which reading: a UTF-8 name with a stray byte (a name cut short) keeps its
    UTF-8 reading, because UTF-8 checks itself: at least as many well-formed
    multi-byte characters as bad bytes.  GBK text read as UTF-8 is almost all
    bad bytes, so it gets its GB18030 reading when that reads every byte; bytes
    no encoding reads are not guessed at.  Each path component is read on its own, so a UTF-8 folder holding
    a GBK file name shows both correctly.
    """
    if is_text(name):
        return name
    if "/" in name:
        return "/".join(text_name(part) for part in name.split("/"))
    raw = name_bytes(name)
    bad = sum(1 for ch in name if "\udc80" <= ch <= "\udcff")
    good = sum(1 for ch in name if ord(ch) > 0x7F and not "\udc80" <= ch <= "\udcff")
    if good < bad:
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode("gb18030")
        return raw.decode("ascii", "backslashreplace")  # no reading: every byte beyond ASCII as \xNN
    return raw.decode("utf-8", "backslashreplace")


def display_name(name: str) -> str:
    """A name for one line of a terminal or a log: :func:`text_name` with control characters escaped."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text_name(name))


def safe_path(value: str) -> str:
    """A path made encodable: each component read as in :func:`text_name`."""
    if is_text(value):
        return value
    return os.sep.join(text_name(part) for part in value.split(os.sep))


def safe_text(value: str) -> str:
    """Any string (a message) made encodable: undecodable bytes escaped as ``\\xNN``, the rest kept."""
    if is_text(value):
        return value
    return name_bytes(value).decode("utf-8", "backslashreplace")


def name_limit(folder: Path) -> int:
    """The longest name, in bytes, the filesystem of ``folder`` accepts (255 when it cannot be asked)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def fit_name(name: str, max_bytes: int) -> str:
    """``name`` itself if it fits in ``max_bytes``, else its stem cut short plus ``~`` and a hash, extension kept.

    Cut at a character boundary (never inside a UTF-8 or GB18030 sequence, so
    a shortened GBK name still reads as GBK); the hash is of the whole original
    name, so two long names sharing a beginning get two short names, and the
    same long name always gets the same one.
    """
    raw = name_bytes(name)
    if len(raw) <= max_bytes:
        return name
    codec, text = "utf-8", name
    if not is_text(name):
        try:
            codec, text = "gb18030", raw.decode("gb18030")
        except UnicodeDecodeError:
            codec, text = "utf-8", name  # undecodable: cut between escaped bytes, one per character

    def size(s: str) -> int:
        return len(s.encode(codec, "surrogateescape"))

    stem, suffix = _split(text)
    tag = "~" + hashlib.sha256(raw).hexdigest()[:8]
    budget = max(1, max_bytes - size(suffix) - len(tag))
    cut, used = [], 0
    for ch in stem:
        if used + size(ch) > budget:
            break
        cut.append(ch)
        used += size(ch)
    return os.fsdecode(("".join(cut) + tag + suffix).encode(codec, "surrogateescape"))


def _split(name: str) -> tuple[str, str]:
    """Stem and extension; an "extension" longer than 16 bytes or with spaces is part of the stem."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(name_bytes(ext)) > 15 or not ext.isascii() or not ext.isalnum():
        return name, ""
    return stem, "." + ext
