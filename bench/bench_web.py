"""Web load benchmark: 20 concurrent clients on a 20,000-household archive, beside the same calls in-process.

Run::

    .venv/bin/python bench/bench_web.py            # 20,000 households, 20 clients, 60 s
    .venv/bin/python bench/bench_web.py --quick    # 2,000 households, 20 clients, 15 s

The archive is the demo builder's (``docgen.demo.build.build_demo``), built
once and cached with its search index under ``bench/out/web-<N>/`` (git-ignored;
the 20,000-household build takes several minutes).  Then, in this run:

1. **in-process**: the core calls each page makes, one after another in this
   process (search: the engine's query with snippets; dossier: load, masked
   view, the dossier's audit findings; document: locate by id, masked view
   and text), p50/p95 per kind;
2. **web**: ``docgen serve`` in its own process (uvicorn, the configured
   threads), 20 client threads with their own login sessions, each looping
   over a mix of search (as the search box sends it with htmx), dossier and
   document pages for the given time after a warm-up; p50/p95 per page,
   errors (any status but 200, any exception), throughput, and the server's
   RSS sampled every second (memory flat: the last samples against the first
   after warm-up).

The ratio web p50 / in-process p50 is the web overhead (HTTP, the session,
rendering, and waiting for a thread while 19 other clients are served on a
2-core machine).  Goal: p95 ≤ 150 ms for search and dossier pages, 0 errors.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from docgen.archive import Archive  # noqa: E402
from docgen.config import load_config  # noqa: E402
from docgen.search import api  # noqa: E402
from docgen.search.query import Query  # noqa: E402
from docgen.session import User, Workspace  # noqa: E402
from docgen.users import UserStore  # noqa: E402

PASSWORD = "bench password 1"
MIX = (("search", 0.4), ("dossier", 0.35), ("document", 0.25))
SAVE = "save"
"""A write: open a repair ticket's page, change its 备注 in the edit form, post the whole form (303 = saved)."""
UPLOAD = "upload"
"""A write: upload one scan (a text PDF named ``项目_房号_repair_record_日期.pdf``) on the upload page (303 = taken)."""
ARCHIVIST = "bench-archivist"
RUN = time.strftime("%H%M%S")
STARTED = __import__("datetime").datetime.now().astimezone().isoformat(timespec="seconds")
"""Results logged before this run started are an earlier run's (the archive and its logs are cached)."""
"""In every saved note, so a save never repeats a note an earlier run left on the cached archive (a no-op save)."""
WORDS = ("渗漏", "地暖不热", "交房通知书", "钥匙签收表", "维修记录", "投诉", "赔偿协议", "空鼓")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of the values, by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def prepare(units: int, out: Path) -> Path:
    """The cached archive and index for ``units`` households (built on first use); returns its folder."""
    from docgen.demo.build import build_demo

    work = out / f"web-{units}"
    config_path = work / "docgen.toml"
    if not (work / "bench-complete").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        t = time.perf_counter()
        print(f"building a {units:,}-household demo archive in {work} (cached for later runs)…", flush=True)
        build_demo(work / "records", units=units, inbox=work / "inbox", scans=False)
        print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
        write_config(config_path)
        config = load_config(config_path, env={})
        archive = Archive.open(work / "records")
        t = time.perf_counter()
        print("building the search index…", flush=True)
        api.rebuild(archive, config.search)
        print(f"  indexed in {time.perf_counter() - t:.0f} s", flush=True)
        UserStore(archive).add("bench", "staff", password=PASSWORD)
        (work / "bench-complete").write_text("ok\n")
    return work


def ensure_archivist(work_dir: Path) -> None:
    """The uploading clients' account (added to an archive cached before uploads were benched)."""
    from docgen.errors import NotFoundError

    store = UserStore(Archive.open(work_dir / "records"))
    try:
        store.get(ARCHIVIST)
    except NotFoundError:
        store.add(ARCHIVIST, "archivist", password=PASSWORD)


def write_config(path: Path, *, index_process: bool = True) -> None:
    """The bench archive's docgen.toml (the server's threads; where the index is updated after writes)."""
    path.write_text(
        '[archive]\npath = "records"\nactor = "bench"\n[search]\nindex_path = "index"\nprocs = 2\n'
        f'[web]\ntoday = "2026-11-16"\nthreads = 24\nindex_process = {str(index_process).lower()}\n', "utf-8")


