"""The one privacy policy: masking of values and free text, the role table, reasons, the journaled reveal."""

from __future__ import annotations

import json

import pytest

from conftest import make_id
from docgen import privacy
from docgen.archive import Archive
from docgen.errors import DocgenError
from docgen.search.snippets import make_snippet
from docgen.web import privacy_bridge

ID = make_id("19651116", 358, area="350121")


def test_value_masks_follow_department_practice() -> None:
    assert privacy.mask_id_number("11010519491231002X") == "110105********002X"
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_address("福建省厦门市思明区海沧大道320号") == "福建省厦门市****"
    from docgen import idnumbers  # old callers keep working

    assert idnumbers.mask_id_number is privacy.mask_id_number


def test_mask_text_keeps_length_and_hides_numbers_and_addresses() -> None:
    text = (f"居民身份证 住址 福建省厦门市思明区海沧大道320号904室\n公民身份号码 {ID}\n"
            "电话:13812345678 座机 0591-87654321 通讯地址:福州市仓山区金山大道618号")
    masked = privacy.mask_text(text)
    assert len(masked) == len(text)
    for secret in (ID, "13812345678", "87654321", "海沧大道", "金山大道"):
        assert secret not in masked
    assert f"{ID[:6]}********{ID[-4:]}" in masked and "138****5678" in masked and "059*-****4321" in masked
    assert "住址 福建省厦门市*" in masked and "通讯地址:福州市仓山区*" in masked
    # the developer's address after a bare 地址 is not personal data; a table header "住址" at a line end masks nothing
    assert privacy.mask_text("出卖人地址:福州市鼓楼区五四路88号") == "出卖人地址:福州市鼓楼区五四路88号"
    assert privacy.mask_text("姓名 身份 住址\n张伟 主购人") == "姓名 身份 住址\n张伟 主购人"


def test_known_addresses_are_masked_wherever_they_stand() -> None:
    text = "业主住在福州市鼓楼区东街1号,离售楼处不远;福州市鼓楼区东街1号门口有公交站。"
    masked = privacy.mask_text(text, ["福州市鼓楼区东街1号"])
    assert "东街1号" not in masked and masked.count("福州市鼓楼区") == 2 and len(masked) == len(text)
    assert privacy.mask_pages(["a", "东街1号 福州市鼓楼区东街1号"], ["福州市鼓楼区东街1号"])[1] == "东街1号 福州市鼓楼区****"


def test_search_snippets_mask_labelled_addresses_too() -> None:
    text = "身份证复印件 住址 福建省厦门市思明区海沧大道320号904室 公民身份号码 " + ID
    snippet, marks = make_snippet(text, ["身份证"])
    assert "海沧大道" not in snippet and ID not in snippet
    assert snippet[marks[0][0]:marks[0][1]] == "身份证"
    assert "海沧大道" in make_snippet(text, ["身份证"], reveal=True)[0]


def test_full_numbers_in_a_query_are_found_and_masked() -> None:
    assert privacy.full_numbers_in(f"身份证 {ID}") == [f"{ID[:6]}********{ID[-4:]}"]
    assert privacy.full_numbers_in("１３８１２３４５６７８") == ["138****5678"]  # full-width, as a phone keyboard types it
    assert privacy.full_numbers_in("0591-88886666") == ["059*-****6666"]
    # area and birthday narrow it to a handful of people: a probe since review showed partial numbers find owners
    assert privacy.full_numbers_in("35012119651116") != [] and privacy.full_numbers_in("5678 漏水") == []
    assert privacy.full_numbers_in("11010519491231002ｘ") != []  # the check character typed full-width


def test_role_table() -> None:
    """Today every CLI user may reveal (journaled); the table for the coming roles is explicit."""
    assert all(privacy.may_reveal("operator", kind) for kind in (privacy.VIEW, privacy.EXPORT, privacy.GENERATE))
    assert privacy.may_reveal("staff") and not privacy.may_reveal("staff", privacy.EXPORT)
    assert not privacy.may_reveal("auditor") and not privacy.may_reveal("admin")
    with pytest.raises(privacy.RevealRefused, match="审计"):
        privacy.check_reveal("auditor", "核对", privacy.VIEW)
    with pytest.raises(DocgenError, match="未知的角色"):
        privacy.may_reveal("visitor")


@pytest.mark.parametrize(("reason", "fragment"), [(None, "--reason"), ("   ", "--reason"), ("a\nb", "换行"),
                                                  ("\u202e反向", "控制字符"), ("长" * 201, "200"),
                                                  ("x", "太短"), (" 看 ", "太短"), ("回拨\u2028业主", "换行")])
