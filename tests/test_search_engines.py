"""One set of query tests, run against every engine behind ``[search] engine`` (whoosh and scan).

The archive is real (documents with text pages, dossiers, repairs and a
complaint), and so is each engine: the whoosh index in ``tmp_path`` and the
in-memory scan.  The reference for text queries is a plain substring scan of
the folded texts, written here independently of both engines.  A behaviour
only one engine has is tested in that engine's own module
(``test_search*.py`` for whoosh: BM25F ranking, 约 totals, damaged files,
generations), not here.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import DEVELOPER, make_id
from docgen import privacy
from docgen.archive import Archive
from docgen.errors import ConfigError, UsageError
from docgen.models import Dossier, Owner, Phase, Project
from docgen.search import api, engines
from docgen.search.settings import SearchSettings
from docgen.search.synonyms import builtin_table
from docgen.search.text import fold
from docgen.search.types import Query, SearchEngine
from docgen.vocab import DOC_TYPES

ENGINES = ["whoosh", "scan"]
SRC = str(Path(__file__).resolve().parents[1] / "src")
ID_ZHANG = "350102198001011232"
NUMBER_REVEAL = {"reveal": True, "reason": "测试:按完整号码检索"}

TEXTS: list[tuple[str, str, list[str], dict[str, object]]] = [
    ("HXSZ/03-2-1203", "repair_record", ["业主张伟来电反映卫生间漏水,地暖不热。", f"联系电话13812345678,身份证号码{ID_ZHANG}"],
     {"date": dt.date(2026, 3, 1)}),
    ("HXSZ/03-2-1203", "complaint_record", ["业主认为开发商逾期交房,要求支付违约金。首问责任人林晓。"],
     {"date": dt.date(2026, 4, 2), "signed": True}),
    ("HXSZ/03-2-1204", "repair_record", ["主卧地暖\n不热,经核实系保温层厚度不足所致。维修单位榕城防水工程有限公司。"],
     {"date": dt.date(2026, 5, 3)}),
    ("HXSZ/03-2-1204", "handover_record", ["房屋交接书:３栋２单元１２０４已于2026年6月20日交付,钥匙4把。ＡＢ类缺陷已登记。"],
     {"date": dt.date(2026, 6, 20), "signed": True}),
    ("HXSZ/05-1-0502", "repair_record", ["厨房下水道堵塞,业主李娜要求上门疏通。卫生间 漏水 已处理完毕。"],
     {"date": dt.date(2026, 7, 4)}),
    ("HXSZ/05-1-0601", "compensation_agreement", ["双方协商,甲方一次性补偿乙方人民币12,000元。刘洋签字确认。合同编号HXSZ-HT-2024-0004。"],
     {"date": dt.date(2026, 8, 5), "signed": True}),
    ("HXSZ/05-1-0601", "revisit_record", ["回访:业主对维修结果满意,地暖已正常。张伟的邻居反映走廊灯不亮。"],
     {"date": dt.date(2026, 9, 6)}),
    ("HXSZ", "policy", ["商品房买卖合同第十二条:出卖人逾期交房的,按日计算违约金。"], {"date": dt.date(2025, 1, 1)}),
]


class World:
    """The filled archive, one engine over it, and the documents' texts (the reference)."""

    def __init__(self, archive: Archive, settings: SearchSettings, texts: dict[str, tuple[str, str]]) -> None:
        self.archive = archive
        self.settings = settings
        self.texts = texts
        self.engine: SearchEngine = api.open_index(settings, archive)

    def search(self, text: str = "", **kw: object) -> api.Results:
        return api.search(self.archive, self.settings, Query(text=text, **kw))  # type: ignore[arg-type]

    def docs(self, text: str = "", **kw: object) -> set[str]:
        """Ids of the documents found (every one: the total must equal the page)."""
        if privacy.full_numbers_in(text):
            kw = {**NUMBER_REVEAL, **kw}
        r = self.search(text, limit=1000, kind="document", **kw)
        assert r.total == len(r.hits)
        return {h.doc_id for h in r.hits}

    def owners(self, text: str = "", **kw: object) -> set[str]:
        return {h.owner for h in self.search(text, limit=1000, highlight=False, **kw).hits}

    def uids(self, text: str = "", **kw: object) -> list[str]:
        return [h.uid for h in self.search(text, limit=1000, highlight=False, **kw).hits]

    def meta(self, owner_key: str, doc_id: str) -> str:
        owner = self.archive.owner(owner_key)
        doc = next(d for d in owner.documents if d.id == doc_id)
        parts = [doc.title, DOC_TYPES[doc.type][0], doc.original_name]
        if "/" in owner_key:
            parts += ["华轩首座", owner.unit_label, " ".join(o.name for o in owner.owners)]  # type: ignore[union-attr]
        else:
            parts.append(owner.name)
        return " ".join(parts)

    def scan(self, terms: list[str], synonyms: bool = True) -> set[str]:
        """The reference: documents whose folded text or metadata holds each term (or a synonym of it)."""
        table = builtin_table()
        out = set()
        for doc_id, (owner, text) in self.texts.items():
            hay = [fold(text), fold(self.meta(owner, doc_id))]
            forms = [table.variants(fold(t)) if synonyms else [fold(t)] for t in terms]
            if all(any(v in h for v in vs for h in hay) for vs in forms):
                out.add(doc_id)
        return out

    def add_document(self, owner: str, pages: list[str], **kw: object) -> str:
        src = self.archive.root.parent / "新扫描.pdf"
        src.write_bytes(b"%PDF-1.4\n% test\n")
        return self.archive.add_document(owner, src, doc_type=kw.pop("doc_type", "repair_record"),  # type: ignore[arg-type]
                                         text_pages=pages, **kw).id  # type: ignore[arg-type]


