"""Configuration errors in Chinese: every section's bad value names the key, the value and what is allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.cli.main import cli
from docgen.config import load_config
from docgen.errors import ConfigError

BAD_VALUES = [
    ("[web]\nidle_minutes = 0", "[web] idle_minutes 的值「0」无效,应为大于 0 的数字"),
    ("[web]\nabsolute_hours = -1", "[web] absolute_hours 的值「-1」无效,应为大于 0 的数字"),
    ("[web]\nport = 70000", "[web] port 的值「70000」无效,应为 1 到 65535 的整数"),
    ('[web]\nport = "八千"', "[web] port 的值「八千」无效,应为 1 到 65535 的整数"),
    ("[web]\nthreads = 1.5", "[web] threads 的值「1.5」无效,应为 1 到 256 的整数"),
    ("[web]\nmax_upload_mb = 0", "[web] max_upload_mb 的值「0」无效,应为大于 0、不大于 2048 的数字"),
    ('[web]\nsecure_cookies = "sometimes"', "[web] secure_cookies 的值「sometimes」无效,应为 auto、always或never"),
    ('[web]\ntrust_proxy = "maybe"', "[web] trust_proxy 的值「maybe」无效,应为 true 或 false"),
    ('[web]\ntoday = "2026-02-30"', "[web] today 的值「2026-02-30」无效:日期 2026-02-30 不存在：2026 年 2 月只有 28 天"),
    ("[web]\ncache = 5", "[web] cache 的值「5」无效,应为路径(加引号的文本),或不写这一项"),
    ("[archive]\nlock_timeout = -5", "[archive] lock_timeout 的值「-5」无效,应为不小于 0 的数字"),
    ("[archive]\nactor = [1]", "[archive] actor 的值(一个列表)无效,应为文本(加引号)"),
    ("[search]\nprocs = 0", "[search] procs 的值「0」无效,应为 1 到 16 的整数"),
    ("[ingest]\nocr_dpi = 50", "[ingest] ocr_dpi 的值「50」无效,应为 100 到 600 的整数"),
    ("[ingest]\nreview_threshold = 8", "[ingest] review_threshold 的值「8」无效,应为 0 到 1 的数字"),
    ("[ingest]\npoll_interval = 0", "[ingest] poll_interval 的值「0」无效,应为大于 0 的数字"),
    ('[ingest]\nworkers = "http://x"', "[ingest] workers 的值「http://x」无效:workers 应为 Redis 地址"),
    ("[generate]\nrepair_start_days = 0", "[generate] repair_start_days 的值「0」无效,应为 1 到 60 的整数"),
    ('[generate]\napproval_thresholds = { "分管领导" = "五千" }',
     "[generate] approval_thresholds.分管领导 的值「五千」无效,应为数字(金额)"),
    ("[generate]\napproval_thresholds = 5", "[generate] approval_thresholds 的值「5」无效,应为一个表,每项为 名称 = 数字(金额)"),
    ('[audit]\nfail_on = "fatal"', "[audit] fail_on 的值「fatal」无效,应为 error、warning、info或never"),
]


@pytest.mark.parametrize(("toml", "message"), BAD_VALUES)
def test_a_bad_value_is_named_in_chinese(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "docgen.toml"
    path.write_text(toml + "\n", "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    text = str(err.value)
    assert text == f"{path}: {message}" or (text.startswith(f"{path}: {message}") and "workers" in message)
    assert "Input should" not in text and "'" not in text and "greater" not in text


def test_every_setting_with_bounds_or_choices_gets_a_chinese_explanation(tmp_path: Path) -> None:
    """No section falls back to pydantic's English: each bounded or typed key, given nonsense, is explained."""
    from docgen.config import Config

    for section, field in Config.model_fields.items():
        if section == "source":
            continue
        model = field.annotation
        for key in model.model_fields:  # type: ignore[union-attr]
            path = tmp_path / f"{section}-{key}.toml"
            path.write_text(f"[{section}]\n{key} = [[]]\n", "utf-8")  # a value no setting accepts
            with pytest.raises(ConfigError) as err:
                load_config(path, env={})
            text = str(err.value).removeprefix(f"{path}: ")
            assert text.startswith(f"[{section}] {key} 的值(一个列表)无效"), text
            english = re.findall(r"[A-Za-z]{4,}", text.replace(f"[{section}] {key}", ""))
            assert not [w for w in english if w not in ("true", "false", "YYYY", "auto", "always", "never",
                                                          "error", "warning", "info", "whoosh", "scan")], text


@pytest.mark.parametrize(("toml", "message"), [
    ("[web]\nport = \n", "第 2 行第 8 列不是有效的 TOML"),
    ("[web\n", "配置节的写法应为 [节名]"),
    # which key, which section, on which line (before: "同一配置项或配置节写了两次", nothing more)
    ("[web]\nport = 1\nport = 2\n", "第 3 行第 9 列配置项「port」在同一节中写了两次"),
    ("[web]\nport = 1\n[search]\nprocs = 1\n[web]\nhost = \"a\"\n", "第 5 行第 5 列配置节「[web]」写了两次"),
    ("[web]\nport = 1\n[web.port]\n", "第 3 行第 10 列配置项「port」在同一节中写了两次(或与另一配置项、配置节同名)"),
    # the key of a value spread over lines, not a line inside it (before: 「port」 from inside the string)
    ('[ingest]\ninbox = "a"\ninbox = """\nfoo\nport = 8000"""\n', "配置项「inbox」在同一节中写了两次"),
    ("[web]\nx = {a = 1, a = 2}\n", "第 2 行第 18 列同一个表中配置项「a」写了两次"),
    ('["a,b"]\nx = 1\n["a,b"]\n', "配置节「[a,b]」写了两次"),  # before: 「[a.b]」
    # a table named like a key: the table's name (before: 「host」, the key above the header)
    ('[web]\nport = 1\nhost = "x"\n[web.port]\n', "第 4 行第 10 列配置项「port」在同一节中写了两次"),
])
def test_toml_syntax_errors_are_chinese(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "docgen.toml"
    path.write_text(toml, "utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_config(path, env={})
    assert "Invalid" not in str(err.value) and "Expected" not in str(err.value)


def test_serve_stops_with_the_message_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "docgen.toml"
    path.write_text("[web]\nidle_minutes = 0\n", "utf-8")
    r = CliRunner().invoke(cli, ["--config", str(path), "serve"])
    assert r.exit_code == 2 and "[web] idle_minutes 的值「0」无效,应为大于 0 的数字" in r.output
    assert "Traceback" not in r.output
