"""Logging in and staying logged in: CSRF, failed logins and lock-out, expiry, cookies, disabled accounts."""

from __future__ import annotations

import pytest

from docgen.users import UserStore
from docgen.web.settings import WebSettings
from web_helpers import OWN_KEY, PASSWORD, Clock, WebEnv, build_env, csrf_of, login, with_app


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    return build_env(tmp_path_factory.mktemp("auth"))


@pytest.fixture
def env(base: WebEnv) -> WebEnv:
    """A fresh application (sessions, limiter, clock) on the shared archive; the journal read from here on."""
    UserStore(base.archive).set_role("staff", "staff", projects=["HXSZ"])
    if UserStore(base.archive).get("staff").disabled:
        UserStore(base.archive).set_disabled("staff", False)
    settings = WebSettings(cache=base.root / "cache", idle_minutes=30, absolute_hours=8, max_failures=3,
                           lockout_minutes=5, failure_window_minutes=15)
    env = with_app(base, settings, Clock())
    last = base.archive.journal.last()
    env.docs = {**base.docs, "since": str(last["seq"] if last else 0)}
    return env


def _actions(env: WebEnv, action: str) -> list[tuple[str, str]]:
    since = int(env.docs["since"])
    return [(e.actor, e.target) for e in env.archive.journal.entries(since) if e.action == action]


def test_login_sets_a_safe_cookie_and_is_journaled_as_the_user(env: WebEnv) -> None:
    client = env.client()
    form = client.get("/login")
    r = client.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": csrf_of(form.text),
                                    "next": f"/dossiers/{OWN_KEY}"})
    assert r.status_code == 303 and r.headers["location"] == f"/dossiers/{OWN_KEY}"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("docgen_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on localhost: a Secure cookie would never be sent back
    assert _actions(env, "web.login") == [("staff", "user:staff")]
    assert client.get(f"/dossiers/{OWN_KEY}").status_code == 200


def test_secure_cookie_behind_tls(base: WebEnv) -> None:
    from fastapi.testclient import TestClient

    env = with_app(base, WebSettings(cache=base.root / "cache"))
    https = TestClient(env.app, base_url="https://testserver", follow_redirects=False)
    form = https.get("/login")
    r = https.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": csrf_of(form.text)})
    assert r.status_code == 303
    assert "Secure" in next(c for c in r.headers.get_list("set-cookie") if c.startswith("docgen_session="))
    # behind a TLS proxy: X-Forwarded-Proto counts only when the proxy is trusted
    proxied = with_app(base, WebSettings(cache=base.root / "cache", trust_proxy=True)).client()
    assert "Secure" in proxied.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert "Secure" not in proxied.get("/login").headers["set-cookie"]
    untrusted = with_app(base, WebSettings(cache=base.root / "cache")).client()
    assert "Secure" not in untrusted.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    always = with_app(base, WebSettings(cache=base.root / "cache", secure_cookies="always")).client()
    assert "Secure" in always.get("/login").headers["set-cookie"]


def test_wrong_password_and_unknown_name_say_the_same(env: WebEnv) -> None:
    client = env.client()
    bad = login(client, "staff", "wrong password", expect=401)
    assert bad == ""
    r1 = client.post("/login", data={"name": "staff", "password": "wrong!", "csrf_token": csrf_of(client.get("/login").text)})
    r2 = client.post("/login", data={"name": "nobody", "password": "wrong!", "csrf_token": csrf_of(client.get("/login").text)})
    assert r1.status_code == r2.status_code == 401
    assert "用户名或密码不正确" in r1.text and "用户名或密码不正确" in r2.text
    assert "docgen_session" not in r1.headers.get("set-cookie", "")


def test_lockout_per_name_grows_and_ignores_the_password(env: WebEnv) -> None:
    client = env.client()
    for _ in range(3):
        login(client, "staff", "wrong password", expect=401)
    # locked: even the right password is not checked
    r = client.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)})
    assert r.status_code == 429 and "分钟后再试" in r.text
    assert _actions(env, "web.login_locked") == [("网页登录", "user:staff")]
    # another name from the same address still works (the address limit is higher)
    login(env.client(), "archivist")
    env.clock.advance(5 * 60 + 1)
    login(client, "staff")  # the first lock-out was 5 minutes
    for _ in range(3):
        login(env.client(), "auditor", "wrong password", expect=401)
    login(env.client(), "auditor", expect=429)
    env.clock.advance(5 * 60 + 1)
    for _ in range(3):
        login(env.client(), "auditor", "wrong password", expect=401)
    env.clock.advance(5 * 60 + 1)  # the second lock-out lasts 10 minutes
    login(env.client(), "auditor", expect=429)
    env.clock.advance(5 * 60)
    login(env.client(), "auditor")


