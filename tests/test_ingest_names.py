"""File names as bytes: readable display of non-UTF-8 names, safe shortening, completeness of arrivals."""

from __future__ import annotations

import os
from pathlib import Path

from docgen.demo.scans import text_pdf
from docgen.ingest.arrival import looks_complete
from docgen.ingest.names import display_name, fit_name, name_bytes, text_name


def test_gbk_name_is_shown_in_its_gb18030_reading():
    raw = "业主交接书.pdf".encode("gbk")
    name = os.fsdecode(raw)  # what os.listdir gives for a name copied from Chinese Windows
    assert text_name(name) == "业主交接书.pdf"
    assert name_bytes(name) == raw  # the real bytes are still there for the file itself


def test_undecodable_bytes_are_escaped_and_control_characters_shown():
    name = os.fsdecode(b"\xff\xfe\x80scan.pdf")  # neither UTF-8 nor GB18030
    assert text_name(name) == "\\xff\\xfe\\x80scan.pdf"
    text_name(name).encode("utf-8")  # writable anywhere
    assert display_name("交接\n书\t.pdf") == "交接\\n书\\t.pdf"
    assert text_name("交接\n书.pdf") == "交接\n书.pdf"  # metadata keeps the name as it is
    assert text_name("扫描仪1/" + os.fsdecode("业主.pdf".encode("gbk"))) == "扫描仪1/业主.pdf"
    # GBK with a stray byte: not guessed at, every bad byte escaped
    assert text_name(os.fsdecode("重复".encode("gbk") + b"\xff.pdf")) == "\\xd6\\xd8\\xb8\\xb4\\xff.pdf"
    # UTF-8 cut in the middle of a character: still read as UTF-8, not as GB18030 mojibake
    assert text_name(os.fsdecode("交接书".encode() + "书".encode()[:2] + b".pdf")) == "交接书\\xe4\\xb9.pdf"


def test_fit_name_keeps_short_names_and_shortens_long_ones_distinctly():
    assert fit_name("scan.pdf", 100) == "scan.pdf"
    long_a, long_b = "关" * 82 + "甲.pdf", "关" * 82 + "乙.pdf"  # 253 bytes, the same first 246
    short_a, short_b = fit_name(long_a, 200), fit_name(long_b, 200)
    assert short_a != short_b and short_a.endswith(".pdf") and short_a.startswith("关关")
    assert len(short_a.encode()) <= 200 and fit_name(long_a, 200) == short_a  # deterministic
    gbk = os.fsdecode(("业主" * 70 + ".pdf").encode("gbk"))
    short = fit_name(gbk, 100)
    assert len(name_bytes(short)) <= 100 and text_name(short).startswith("业主业主")  # cut between characters


def test_looks_complete_tells_a_pdf_without_its_end(tmp_path: Path):
    whole = text_pdf([["房屋交接书", "张伟"]], tmp_path / "whole.pdf")
    data = whole.read_bytes()
    part = tmp_path / "part.pdf"
    part.write_bytes(data[: len(data) // 2])
    rest = tmp_path / "rest.pdf"
    rest.write_bytes(data[len(data) // 2 :])
    assert looks_complete(whole) is True
    assert looks_complete(part) is False
    assert looks_complete(rest) is None  # a continuation's own bytes do not say ...
    assert looks_complete(rest, kind="pdf") is True  # ... unless told what it continues
    unknown = tmp_path / "x.bin"
    unknown.write_bytes(b"hello")
    assert looks_complete(unknown) is None
