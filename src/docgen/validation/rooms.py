"""Which rooms a project has: its phases' buildings and, where known, each building's structure.

Three levels of knowledge, checked in this order:

1. a 楼盘表 (``unit_table``: the unit codes that exist, one row per room, to be
   imported from the sales department's spreadsheet in a later issue) is the
   authority when it exists;
2. else a building's :class:`~docgen.models.Building` structure (单元, floors,
   rooms per floor, floors skipped) says which rooms it has;
3. else only the building number is checked against the phases' lists; a
   project whose phases list no building at all is not checked (old projects
   keep working).
"""

from __future__ import annotations

from collections.abc import Collection

from docgen.models import Building, Project
from docgen.units import parse_unit


def _same(a: str, b: str) -> bool:
    return (a.lstrip("0") or "0") == (b.lstrip("0") or "0")


def _building_label(code: str) -> str:
    return f"{code.lstrip('0') or '0'}栋"


def building_structure(project: Project, building: str) -> Building | None:
    """The structure recorded for a building (``03``), or None."""
    for phase in project.phases:
        for b in phase.structure:
            if _same(b.code, building):
                return b
    return None


def room_problem(structure: Building, entrance: int, room: str) -> str | None:
    """Why a room (``1203``, entrance 2) does not exist in a building with this structure, or None."""
    label = _building_label(structure.code)
    if not 1 <= entrance <= structure.entrances:
        return f"{label}只有 {structure.entrances} 个单元"
    floor, number = int(room[:-2] or "0"), int(room[-2:])
    if not structure.lowest_floor <= floor <= structure.floors:
        return f"{label}的住宅楼层为 {structure.lowest_floor}-{structure.floors} 层,没有 {floor} 层"
    if floor in structure.skipped_floors:
        return f"{label}不设 {floor} 层"
    if not 1 <= number <= structure.rooms_per_floor:
        return f"{label}每层每单元只有 {structure.rooms_per_floor} 户(01-{structure.rooms_per_floor:02d})"
    return None


def unit_problem(project: Project, unit: str, unit_table: Collection[str] | None = None) -> str | None:
    """Why ``unit`` (``03-2-1203``) is not a room of ``project``, or None when it is (or cannot be told).

    The sentence names what is wrong (``99栋不是项目 HXSZ 的楼栋(已有:1栋、2栋……)``).
    """
    u = parse_unit(unit)
    if unit_table is not None:
        return None if u.code in unit_table else f"{u.label} 不在项目 {project.code} 的楼盘表中"
    buildings = [b for phase in project.phases for b in phase.buildings]
    if not buildings:
        return None
    if not any(_same(b, u.building) for b in buildings):
        known = "、".join(_building_label(b) for b in buildings[:12]) + ("……" if len(buildings) > 12 else "")
        return f"{_building_label(u.building)}不是项目 {project.code} 的楼栋(已有:{known})"
    structure = building_structure(project, u.building)
    if structure is None:
        return None
    return room_problem(structure, int(u.entrance), u.room)
