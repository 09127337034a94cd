"""Reading and writing record files (JSON), with errors that name the file and the field.

Files are UTF-8 JSON, indented, with Chinese written as itself (not ``\\uXXXX``)
so that a person can read and diff them.  JSON rather than TOML or YAML: the
C parser reads a dossier in ~20 µs (tomllib, pure Python, is ~10× slower and
the archive must list 20,000 dossiers in under 3 s), and its rules are small
enough that a hand edit rarely goes wrong; when one does, the message says
which line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from docgen.errors import RecordError, quote_input

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段(拼写错误?请对照 docs/archive-format.md)",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "时间格式应为 YYYY-MM-DDTHH:MM",
    "datetime_type": "时间格式应为 YYYY-MM-DDTHH:MM",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "list_type": "应为列表 [...]",
    "model_type": "应为对象 {...}",
    "dict_type": "应为对象 {...}",
    "too_short": "至少需要一项",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "decimal_parsing": "应为数字",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic location as ``owners[0].id_number``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(整个文件)"


def _date_message(text: str) -> str:
    """Say whether a date is badly written or a day that does not exist (2026-02-30)."""
    from docgen.dates import parse_date

    try:
        parse_date(text)
    except ValueError as exc:
        return str(exc)
    return _MESSAGES["date_parsing"]


def _allowed(expected: str) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as a sentence says it: ``a、b或c``."""
    from docgen.validation.checks import join_or

    values = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    return join_or(values) if values else expected


def translate(
    exc: PydanticValidationError, *, record: str = "", data: Any = None, technical: bool = False
) -> list[str]:
    """Turn pydantic errors into one Chinese line each, naming the record and the field in words (see :func:`located`)."""
    return [line for _path, line in located(exc, record=record, data=data, technical=technical)]


def located(
    exc: PydanticValidationError, *, record: str = "", data: Any = None, technical: bool = False
) -> list[tuple[str, str]]:
    """Turn pydantic errors into (field path, Chinese line) pairs, naming the record and the field in words.

    ``第 1 位业主的身份证号码:…``, ``报修单 BX-2026-00012 的状态 取值 'x' 无效,应为 已受理、……或不予维修``.
    ``record`` names the validated record (``报修单 BX-2026-00012``); ``data``,
    its input, lets list items be named by their ids; ``technical`` adds the
    JSON path in parentheses (for a hand-edited file, whose editor needs the
    key).  Models without labels (the rules file, the configuration) keep the
    path form ``字段 stages.签约.required[4]: …``.
    """
    from docgen.validation.labels import ITEMS, describe_location, of, then

    lines: list[tuple[str, str]] = []
    for err in exc.errors():
        kind = err.get("type", "")
        loc = tuple(err.get("loc", ()))
        where = field_path(loc[:-1] if kind == "extra_forbidden" else loc) if loc else ""
        where = "" if where == "(整个文件)" else where
        if kind == "value_error":
            ctx_error = err.get("ctx", {}).get("error")
            message = str(ctx_error) if ctx_error is not None else err.get("msg", "")
        elif kind in ("literal_error", "enum"):
            message = f"取值{quote_input(err.get('input'))}无效,应为 {_allowed(str(err.get('ctx', {}).get('expected', '')))}"
        elif kind.startswith("date_") and isinstance(err.get("input"), str):
            message = _date_message(err["input"])
        else:
            message = _MESSAGES.get(kind, err.get("msg", kind))
        words = describe_location(exc.title, loc[:-1] if kind == "extra_forbidden" else loc, data)
        if words is None:
            lines.append((where, f"字段 {field_path(loc)}: {message}"))
            continue
        if not words:
            subject = record or "(整个记录)"
        elif len(loc) > 1 and isinstance(loc[1], int) and (exc.title, loc[0]) in ITEMS:
            subject = f"{record} {words}" if record else words  # 档案 HXSZ/03-2-1203 第 1 位业主的……
        else:
            subject = of(record, words)
        if technical and loc:
            subject += f"({field_path(loc)})"
        if kind == "extra_forbidden":
            lines.append((where, then(subject, f"有未知字段 {loc[-1]}(拼写错误?请对照 docs/archive-format.md)")))
        elif kind in ("literal_error", "enum"):
            lines.append((where, f"{subject} {message}"))
        elif kind == "missing":
            lines.append((where, then(subject, "未填写(必填)")))
        else:
            lines.append((where, f"{subject}:{message}"))
    return lines


def parse_record(model: type[M], data: bytes, path: Path | str | None) -> M:
    """Validate ``data`` (JSON bytes) as ``model``; raise RecordError naming the file and fields."""
    try:
        return model.model_validate_json(data)
    except PydanticValidationError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uexc:
            raise RecordError(path, [f"不是 UTF-8 编码的文本(第 {uexc.start} 字节起);请用 UTF-8 保存"]) from exc
        try:
            raw = json.loads(data)
        except ValueError as jexc:
            raise RecordError(path, [f"JSON 格式错误:{jexc}"]) from exc
        raise RecordError(path, translate(exc, data=raw, technical=True)) from exc


def load_record(model: type[M], path: Path) -> M:
    """Read and validate one record file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise RecordError(path, ["文件不存在"]) from exc
    except OSError as exc:
        raise RecordError(path, [f"无法读取:{exc.strerror}"]) from exc
    return parse_record(model, data, path)


def dump_record(record: BaseModel) -> bytes:
    """Serialise a record as indented UTF-8 JSON with a trailing newline."""
    return record.model_dump_json(indent=2).encode("utf-8") + b"\n"


def revalidate(model: type[M], record: BaseModel, path: Path | str | None) -> M:
    """Validate a record that was changed in memory, as if it had been read from disk."""
    return parse_record(model, record.model_dump_json().encode("utf-8"), path)


def build(model: type[M], data: dict[str, Any], where: str | None = None, record: str = "") -> M:
    """Validate a new record from a dict (command-line input); RecordError names the record and fields in words."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        pairs = located(exc, record=record, data=data)
        raise RecordError(where, [line for _, line in pairs], [path for path, _ in pairs]) from exc
