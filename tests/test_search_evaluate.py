"""The numpy query evaluator against whoosh's own matchers, on a real index of a real demo archive.

docgen evaluates queries itself (``docgen.search.evaluate``) for speed; these
tests hold it to whoosh: the same documents match and, where whoosh scores
terms with BM25F, with the same scores.  The index has several segments and
deleted documents (incremental updates after edits), as indexes in use do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from whoosh import query as wq

from docgen.archive import Archive
from docgen.demo.build import build_demo
from docgen.search import api
from docgen.search.analysis import code_grams, fold
from docgen.search.evaluate import Evaluator
from docgen.search.query import Query, filters, parse_text, using_reader
from docgen.search.schema import KINDS
from docgen.search.settings import SearchSettings

QUERIES = [
    "渗漏",
    "卫生间 渗漏",
    "维修 OR 渗水",
    "渗漏 NOT 卫生间",
    "渗漏 OR NOT 卫生间",
    "NOT 卫生间",
    "(渗漏 OR 空鼓) NOT 已关闭",
    '"墙面 渗漏"',
    "类型:回访记录 维修",
    "维修 类别:报修单",
    "交付 阶段:保修期",
    "违约金 OR 保修 OR 赔偿",
    "3栋2单元",
    "水",  # one character: every pair starting with it
    "2",  # one Latin/digit character: pairs only, not the code 4-grams
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, SearchSettings]:
    """A 24-household demo archive, indexed, then edited and updated so the index has segments and deletions."""
    root = tmp_path_factory.mktemp("evaluate") / "records"
    build_demo(root, units=24, seed=11, scans=False, full_households=24)
    archive = Archive.open(root, actor="测试员")
    settings = SearchSettings(index_path=root.parent / "index", procs=1, auto_update=False, commit_every=3)
    api.rebuild(archive, settings)
    # edits re-index whole dossiers: their old entries become deleted documents in the first segment
    for dossier in list(archive.iter_dossiers())[:5]:
        with archive.edit_dossier(dossier.key, "dossier.edit", "复查") as (d, _tx):
            d.notes = f"复查:{d.unit_label}卫生间渗水已处理"
        api.update(archive, settings)
    return archive, settings


def _query(engine: api.WhooshEngine, text: str, **flags: Any) -> wq.Query:
    searcher = engine._open()
    with using_reader(searcher.reader()):
        parsed = parse_text(engine._parser, text)
    parts = ([parsed.normalize()] if parsed is not None else []) + filters(Query(text=text, **flags))
    return wq.And(parts) if len(parts) > 1 else parts[0]


def test_index_has_segments_and_deletions(indexed: tuple) -> None:
    archive, settings = indexed
    searcher = api.open_index(settings, archive)._open()
    assert len(searcher.leaf_searchers()) > 1
    assert searcher.doc_count_all() > searcher.doc_count()


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_and_scores_as_whoosh(indexed: tuple, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same matches and scores as whoosh, as whoosh ranks on an archive of more than 5,000 entries.

    On smaller indexes whoosh's automatic choice preloads ``Or`` branches of
    more than two parts and then scores prefix expansions differently; its
    ``DEFAULT_MATCHER`` setting is the ranking it uses on larger ones, and the
    one the evaluator reproduces at every size.
    """
    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
    archive, settings = indexed
    engine = api.open_index(settings, archive)
    q = _query(engine, text)
    searcher = engine._open()
    # (whoosh's inverse matcher for NOT also yields deleted entries, old versions of edited dossiers: never docgen)
    dead = searcher.reader().is_deleted
    expected = {hit.docnum: hit.score for hit in searcher.search(q, limit=None) if not dead(hit.docnum)}
    evaluator = Evaluator(searcher)
    got = evaluator.matches(q)
    assert evaluator.fallbacks == 0
    assert expected, f"the demo archive should match {text!r}"
    assert set(got.docnums.tolist()) == set(expected)
    for d, s in zip(got.docnums.tolist(), got.scores.tolist(), strict=True):
        assert s == pytest.approx(expected[d], rel=1e-9), d
    if len(text) == 1:
        assert len(set(got.scores.tolist())) > 1  # a one-character query still ranks