def fill(archive: Archive, tmp_path: Path) -> dict[str, tuple[str, str]]:
    src = tmp_path / "扫描件.pdf"
    src.write_bytes(b"%PDF-1.4\n% test\n")
    texts: dict[str, tuple[str, str]] = {}
    for owner, doc_type, pages, extra in TEXTS:
        doc = archive.add_document(owner, src, doc_type=doc_type, source="scan", text_pages=pages, **extra)  # type: ignore[arg-type]
        texts[doc.id] = (owner, "\n".join(pages))
    archive.add_case("HXSZ/03-2-1203", "repairs", {"reported_on": "2026-03-01", "component": "卫生间渗漏", "description": "卫生间地面漏水"})
    archive.add_case("HXSZ/05-1-0502", "repairs", {"reported_on": "2026-07-04", "component": "卫生间渗漏", "description": "卫生间墙面渗水", "status": "已完成"})
    archive.add_case("HXSZ/03-2-1204", "complaints", {"received_on": "2026-05-03", "first_responder": "林晓", "category": "工程质量", "description": "地暖不热投诉"})
    return texts


@pytest.fixture(params=ENGINES)
def world(request: pytest.FixtureRequest, archive: Archive, tmp_path: Path) -> World:
    texts = fill(archive, tmp_path)
    settings = SearchSettings(engine=request.param, index_path=tmp_path / "index", procs=1)
    w = World(archive, settings, texts)
    w.engine.rebuild()
    yield w
    engines.release(w.engine)


# --- terms, phrases, operators ---------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "漏水", "地暖不热", "卫生间 漏水", "张伟", "伟来", "逾期交房 违约金", "保温层厚度不足所致", "厚",
    "13812345678", ID_ZHANG, "HXSZ-HT-2024-0004", "钥匙4把", "12,000元", "扫描件",
])
def test_text_queries_match_substring_scan(world: World, query: str) -> None:
    expected = world.scan(query.split())
    assert expected, f"test data should contain {query}"
    assert world.docs(query) == expected


def test_full_width_and_half_width_match_each_other(world: World) -> None:
    handover = {d for d, (_, t) in world.texts.items() if "交接书" in t}
    assert world.docs("3栋2单元1204") >= handover  # the text has ３栋２单元１２０４
    assert world.docs("AB类") == handover
    assert world.docs("ｑ") == set()
    assert world.docs("ｈｘｓｚ－ＨＴ") == world.scan(["hxsz-ht"])