def workload(workspace: Workspace, seed: int = 7, n: int = 400) -> dict[str, list[Any]]:
    """Sample dossiers, documents and search words from the archive (the same for both runs)."""
    rng = random.Random(seed)
    archive = workspace.archive
    keys = list(archive.dossier_keys())
    chosen = rng.sample(keys, min(n, len(keys)))
    docs: list[str] = []
    searches: list[dict[str, str]] = []
    for key in chosen:
        d = archive.dossier(key)
        plain = [doc.id for doc in d.documents if doc.type not in ("id_copy", "household_register", "marriage_proof")]
        if plain:
            docs.append(rng.choice(plain))
        kind = rng.random()
        if kind < 0.35:
            searches.append({"q": d.owners[0].name})
        elif kind < 0.6:
            searches.append({"q": d.unit_label})
        elif kind < 0.7 and d.contract_no:
            searches.append({"q": d.contract_no})
        elif kind < 0.85:
            searches.append({"q": rng.choice(WORDS)})
        else:
            searches.append({"q": rng.choice(WORDS), "kind": "repair", "open": "1"})
    repairs = [r.id for key in chosen for r in archive.dossier(key).repairs if r.status not in ("已关闭", "不予维修")]
    return {"dossiers": chosen, "documents": docs, "searches": searches, "repairs": repairs[:200]}


class _EditForm(html.parser.HTMLParser):
    """The fields of the form posting to ``action``, as a browser would send them (checked boxes, selected options)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method", "").lower() == "post"
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def in_process(workspace: Workspace, work: dict[str, list[Any]], seconds: float) -> dict[str, list[float]]:
    """The pages' core calls, one after another, for about ``seconds`` per kind."""
    from docgen.present import document_view
    from docgen.web.privacy_bridge import dossier_data
    from docgen.web.state import WebState
    from docgen.web.views.dossiers import dossier_findings

    state = WebState(workspace, workspace.config.web)  # the locator (index lookup) the document page uses
    session = workspace.session(User("bench", "staff"))
    engine = workspace.engine()
    times: dict[str, list[float]] = defaultdict(list)

    def run(kind: str, items: list[Any], call: Any) -> None:
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline or i < 20:
            item = items[i % len(items)]
            t = time.perf_counter()
            call(item)
            times[kind].append((time.perf_counter() - t) * 1000)
            i += 1

    def search(s: dict[str, str]) -> None:
        engine.search(Query(text=s["q"], kind=s.get("kind"), open=True if s.get("open") else None, limit=20))

    def dossier(key: str) -> None:
        d = session.archive.dossier(key)
        dossier_data(d, False)
        dossier_findings(session, key)

    def document(doc_id: str) -> None:
        owner, doc = state.locate_document(session, doc_id)
        document_view(doc)
        session.archive.document_text(owner, doc)

    for _ in range(30):  # warm the engine and the caches the server would have warm too
        search(work["searches"][_ % len(work["searches"])])
    run("search", work["searches"], search)
    run("dossier", work["dossiers"], dossier)
    run("document", work["documents"], document)
    return times