@pytest.mark.parametrize(
    "flags",
    [
        {"kind": "repair", "open": True},
        {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2026, 6, 30)},
        {"type": "handover_record", "signed": True},
        {"stage": "保修期", "unit": "3栋"},
    ],
)
def test_filters_match_like_whoosh(indexed: tuple, flags: dict[str, Any]) -> None:
    archive, settings = indexed
    engine = api.open_index(settings, archive)
    q = _query(engine, "", **flags)
    searcher = engine._open()
    expected = {hit.docnum for hit in searcher.search(q, limit=None)}
    evaluator = Evaluator(searcher)
    assert set(evaluator.matches(q).docnums.tolist()) == expected
    assert evaluator.fallbacks == 0  # evaluated on arrays, not by whoosh's matcher


def test_deleted_versions_never_match(indexed: tuple) -> None:
    archive, settings = indexed
    r = api.search(archive, settings, Query(text="复查", kind="dossier", limit=100))
    keys = [h.owner for h in r.hits]
    assert len(keys) == len(set(keys)) == 5  # one live entry per edited dossier, none of the old ones


@pytest.mark.parametrize("which", ["phone", "contract"])
def test_numbers_are_found_by_their_code_grams(indexed: tuple, which: str) -> None:
    """A phone or contract number is looked up by its 4-grams (its character pairs are everywhere), exactly."""
    archive, settings = indexed
    dossier = next(d for d in archive.iter_dossiers() if d.contract_no and d.owners[0].phone)
    code = fold(dossier.contract_no if which == "contract" else dossier.owners[0].phone)
    engine = api.open_index(settings, archive)
    searcher = engine._open()
    q = _query(engine, code)
    assert {text for field, text in q.iter_all_terms() if field == "text"} & set(code_grams(code))
    candidates = set(Evaluator(searcher).matches(q).docnums.tolist())
    holders = set()
    for n in range(searcher.doc_count_all()):
        if searcher.reader().is_deleted(n):
            continue
        hit_text = engine._hit_text(searcher.stored_fields(n))
        if code in fold(hit_text.raw) or code in hit_text.meta or code in hit_text.codes:
            holders.add(n)
    assert holders and holders <= candidates
    # a full phone number in a query is a reveal (docgen.privacy): asked for with a reason
    r = api.search(archive, settings, Query(text=code, limit=1000, highlight=False, reveal=True, reason="测试"))
    assert r.total_exact and r.total == len(holders)  # the text confirms the rest


def test_sort_by_date_puts_undated_last(indexed: tuple) -> None:
    archive, settings = indexed
    for sort in ("date", "date-asc"):
        r = api.search(archive, settings, Query(limit=10_000, sort=sort, highlight=False))
        dates = [h.date for h in r.hits]
        dated = [d for d in dates if d is not None]
        assert dated == sorted(dated, reverse=sort == "date")
        assert all(d is None for d in dates[len(dated):])


def test_meta_entry_is_never_a_result(indexed: tuple) -> None:
    archive, settings = indexed
    r = api.search(archive, settings, Query(text="NOT 漏水", limit=100_000, highlight=False))
    assert r.total == len(r.hits) and all(h.kind in KINDS for h in r.hits)


def test_evaluator_needs_bm25f(indexed: tuple) -> None:
    from whoosh import scoring

    archive, settings = indexed
    engine = api.open_index(settings, archive)
    engine._open()
    with engine._ix.searcher(weighting=scoring.TF_IDF()) as other, pytest.raises(TypeError):
        Evaluator(other)


def test_other_query_types_fall_back_to_whoosh(indexed: tuple) -> None:
    """A query type the evaluator has no array form for is run by whoosh's matcher: same matches, same scores."""
    archive, settings = indexed
    searcher = api.open_index(settings, archive)._open()
    q = wq.And([wq.DisjunctionMax([wq.Term("text", "渗漏"), wq.Term("meta", "渗漏")]), wq.Term("kind", "document")])
    expected = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
    evaluator = Evaluator(searcher)
    got = evaluator.matches(q)
    assert expected and evaluator.fallbacks == 1
    assert dict(zip(got.docnums.tolist(), got.scores.tolist(), strict=True)) == pytest.approx(expected)