def test_quoted_phrase_spans_whitespace_between_chinese_and_skips_synonyms(world: World) -> None:
    got = world.docs('"卫生间漏水"')
    assert got == {d for d, (_, t) in world.texts.items() if "卫生间漏水" in t or "卫生间 漏水" in t} and len(got) == 2
    assert world.docs("“卫生间漏水”") == got  # curly quotes are quotes
    r = world.search('"漏水"', kind="repair", limit=50)
    assert r.synonyms == {} and {h.owner for h in r.hits} == {"HXSZ/03-2-1203"}


def test_boolean_operators(world: World) -> None:
    s = world.scan
    assert world.docs("地暖 NOT 漏水") == s(["地暖"]) - s(["漏水"])
    assert world.docs("违约金 OR 下水道") == s(["违约金"]) | s(["下水道"])
    assert world.docs("(违约金 OR 下水道) AND 业主") == (s(["违约金"]) | s(["下水道"])) & s(["业主"])
    assert world.docs("违约金 OR 下水道 业主") == (s(["违约金"]) | s(["下水道"])) & s(["业主"])  # OR binds tighter
    assert world.docs("地暖 AND 业主 OR 违约金") == (s(["地暖"]) & s(["业主"])) | s(["违约金"])  # AND tighter than OR
    assert world.docs("NOT 业主") == set(world.texts) - s(["业主"])
    assert world.docs("违约金 ANDNOT 交房 OR 地暖") == s(["违约金"]) - (s(["交房"]) | s(["地暖"]))


