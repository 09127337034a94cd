"""Unit codes (房号): the key of a household inside its project.

The canonical code is ``BB-U-RRRR``: building (栋/号楼, two digits or more, or a
letter block like ``A1``), entrance (单元) and room, e.g. ``03-2-1203`` for
3栋2单元1203.  A dossier's key is ``PROJECT/UNIT`` (``HXSZ/03-2-1203``).  People
type units in many shapes (``3栋2单元1203``, ``3号楼2单元1203室``, full-width
``３栋２单元１２０３``); :func:`parse_unit` reads them all, and
:func:`unit_label` writes the Chinese form used in documents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from docgen.errors import UnsafePathError, quote_input

_CODE_RE = re.compile(r"^(?P<b>[0-9]{1,3}|[A-Z][0-9]{0,2})-(?P<u>[0-9]{1,2})-(?P<r>[0-9]{3,5})$")
_HUMAN_RE = re.compile(
    r"(?P<b>[0-9]{1,3}|[A-Z][0-9]{0,2})\s*(?:栋|号楼|幢|座|#楼|#)\s*"
    r"(?P<u>[0-9]{1,2})\s*单元\s*(?P<r>[0-9]{3,5})\s*(?:室|号)?"
)
_PROJECT_RE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit inside a project: building, entrance (单元) and room."""

    building: str
    entrance: str
    room: str

    @property
    def code(self) -> str:
        """The canonical code, e.g. ``03-2-1203``."""
        return f"{self.building}-{self.entrance}-{self.room}"

    @property
    def label(self) -> str:
        """The Chinese form, e.g. ``3栋2单元1203``."""
        building = self.building.lstrip("0") or "0"
        return f"{building}栋{self.entrance}单元{self.room}"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _make(b: str, u: str, r: str) -> Unit:
    building = b.zfill(2) if b.isdigit() else b
    return Unit(building=building, entrance=str(int(u)), room=r)


def parse_unit(text: str) -> Unit:
    """Read a unit code or a Chinese unit description; raise ValueError when it is neither."""
    folded = _fold(text)
    m = _CODE_RE.fullmatch(folded)
    if m is None:
        m = _HUMAN_RE.fullmatch(folded.replace(" ", ""))
    if m is None:
        raise ValueError(f"房号{quote_input(text)}无法识别:应为 03-2-1203 或 3栋2单元1203 的形式")
    return _make(m["b"], m["u"], m["r"])


def find_units(text: str) -> list[Unit]:
    """Find every unit written the Chinese way (3栋2单元1203) in running text, in order."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return [_make(m["b"], m["u"], m["r"]) for m in _HUMAN_RE.finditer(folded)]


def unit_label(code: str) -> str:
    """Turn ``03-2-1203`` into ``3栋2单元1203``."""
    return parse_unit(code).label


def check_project_code(code: str) -> str:
    """Return the project code if it is safe and well formed (``HXSZ``), else raise UnsafePathError."""
    folded = _fold(code)
    if not _PROJECT_RE.fullmatch(folded):
        raise UnsafePathError(f"项目编号{quote_input(code)}应为 2-16 位大写字母或数字,以字母开头(如 HXSZ)")
    return folded


def split_key(key: str) -> tuple[str, str]:
    """Split a dossier key ``HXSZ/03-2-1203`` (or ``HXSZ/3栋2单元1203``) into project and unit code.

    Raises UnsafePathError for anything that could escape the archive.
    """
    if "\\" in key or key.startswith("/") or ".." in key or key.count("/") != 1:
        raise UnsafePathError(f"档案编号{quote_input(key)}无效:应为 项目/房号,如 HXSZ/03-2-1203")
    project, unit = key.split("/")
    try:
        return check_project_code(project), parse_unit(unit).code
    except ValueError as exc:
        raise UnsafePathError(f"档案编号{quote_input(key)}无效:{exc}") from exc


def dossier_key(project: str, unit: str) -> str:
    """Join a project code and a unit into the canonical dossier key."""
    return f"{check_project_code(project)}/{parse_unit(unit).code}"


def check_safe_id(value: str, what: str = "编号") -> str:
    """Return ``value`` if it can be used as a file name inside the archive, else raise UnsafePathError."""
    if not _SAFE_ID_RE.fullmatch(value) or ".." in value:
        raise UnsafePathError(f"{what}{quote_input(value)}无效:只能包含字母、数字、-、_、.,且不能含 ..")
    return value
