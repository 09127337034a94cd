"""Privacy at the search interface: which queries are reveals, and the journal entry of each.

Every engine calls :func:`check_reveal` before it searches and
:func:`record_reveal` before it returns an unmasked hit, so the rules do not
depend on the engine behind ``[search] engine``; the masking itself is
:mod:`docgen.privacy`'s (through :mod:`docgen.search.snippets`).
"""

from __future__ import annotations

from typing import Any

from docgen import privacy
from docgen.archive.store import Archive
from docgen.errors import UsageError
from docgen.search.types import Query, Results

EXPORT_PREFIX = "导出到 "  # a purpose that starts so is an export: the data leaves docgen in a file


def check_reveal(query: Query) -> None:
    """Refuse, before searching, a reveal without a reason and a full-number query without a reveal.

    Searching for ``350121196501163583`` and getting a hit confirms whose
    number it is, so such a query needs ``reveal`` (and is journaled, naming
    the number only masked).
    """
    if query.reveal:
        kind = privacy.EXPORT if query.purpose.startswith(EXPORT_PREFIX) else privacy.VIEW
        query.reason = privacy.check_reveal(query.role, query.reason, kind)
        return
    numbers = privacy.full_numbers_in(query.text)
    if numbers:
        raise UsageError(
            f"检索式含完整的身份证号码或电话({'、'.join(numbers)}):按号码查人即查看个人信息,"
            f"须加 {privacy.HOW}(会记入档案日志);只记得一部分时可检索其中几位数字"
        )


def record_reveal(archive: Archive, results: Results) -> privacy.Reveal:
    """Journal a search that shows unmasked data: the query masked, the hits' records, why and where."""
    query = results.query
    shown = privacy.mask_text(query.text)
    owners = [h.owner for h in results.hits if h.owner]
    records = [h.doc_id or h.uid for h in results.hits]
    filters = {
        k: "、".join(sorted(v)) or "(无)" if isinstance(v, frozenset) else str(v) for k, v in query.__dict__.items()
        if k not in ("text", "reveal", "purpose", "reason", "role", "highlight") and v not in (None, "", False)
    }
    numbers = privacy.full_numbers_in(query.text)
    what = (f"检索「{shown or '(无检索式)'}」的 {len(results.hits)} 条结果(共 {results.total} 条)中的身份证号码、电话和住址"
            + (f";检索式含完整号码 {'、'.join(numbers)}" if numbers else ""))
    export = query.purpose.startswith(EXPORT_PREFIX)
    detail: dict[str, Any] = {
        "query": shown, "filters": filters, "total": results.total, "returned": len(results.hits),
        **privacy.listed(records), "owners": list(dict.fromkeys(owners))[:200],
    }
    return privacy.reveal(
        archive, target=privacy.target_of(owners) if owners else (query.project or "全部项目").upper(),
        what=what, why=query.reason, where=query.purpose or "屏幕", role=query.role,
        kind=privacy.EXPORT if export else privacy.VIEW, detail=detail,
    )


__all__ = ["EXPORT_PREFIX", "check_reveal", "record_reveal"]