def test_lockout_per_address(env: WebEnv) -> None:
    """Trying many names from one address locks the address (4x the per-name limit)."""
    for i in range(12):
        login(env.client(), f"guess{i}", "wrong password", expect=401)
    login(env.client(), "staff", expect=429)


def test_csrf_is_required_on_every_unsafe_request(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "staff")
    reveal = f"/dossiers/{OWN_KEY}/reveal"
    assert client.post(reveal, data={"reason": "核对身份"}).status_code == 403
    assert client.post(reveal, data={"reason": "核对身份", "csrf_token": "forged"}).status_code == 403
    other = env.client()
    other_csrf = login(other, "archivist")
    r = client.post(reveal, data={"reason": "核对身份", "csrf_token": other_csrf})  # another session's token
    assert r.status_code == 403 and "安全校验未通过" in r.text
    assert _actions(env, "privacy.reveal") == []
    # the header form (htmx) and the field both work
    assert client.post(reveal, data={"reason": "核对身份"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post(reveal, data={"reason": "核对身份", "csrf_token": csrf}).status_code == 200
    # a request from another site is refused even with the token
    r = client.post(reveal, data={"reason": "核对身份", "csrf_token": csrf}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.post("/logout", data={}).status_code == 403  # logging out needs the token too
    assert len(_actions(env, "privacy.reveal")) == 2


def test_login_form_needs_its_csrf_cookie(env: WebEnv) -> None:
    client = env.client()
    form = client.get("/login")
    token = csrf_of(form.text)
    stranger = env.client()  # has the token from the page but not the cookie (a cross-site post)
    r = stranger.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 403
    assert client.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": token}).status_code == 303


def test_idle_and_absolute_expiry(env: WebEnv) -> None:
    client = env.client()
    login(client, "staff")
    env.clock.advance(29 * 60)
    assert client.get("/search").status_code == 200  # within the idle time; this request renews it
    env.clock.advance(29 * 60)
    assert client.get("/search").status_code == 200
    env.clock.advance(31 * 60)
    r = client.get(f"/dossiers/{OWN_KEY}")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/dossiers/{OWN_KEY}"
    assert client.get("/api/search").status_code == 401
    # absolute: busy all day, still out after 8 hours
    busy = env.client()
    login(busy, "archivist")
    for _ in range(17):
        env.clock.advance(28 * 60)
        assert busy.get("/search").status_code == 200
    env.clock.advance(28 * 60)  # 8 h 24 min after login
    assert busy.get("/search").status_code == 303


def test_disabled_account_and_role_change_take_effect_at_once(env: WebEnv) -> None:
    client = env.client()
    login(client, "staff")
    store = UserStore(env.archive)
    store.set_role("staff", "auditor", projects=["HXSZ"])
    assert client.get("/audit").status_code == 200  # now an auditor, without logging in again
    store.set_disabled("staff")
    assert client.get("/search").status_code == 303  # the session ended with the account


def test_next_only_goes_to_this_site(env: WebEnv) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = env.client()
        form = client.get("/login")
        r = client.post("/login", data={"name": "staff", "password": PASSWORD, "csrf_token": csrf_of(form.text),
                                        "next": target})
        assert r.status_code == 303 and r.headers["location"] == "/search", target


def test_logout_is_journaled_and_ends_the_session(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "auditor")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/audit").status_code == 303
    assert _actions(env, "web.logout") == [("auditor", "user:auditor")]


def test_security_headers_on_pages_and_errors(env: WebEnv) -> None:
    client = env.client()
    for r in (client.get("/login"), client.get("/nope"), client.get("/api/search")):
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
    assert client.get("/api/search").json() == {"error": "unauthorized", "message": "需要登录或接口令牌(Authorization: Bearer …)",
                                                "status": 401}
    assert "server" not in {k.lower() for k in client.get("/login").headers}