def test_a_reveal_needs_a_usable_reason(reason: str | None, fragment: str) -> None:
    with pytest.raises(privacy.ReasonRequired, match=fragment):
        privacy.check_reason(reason)


def test_the_shortest_reason_is_one_rule_for_every_caller() -> None:
    """At least REASON_MIN characters, in the CLI as in the browser; each says where to write it, in a sentence."""
    assert privacy.REASON_MIN == 2
    assert privacy.check_reason("核对") == "核对"
    with pytest.raises(privacy.ReasonRequired) as cli:
        privacy.check_reason("x")
    assert str(cli.value) == ('原因「x」太短:请用 --reveal --reason "原因" 写明为什么要查看'
                              '(至少 2 个字,如“业主来电核对产权证办理进度”)')
    with pytest.raises(privacy.ReasonRequired) as web:
        privacy.check_reason("", privacy_bridge.ASK)
    assert str(web.value) == ("显示未遮蔽的个人信息须说明原因,会记入档案日志:请在“理由”一栏写明为什么要查看"
                              "(至少 2 个字,如“业主来电核对产权证办理进度”)")
    with pytest.raises(privacy.ReasonRequired, match="太短"):  # the web has no rule of its own
        privacy_bridge.check_reason("x")


def test_reveal_journals_who_what_why_where(archive: Archive) -> None:
    before = archive.journal.last()["seq"]
    with pytest.raises(privacy.ReasonRequired):
        privacy.reveal(archive, target="HXSZ/03-2-1203", what="x", why="", where="屏幕")
    with pytest.raises(privacy.RevealRefused):
        privacy.reveal(archive, target="HXSZ/03-2-1203", what="x", why="核对", where="屏幕", role="admin")
    assert archive.journal.last()["seq"] == before
    shown = privacy.reveal(archive, target="HXSZ/03-2-1203", what="档案 HXSZ/03-2-1203 业主的电话", why=" 回拨业主 ",
                           where="屏幕", detail=privacy.listed(["HXSZ/03-2-1203"]))
    entry = archive.journal.last()
    assert entry["seq"] == before + 1 and entry["action"] == "privacy.reveal" and entry["files"] == []
    assert entry["actor"] == "测试员" == shown.who and entry["target"] == "HXSZ/03-2-1203"
    assert entry["detail"] == {"what": "档案 HXSZ/03-2-1203 业主的电话", "why": "回拨业主", "where": "屏幕", "kind": "view",
                               "role": "operator", "records": ["HXSZ/03-2-1203"], "count": 1}
    assert "回拨业主" in entry["summary"] and "屏幕" in entry["summary"]
    assert archive.journal.verify() == []
    json.dumps(entry, ensure_ascii=False)


def test_targets_name_the_records() -> None:
    assert privacy.target_of(["HXSZ/03-2-1203", "HXSZ/03-2-1203"]) == "HXSZ/03-2-1203"
    assert privacy.target_of(["HXSZ/03-2-1203", "HXSZ/05-1-0502"]) == "HXSZ"
    assert privacy.target_of(["HXSZ/03-2-1203", "YHW/01-1-0101"]) == "全部项目"
    many = privacy.listed([f"HXSZ/{i}" for i in range(300)])
    assert many["count"] == 300 and len(many["records"]) == 200 and many["records_truncated"]


def test_the_role_table_and_the_privacy_policy_agree() -> None:
    from docgen.permissions import ROLES, allowed

    assert set(privacy.ROLES) == set(ROLES)
    for role in ROLES:
        assert allowed(role, "reveal") == privacy.may_reveal(role, privacy.VIEW), role
        if privacy.may_reveal(role, privacy.GENERATE) or privacy.may_reveal(role, privacy.EXPORT):
            assert allowed(role, "reveal"), role


@pytest.mark.parametrize("query", ["18179672934", "181 7967 2934", "181-7967-2934", "1817967293",
                                   "110105 1991 0327 6039", "11010519910327603", "查 110105199103276039 的业主"])
def test_a_number_however_typed_is_a_probe(query: str) -> None:
    """Spaces or a digit left off find the same person (the engine matches digit pairs): still a reveal."""
    found = privacy.full_numbers_in(query)
    assert found and all("*" in n for n in found)


@pytest.mark.parametrize("query", ["DOC-2026-000555", "BX-2026-00012", "HXSZ-HT-2024-00005", "2026-11-16",
                                   "3栋2单元1203", "03-2-1203", "渗漏 2026-07-01", "1203", "B01", "20261116"])
def test_codes_dates_and_rooms_are_not_probes(query: str) -> None:
    assert privacy.full_numbers_in(query) == []
