"""Search on a real archive: each query kind against a substring scan of the same texts, filters, masking.

The archive is built with the real Archive (documents with text pages); the
index is a real whoosh index in tmp_path.  The reference for every text query
is a plain substring scan of the folded texts and document metadata.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import make_id
from docgen import privacy
from docgen.archive import Archive
from docgen.errors import ConfigError, UsageError
from docgen.models import Dossier, Owner
from docgen.search import api
from docgen.search.analysis import fold
from docgen.search.query import Query
from docgen.search.settings import SearchSettings
from docgen.search.synonyms import builtin_table
from docgen.vocab import DOC_TYPES

ID_ZHANG = "350102198001011232"
# a query with a full ID or phone number is a reveal: refused without one (test_full_number_query_is_a_reveal)
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


@pytest.fixture
def filled(archive: Archive, tmp_path: Path) -> tuple[Archive, SearchSettings, dict[str, tuple[str, str]]]:
    """The small archive with eight documents with text, two repairs and a complaint, indexed."""
    src = tmp_path / "扫描件.pdf"
    src.write_bytes(b"%PDF-1.4\n% test\n")
    texts: dict[str, tuple[str, str]] = {}
    for owner, doc_type, pages, extra in TEXTS:
        doc = archive.add_document(owner, src, doc_type=doc_type, source="scan", text_pages=pages, **extra)  # type: ignore[arg-type]
        texts[doc.id] = (owner, "\n".join(pages))
    archive.add_case("HXSZ/03-2-1203", "repairs", {"reported_on": "2026-03-01", "component": "卫生间渗漏", "description": "卫生间地面漏水"})
    archive.add_case("HXSZ/05-1-0502", "repairs", {"reported_on": "2026-07-04", "component": "卫生间渗漏", "description": "卫生间墙面渗水", "status": "已完成"})
    archive.add_case("HXSZ/03-2-1204", "complaints", {"received_on": "2026-05-03", "first_responder": "林晓", "category": "工程质量", "description": "地暖不热投诉"})
    settings = SearchSettings(index_path=tmp_path / "index", procs=1, auto_update=True, words=True)
    api.rebuild(archive, settings)
    return archive, settings, texts


def _meta(archive: Archive, owner_key: str, doc_id: str) -> str:
    owner = archive.owner(owner_key)
    doc = next(d for d in owner.documents if d.id == doc_id)
    parts = [doc.title, DOC_TYPES[doc.type][0], doc.original_name]
    if "/" in owner_key:
        parts += ["华轩首座", owner.unit_label, " ".join(o.name for o in owner.owners)]  # type: ignore[union-attr]
    else:
        parts.append(owner.name)
    return " ".join(parts)


def _scan(archive: Archive, texts: dict[str, tuple[str, str]], terms: list[str]) -> set[str]:
    """The reference: documents whose folded text or metadata holds each term, or one of its synonym variants."""
    table = builtin_table()
    out = set()
    for doc_id, (owner, text) in texts.items():
        hay = [fold(text), fold(_meta(archive, owner, doc_id))]
        if all(any(v in h for v in table.variants(fold(t)) for h in hay) for t in terms):
            out.add(doc_id)
    return out


def _docs(archive: Archive, settings: SearchSettings, text: str = "", **kw: object) -> set[str]:
    if privacy.full_numbers_in(text):
        kw = {**NUMBER_REVEAL, **kw}
    r = api.search(archive, settings, Query(text=text, limit=1000, kind="document", **kw))  # type: ignore[arg-type]
    assert r.total == len(r.hits)
    return {h.doc_id for h in r.hits}


@pytest.mark.parametrize(
    "query",
    [
        "漏水",  # a word
        "地暖不热",  # phrase across segment boundaries (and across a line break in one text)
        "卫生间 漏水",  # two terms
        "张伟",  # 2-character name inside running text (业主张伟来电)
        "伟来",  # half of two words
        "逾期交房 违约金",
        "保温层厚度不足所致",
        "厚",  # one character
        "13812345678",  # phone
        ID_ZHANG,  # ID number
        "HXSZ-HT-2024-0004",  # contract number in text
        "钥匙4把",  # mixed Chinese and digits
        "12,000元",  # punctuation inside the term
        "扫描件",  # the original file name
    ],
)
def test_text_queries_match_substring_scan(filled: tuple, query: str) -> None:
    archive, settings, texts = filled
    expected = _scan(archive, texts, query.split())
    assert expected, f"test data should contain {query}"
    assert _docs(archive, settings, query) == expected


def test_full_width_and_half_width_match_each_other(filled: tuple) -> None:
    archive, settings, texts = filled
    handover = {d for d, (_, t) in texts.items() if "交接书" in t}
    assert _docs(archive, settings, "3栋2单元1204") >= handover  # text has ３栋２单元１２０４
    assert _docs(archive, settings, "AB类") == handover  # text has ＡＢ类
    assert _docs(archive, settings, "ｑ") == set()
    assert _docs(archive, settings, "ｈｘｓｚ－ＨＴ") == _scan(archive, texts, ["hxsz-ht"])
    assert _docs(archive, settings, "１３８１２３４５６７８") == _scan(archive, texts, ["13812345678"])


def test_quoted_phrase_spans_whitespace_between_chinese(filled: tuple) -> None:
    archive, settings, texts = filled
    # "卫生间 漏水" (with a space) in one text, 卫生间漏水 in another: Chinese ignores the space
    got = _docs(archive, settings, '"卫生间漏水"')
    assert got == {d for d, (_, t) in texts.items() if "卫生间漏水" in t or "卫生间 漏水" in t}
    assert len(got) == 2


def test_boolean_operators(filled: tuple) -> None:
    archive, settings, texts = filled
    both = _scan(archive, texts, ["地暖"])
    assert _docs(archive, settings, "地暖 NOT 漏水") == both - _scan(archive, texts, ["漏水"])
    assert _docs(archive, settings, "违约金 OR 下水道") == _scan(archive, texts, ["违约金"]) | _scan(archive, texts, ["下水道"])
    assert _docs(archive, settings, "(违约金 OR 下水道) AND 业主") == (
        (_scan(archive, texts, ["违约金"]) | _scan(archive, texts, ["下水道"])) & _scan(archive, texts, ["业主"])
    )


def test_partial_units(filled: tuple) -> None:
    archive, settings, _ = filled
    r = api.search(archive, settings, Query(unit="3栋2单元", limit=100))
    owners = {h.owner for h in r.hits}
    assert owners == {"HXSZ/03-2-1203", "HXSZ/03-2-1204"}
    assert {h.owner for h in api.search(archive, settings, Query(unit="5栋", limit=100)).hits} == {
        "HXSZ/05-1-0502", "HXSZ/05-1-0601"}
    assert {h.owner for h in api.search(archive, settings, Query(unit="03-2-1204", limit=100)).hits} == {"HXSZ/03-2-1204"}
    assert {h.owner for h in api.search(archive, settings, Query(text="房号:３栋２单元１２０３", limit=100)).hits} == {
        "HXSZ/03-2-1203"}
    with pytest.raises(UsageError, match="房号"):
        api.search(archive, settings, Query(unit="三号楼"))


def test_filters(filled: tuple) -> None:
    archive, settings, texts = filled
    repairs = {d for d, (o, _) in texts.items() if archive.find_document(d)[1].type == "repair_record"}
    assert _docs(archive, settings, type="维修记录") == repairs
    assert _docs(archive, settings, type="repair_record") == repairs
    assert _docs(archive, settings, "地暖", type="维修记录") == repairs & _scan(archive, texts, ["地暖"])
    signed = {d for d in texts if archive.find_document(d)[1].signed}
    assert _docs(archive, settings, signed=True) == signed
    assert _docs(archive, settings, signed=False) == set(texts) - signed
    dated = {d for d in texts if dt.date(2026, 4, 1) <= archive.find_document(d)[1].date <= dt.date(2026, 6, 30)}
    assert _docs(archive, settings, date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 30)) == dated
    assert _docs(archive, settings, owner="张伟") == {d for d, (o, _) in texts.items() if o == "HXSZ/03-2-1203"}
    assert _docs(archive, settings, stage="交房") == {
        d for d, (o, _) in texts.items() if o in ("HXSZ/03-2-1204", "HXSZ/05-1-0502")}
    assert _docs(archive, settings, project="hxsz") == set(texts)
    assert _docs(archive, settings, batch="B01") == {d for d, (o, _) in texts.items() if o not in ("HXSZ", "HXSZ/03-2-1203")}
    with pytest.raises(UsageError, match="阶段"):
        _docs(archive, settings, stage="入住")
    with pytest.raises(UsageError, match="文件类型"):
        _docs(archive, settings, type="不存在的类型")
    with pytest.raises(UsageError, match="晚于"):
        _docs(archive, settings, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1))


def test_case_records_one_query(filled: tuple) -> None:
    """'all open leak repairs in building 3' is one query."""
    archive, settings, _ = filled
    r = api.search(archive, settings, Query(text="漏水", kind="repair", open=True, unit="3栋", limit=50))
    assert [(h.kind, h.owner, h.status) for h in r.hits] == [("repair", "HXSZ/03-2-1203", "已受理")]
    r = api.search(archive, settings, Query(text="类别:报修单 部位:卫生间渗漏", limit=50))
    assert {h.owner for h in r.hits} == {"HXSZ/03-2-1203", "HXSZ/05-1-0502"}
    r = api.search(archive, settings, Query(text="地暖不热", kind="complaint"))
    assert [h.doc_id for h in r.hits] == [archive.dossier("HXSZ/03-2-1204").complaints[0].id]
    r = api.search(archive, settings, Query(text="13987654321", kind="dossier", **NUMBER_REVEAL))  # type: ignore[arg-type]
    assert [h.owner for h in r.hits] == ["HXSZ/03-2-1204"]


def test_document_and_case_numbers_are_found_as_typed(filled: tuple) -> None:
    """Numbers stored in capitals (DOC-…, BX-…, an ID ending in X) are found however they are typed."""
    archive, settings, texts = filled
    doc_id = sorted(texts)[0]
    for typed in (doc_id, doc_id.lower(), f"编号:{doc_id}"):
        r = api.search(archive, settings, Query(text=typed, limit=50))
        assert [h.doc_id for h in r.hits] == [doc_id], typed
    case_id = archive.dossier("HXSZ/03-2-1204").complaints[0].id
    assert case_id[:2].isalpha() and case_id.upper() == case_id
    r = api.search(archive, settings, Query(text=f"编号:{case_id.lower()}", limit=50))
    assert [h.doc_id for h in r.hits] == [case_id]
    with archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "身份证号末位为 X") as (dossier, _tx):
        dossier.owners[0].id_number = "11010519491231002X"
    api.update(archive, settings)
    for typed in ("11010519491231002X", "11010519491231002x", "编号:11010519491231002ｘ"):
        r = api.search(archive, settings, Query(text=typed, kind="dossier", limit=50, **NUMBER_REVEAL))  # type: ignore[arg-type]
        assert [h.owner for h in r.hits] == ["HXSZ/05-1-0601"], typed


def test_sort_by_date_and_limit(filled: tuple) -> None:
    archive, settings, _ = filled
    r = api.search(archive, settings, Query(kind="document", sort="date", limit=3))
    assert r.total == len(TEXTS) and len(r.hits) == 3
    dates = [h.date for h in r.hits]
    assert dates == sorted(dates, reverse=True)
    r = api.search(archive, settings, Query(kind="document", sort="date-asc", limit=100))
    assert [h.date for h in r.hits] == sorted(h.date for h in r.hits)


def test_masking_and_reveal_is_journaled(filled: tuple) -> None:
    archive, settings, _ = filled
    r = api.search(archive, settings, Query(text="身份证号码", kind="document"))
    hit = r.hits[0]
    assert ID_ZHANG not in hit.snippet and "13812345678" not in hit.snippet
    assert "350102********1232" in hit.snippet and "138****5678" in hit.snippet
    start, end = hit.highlights[0]
    assert hit.snippet[start:end] == "身份证号码"
    before = archive.journal.last()["seq"]
    with pytest.raises(privacy.ReasonRequired, match="--reason"):
        api.search(archive, settings, Query(text="身份证号码", kind="document", reveal=True))
    assert archive.journal.last()["seq"] == before  # refused before searching: nothing shown, nothing journaled
    r = api.search(archive, settings, Query(text="身份证号码", kind="document", reveal=True, reason="核对身份证复印件"))
    assert ID_ZHANG in r.hits[0].snippet
    entries = list(archive.journal.entries(before))
    assert [e.action for e in entries] == ["privacy.reveal"]
    assert ID_ZHANG not in json.dumps(entries[0].detail, ensure_ascii=False)
    assert entries[0].files == []
    assert archive.journal.verify() == []


def test_full_number_query_is_a_reveal(filled: tuple) -> None:
    """A hit for a full ID or phone number tells whose it is: refused without a reveal, journaled masked with one."""
    archive, settings, _ = filled
    before = archive.journal.last()["seq"]
    for typed in (ID_ZHANG, f"身份证 {ID_ZHANG}", "１３８１２３４５６７８", "0591-88886666", "350121196501163583"):
        with pytest.raises(UsageError, match="--reveal --reason") as err:
            api.search(archive, settings, Query(text=typed))
        assert ID_ZHANG not in str(err.value) and "13812345678" not in str(err.value)
    assert archive.journal.last()["seq"] == before
    assert api.search(archive, settings, Query(text="1232", kind="document")).total == 1  # part of a number: no reveal
    r = api.search(archive, settings, Query(text=ID_ZHANG, kind="document", reveal=True, reason="业主来电核对身份"))
    assert r.total == 1 and ID_ZHANG in r.hits[0].snippet
    entry = archive.journal.last()
    assert entry["action"] == "privacy.reveal" and entry["seq"] == before + 1
    assert entry["target"] == "HXSZ/03-2-1203"  # names whose data was shown, never empty
    text = json.dumps(entry, ensure_ascii=False)
    assert ID_ZHANG not in text and "350102********1232" in text
    detail = entry["detail"]
    assert detail["why"] == "业主来电核对身份" and detail["where"] == "屏幕"
    assert detail["total"] == 1 and detail["records"] == [r.hits[0].doc_id] and detail["query"] == "350102********1232"


def test_snippet_highlights_original_text(filled: tuple) -> None:
    archive, settings, _ = filled
    r = api.search(archive, settings, Query(text="3栋2单元1204", kind="document"))
    hit = next(h for h in r.hits if "交接书" in h.snippet)
    s, e = hit.highlights[0]
    assert hit.snippet[s:e] == "３栋２单元１２０４"


def test_new_document_is_found_after_refresh(filled: tuple, tmp_path: Path) -> None:
    archive, settings, _ = filled
    src = tmp_path / "new.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    assert _docs(archive, settings, "阳台玻璃破裂", ) == set()
    doc = archive.add_document("HXSZ/05-1-0502", src, doc_type="repair_record", text_pages=["阳台玻璃破裂"])
    stats = api.refresh(archive, settings)
    assert stats is not None and stats.mode == "incremental" and stats.added == 1
    assert _docs(archive, settings, "阳台玻璃破裂") == {doc.id}
    # nothing else changed: the next refresh does nothing
    assert api.refresh(archive, settings).mode == "none"  # type: ignore[union-attr]


def test_empty_query_lists_everything(filled: tuple) -> None:
    archive, settings, texts = filled
    r = api.search(archive, settings, Query(limit=1000))
    assert r.total == len(texts) + 4 + 3  # documents, dossiers, case records


@pytest.mark.parametrize("query", ["地暖不热", "保温层厚度不足所致", "逾期交房 违约金", "HXSZ-HT-2024-0004"])
def test_rank_order_confirmation_matches_scan(filled: tuple, query: str) -> None:
    """With many candidates hits are confirmed in rank order: force that path and compare with the scan."""
    archive, settings, texts = filled
    engine = api.WhooshEngine(archive, settings)
    engine.verify_all = 0
    r = engine.search(Query(text=query, kind="document", limit=1000, highlight=False), auto_update=False)
    assert {h.doc_id for h in r.hits} == _scan(archive, texts, query.split())
    r = engine.search(Query(text=query, kind="document", limit=1, highlight=False), auto_update=False)
    assert len(r.hits) == 1 and r.hits[0].doc_id in _scan(archive, texts, query.split())
    engine.close()


@pytest.mark.parametrize("query", ["漏水", "地暖", "卫生间 漏水", "逾期交房 违约金"])
def test_short_page_is_the_head_of_the_full_ranking(filled: tuple, query: str) -> None:
    """A page of one holds the best-ranked hit, and the total still counts every match (ranked and counted in one pass)."""
    archive, settings, _ = filled
    full = api.search(archive, settings, Query(text=query, limit=1000, highlight=False))
    assert full.total == len(full.hits) >= 2
    page = api.search(archive, settings, Query(text=query, limit=1, highlight=False))
    assert page.total == full.total and page.total_exact
    assert [h.uid for h in page.hits] == [full.hits[0].uid]



@pytest.mark.parametrize("text", ["", "业主", "卫生间", "地暖不热 OR 违约金"])
def test_pages_are_consecutive_slices_of_the_whole_list(filled: tuple, text: str) -> None:
    """Page k of n hits is hits[(k-1)n : kn] of the unpaged list, with and without text confirmation."""
    archive, settings, _ = filled
    whole = api.search(archive, settings, Query(text=text, limit=1000, highlight=False))
    assert whole.total >= 4, "the fixture should give several hits"
    ids = [h.uid for h in whole.hits]
    paged: list[str] = []
    for page in range(len(ids) // 3 + 2):
        r = api.search(archive, settings, Query(text=text, limit=3, offset=page * 3, highlight=False))
        assert r.total == whole.total
        paged += [h.uid for h in r.hits]
    assert paged == ids


def test_negative_offset_is_refused(filled: tuple) -> None:
    archive, settings, _ = filled
    with pytest.raises(UsageError):
        api.search(archive, settings, Query(text="漏水", offset=-1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("日期:[abc TO def]", "无法理解检索式"),  # whoosh's date parser raises a bare Exception
        ("日期:abc", "无法理解检索式"),
        ("(((((", "没有可检索的词"),  # brackets alone must not mean "everything"
        ("()", "没有可检索的词"),
    ],
)
def test_bad_query_strings_are_usage_errors(filled: tuple, text: str, message: str) -> None:
    archive, settings, _ = filled
    with pytest.raises(UsageError, match=message):
        api.search(archive, settings, Query(text=text))


# --- what people type: units without their entrance, synonyms, dangling operators ----------------

def _owners(archive: Archive, settings: SearchSettings, text: str = "", **kw: object) -> set[str]:
    r = api.search(archive, settings, Query(text=text, limit=1000, highlight=False, **kw))  # type: ignore[arg-type]
    return {h.owner for h in r.hits}


@pytest.fixture
def two_entrances(filled: tuple) -> tuple:
    """The filled archive plus 3栋1单元1203 (so building 3 has room 1203 in two entrances) and 3栋1单元1204."""
    archive, settings, texts = filled
    for i, (unit, name) in enumerate((("03-1-1203", "周杰"), ("03-1-1204", "吴敏"))):
        owner = Owner(name=name, id_number=make_id("19700101", 600 + i), phone=f"1390000000{i}")
        archive.new_dossier(Dossier(project="HXSZ", unit=unit, stage="签约", owners=[owner]))
    return archive, settings, texts


@pytest.mark.parametrize("typed", ["3栋1203", "3号楼1203", "3-1203", "03-1203", "3栋1203室", "３栋１２０３", "3#1203",
                                   "3幢1203"])
def test_room_without_its_entrance_finds_that_room_in_every_entrance(two_entrances: tuple, typed: str) -> None:
    """The spoken form 3栋1203 (no 单元) means room 1203 of every entrance of building 3, as text, flag or field."""
    archive, settings, _ = two_entrances
    rooms = {"HXSZ/03-1-1203", "HXSZ/03-2-1203"}
    assert _owners(archive, settings, typed) == rooms
    assert _owners(archive, settings, unit=typed) == rooms
    assert _owners(archive, settings, f"房号:{typed}") == rooms
    # and the documents filed in those dossiers, not only the dossiers
    assert {h.kind for h in api.search(archive, settings, Query(text=typed, limit=100)).hits} >= {"dossier", "document"}


@pytest.mark.parametrize(("typed", "owners"), [
    ("03-2-1203", {"HXSZ/03-2-1203"}),
    ("3栋2单元1203室", {"HXSZ/03-2-1203"}),
    ("3栋2单元", {"HXSZ/03-2-1203", "HXSZ/03-2-1204"}),
    ("3栋1204", {"HXSZ/03-1-1204", "HXSZ/03-2-1204"}),
    ("5栋1203", set()),  # building 5 has no room 1203
])
def test_whole_and_partial_units(two_entrances: tuple, typed: str, owners: set[str]) -> None:
    archive, settings, _ = two_entrances
    assert _owners(archive, settings, unit=typed) == owners
    assert _owners(archive, settings, typed) == owners


def test_room_of_every_entrance_combines_with_other_terms(two_entrances: tuple) -> None:
    archive, settings, _ = two_entrances
    # 3栋1203 OR 3栋1204: two UnitRoom queries on one building must not collapse into one
    assert _owners(archive, settings, "3栋1203 OR 3栋1204") == {
        "HXSZ/03-1-1203", "HXSZ/03-2-1203", "HXSZ/03-1-1204", "HXSZ/03-2-1204"}
    # text confirmation (a term of 3+ characters) accepts the unit too
    assert _owners(archive, settings, "3栋1203 漏水") == {"HXSZ/03-2-1203"}


def test_synonyms_find_each_other(filled: tuple) -> None:
    """漏水 finds 渗水 and the reverse; the snippet highlights the word that matched; quotes search only the word."""
    archive, settings, _ = filled
    seepage = next(r for r in archive.dossier("HXSZ/05-1-0502").repairs if "渗水" in r.description)
    r = api.search(archive, settings, Query(text="漏水", kind="repair", limit=50))
    assert seepage.id in {h.doc_id for h in r.hits}
    assert r.synonyms == {"漏水": ["渗水", "渗漏"]}
    hit = next(h for h in r.hits if h.doc_id == seepage.id)
    assert "渗水" in {hit.snippet[s:e] for s, e in hit.highlights}
    # the reverse direction, and the word typed ranks above its synonyms
    r = api.search(archive, settings, Query(text="渗水", kind="repair", limit=50))
    assert r.hits[0].doc_id == seepage.id and len(r.hits) == 2
    # quoted: only the word as typed
    r = api.search(archive, settings, Query(text='"漏水"', kind="repair", limit=50))
    assert seepage.id not in {h.doc_id for h in r.hits} and r.synonyms == {}
    assert r.as_dict()["synonyms"] == {}


def test_synonyms_inside_longer_terms(filled: tuple, tmp_path: Path) -> None:
    """墙面漏水 also finds 墙面渗水; 空鼓 finds 起鼓 (a synonym inside a longer term is swapped in place)."""
    archive, settings, _ = filled
    src = tmp_path / "空鼓.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    doc = archive.add_document("HXSZ/05-1-0601", src, doc_type="repair_record", text_pages=["客厅地面起鼓,已返修。"])
    assert doc.id in _docs(archive, settings, "空鼓")
    assert doc.id in _docs(archive, settings, "地面空鼓")
    r = api.search(archive, settings, Query(text="墙面漏水", kind="repair", limit=50))
    assert {h.owner for h in r.hits} == {"HXSZ/05-1-0502"}  # its description says 卫生间墙面渗水
    assert r.synonyms == {"墙面漏水": ["墙面渗水", "墙面渗漏"]}


def test_synonym_table_of_the_archive(filled: tuple, tmp_path: Path) -> None:
    """[search] synonyms adds groups (merging with a built-in group that shares a word) or replaces the table."""
    archive, settings, _ = filled
    src = tmp_path / "雨.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    rain = archive.add_document("HXSZ/05-1-0601", src, doc_type="repair_record", text_pages=["阳台顶棚漏雨。"])
    table = tmp_path / "synonyms.json"
    table.write_text(json.dumps({"groups": [["漏水", "漏雨"]]}, ensure_ascii=False), "utf-8")
    own = api.WhooshEngine(archive, settings.model_copy(update={"synonyms": table}))
    r = own.search(Query(text="渗水", limit=100))
    assert rain.id in {h.doc_id for h in r.hits}  # 渗水 → 漏水 group, which now holds 漏雨
    assert r.synonyms == {"渗水": ["漏水", "渗漏", "漏雨"]}
    assert rain.id not in _docs(archive, settings, "渗水")  # the built-in table alone does not know 漏雨
    # "builtin": false: only the archive's groups (edited in place: no restart, no rebuild)
    table.write_text(json.dumps({"builtin": False, "groups": [["漏雨", "雨水"]]}, ensure_ascii=False), "utf-8")
    r = own.search(Query(text="漏水", kind="repair", limit=100))
    assert r.synonyms == {} and {h.owner for h in r.hits} == {"HXSZ/03-2-1203"}
    own.close()


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "不是有效的 JSON"),
    ('{"groups": [["漏水"]]}', "至少要有两个不同的词"),
    ('{"groups": [["漏", "渗"]]}', "至少两个字"),
    ('{"groups": "漏水 渗水"}', "groups 应为词组的列表"),
    ('{"group": []}', "未知的项 group"),
    ('{"builtin": "no"}', "builtin 应为 true 或 false"),
])
def test_bad_synonym_table_names_the_file(filled: tuple, tmp_path: Path, content: str, message: str) -> None:
    archive, settings, _ = filled
    table = tmp_path / "同义词.json"
    table.write_text(content, "utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        api.WhooshEngine(archive, settings.model_copy(update={"synonyms": table})).search(Query(text="漏水"))
    assert str(table) in str(err.value)
    with pytest.raises(ConfigError, match="不存在"):
        api.WhooshEngine(archive, settings.model_copy(update={"synonyms": tmp_path / "无.json"})).search(Query(text="漏水"))


def test_builtin_synonym_table_is_valid_and_bounded() -> None:
    table = builtin_table()
    assert ("漏水", "渗水", "渗漏") in table.groups and ("空鼓", "起鼓") in table.groups
    words = [w for g in table.groups for w in g]
    assert len(words) == len(set(words)) and all(len(w) >= 2 for w in words)
    assert table.variants("卫生间") == ["卫生间"]
    assert table.variants("漏水空鼓")[:3] == ["漏水空鼓", "漏水起鼓", "渗水空鼓"]
    assert len(table.variants("漏水空鼓开裂脱落发霉")) == 12  # capped


#: What people type with an operator left over, and what it must mean (the plain words around it).
DANGLING = [
    ("漏水 OR", "漏水"),
    ("OR 漏水", "漏水"),
    ("AND 漏水", "漏水"),
    ("漏水 AND", "漏水"),
    ("漏水 NOT", "漏水"),
    ("漏水 AND NOT", "漏水"),
    ("(漏水 OR)", "漏水"),
    ("(OR 漏水) AND", "漏水"),
    ("漏水 OR OR 地暖", "漏水 OR 地暖"),
    ("漏水 OR AND 地暖", "漏水 OR 地暖"),
    ("漏水 NOT OR 地暖", "漏水 OR 地暖"),
    ("地暖 AND NOT 漏水", "地暖 NOT 漏水"),
    ("卫生间 漏水 OR", "卫生间 漏水"),
    ("ANDNOT 地暖", "地暖"),
]


@pytest.mark.parametrize(("typed", "meant"), DANGLING)
def test_dangling_operators_are_dropped(filled: tuple, typed: str, meant: str) -> None:
    archive, settings, _ = filled
    expected = api.search(archive, settings, Query(text=meant, limit=1000, highlight=False))
    assert expected.total > 0
    got = api.search(archive, settings, Query(text=typed, limit=1000, highlight=False))
    assert [h.uid for h in got.hits] == [h.uid for h in expected.hits]


@pytest.mark.parametrize("typed", ["NOT", "OR", "AND", "AND OR", "NOT NOT", "(OR)"])
def test_only_operators_is_no_query(filled: tuple, typed: str) -> None:
    archive, settings, _ = filled
    with pytest.raises(UsageError, match="没有可检索的词"):
        api.search(archive, settings, Query(text=typed))


def test_quoted_operator_is_a_word(filled: tuple, tmp_path: Path) -> None:
    archive, settings, _ = filled
    src = tmp_path / "or.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    doc = archive.add_document("HXSZ/05-1-0601", src, doc_type="repair_record", text_pages=["型号 OR-2 配件"])
    assert _docs(archive, settings, '"OR"') == {doc.id}


def test_yes_no_fields_in_the_query_syntax(filled: tuple) -> None:
    """已签:否 finds the unsigned documents (whoosh's own BOOLEAN read any word it did not know as true)."""
    archive, settings, texts = filled
    signed = {d for d in texts if archive.find_document(d)[1].signed}
    assert signed and signed != set(texts)
    assert _docs(archive, settings, "已签:是") == signed == _docs(archive, settings, "已签:yes")
    assert _docs(archive, settings, "已签:否") == set(texts) - signed == _docs(archive, settings, "已签:no")
    assert {h.owner for h in api.search(archive, settings, Query(text="未结:否", kind="repair")).hits} == {"HXSZ/05-1-0502"}
    with pytest.raises(UsageError, match="应为 是/否"):
        api.search(archive, settings, Query(text="已签:也许"))
