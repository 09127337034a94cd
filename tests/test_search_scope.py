"""Project scoping inside the search engine: ``Query.projects`` filters before counting and paging."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import DEVELOPER, make_id
from docgen.archive import Archive
from docgen.models import Dossier, Owner, Phase, Project
from docgen.search import api
from docgen.search.query import Query
from docgen.search.settings import SearchSettings


@pytest.fixture
def two_projects(archive: Archive, tmp_path: Path) -> tuple[Archive, SearchSettings]:
    archive.new_project(Project(code="YHW", name="悦湖湾", developer=DEVELOPER, phases=[Phase(name="一期", buildings=["01"])]))
    for i in range(3):
        unit = f"01-1-010{i + 1}"
        archive.new_dossier(Dossier(project="YHW", unit=unit, owners=[
            Owner(name=f"外项{i}", id_number=make_id("19700707", 700 + i), phone=f"1390000777{i}")]))
        archive.add_case(f"YHW/{unit}", "repairs", {"reported_on": "2026-07-02", "component": "卫生间渗漏",
                                                     "description": "卫生间渗漏"})
        archive.add_document(f"YHW/{unit}", b"%PDF-1.4\n%x\n", original_name="r.pdf", doc_type="repair_record",
                             text_pages=["维修记录:卫生间渗漏已处理"], date=dt.date(2026, 7, 3))
    archive.add_case("HXSZ/03-2-1203", "repairs", {"reported_on": "2026-07-01", "component": "卫生间渗漏",
                                                    "description": "卫生间渗漏"})
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    return archive, settings


def test_totals_and_hits_exclude_projects_outside_the_scope(two_projects: tuple[Archive, SearchSettings]) -> None:
    archive, settings = two_projects
    everything = api.search(archive, settings, Query(text="渗漏", limit=50))
    assert {h.project for h in everything.hits} == {"HXSZ", "YHW"}
    mine = api.search(archive, settings, Query(text="渗漏", limit=1, projects=frozenset({"HXSZ"})))
    assert mine.total == 1 and [h.project for h in mine.hits] == ["HXSZ"]  # the total, not just the page
    theirs = api.search(archive, settings, Query(text="渗漏", limit=50, projects=frozenset({"YHW"})))
    assert theirs.total == everything.total - 1 and {h.project for h in theirs.hits} == {"YHW"}
    # paging never reaches past the scope either
    page2 = api.search(archive, settings, Query(text="渗漏", limit=1, offset=1, projects=frozenset({"HXSZ"})))
    assert page2.hits == []


def test_scope_combines_with_filters_and_an_empty_scope_finds_nothing(two_projects: tuple[Archive, SearchSettings]) -> None:
    archive, settings = two_projects
    asked_foreign = api.search(archive, settings, Query(kind="repair", project="YHW", projects=frozenset({"HXSZ"})))
    assert asked_foreign.total == 0 and asked_foreign.hits == []
    by_owner = api.search(archive, settings, Query(text="外项0", projects=frozenset({"HXSZ"})))
    assert by_owner.total == 0
    assert api.search(archive, settings, Query(text="渗漏", projects=frozenset())).total == 0
    both = api.search(archive, settings, Query(kind="repair", projects=frozenset({"HXSZ", "YHW"})))
    assert both.total == 4


def test_scope_does_not_change_the_ranking(two_projects: tuple[Archive, SearchSettings]) -> None:
    archive, settings = two_projects
    plain = api.search(archive, settings, Query(text="卫生间 渗漏", limit=50))
    scoped = api.search(archive, settings, Query(text="卫生间 渗漏", limit=50, projects=frozenset({"YHW"})))
    expected = [(h.uid, round(h.score, 6)) for h in plain.hits if h.project == "YHW"]
    assert [(h.uid, round(h.score, 6)) for h in scoped.hits] == expected and expected