class Client(threading.Thread):
    """One browser: logs in, then loops over the page mix until told to stop."""

    def __init__(self, base: str, work: dict[str, list[Any]], seed: int, results: dict[str, Any],
                 think: float, writes: float = 0.0, own: list[str] | None = None, uploads: list[str] | None = None) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.writes = writes
        self.own = own or []
        self.uploads = uploads
        """Dossier keys this client uploads scans to (an archivist client), or None (a staff client saving cases)."""
        self.uploaded: list[str] = []
        """The names of this client's acknowledged uploads."""
        self.saved: dict[str, str] = {}
        """The 备注 each of this client's tickets got from its last acknowledged save."""
        self.n = 0
        self.acked = 0
        self.think = think
        self.ready = threading.Event()
        self.work = work
        self.rng = random.Random(seed)
        self.results = results
        self.measure = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.base, timeout=30.0, follow_redirects=False) as http:
            form = http.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            who = ARCHIVIST if self.uploads is not None else "bench"
            r = http.post("/login", data={"name": who, "password": PASSWORD, "csrf_token": token})
            assert r.status_code == 303, r.text[:300]
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/search").text).group(1)  # type: ignore[union-attr]
            kinds = [k for k, _ in MIX]
            weights = [w * (1 - self.writes) for _, w in MIX]
            if self.writes and self.uploads:
                kinds.append(UPLOAD)
                weights.append(self.writes)
            elif self.writes and self.own:
                kinds.append(SAVE)
                weights.append(self.writes)
            self.ready.set()
            while not self.stop.is_set():
                if self.think:
                    self.stop.wait(self.rng.uniform(0.5, 1.5) * self.think)
                kind = self.rng.choices(kinds, weights)[0]
                t = time.perf_counter()
                try:
                    if kind == "search":
                        s = self.rng.choice(self.work["searches"])
                        resp = http.post("/search", data={**s, "csrf_token": csrf}, headers={"HX-Request": "true"})
                    elif kind == "dossier":
                        resp = http.get(f"/dossiers/{self.rng.choice(self.work['dossiers'])}")
                    elif kind == SAVE:
                        resp = self._save(http)
                    elif kind == UPLOAD:
                        resp = self._upload(http, csrf)
                    else:
                        resp = http.get(f"/documents/{self.rng.choice(self.work['documents'])}")
                    ok = resp.status_code == (303 if kind in (SAVE, UPLOAD) else 200)
                    error = "" if ok else f"{kind} {resp.status_code}"
                except Exception as exc:  # a refused connection or a timeout is an error, not a crash
                    ok, error = False, f"{kind} {type(exc).__name__}"
                elapsed = (time.perf_counter() - t) * 1000
                if self.measure.is_set():
                    self.results["times"][kind].append(elapsed)
                    if not ok:
                        self.results["errors"].append(error)


    def _upload(self, http: Any, csrf: str) -> Any:
        """Upload one scan for a dossier, as the upload page's form sends it (one file, no JavaScript)."""
        import datetime as dt
        import tempfile

        from docgen.demo.scans import text_pdf

        assert self.uploads
        key = self.uploads[self.n % len(self.uploads)]
        self.n += 1
        project, unit = key.split("/")
        day = dt.date(2026, 10, 1) + dt.timedelta(days=self.n % 28)
        name = f"{project}_{unit}_repair_record_{day:%Y%m%d}.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            path = text_pdf([["维修记录", f"压测上传 {RUN} {self.name} 第{self.n}份", f"房号 {unit}", "维修完成,业主签字确认"]],
                            Path(tmp) / "scan.pdf")
            body = path.read_bytes()
        resp = http.post("/ingest/uploads", data={"csrf_token": csrf}, files={"files": (name, body, "application/pdf")})
        if resp.status_code == 303:
            self.uploaded.append(name)
        return resp

    def _save(self, http: Any) -> Any:
        """Edit one of this client's tickets as a person does: load the page, change 备注, post the whole form."""
        case_id = self.rng.choice(self.own)
        page = http.get(f"/cases/{case_id}")
        if page.status_code != 200:
            return page
        form = _EditForm(f"/cases/{case_id}")
        form.feed(page.text)
        self.n += 1
        note = f"压测 {RUN} {self.name} 第{self.n}次"
        data = [(k, v) for k, v in form.fields if k != "notes"] + [("notes", note)]
        from urllib.parse import urlencode

        resp = http.post(f"/cases/{case_id}", content=urlencode(data),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        if resp.status_code == 303:
            self.saved[case_id] = note
            self.acked += 1
        return resp


def web(work_dir: Path, work: dict[str, list[Any]], clients: int, seconds: float, warmup: float,
        think: float, writes: float = 0.0, uploaders: int = 0) -> dict[str, Any]:
    """Serve in a subprocess; drive it with ``clients`` threads; sample its RSS."""
    import psutil

    from docgen.web.server import free_port

    port = free_port()
    log = (work_dir / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "docgen", "--config", str(work_dir / "docgen.toml"), "serve",
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=work_dir,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {work_dir / 'serve.log'}")
            time.sleep(0.2)
        # measure the steady state: after the server's start-up work (the case board reads every dossier once)
        started_wait = time.monotonic()
        while "案件汇总已建立" not in (work_dir / "serve.log").read_text("utf-8", "replace"):
            if server.poll() is not None or time.monotonic() - started_wait > 900:
                raise SystemExit(f"the server did not finish its start-up work; see {work_dir / 'serve.log'}")
            time.sleep(0.5)
        print(f"  server ready (its start-up work took {time.monotonic() - started_wait:.0f} s more)", flush=True)
        results: dict[str, Any] = {"times": defaultdict(list), "errors": []}
        repairs = work["repairs"]
        savers = clients - uploaders
        threads = [Client(base, work, 100 + i, results, think, writes, repairs[i::savers]) for i in range(savers)]
        keys = work["dossiers"]
        threads += [Client(base, work, 500 + i, results, think, writes, uploads=keys[i::uploaders])
                    for i in range(uploaders)]
        for t in threads:
            t.start()
        proc = psutil.Process(server.pid)
        for t in threads:  # every client logged in (argon2 takes turns), then the warm-up
            t.ready.wait(120)
        time.sleep(warmup)
        rss: list[float] = []
        children: list[float] = []
        for t in threads:
            t.measure.set()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            rss.append(proc.memory_info().rss / 1e6)
            # the index update process (and any other child): the server's memory is both together
            kids = 0.0
            for child in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    kids += child.memory_info().rss / 1e6
            children.append(kids)
            time.sleep(1.0)
        for t in threads:
            t.measure.clear()
            t.stop.set()
        for t in threads:
            t.join(30)
        results["seconds"] = time.perf_counter() - started
        results["rss"] = rss
        results["children_rss"] = children
        results["saved"] = {k: v for t in threads for k, v in t.saved.items()}
        results["saves"] = sum(t.n for t in threads)
        results["acked"] = sum(t.acked for t in threads)
        results["uploaded"] = [n for t in threads for n in t.uploaded]
        if results["uploaded"]:  # every upload taken must come out of the pipeline before the server stops
            results["upload_wait_s"] = wait_uploads(work_dir, results["uploaded"])
        return results
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _upload_results(work_dir: Path, names: list[str]) -> list[dict[str, Any]]:
    """The results log's lines for these uploads (each file's outcome: filed, review, failed…)."""
    from docgen.ingest.areas import Areas
    from docgen.services.intake import RESULTS_FILE

    settings = load_config(work_dir / "docgen.toml", env={}).ingest
    log = Areas((work_dir / settings.areas_root).resolve()).logs / RESULTS_FILE
    wanted = set(names)
    out = []
    if log.exists():
        for line in log.read_text("utf-8", "replace").splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("name") in wanted and data.get("via") == "上传" and data.get("ts", "") >= STARTED:
                out.append(data)
    return out


def wait_uploads(work_dir: Path, names: list[str], timeout: float = 300.0) -> float:
    """Wait until every acknowledged upload has its result in the log; the seconds it took after the run."""
    started = time.perf_counter()
    while len(_upload_results(work_dir, names)) < len(names) and time.perf_counter() - started < timeout:
        time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


def check_uploads(work_dir: Path, remote: dict[str, Any]) -> dict[str, Any]:
    """Lost uploads: acknowledged but without a result, or reported filed but not in the dossier."""
    names = remote.get("uploaded", [])
    results = _upload_results(work_dir, names)
    archive = Archive.open(work_dir / "records")
    statuses: dict[str, int] = defaultdict(int)
    missing_docs = 0
    for r in results:
        statuses[r.get("status", "?")] += 1
        if r.get("status") == "filed":
            d = archive.dossier(r["owner_key"])
            missing_docs += all(doc.id != r.get("doc_id") for doc in d.documents)
    return {"uploads_acknowledged": len(names), "uploads_with_result": len(results),
            "uploads_lost": len(names) - len(results) + missing_docs, "upload_statuses": dict(statuses),
            "upload_wait_s": remote.get("upload_wait_s", 0.0)}


def check_saves(work_dir: Path, remote: dict[str, Any], since: int) -> dict[str, int]:
    """Lost updates: a ticket whose 备注 is not what its last acknowledged save wrote; saves acknowledged vs journaled."""
    archive = Archive.open(work_dir / "records")
    lost = 0
    for case_id, note in remote["saved"].items():
        _d, _kind, record = archive.find_case(case_id)
        lost += record.notes != note
    journaled = sum(1 for e in archive.journal.entries(since) if e.summary.startswith("网页修改"))
    acknowledged = int(remote.get("acked", 0))
    return {"lost_updates": lost, "saves_journaled": journaled, "saves_acknowledged": acknowledged,
            "saves_sent": remote.get("saves", 0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 households, 15 s")
    ap.add_argument("--units", type=int, default=None, help="households (default 20,000; --quick 2,000)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=None, help="measured time (default 60; --quick 15)")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean pause between a client's pages, in seconds (0: as fast as it can, saturation)")
    ap.add_argument("--writes", type=float, default=0.0,
                    help="share of requests that save a repair ticket through its edit form (e.g. 0.15)")
    ap.add_argument("--uploaders", type=int, default=0,
                    help="with --writes: this many of the clients are archivists whose writes are uploads "
                         "of one scan each (the others save cases)")
    ap.add_argument("--index-in-server", action="store_true",
                    help="update the search index in a thread of the server ([web] index_process = false), "
                         "the baseline for the update process")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    units = args.units or (2_000 if args.quick else 20_000)
    seconds = args.seconds or (15.0 if args.quick else 60.0)
    work_dir = prepare(units, args.out)
    write_config(work_dir / "docgen.toml", index_process=not args.index_in_server)
    config = load_config(work_dir / "docgen.toml", env={})
    workspace = Workspace(config)
    work = workload(workspace)
    print(f"{units:,} households; in-process, one call at a time…", flush=True)
    local = in_process(workspace, work, min(seconds / 3, 10.0))
    workspace.close()
    print(f"web: {args.clients} clients (mean pause {args.think:g} s) for {seconds:.0f} s after "
          f"{args.warmup:.0f} s of warm-up…", flush=True)
    before = Archive.open(work_dir / "records").journal.last()
    ensure_archivist(work_dir)
    remote = web(work_dir, work, args.clients, seconds, args.warmup, args.think, args.writes, args.uploaders)
    lost = check_saves(work_dir, remote, int(before["seq"]) if before else 0) if args.writes else {}
    if args.uploaders:
        lost.update(check_uploads(work_dir, remote))
    rows = []
    total = 0
    for kind in [k for k, _ in MIX] + ([SAVE] if args.writes else []) + ([UPLOAD] if args.uploaders else []):
        w = remote["times"][kind]
        i = local[kind]
        total += len(w)
        rows.append({
            "page": kind, "requests": len(w), "web_p50": percentile(w, 50), "web_p95": percentile(w, 95),
            "inproc_p50": percentile(i, 50) if i else float("nan"), "inproc_p95": percentile(i, 95) if i else float("nan"),
            "ratio_p50": percentile(w, 50) / percentile(i, 50) if i else float("nan"),
        })
    rss = remote["rss"]
    head, tail = rss[: max(1, len(rss) // 6)], rss[-max(1, len(rss) // 6):]
    summary = {
        "units": units, "clients": args.clients, "think_s": args.think, "seconds": round(remote["seconds"], 1),
        "rows": rows, "writes": args.writes, "index_process": not args.index_in_server, **lost,
        "throughput_per_s": round(total / remote["seconds"], 1), "errors": len(remote["errors"]),
        "error_kinds": sorted(set(remote["errors"]))[:10],
        "rss_mb": {"first": round(statistics.mean(head), 1), "last": round(statistics.mean(tail), 1),
                   "min": round(min(rss), 1), "max": round(max(rss), 1),
                   "children_max": round(max(remote["children_rss"], default=0.0), 1)},
        "machine": {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]},
    }
    print()
    print(f"{'page':<10}{'requests':>9}{'web p50':>10}{'web p95':>10}{'in-proc p50':>13}{'in-proc p95':>13}{'ratio p50':>11}")
    for r in rows:
        print(f"{r['page']:<10}{r['requests']:>9}{r['web_p50']:>9.1f} {r['web_p95']:>9.1f} "
              f"{r['inproc_p50']:>12.1f} {r['inproc_p95']:>12.1f} {r['ratio_p50']:>10.1f}x")
    print(f"throughput {summary['throughput_per_s']} pages/s; errors {summary['errors']} {summary['error_kinds']}")
    m = summary["rss_mb"]
    print(f"server RSS: first {m['first']} MB, last {m['last']} MB (min {m['min']}, max {m['max']}; "
          f"its child processes at most {m['children_max']} MB more); load average {summary['machine']['load_avg']}")
    if args.writes:
        print(f"saves acknowledged {lost['saves_acknowledged']}, journaled {lost['saves_journaled']}; "
              f"lost updates {lost['lost_updates']}")
    if args.uploaders:
        print(f"uploads acknowledged {lost['uploads_acknowledged']}, with a result {lost['uploads_with_result']} "
              f"{lost['upload_statuses']} (the last {lost['upload_wait_s']} s after the run); lost {lost['uploads_lost']}")
    tag = (f"-writes{args.writes:g}" if args.writes else "") + (f"-up{args.uploaders}" if args.uploaders else "")
    tag += "-index-in-server" if args.index_in_server else ""
    out = args.out / f"bench_web-{units}-think{args.think:g}{tag}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
