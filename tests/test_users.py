"""User accounts: the store (argon2 passwords, hashed tokens, journaled changes) and ``docgen user``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import build_small_archive
from docgen.archive import Archive
from docgen.cli.main import cli
from docgen.errors import ConflictError, NotFoundError, UsageError
from docgen.users import UserStore


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    build_small_archive(tmp_path / "records")
    (tmp_path / "docgen.toml").write_text('[archive]\npath = "records"\nactor = "系统管理员老陈"\n', "utf-8")
    return tmp_path


def run(workdir: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(workdir / "docgen.toml"), *args], input=input,
                              catch_exceptions=False)


def test_store_hashes_passwords_and_tokens_and_journals_changes(archive: Archive) -> None:
    store = UserStore(archive)
    account = store.add("王档案", "archivist", password="correct horse 1", projects=["hxsz"])
    assert account.projects == ["HXSZ"] and account.password_hash.startswith("$argon2id$")
    raw = (archive.root / "users.json").read_text("utf-8")
    assert "correct horse 1" not in raw
    assert store.authenticate("王档案", "correct horse 1") == account
    assert store.authenticate("王档案", "wrong password") is None
    assert store.authenticate("没有这人", "correct horse 1") is None
    token = store.new_token("王档案", label="夜间同步脚本")
    assert token.startswith("dg_") and token not in (archive.root / "users.json").read_text("utf-8")
    assert store.authenticate_token(token).name == "王档案"  # type: ignore[union-attr]
    assert store.authenticate_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    store.set_disabled("王档案")
    assert store.authenticate("王档案", "correct horse 1") is None
    assert store.authenticate_token(token) is None
    actions = [e.action for e in archive.journal.entries() if e.target == "user:王档案"]
    assert actions == ["user.add", "user.token", "user.disable"]
    user = store.get("王档案").as_user()
    assert user.role == "archivist" and user.projects == frozenset({"HXSZ"}) and user.sees("HXSZ")
    assert not user.sees("YHW")


def test_store_refuses_bad_input_in_chinese(archive: Archive) -> None:
    store = UserStore(archive)
    with pytest.raises(UsageError, match="密码至少 8 个字符"):
        store.add("张三", "staff", password="short")
    with pytest.raises(UsageError, match="角色「boss」无效"):
        store.add("张三", "boss", password="long enough")
    with pytest.raises(UsageError, match="角色「operator」无效"):
        store.add("张三", "operator", password="long enough")
    with pytest.raises(UsageError, match="不允许的字符"):
        store.add("张 三", "staff", password="long enough")
    with pytest.raises(UsageError, match="不允许的字符"):
        store.add("<script>", "staff", password="long enough")
    with pytest.raises(NotFoundError, match="项目 NOPE 不存在"):
        store.add("张三", "staff", password="long enough", projects=["NOPE"])
    with pytest.raises(UsageError, match="会签环节 经办人 无效"):
        store.add("张三", "manager", password="long enough", sign_as=["经办人"])
    store.add("张三", "staff", password="long enough")
    with pytest.raises(ConflictError, match="用户 张三 已存在"):
        store.add("张三", "staff", password="long enough")
    assert not (archive.root / "users.json").read_text("utf-8").count("boss")


def test_user_commands(workdir: Path) -> None:
    r = run(workdir, "user", "add", "林经理", "--role", "manager", "--sign-as", "客户服务部负责人",
            "--password-stdin", input="manager-pass-1\n")
    assert r.exit_code == 0, r.output
    assert "已新建用户 林经理(角色 经理,全部项目)" in r.output
    r = run(workdir, "user", "add", "小王", "--role", "staff", "--project", "HXSZ", input="staff-pass-1\nstaff-pass-1\n")
    assert r.exit_code == 0, r.output
    r = run(workdir, "user", "list", "--json")
    rows = {row["name"]: row for row in json.loads(r.output)}
    assert rows["小王"]["projects"] == ["HXSZ"] and rows["林经理"]["sign_as"] == ["客户服务部负责人"]
    assert "password_hash" not in r.output and "$argon2" not in r.output
    r = run(workdir, "user", "role", "小王", "archivist", "--all-projects")
    assert r.exit_code == 0 and "项目:全部" in r.output
    r = run(workdir, "user", "passwd", "小王", "--password-stdin", input="new-pass-22\n")
    assert r.exit_code == 0, r.output
    r = run(workdir, "user", "token", "小王", "--label", "脚本")
    token = r.stdout.strip()
    assert r.exit_code == 0 and token.startswith("dg_") and "只显示这一次" in r.stderr
    archive = Archive.open(workdir / "records")
    store = UserStore(archive)
    assert store.authenticate("小王", "new-pass-22") is not None
    token_id = store.get("小王").tokens[0].id
    r = run(workdir, "user", "token", "小王", "--revoke", token_id)
    assert r.exit_code == 0 and store.authenticate_token(token) is None
    r = run(workdir, "user", "disable", "小王")
    assert r.exit_code == 0 and store.get("小王").disabled
    r = run(workdir, "user", "add", "x", "--role", "staff", "--password-stdin", input="\n")
    assert r.exit_code == 2 and "标准输入中没有密码" in r.output
    actors = {e.actor for e in archive.journal.entries() if e.action.startswith("user.")}
    assert actors == {"系统管理员老陈"}
