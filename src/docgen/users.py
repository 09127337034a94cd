"""User accounts for the web application: names, roles, project scopes, passwords, API tokens.

Accounts live beside the records in ``users.json`` at the archive root, so
they are backed up with the archive and every change to them is journaled
(who added whom, who changed a role) like any other record; they are never
indexed for search.  Passwords are hashed with argon2id (argon2-cffi's
defaults, rehashed when the defaults change); API tokens for scripts are
random 32-byte secrets shown once and stored as their sha256 (a token has
enough entropy that a fast hash is safe, and checking one per request must
be cheap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from docgen.errors import (
    ConflictError,
    DocgenError,
    NotFoundError,
    RecordError,
    UsageError,
    quote_input,
    show_input,
)
from docgen.permissions import ROLE_LABELS, ROLES
from docgen.session import User

if TYPE_CHECKING:
    from docgen.archive import Archive

USERS_FILE = "users.json"
MIN_PASSWORD = 8
TOKEN_PREFIX = "dg_"
CHAIN_ROLES = ("经办人", "客户服务部负责人", "分管领导", "总经理")


def check_login_name(name: str) -> str:
    """A login name: 1-32 visible characters (Chinese names allowed), no spaces, slashes or control characters."""
    value = unicodedata.normalize("NFKC", name).strip()
    if not value or len(value) > 32:
        raise UsageError("用户名应为 1 到 32 个字符")
    for ch in value:
        if ch.isspace() or ch in "/\\:\"'<>&" or unicodedata.category(ch)[0] == "C":
            raise UsageError(f"用户名{quote_input(value)}含有不允许的字符(空格、斜杠、引号、尖括号或控制字符)")
    return value


def check_role(role: str) -> str:
    """A role an account may have (the operator is the local terminal, never an account)."""
    if role not in ROLES or role == "operator":
        known = "、".join(f"{r}({ROLE_LABELS[r]})" for r in ROLES if r != "operator")
        raise UsageError(f"角色{quote_input(role)}无效,应为 {known}")
    return role


class ApiToken(BaseModel):
    """One API token of a user: an id to name it by, the sha256 of its secret, when it was made."""

    model_config = ConfigDict(extra="forbid")
    id: str
    """Short id printed in the token itself (``dg_<id>_<secret>``), so a token can be found and revoked."""
    sha256: str
    """sha256 of the whole token; the token itself is shown once and never stored."""
    label: str = ""
    """What the token is for (a script's name)."""
    created_at: dt.datetime
    """When it was issued."""


class Account(BaseModel):
    """One user account."""

    model_config = ConfigDict(extra="forbid")
    name: str
    """Login name (also the name the journal records as the actor)."""
    role: str
    """archivist, staff, auditor, manager or admin (see docgen.permissions)."""
    projects: list[str] = Field(default_factory=list)
    """Projects the user may see; empty means all."""
    sign_as: list[str] = Field(default_factory=list)
    """Countersign steps assigned to the user (客户服务部负责人, 分管领导, 总经理)."""
    password_hash: str = ""
    """argon2id hash of the password (empty: no password login, tokens only)."""
    disabled: bool = False
    """A disabled account cannot log in, and its tokens stop working."""
    created_at: dt.datetime
    """When the account was made."""
    tokens: list[ApiToken] = Field(default_factory=list)
    """API tokens (hashed)."""

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        try:
            return check_role(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from exc

    def as_user(self) -> User:
        """The session user this account acts as."""
        return User(self.name, self.role, frozenset(self.projects), frozenset(self.sign_as))


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    users: list[Account] = Field(default_factory=list)


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"密码至少 {MIN_PASSWORD} 个字符")
    if password.strip() != password or any(unicodedata.category(c)[0] == "C" for c in password):
        raise UsageError("密码不能以空格开头或结尾,也不能含控制字符")


class UserStore:
    """The accounts of one archive (``users.json``); every change is one journaled transaction."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.path = archive.root / USERS_FILE
        self._cache: tuple[Any, list[Account]] | None = None
        self._guard = threading.Lock()
        self._dummy_hash: str | None = None

    # -- reading ---------------------------------------------------------------
    def accounts(self) -> list[Account]:
        """Every account, as stored (re-read when the file changes)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            data = _File.model_validate_json(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            raise RecordError(self.path, [f"用户文件无法读取:{exc}"]) from exc
        self._cache = (stamp, data.users)
        return data.users

    def get(self, name: str) -> Account:
        """One account; NotFoundError if there is none."""
        for account in self.accounts():
            if account.name == name:
                return account
        raise NotFoundError(f"用户 {show_input(name)} 不存在")

    # -- changing ----------------------------------------------------------------
    def _change(self, action: str, target: str, summary: str, fn: Any) -> Any:
        with self.archive.transaction(action, f"user:{target}", summary) as tx:
            try:
                raw = self.path.read_bytes()
                data = _File.model_validate_json(raw)
            except FileNotFoundError:
                data = _File()
            result = fn(data.users)
            body = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2).encode() + b"\n"
            tx.put_bytes(USERS_FILE, body)
        return result

    def add(self, name: str, role: str, *, password: str | None = None, projects: Iterable[str] = (),
            sign_as: Iterable[str] = ()) -> Account:
        """Add an account (journaled); a password is optional (an account may use only API tokens)."""
        name = check_login_name(name)
        check_role(role)
        if password is not None:
            _check_password(password)
        project_list = self._projects(projects)
        signs = self._sign_as(sign_as)

        def add(users: list[Account]) -> Account:
            if any(u.name == name for u in users):
                raise ConflictError(f"用户 {name} 已存在")
            account = Account(name=name, role=role, projects=project_list, sign_as=signs,
                              password_hash=_hasher().hash(password) if password else "",
                              created_at=self.archive.now())
            users.append(account)
            return account

        return self._change("user.add", name, f"新建用户 {name}(角色 {ROLE_LABELS.get(role, role)})", add)

    def _projects(self, projects: Iterable[str]) -> list[str]:
        codes = sorted({p.strip().upper() for p in projects if p.strip()})
        known = set(self.archive.project_codes())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise NotFoundError(f"项目 {show_input('、'.join(unknown))} 不存在(已有:{'、'.join(sorted(known)) or '无'})")
        return codes

    @staticmethod
    def _sign_as(sign_as: Iterable[str]) -> list[str]:
        roles = [r.strip() for r in sign_as if r.strip()]
        bad = [r for r in roles if r not in CHAIN_ROLES[1:]]
        if bad:
            raise UsageError(f"会签环节 {'、'.join(bad)} 无效,应为 {'、'.join(CHAIN_ROLES[1:])}")
        return list(dict.fromkeys(roles))

    def _edit(self, name: str, action: str, summary: str, fn: Any) -> Account:
        def edit(users: list[Account]) -> Account:
            for i, account in enumerate(users):
                if account.name == name:
                    data = account.model_dump()
                    fn(data)
                    users[i] = Account.model_validate(data)
                    return users[i]
            raise NotFoundError(f"用户 {show_input(name)} 不存在")

        result: Account = self._change(action, name, summary, edit)
        return result

    def set_password(self, name: str, password: str) -> Account:
        """Set a new password."""
        _check_password(password)
        digest = _hasher().hash(password)
        return self._edit(name, "user.passwd", f"修改用户 {name} 的密码",
                          lambda d: d.update(password_hash=digest))

    def set_disabled(self, name: str, disabled: bool = True) -> Account:
        """Disable (or enable again) an account; a disabled account's sessions and tokens stop working."""
        word = "停用" if disabled else "启用"
        return self._edit(name, "user.disable" if disabled else "user.enable", f"{word}用户 {name}",
                          lambda d: d.update(disabled=disabled))

    def set_role(self, name: str, role: str, *, projects: Iterable[str] | None = None,
                 sign_as: Iterable[str] | None = None) -> Account:
        """Change an account's role (and, if given, its projects and countersign steps)."""
        changes: dict[str, Any] = {"role": check_role(role)}
        if projects is not None:
            changes["projects"] = self._projects(projects)
        if sign_as is not None:
            changes["sign_as"] = self._sign_as(sign_as)
        return self._edit(name, "user.role", f"修改用户 {name} 的角色为 {ROLE_LABELS.get(role, role)}",
                          lambda d: d.update(changes))

    def new_token(self, name: str, label: str = "") -> str:
        """Issue an API token for a user; the token is returned once and only its hash is kept."""
        token_id = secrets.token_hex(4)
        token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        digest = hashlib.sha256(token.encode()).hexdigest()
        entry = ApiToken(id=token_id, sha256=digest, label=label.strip()[:60], created_at=self.archive.now())

        def add(d: dict[str, Any]) -> None:
            d["tokens"] = [*d["tokens"], entry.model_dump()]

        self._edit(name, "user.token", f"为用户 {name} 签发接口令牌 {token_id}", add)
        return token

    def revoke_token(self, name: str, token_id: str) -> Account:
        """Revoke one API token by its id."""
        def drop(d: dict[str, Any]) -> None:
            kept = [t for t in d["tokens"] if t["id"] != token_id]
            if len(kept) == len(d["tokens"]):
                raise NotFoundError(f"用户 {show_input(name)} 没有令牌 {show_input(token_id)}")
            d["tokens"] = kept

        return self._edit(name, "user.token_revoke", f"吊销用户 {name} 的接口令牌 {token_id}", drop)

    # -- checking ------------------------------------------------------------------
    def authenticate(self, name: str, password: str) -> Account | None:
        """The account if the name and password match and it is enabled, else None (no hint which was wrong).

        An unknown name still costs one hash verification, so response time
        does not tell which names exist.
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = _hasher()
        try:
            account: Account | None = self.get(check_login_name(name))
        except (NotFoundError, UsageError):
            account = None
        stored = account.password_hash if account is not None and account.password_hash else None
        if stored is None:
            if self._dummy_hash is None:
                self._dummy_hash = hasher.hash(secrets.token_hex(8))
            stored = self._dummy_hash
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled or not account.password_hash:
            return None
        if hasher.check_needs_rehash(account.password_hash):
            try:
                new_hash = hasher.hash(password)
                self._edit(account.name, "user.rehash", f"更新用户 {account.name} 的密码哈希参数",
                           lambda d: d.update(password_hash=new_hash))
            except DocgenError:
                pass  # a busy archive must not stop a login; the next one rehashes
        return account

    def authenticate_token(self, token: str) -> Account | None:
        """The enabled account that owns this API token, else None."""
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
            return None
        token_id = token[len(TOKEN_PREFIX):].split("_", 1)[0]
        digest = hashlib.sha256(token.encode()).hexdigest()
        for account in self.accounts():
            for entry in account.tokens:
                if entry.id == token_id and hmac.compare_digest(entry.sha256, digest):
                    return None if account.disabled else account
        return None
