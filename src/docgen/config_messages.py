"""Chinese messages for a configuration that does not validate: the key, the value, what is allowed.

pydantic says ``Input should be greater than 0``; the person who edited
``docgen.toml`` needs ``[web] idle_minutes 的值「0」无效,应为大于 0 的数字``.
What is allowed is read from the setting's own declaration (its type, its
``Field(ge=…, le=…)`` bounds, its ``Literal`` choices), so every section
(``[archive]``, ``[search]``, ``[ingest]``, ``[generate]``, ``[audit]``,
``[web]``) is explained the same way and a new setting needs no message of
its own.  A validator's own message (``workers 应为 Redis 地址…``) is kept,
after the key and the value.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from docgen.errors import quote_input

_TYPE_WORDS: dict[Any, str] = {
    int: "整数", float: "数字", Decimal: "数字(金额)", bool: "true 或 false", str: "文本(加引号)",
    Path: "路径(加引号的文本)", dt.date: "日期 YYYY-MM-DD(如 2026-11-16)",
}


def config_problems(exc: PydanticValidationError, model: type[BaseModel]) -> list[str]:
    """One Chinese line per error of validating the whole configuration ``model``."""
    return [_problem(err, model) for err in exc.errors()]


def toml_problem(exc: Exception, source: str = "") -> str:
    """A TOML syntax error in Chinese, with its line and column (tomllib's own text is English).

    With the file's ``source`` a key written twice is named (tomllib gives
    only the line of the second one).
    """
    text = str(exc)
    at = re.search(r"at line (\d+), column (\d+)", text)
    where = f"第 {at[1]} 行第 {at[2]} 列" if at else ("文件末尾" if "end of document" in text else "")
    twice = re.match(r"Cannot declare (\(.*\)) twice", text)
    inline = re.match(r"Duplicate inline table key '(.*)'", text)
    if twice:
        what = f"配置节{quote_input('[' + _dotted(twice[1]) + ']')}写了两次;每节只能写一次,请把两处的配置项合到一处"
    elif inline:
        what = f"同一个表中配置项{quote_input(inline[1])}写了两次;请删去其中一处"
    elif "overwrite" in text or "redefine namespace" in text:
        key = _key_of_statement(source, int(at[1])) if at else ""
        what = (f"配置项{quote_input(key)}在同一节中写了两次(或与另一配置项、配置节同名);请删去其中一处" if key
                else "同一配置项写了两次(或配置项与配置节同名);请删去其中一处")
    elif "table declaration" in text or "']'" in text:
        what = "配置节的写法应为 [节名]"
    else:
        what = "不是有效的 TOML(常见原因:文本没有加引号、缺少 = 或值、引号或括号不配对)"
    return f"{where}{what}" if where else what


_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_ASSIGNMENT = re.compile(rf"\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")
_HEADER = re.compile(rf"\s*\[\[?\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]")


def _key_of_statement(source: str, line: int) -> str:
    """The key of the statement that ends on ``line`` ('' when none is found).

    tomllib reports where the second value ends, which for a multi-line
    value is not the key's line: the statement starts on the last line at
    or before it that begins with ``key =`` and before which the file
    parses (a line inside a multi-line string does not qualify).
    """
    import tomllib

    lines = source.splitlines()
    if 1 <= line <= len(lines) and lines[line - 1].lstrip().startswith("["):
        header = _HEADER.match(lines[line - 1])  # a table named like a key above it: name the table's last part
        return _unquoted(re.findall(_KEY, header[1])[-1:]) if header else ""
    tries = 0
    for start in range(min(line, len(lines)), 0, -1):
        found = _ASSIGNMENT.match(lines[start - 1])
        if not found:
            continue
        tries += 1
        if tries > 20:  # a long multi-line value full of "x = 1" lines: give up rather than parse for minutes
            return ""
        try:
            tomllib.loads("\n".join(lines[: start - 1]))
        except tomllib.TOMLDecodeError:
            continue
        return _unquoted(re.findall(_KEY, found[1]))
    return ""


def _unquoted(parts: list[str]) -> str:
    return ".".join(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _dotted(names: str) -> str:
    """``('web', 'x')`` (tomllib's tuple of a table's name) as ``web.x``."""
    import ast

    try:
        parts = ast.literal_eval(names)
    except (ValueError, SyntaxError):
        return names.strip("()")
    return ".".join(str(p) for p in (parts if isinstance(parts, tuple) else (parts,)))


def _problem(err: Any, model: type[BaseModel]) -> str:
    loc = tuple(err.get("loc", ()))
    section, key = (*loc, "", "")[:2]
    name = f"[{section}] {'.'.join(str(p) for p in loc[1:])}" if key else f"[{section}]"
    kind = err.get("type", "")
    if kind == "missing":
        return f"{name} 未填写(必填)"
    value = _value(err.get("input"))
    if kind == "value_error":
        cause = err.get("ctx", {}).get("error")
        return f"{name} 的值{value}无效:{cause if cause is not None else '请检查'}"
    if kind.startswith("date_") and isinstance(err.get("input"), str):
        from docgen.dates import parse_date

        try:
            parse_date(err["input"])
        except ValueError as bad:  # a day that does not exist (2026-02-30) is said so
            return f"{name} 的值{value}无效:{bad}"
    allowed = _allowed(model, loc)
    if not allowed:
        return f"{name} 的值{value}无效"
    return f"{name} 的值{value}无效,应为{' ' if allowed[0].isascii() else ''}{allowed}"


def _value(value: Any) -> str:
    """The value as the person wrote it in TOML (true, not True), quoted safely."""
    if isinstance(value, bool):
        return quote_input("true" if value else "false")
    if isinstance(value, dict):
        return "(一个表)"
    if isinstance(value, list):
        return "(一个列表)"
    return quote_input(value)


def _allowed(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """What the setting at ``loc`` accepts, from its declaration: ``1 到 65535 的整数``."""
    annotation: Any = model
    metadata: list[Any] = []
    for part in loc:
        inner = _strip_optional(annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and isinstance(part, str) \
                and part in inner.model_fields:
            field = inner.model_fields[part]
            annotation, metadata = field.annotation, list(field.metadata)
        elif typing.get_origin(inner) is dict:
            annotation, metadata = typing.get_args(inner)[1], []
        else:
            return ""
    inner = _strip_optional(annotation)
    if typing.get_origin(inner) is typing.Literal:
        from docgen.validation.checks import join_or

        return join_or([str(v) for v in typing.get_args(inner)])
    if typing.get_origin(inner) is dict:
        value_type = typing.get_args(inner)[1]
        return f"一个表,每项为 名称 = {_TYPE_WORDS.get(value_type, '值')}"
    word = _TYPE_WORDS.get(inner, "")
    bounds = _bounds(metadata)
    optional = ",或不写这一项" if inner is not annotation else ""
    if bounds and word:
        return f"{bounds}的{word}{optional}"  # 1 到 65535 的整数, 大于 0 的数字
    return f"{word}{optional}" if word else ""


def _strip_optional(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _bounds(metadata: list[Any]) -> str:
    low = next(((m.ge, "") for m in metadata if getattr(m, "ge", None) is not None), None) \
        or next(((m.gt, "大于") for m in metadata if getattr(m, "gt", None) is not None), None)
    high = next(((m.le, "") for m in metadata if getattr(m, "le", None) is not None), None) \
        or next(((m.lt, "小于") for m in metadata if getattr(m, "lt", None) is not None), None)
    if low and high and not low[1] and not high[1]:
        return f"{_number(low[0])} 到 {_number(high[0])} "
    parts = []
    if low:
        parts.append(f"大于 {_number(low[0])}" if low[1] else f"不小于 {_number(low[0])}")
    if high:
        parts.append(f"小于 {_number(high[0])}" if high[1] else f"不大于 {_number(high[0])}")
    return "、".join(parts) + " " if parts else ""


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["config_problems", "toml_problem"]