@pytest.mark.parametrize(("typed", "meant"), [
    ("漏水 OR", "漏水"), ("OR 漏水", "漏水"), ("AND 漏水", "漏水"), ("漏水 NOT", "漏水"), ("(漏水 OR)", "漏水"),
    ("漏水 OR OR 地暖", "漏水 OR 地暖"), ("漏水 NOT OR 地暖", "漏水 OR 地暖"), ("地暖 AND NOT 漏水", "地暖 NOT 漏水"),
    ("漏水 OR(地暖)", "漏水 地暖"),  # an operator is one only between spaces
])
def test_dangling_operators_are_dropped(world: World, typed: str, meant: str) -> None:
    expected = world.uids(meant)
    assert expected
    assert world.uids(typed) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("日期:[abc TO def]", "无法理解检索式"), ("日期:abc", "无法理解检索式"), ("日期:202613", "月份应为 1 到 12"),
    ("(((((", "没有可检索的词"), ("()", "没有可检索的词"), ("NOT", "没有可检索的词"), ("AND OR", "没有可检索的词"),
    ("房号:三号楼", "房号「三号楼」无法识别"), ("类别:猫", "未知的类别"), ("类型:不存在的类型", "文件类型"),
    ("已签:也许", "应为 是/否"),
])
def test_bad_query_strings_are_usage_errors(world: World, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        world.search(text)


def test_quoted_operator_is_a_word(world: World) -> None:
    doc = world.add_document("HXSZ/05-1-0601", ["型号 OR-2 配件"])
    assert world.docs('"OR"') == {doc}


# --- units, codes, fields ---------------------------------------------------------------------

def test_units_whole_partial_and_without_entrance(world: World) -> None:
    for i, (unit, name) in enumerate((("03-1-1203", "周杰"), ("03-1-1204", "吴敏"))):
        owner = Owner(name=name, id_number=make_id("19700101", 600 + i), phone=f"1390000000{i}")
        world.archive.new_dossier(Dossier(project="HXSZ", unit=unit, stage="签约", owners=[owner]))
    rooms = {"HXSZ/03-1-1203", "HXSZ/03-2-1203"}
    for typed in ("3栋1203", "3号楼1203", "03-1203", "３栋１２０３"):
        assert world.owners(typed) == rooms, typed
        assert world.owners(unit=typed) == rooms, typed
        assert world.owners(f"房号:{typed}") == rooms, typed
    assert world.owners(unit="3栋2单元") == {"HXSZ/03-2-1203", "HXSZ/03-2-1204"}
    assert world.owners(unit="5栋") == {"HXSZ/05-1-0502", "HXSZ/05-1-0601"}
    assert world.owners(unit="03-2-1204") == {"HXSZ/03-2-1204"}
    assert world.owners(unit="5栋1203") == set()
    assert world.owners("3栋1203 OR 3栋1204") == rooms | {"HXSZ/03-1-1204", "HXSZ/03-2-1204"}
    assert world.owners("3栋1203 漏水") == {"HXSZ/03-2-1203"}
    with pytest.raises(UsageError, match="房号"):
        world.search(unit="三号楼")


def test_document_and_case_numbers_are_found_as_typed(world: World) -> None:
    doc_id = sorted(world.texts)[0]
    for typed in (doc_id, doc_id.lower(), f"编号:{doc_id}"):
        assert [h.doc_id for h in world.search(typed, limit=50).hits] == [doc_id], typed
    case_id = world.archive.dossier("HXSZ/03-2-1204").complaints[0].id
    assert [h.doc_id for h in world.search(f"编号:{case_id.lower()}", limit=50).hits] == [case_id]
    r = world.search("13987654321", kind="dossier", **NUMBER_REVEAL)
    assert [h.owner for h in r.hits] == ["HXSZ/03-2-1204"]


def test_field_syntax(world: World) -> None:
    texts, archive = world.texts, world.archive
    repairs = {d for d in texts if archive.find_document(d)[1].type == "repair_record"}
    signed = {d for d in texts if archive.find_document(d)[1].signed}
    assert world.docs("类型:维修记录") == repairs
    handovers = {d for d in texts if archive.find_document(d)[1].type == "handover_record"}
    assert world.docs("类型:(维修记录 OR 房屋交接书)") == repairs | handovers  # a field applied to a group
    assert world.docs("已签:是") == signed
    assert world.docs("已签:否") == set(texts) - signed
    assert world.docs("项目:hxsz 漏水") == world.scan(["漏水"])
    in_spring = {d for d in texts if dt.date(2026, 3, 1) <= archive.find_document(d)[1].date <= dt.date(2026, 5, 31)}
    assert world.docs("日期:[20260301 TO 20260531]") == in_spring
    assert world.docs("日期:[202603 TO 202605]") == in_spring
    assert world.docs("日期:2025") == {d for d, (o, _) in texts.items() if o == "HXSZ"}
    assert world.docs("日期:[20260901 TO]") == {d for d in texts if archive.find_document(d)[1].date >= dt.date(2026, 9, 1)}
    assert world.owners("类别:报修单 部位:卫生间渗漏") == {"HXSZ/03-2-1203", "HXSZ/05-1-0502"}
    assert world.owners("业主:张伟", kind="dossier") == {"HXSZ/03-2-1203"}
    assert world.docs("标题:扫描件") == set(texts)  # the original file name is in the metadata
    assert world.docs("标题:漏水") == set()  # ... the text is not
    assert world.docs("类型:维修记录 OR 违约金") == repairs | world.scan(["违约金"])
    assert world.docs("NOT 类型:维修记录") == set(texts) - repairs


def test_flags(world: World) -> None:
    texts, archive = world.texts, world.archive
    repairs = {d for d in texts if archive.find_document(d)[1].type == "repair_record"}
    assert world.docs(type="维修记录") == repairs
    assert world.docs(type="repair_record") == repairs
    assert world.docs("地暖", type="维修记录") == repairs & world.scan(["地暖"])
    signed = {d for d in texts if archive.find_document(d)[1].signed}
    assert world.docs(signed=True) == signed
    assert world.docs(signed=False) == set(texts) - signed
    dated = {d for d in texts if dt.date(2026, 4, 1) <= archive.find_document(d)[1].date <= dt.date(2026, 6, 30)}
    assert world.docs(date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 30)) == dated
    assert world.docs(owner="张伟") == {d for d, (o, _) in texts.items() if o == "HXSZ/03-2-1203"}
    assert world.docs(stage="交房") == {d for d, (o, _) in texts.items() if o in ("HXSZ/03-2-1204", "HXSZ/05-1-0502")}
    assert world.docs(project="hxsz") == set(texts)
    assert world.docs(batch="B01") == {d for d, (o, _) in texts.items() if o not in ("HXSZ", "HXSZ/03-2-1203")}
    r = world.search("漏水", kind="repair", open=True, unit="3栋", limit=50)
    assert [(h.kind, h.owner, h.status) for h in r.hits] == [("repair", "HXSZ/03-2-1203", "已受理")]
    assert [h.doc_id for h in world.search("地暖不热", kind="complaint").hits] == [
        world.archive.dossier("HXSZ/03-2-1204").complaints[0].id]
    assert {h.owner for h in world.search(status="已完成", limit=50).hits} == {"HXSZ/05-1-0502"}
    for kw, message in (({"stage": "入住"}, "阶段"), ({"type": "不存在的类型"}, "文件类型"), ({"kind": "cat"}, "类别"),
                        ({"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 1, 1)}, "晚于"),
                        ({"sort": "random"}, "排序"), ({"limit": 0}, "--limit"), ({"offset": -1}, "--page")):
        with pytest.raises(UsageError, match=message):
            world.search("漏水", **kw)


def test_synonyms(world: World) -> None:
    seepage = next(r for r in world.archive.dossier("HXSZ/05-1-0502").repairs if "渗水" in r.description)
    r = world.search("漏水", kind="repair", limit=50)
    assert seepage.id in {h.doc_id for h in r.hits}
    assert r.synonyms == {"漏水": ["渗水", "渗漏"]}
    hit = next(h for h in r.hits if h.doc_id == seepage.id)
    assert "渗水" in {hit.snippet[s:e] for s, e in hit.highlights}
    r = world.search("渗水", kind="repair", limit=50)
    assert r.hits[0].doc_id == seepage.id and len(r.hits) == 2  # the word typed ranks above its synonyms
    r = world.search("墙面漏水", kind="repair", limit=50)
    assert {h.owner for h in r.hits} == {"HXSZ/05-1-0502"} and r.synonyms == {"墙面漏水": ["墙面渗水", "墙面渗漏"]}
    assert world.search("地暖 NOT 漏水", limit=50).synonyms == {}  # a negated term is not reported


# --- the project scope, paging, totals, order -----------------------------------------------

def _second_project(world: World) -> None:
    archive = world.archive
    archive.new_project(Project(code="YHW", name="悦湖湾", developer=DEVELOPER, phases=[Phase(name="一期", buildings=["01"])]))
    for i in range(3):
        unit = f"01-1-010{i + 1}"
        archive.new_dossier(Dossier(project="YHW", unit=unit, owners=[
            Owner(name=f"外项{i}", id_number=make_id("19700707", 700 + i), phone=f"1390000777{i}")]))
        archive.add_case(f"YHW/{unit}", "repairs", {"reported_on": "2026-07-02", "component": "卫生间渗漏",
                                                     "description": "卫生间渗漏"})
        world.add_document(f"YHW/{unit}", ["维修记录:卫生间渗漏已处理"], date=dt.date(2026, 7, 3))


def test_project_scope_is_applied_inside_the_engine(world: World) -> None:
    _second_project(world)
    everything = world.search("渗漏", limit=50)
    assert {h.project for h in everything.hits} == {"HXSZ", "YHW"}
    ours = [h for h in everything.hits if h.project == "HXSZ"]
    mine = world.search("渗漏", limit=1, projects=frozenset({"HXSZ"}))
    assert mine.total == len(ours) and [h.project for h in mine.hits] == ["HXSZ"]  # the total, not just the page
    theirs = world.search("渗漏", limit=50, projects=frozenset({"YHW"}))
    assert theirs.total == everything.total - len(ours) and {h.project for h in theirs.hits} == {"YHW"}
    paged = [h.uid for k in range(len(ours) + 1)
             for h in world.search("渗漏", limit=1, offset=k, projects=frozenset({"HXSZ"})).hits]
    assert paged == [h.uid for h in ours]  # paging never reaches past the scope
    assert world.search(kind="repair", project="YHW", projects=frozenset({"HXSZ"})).total == 0
    assert world.search("外项0", projects=frozenset({"HXSZ"})).total == 0
    assert world.search("渗漏", projects=frozenset()).total == 0  # an empty scope: nothing
    assert world.search(kind="repair", projects=frozenset({"HXSZ", "YHW"})).total == 5
    scoped = [(h.uid, round(h.score, 6)) for h in world.search("卫生间 渗漏", limit=50, projects=frozenset({"YHW"})).hits]
    plain = [(h.uid, round(h.score, 6)) for h in world.search("卫生间 渗漏", limit=50).hits if h.project == "YHW"]
    assert scoped == plain and plain  # the scope does not change the ranking


@pytest.mark.parametrize("text", ["", "业主", "卫生间", "地暖不热 OR 违约金"])
def test_pages_are_consecutive_slices_of_the_whole_list(world: World, text: str) -> None:
    whole = world.search(text, limit=1000, highlight=False)
    assert whole.total == len(whole.hits) >= 4
    paged: list[str] = []
    for page in range(len(whole.hits) // 3 + 2):
        r = world.search(text, limit=3, offset=page * 3, highlight=False)
        assert r.total == whole.total and r.total_exact
        paged += [h.uid for h in r.hits]
    assert paged == [h.uid for h in whole.hits]


def test_sort_by_date_and_empty_query(world: World) -> None:
    r = world.search(kind="document", sort="date", limit=3)
    assert r.total == len(TEXTS) and len(r.hits) == 3
    assert [h.date for h in r.hits] == sorted((h.date for h in r.hits), reverse=True)
    r = world.search(kind="document", sort="date-asc", limit=100)
    assert [h.date for h in r.hits] == sorted(h.date for h in r.hits)
    assert world.search(kind="document", limit=100).hits[0].date == dt.date(2026, 9, 6)  # no text: newest first
    assert world.search(limit=1000).total == len(world.texts) + 4 + 3  # documents, dossiers, case records


# --- privacy -----------------------------------------------------------------------------------

def test_masking_and_reveal_journaled_as_the_caller(world: World) -> None:
    r = world.search("身份证号码", kind="document")
    hit = r.hits[0]
    assert ID_ZHANG not in hit.snippet and "350102********1232" in hit.snippet and "138****5678" in hit.snippet
    assert hit.snippet[hit.highlights[0][0]:hit.highlights[0][1]] == "身份证号码"
    before = world.archive.journal.last()["seq"]
    with pytest.raises(privacy.ReasonRequired, match="--reason"):
        world.search("身份证号码", kind="document", reveal=True)
    for typed in (ID_ZHANG, "１３８１２３４５６７８"):
        with pytest.raises(UsageError, match="--reveal --reason"):
            world.search(typed)
    assert world.archive.journal.last()["seq"] == before  # refused before searching: nothing journaled
    clerk = world.archive.as_actor("王小二")
    r = api.search(clerk, world.settings, Query(text="身份证号码", kind="document", reveal=True, reason="核对复印件"))
    assert ID_ZHANG in r.hits[0].snippet
    entries = list(world.archive.journal.entries(before))
    assert [(e.action, e.actor) for e in entries] == [("privacy.reveal", "王小二")]  # the caller, not the engine's archive
    assert ID_ZHANG not in json.dumps(entries[0].detail, ensure_ascii=False)


def test_new_document_is_found_after_refresh(world: World) -> None:
    assert world.docs("阳台玻璃破裂") == set()
    doc = world.add_document("HXSZ/05-1-0502", ["阳台玻璃破裂"])
    stats = api.refresh(world.archive, world.settings)
    assert stats is not None and stats.mode == "incremental" and stats.added == 1
    assert world.docs("阳台玻璃破裂") == {doc}
    assert api.refresh(world.archive, world.settings).mode == "none"  # type: ignore[union-attr]
    with world.archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "改名") as (dossier, _tx):
        dossier.owners[0].name = "刘洋洋"
    stats = api.refresh(world.archive, world.settings)
    assert stats is not None and stats.updated >= 1 and stats.added == 0
    assert "HXSZ/05-1-0601" in world.owners("刘洋洋")
    st = world.engine.status()
    assert st.usable and st.pending_entries == 0 and st.seq == st.archive_seq and st.by_kind["document"] == len(TEXTS) + 1


# --- the engines agree --------------------------------------------------------------------------

AGREE = ["漏水", "卫生间 漏水", "地暖 NOT 漏水", "(违约金 OR 下水道) AND 业主", '"卫生间 漏水"', "3栋2单元", "5栋",
         "类型:维修记录", "已签:是", "日期:[20260101 TO 20260630]", "业主 NOT 类别:文件", "张伟 OR 李娜", "HXSZ",
         "部位:卫生间渗漏", "未结:是", "项目:HXSZ 类别:业主档案", "首问责任人", "卫生间 OR"]


def test_whoosh_and_scan_find_the_same_entries(archive: Archive, tmp_path: Path) -> None:
    fill(archive, tmp_path)
    whoosh = engines.open_engine(archive, SearchSettings(index_path=tmp_path / "index", procs=1))
    scan = engines.open_engine(archive, SearchSettings(engine="scan", index_path=tmp_path / "index"))
    try:
        for text in AGREE:
            a = whoosh.search(Query(text=text, limit=1000, highlight=False))
            b = scan.search(Query(text=text, limit=1000, highlight=False))
            assert a.total == b.total and {h.uid for h in a.hits} == {h.uid for h in b.hits}, text
            assert a.synonyms == b.synonyms and sorted(a.literals) == sorted(b.literals), text
            c = whoosh.search(Query(text=text, limit=1000, sort="date", highlight=False))
            d = scan.search(Query(text=text, limit=1000, sort="date", highlight=False))
            assert [h.date for h in c.hits] == [h.date for h in d.hits], text
    finally:
        whoosh.close()
        scan.close()


# --- choosing the engine ----------------------------------------------------------------------

def test_unknown_engine_is_a_config_error_naming_the_known_ones(archive: Archive, tmp_path: Path) -> None:
    settings = SearchSettings(index_path=tmp_path / "index").model_copy(update={"engine": "lucene"})
    with pytest.raises(ConfigError, match=r"未知的检索引擎「lucene」.*whoosh.*scan"):
        engines.open_engine(archive, settings)
    toml = tmp_path / "docgen.toml"
    toml.write_text('[search]\nengine = "elastic"\n', "utf-8")
    from docgen.config import load_config

    with pytest.raises(ConfigError, match=r"\[search\] engine 的值「elastic」无效:未知的检索引擎「elastic」.*whoosh.*scan"):
        load_config(toml)
    assert SearchSettings().engine == "whoosh"


def test_the_interface_and_the_scan_engine_do_not_import_whoosh(archive: Archive, tmp_path: Path) -> None:
    fill(archive, tmp_path)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {SRC!r})
        import docgen.search.types, docgen.search.language, docgen.search.api, docgen.search.engines
        assert "whoosh" not in sys.modules, "the interface imported whoosh"
        from pathlib import Path
        from docgen.archive import Archive
        from docgen.search import api
        from docgen.search.settings import SearchSettings
        from docgen.search.types import Query
        archive = Archive.open(Path({str(archive.root)!r}))
        settings = SearchSettings(engine="scan", index_path=Path({str(tmp_path / 'index')!r}))
        r = api.search(archive, settings, Query(text="卫生间 漏水", limit=50))
        assert r.total >= 2, r.total
        api.refresh(archive, settings)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("whoosh", "numpy", "jieba")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cli_search_with_the_scan_engine(archive: Archive, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from docgen.cli.main import cli

    fill(archive, tmp_path)
    toml = tmp_path / "docgen.toml"
    toml.write_text(f'[archive]\npath = "{archive.root}"\n\n[search]\nengine = "scan"\n', "utf-8")
    env = {"DOCGEN_CONFIG": str(toml), "DOCGEN_ARCHIVE": "", "DOCGEN_INDEX": ""}
    result = CliRunner().invoke(cli, ["search", "漏水", "--kind", "document", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 2
    result = CliRunner().invoke(cli, ["index", "status"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "scan" in result.output and "内存" in result.output
    assert not (tmp_path / "index").exists()  # no index folder for an engine that keeps none
