"""The query language every engine reads: field names, operators, value rules and their messages.

What a user types (``卫生间 漏水 类型:维修记录 NOT 已关闭``, the flags of
``docgen search``) means the same whichever engine answers, so the parts that
decide it live here, without whoosh: the field aliases, the operator words,
how a field value is normalised (``项目:hxsz`` is project ``HXSZ``,
``类型:维修记录`` is type ``repair_record``), and the Chinese message for each
bad value.  :mod:`docgen.search.query` builds whoosh queries from them;
:mod:`docgen.search.scan` evaluates them itself.
"""

from __future__ import annotations

import unicodedata

from docgen.errors import UsageError, quote_input
from docgen.search.text import UnitQuery, fold, parse_unit_query
from docgen.search.types import KIND_BY_LABEL, KINDS, SORTS, Query
from docgen.vocab import STAGES, doc_type_code

#: field names of the query syntax and their Chinese aliases (``类型:维修记录`` = ``type:维修记录``)
FIELD_ALIASES: dict[str, list[str]] = {
    "text": ["正文", "内容"],
    "meta": ["标题", "文件名"],
    "type": ["类型"],
    "project": ["项目"],
    "batch": ["批次"],
    "unit": ["房号"],
    "owners": ["业主", "owner"],
    "codes": ["编号", "号码", "code"],
    "status": ["状态"],
    "kind": ["类别"],
    "stage": ["阶段"],
    "date": ["日期"],
    "component": ["部位"],
    "signed": ["已签"],
    "open": ["未结"],
}
#: what the parser reads as operators (upper case only, between spaces); one with nothing to join is dropped
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
DATE_HINT = "日期写成 20260630,范围写成 日期:[20260101 TO 20260630](两端和方括号都要写全)"
YES = frozenset({"t", "true", "yes", "y", "1", "是"})
NO = frozenset({"f", "false", "no", "n", "0", "否"})


def normalize_text(text: str) -> str:
    """The query string as parsed: NFKC (full-width ``：`` and brackets), curly quotes as straight ones."""
    normalized = unicodedata.normalize("NFKC", text)
    for a, b in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'")):
        normalized = normalized.replace(a, b)
    return normalized


def no_terms(text: str) -> UsageError:
    """The error for a query string that holds nothing to search for (only brackets or operators)."""
    return UsageError(f"检索式{quote_input(text)}中没有可检索的词;只按条件筛选时请不写检索式,只选条件(如类别:报修)")


def not_understood(text: str, why: str = DATE_HINT) -> UsageError:
    """The error for a query string that cannot be read (a bad date, mostly)."""
    return UsageError(f"无法理解检索式{quote_input(text)}:{why}")


def type_code(value: str) -> str:
    """A document type from its code or Chinese name (UsageError naming the known ones)."""
    try:
        return doc_type_code(unicodedata.normalize("NFKC", value).strip())
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def kind_code(value: str) -> str:
    """An entry kind from its code or Chinese label (``报修单`` = ``repair``)."""
    v = value.strip()
    if v in KINDS:
        return v
    if v in KIND_BY_LABEL:
        return KIND_BY_LABEL[v]
    raise UsageError(f"未知的类别{quote_input(value)}(可用:{'、'.join(f'{k}({label})' for k, label in KINDS.items())})")


def project_code(value: str) -> str:
    """A project code as stored (``hxsz`` = ``HXSZ``)."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def exact_value(value: str) -> str:
    """Stage, status and batch values: compared as typed, after NFKC."""
    return unicodedata.normalize("NFKC", value).strip()


def folded_code(value: str) -> str:
    """Owner names, codes and components: folded, without spaces (``DOC-1`` = ``doc-1``)."""
    return fold(value).replace(" ", "")


def unit_value(value: str) -> UnitQuery:
    """A whole or partial unit typed in a field or flag (UsageError with the accepted forms)."""
    unit = parse_unit_query(value.strip())
    if unit is None:
        raise UsageError(f"房号{quote_input(value)}无法识别:应为 3栋2单元1203、3栋1203(各单元的 1203)、"
                         f"3栋2单元、3栋 或 03-2-1203 的形式")
    return unit


def yes_no(value: str, field_label: str) -> bool:
    """``已签:是`` / ``已签:否`` (also yes/no, true/false, 1/0)."""
    v = unicodedata.normalize("NFKC", value).strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise UsageError(f"{field_label} 的值{quote_input(value)}应为 是/否(yes/no)")


def check_flags(query: Query) -> None:
    """Refuse flag values no engine can answer (unknown stage or sort, dates reversed, bad paging)."""
    if query.stage and query.stage not in STAGES:
        raise UsageError(f"未知的阶段{quote_input(query.stage)}(可用:{'、'.join(STAGES)})")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise UsageError(f"起始日期 {query.date_from} 晚于结束日期 {query.date_to}")
    if query.sort not in SORTS:
        raise UsageError(f"未知的排序方式{quote_input(query.sort)}(可用:relevance、date、date-asc)")
    if query.limit < 1:
        raise UsageError("--limit 应为正整数")
    if query.offset < 0:
        raise UsageError("--page 应为正整数")
