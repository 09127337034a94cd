"""The search's fast paths give exactly what the slow ones give: snippet folding and lazy text in verification."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from docgen import privacy
from docgen.archive import Archive
from docgen.demo.lightpdf import light_pdf
from docgen.search import api
from docgen.search.query import HitText, Query, text_term, verify
from docgen.search.settings import SearchSettings
from docgen.search.store import IndexFolder
from docgen.search.text import _fold_with_map_chars, _fold_with_map_clean, fold, fold_with_map

# characters that exercise every rule: CJK and ASCII, all kinds of whitespace, full-width forms,
# a final sigma, characters whose lower case is longer (İ), ligatures, combining accents
ALPHABET = [*"ab AZ12\n\t\f\u3000\u00a0\u2028\x1c\x85房屋交付３栋ＡＢ,，。ΣσςİßﬁKé", "e\u0301"]


def test_fold_with_map_equals_the_character_loop_on_random_text() -> None:
    rng = random.Random(14)
    fast = 0
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
        assert fold_with_map(text) == _fold_with_map_chars(text), repr(text)
        fast += _fold_with_map_clean(text) is not None
    assert fast > 1_000  # the fast path really ran on a good share of them


@pytest.mark.parametrize("text", [
    "交房通知书\n业主:张 伟  3栋2单元1203\f第 2 页 Room 1203 ΣΟΦΙΑ",
    "  前导空白与结尾空白  \n",
    "房 屋\t交 \n付 abc  def",
    "",
    " ",
])
def test_fold_with_map_fast_path_on_scan_like_text(text: str) -> None:
    got = _fold_with_map_clean(text)
    assert got is not None  # NFKC-clean: the fast path answers
    assert got == _fold_with_map_chars(text)
    folded, where = got
    assert folded == fold(text)
    assert len(where) == len(folded)


@pytest.mark.parametrize("text", ["３栋ＡＢ", "ﬁle", "İstanbul", "e\u0301", "交\u3000付"])
def test_fold_with_map_leaves_other_text_to_the_loop(text: str) -> None:
    assert _fold_with_map_clean(text) is None
    assert fold_with_map(text) == _fold_with_map_chars(text)


def _unread(text: str = "", calls: list[int] | None = None) -> HitText:
    def load() -> str:
        if calls is None:
            raise AssertionError("the text was read although the metadata decided")
        calls.append(1)
        return text
    return HitText(meta=fold("合同 hxsz-ht-2026-00001 张伟伟"), unitcode="03-2-1203",
                   codes=("hxsz-ht-2026-00001",), load=load)


def test_verification_decides_by_unit_code_or_metadata_without_reading_the_text() -> None:
    assert verify(text_term("3栋2单元1203"), _unread())
    assert verify(text_term(fold("HXSZ-HT-2026-00001")), _unread())
    assert verify(text_term("张伟伟"), _unread())


def test_verification_reads_the_text_once_when_it_must() -> None:
    calls: list[int] = []
    hit = _unread("屋面防水渗漏,已维修", calls)
    assert not hit.text_loaded
    assert verify(text_term("防水渗漏"), hit)
    assert not verify(text_term("地暖不热"), hit)
    assert calls == [1]
    assert hit.raw == "屋面防水渗漏,已维修"


def _generation(settings: SearchSettings, archive: Archive) -> int:
    ix = IndexFolder(settings, archive).open_current()
    try:
        return int(ix.latest_generation())
    finally:
        ix.close()


def test_a_search_after_entries_that_write_no_file_commits_nothing(archive: Archive, tmp_path: Path) -> None:
    """A login or a reveal (journaled, no file) used to make the next search run a whole index update."""
    settings = SearchSettings(index_path=tmp_path / "index", procs=1)
    api.rebuild(archive, settings)
    before = _generation(settings, archive)
    key = next(iter(archive.dossier_keys()))
    for _ in range(3):
        privacy.reveal(archive, target=key, what="业主电话", why="核对业主身份", where="测试")
    folder = IndexFolder(settings, archive)
    assert not folder.looks_current()
    assert api.search(archive, settings, Query(text="张伟")).total > 0
    assert folder.looks_current()  # the hint moved past the reveals ...
    assert _generation(settings, archive) == before  # ... and the index was not written
    # an entry that does change the archive is still indexed by the next search
    src = tmp_path / "scan.pdf"
    src.write_bytes(light_pdf([["维修记录"]]))
    doc = archive.add_document(key, src, doc_type="repair_record", text_pages=["阳台推拉门变形"])
    hits = api.search(archive, settings, Query(text="推拉门变形")).hits
    assert [h.doc_id for h in hits] == [doc.id]
    assert _generation(settings, archive) > before
    st = api.status(archive, settings)
    assert st.pending_entries == 0 and st.seq == st.archive_seq
