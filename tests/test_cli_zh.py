"""click's own words are Chinese: every help page and the common usage errors, walked through CliRunner."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from docgen.cli import zh
from docgen.cli.main import cli


def _click_messages() -> tuple[set[str], set[str]]:
    """Every literal message click passes to ``_()`` and ``ngettext()`` (singular), read from its source."""
    plain: set[str] = set()
    plural: set[str] = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if node.func.id == "_":
                plain.add(first.value)
            elif node.func.id == "ngettext":
                plural.add(first.value)
    return plain, plural


def _walk(group: click.Command, path: list[str]) -> list[list[str]]:
    out = [path]
    if isinstance(group, click.Group):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            if sub is not None:
                out += _walk(sub, [*path, name])
    return out


def test_catalog_covers_every_click_message() -> None:
    """A click upgrade that adds a message fails here instead of printing English to a clerk."""
    plain, plural = _click_messages()
    assert plain, "click's source should mark messages with _()"
    assert sorted(plain - set(zh.MESSAGES) - {"required"}) == []
    assert sorted(plural - set(zh.PLURALS)) == []
    assert "required" in zh.MESSAGES  # passed to _() through a variable


# click's sentences (single words like "file" or "path" also occur in docgen's own help, as config keys)
ENGLISH = sorted({m for m in [*zh.MESSAGES, *zh.PLURALS] if " " in m.strip() or m.endswith(":")}, key=len, reverse=True)
METAVAR = re.compile(r"--[\w-]+ (?:TEXT|INTEGER|FLOAT|BOOLEAN|PATH|FILE|DIRECTORY|FILENAME|UUID)\b")


@pytest.mark.parametrize("path", _walk(cli, []), ids=lambda p: " ".join(p) or "docgen")
def test_help_has_no_english_click_text(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="docgen")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("用法: docgen") and "显示本帮助并退出。" in out
    leftovers = [m for m in ENGLISH if m.split("{")[0].strip() and m.split("{")[0].strip() in out]
    assert leftovers == []
    assert METAVAR.search(out) is None
    for word in ("[OPTIONS]", "COMMAND [ARGS]", "[default:", "[required]", "Options:", "Commands:"):
        assert word not in out


def test_required_and_default_marks_are_chinese() -> None:
    out = CliRunner().invoke(cli, ["project", "new", "--help"]).output
    assert "[必填]" in out and "--name 文本" in out
    out = CliRunner().invoke(cli, ["journal", "--help"]).output
    assert "[默认:20]" in out and "--limit 整数" in out


@pytest.mark.parametrize("path", [[], ["audit"], ["search"]])
def test_columns_align_by_display_width(path: list[str]) -> None:
    """A Chinese character is two terminal columns: the help text starts in one column as a person sees it."""
    out = CliRunner().invoke(cli, [*path, "--help"]).output
    rows = [m for line in out.splitlines() if (m := re.match(r"^(  -\S.*?\S)(\s{2,})(\S.*)$", line))]
    assert len(rows) > 3
    assert len({zh.display_width(m[1] + m[2]) for m in rows}) == 1, out


_NOT_CHINESE = re.compile(r"[A-Za-z]{3,}")


def _english_left(output: str, *allowed: str) -> list[str]:
    """Latin words left in an error after removing what the user typed, option names and the program name."""
    text = re.sub(r"“[^”]*”", "", output)
    text = re.sub(r"--?[\w-]+", "", text)
    for word in ("docgen", *allowed):
        text = text.replace(word, "")
    return _NOT_CHINESE.findall(text)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["dossier", "-o"], "没有选项"),
        (["dossier", "show"], "缺少参数"),
        (["project", "new", "X"], "缺少选项"),
        (["search", "--limit", "x"], "不是有效的数字"),
        (["search", "--sort", "x"], "不是可选值"),
        (["sear"], "没有命令"),
        (["dossier", "show", "a", "b"], "多余的参数"),
        (["search", "--limit"], "需要 1 个值"),
        (["search", "--no-update=1"], "不能跟值"),
        (["audit", "--today", "2026-02-30"], "2026 年 2 月只有 28 天"),
        (["audit", "--today", "明天"], "YYYY-MM-DD"),
        (["init", "--name"], "需要 1 个值"),
    ],
)
def test_usage_errors_are_chinese(args: list[str], says: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="docgen")
    assert result.exit_code == 2, result.output
    assert says in result.output and "错误:" in result.output
    # click prints the usage line for most errors (not for an option missing its value)
    assert ("用法:" in result.output) == ("查看帮助" in result.output)
    assert _english_left(result.output, *args, "KEY", "CODE", "WORDS", "YYYY", "MM", "DD") == [], result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["cert", "poa", "HXSZ/05-1-0502"], "缺少选项 “--reason”。"),
        (["cert", "collect", "DJ-2026-00001"], "缺少参数 “UNIT”。"),
        (["dossier", "-o"], "没有选项 “-o”。"),
        (["search", "--limt", "3"], "没有选项 “--limt”。（是否想用：“--limit”、“--to”、“--unit”？）"),
        (["sear"], "没有命令 “sear”。"),
        (["search", "--limit", "x"], "“--limit” 的值无效：“x” 不是有效的数字。"),
        (["cert", "prerequisite", "HXSZ", "初始登记", "--status", "完成"],
         "“--status” 的值无效：“完成” 不是可选值（“未办理”、“办理中”、“已办结”）之一。"),
        (["search", "--no-update=1"], "选项 “--no-update” 后面不能跟值。"),
        (["audit", "--today", "明天"], "“--today” 的值无效：“明天” 不是日期，应写成 YYYY-MM-DD（如 2026-06-30）"),
        (["search", "--limit", "1\x01"], "“1␁” 不是有效的数字。"),
    ],
)
def test_click_names_what_was_typed_in_chinese_quotes(args: list[str], says: str) -> None:
    """Review: click's own parts of a message read ``缺少选项 '--reason'.`` (ASCII quotes, a repr, a full stop)."""
    result = CliRunner().invoke(cli, args, prog_name="docgen")
    assert result.exit_code == 2, result.output
    assert says in result.output, result.output
    assert "'" not in result.output and "\\x" not in result.output
    assert ("用法:" in result.output) == ("查看帮助。" in result.output and "用 “docgen" in result.output)


def test_version_is_chinese() -> None:
    result = CliRunner().invoke(cli, ["--version"], prog_name="docgen")
    assert result.exit_code == 0 and result.output.startswith("docgen 版本 ")
