#!/usr/bin/env python3
"""SKM benchmark: ingest, durability, result pages over a million responses,
and a streaming export.

Measures on this machine, in one run:
  * ingest: accepted submissions per second through the real HTTP endpoint
    (POST /skm/{slug}, a form with the nine answers and a fresh submission
    key per request), sustained for --duration seconds with wrk on
    127.0.0.1, on SQLite and on PostgreSQL;
  * durability: right after the load the server is killed with SIGKILL; the
    database must then hold at least every submission that was answered
    200 (acknowledged means committed);
  * the named peer: the same rows written by Python's sqlite3 with one
    transaction per submission (WAL, synchronous=NORMAL) — the write design
    of a typical SKM app, without any HTTP — so the ingest figure is also a
    ratio to that;
  * results: GET /skm/{slug}/hasil for a unit with 1,000,000 responses, and
    the province roll-up GET /skm over every unit (1,000 extra units with a
    year of tallies), median and p99 of repeated requests;
  * export: GET /skm/kelola/{id}/ekspor.csv of those 1,000,000 responses,
    and the CSV and XLSX exports of a custom survey with 200,000 responses,
    with the server's peak resident memory sampled during each download.

Installs wrk from Debian when missing. Servers listen on 127.0.0.1 only;
every load is bounded by --duration.
"""

import argparse
import datetime
import http.cookiejar
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "rumah")
TARGETS = {"ingest_rps": 5000, "results_ms": 100, "rollup_ms": 300, "export_rss_mb": 150}
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SLUG = "pkm-sukodono"


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_tools():
    if shutil.which("wrk") is None:
        print("installing wrk from Debian", file=sys.stderr)
        sh("apt-get", "update", "-qq")
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk",
           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start(data_dir, port, database_url=None, demo=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMAH_")}
    env["RUMAH_LOG"] = "warn"
    # The load comes from one address and no device cookie: lift the
    # per-address limit, which exists for real crowds, not for a benchmark.
    env["RUMAH_SKM__PER_ADDRESS_PER_HOUR"] = "1000000000"
    args = [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    if database_url:
        args += ["--database-url", database_url]
    if demo:
        args.append("--demo")
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("rumah did not become ready")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def form_session(base):
    """A CSRF cookie and token and the service ids of the demo unit's form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/skm/{SLUG}").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    services = re.findall(r'<option value="(\d+)"', html)
    cookie = next(c for c in jar if c.name == "rumah_csrf")
    return f"rumah_csrf={cookie.value}", token, services


WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%(cookie)s"
local token = "%(token)s"
local services = {%(services)s}
local n = 0
local prefix = "%(prefix)s"
request = function()
  n = n + 1
  local body = "csrf_token=" .. token .. "&kunci=" .. prefix .. string.format("%%012d", n)
    .. "&layanan=" .. services[(n %% #services) + 1]
  for i = 1, 9 do
    body = body .. "&u" .. i .. "=" .. ((n * 7 + i * 3) %% 4 + 1)
  end
  body = body .. "&usia=30-39&jk=p"
  return wrk.format(nil, nil, nil, body)
end
"""


def wrk(url, duration, connections, script):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", path, url],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return {
        "total": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "p50": pct(50), "p99": pct(99),
    }


def ingest(label, data_dir, duration, connections, count_rows, database_url=None):
    port = free_port()
    proc = start(data_dir, port, database_url)
    base = f"http://127.0.0.1:{port}"
    cookie, token, services = form_session(base)
    before = count_rows()
    script = WRK_SCRIPT % {"cookie": cookie, "token": token, "services": ",".join(services),
                           "prefix": f"bench-{label}-{int(time.time())}-"}
    w = wrk(f"{base}/skm/{SLUG}", duration, connections, script)
    # Acknowledged means durable: kill -9 at once, then count.
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = count_rows() - before
    acked = w["total"] - w["non2xx"]
    return {**w, "acked": acked, "stored": stored, "rps": acked / duration,
            "durable": stored >= acked and w["non2xx"] == 0}


def sqlite_count(db):
    def count():
        con = sqlite3.connect(db)
        try:
            return con.execute("SELECT COUNT(*) FROM skm_responses").fetchone()[0]
        finally:
            con.close()
    return count


def psql(url, sql):
    return subprocess.run(["psql", "-qtAX", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def peer_sqlite(seconds):
    """One transaction per submission, as a typical SKM app writes."""
    d = tempfile.mkdtemp(prefix="skm-peer-")
    try:
        con = sqlite3.connect(os.path.join(d, "peer.db"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("""CREATE TABLE r (id INTEGER PRIMARY KEY AUTOINCREMENT, unit_id BIGINT, service_id BIGINT,
            submission_key TEXT UNIQUE, month BIGINT, submitted_at BIGINT, age_band TEXT, gender TEXT,
            u1 SMALLINT, u2 SMALLINT, u3 SMALLINT, u4 SMALLINT, u5 SMALLINT, u6 SMALLINT, u7 SMALLINT, u8 SMALLINT, u9 SMALLINT)""")
        con.execute("""CREATE TABLE t (unit_id BIGINT, service_id BIGINT, month BIGINT, n BIGINT,
            s1 BIGINT, s2 BIGINT, s3 BIGINT, s4 BIGINT, s5 BIGINT, s6 BIGINT, s7 BIGINT, s8 BIGINT, s9 BIGINT,
            PRIMARY KEY (unit_id, service_id, month))""")
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
            s = [((n * 7 + i * 3) % 4) + 1 for i in range(1, 10)]
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO r (unit_id, service_id, submission_key, month, submitted_at, age_band, gender,"
                        " u1,u2,u3,u4,u5,u6,u7,u8,u9) VALUES (1, 1, ?, 202611, ?, '30-39', 'p', ?,?,?,?,?,?,?,?,?)",
                        [f"k{n}", n] + s)
            con.execute("INSERT INTO t VALUES (1, 1, 202611, 1, ?,?,?,?,?,?,?,?,?) ON CONFLICT (unit_id, service_id, month)"
                        " DO UPDATE SET n = n + 1, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3,"
                        " s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7,"
                        " s8 = s8 + excluded.s8, s9 = s9 + excluded.s9", s)
            con.execute("COMMIT")
        con.close()
        return n / seconds
    finally:
        shutil.rmtree(d, ignore_errors=True)


def load_million(db_path, responses, extra_units):
    """Puts `responses` answers on the demo unit and `extra_units` units with a
    year of tallies into a stopped server's SQLite database."""
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    unit_id, org_id = con.execute("SELECT id, org_id FROM skm_units WHERE slug = ?", (SLUG,)).fetchone()
    services = [r[0] for r in con.execute("SELECT id FROM skm_services WHERE unit_id = ?", (unit_id,))]
    now = datetime.datetime.now(datetime.timezone.utc)
    months = [((now.year * 12 + now.month - 1 - b) // 12, (now.year * 12 + now.month - 1 - b) % 12 + 1) for b in range(12)]
    rng = random.Random(7)
    con.execute("BEGIN")
    batch = []
    for i in range(responses):
        y, m = months[i % 12]
        s = [min(4, max(1, round(3.2 + rng.uniform(-1, 1)))) for _ in range(9)]
        batch.append((unit_id, services[i % len(services)], f"million-{i}", y * 100 + m, 0, *s))
        if len(batch) == 50_000:
            con.executemany("INSERT INTO skm_responses (unit_id, service_id, submission_key, month, submitted_at,"
                            " u1,u2,u3,u4,u5,u6,u7,u8,u9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            batch.clear()
    if batch:
        con.executemany("INSERT INTO skm_responses (unit_id, service_id, submission_key, month, submitted_at,"
                        " u1,u2,u3,u4,u5,u6,u7,u8,u9) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    # The tallies, rebuilt from the raw answers exactly as the server keeps them.
    con.execute("DELETE FROM skm_tallies")
    con.execute("""INSERT INTO skm_tallies (unit_id, service_id, month, respondents, s1, s2, s3, s4, s5, s6, s7, s8, s9)
        SELECT unit_id, service_id, month, COUNT(*), SUM(u1), SUM(u2), SUM(u3), SUM(u4), SUM(u5), SUM(u6), SUM(u7), SUM(u8), SUM(u9)
        FROM skm_responses GROUP BY unit_id, service_id, month""")
    for k in range(extra_units):
        cur = con.execute("INSERT INTO skm_units (org_id, slug, name, element_version, open, created_at, updated_at)"
                          " VALUES (?, ?, ?, '2017', TRUE, 0, 0)", (org_id, f"bench-unit-{k}", f"Unit uji {k}"))
        uid = cur.lastrowid
        for name in ("Layanan A", "Layanan B"):
            sid = con.execute("INSERT INTO skm_services (unit_id, name, active, created_at) VALUES (?, ?, TRUE, 0)",
                              (uid, name)).lastrowid
            for y, m in months:
                n = rng.randint(20, 200)
                con.execute("INSERT INTO skm_tallies VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            (uid, sid, y * 100 + m, n, *[n * rng.randint(2, 4) for _ in range(9)]))
    con.execute("COMMIT")
    con.close()


def load_survey_responses(db_path, count):
    """Adds `count` responses (one answer per question) to the demo custom survey."""
    con = sqlite3.connect(db_path, isolation_level=None)
    sid = con.execute("SELECT id FROM surveys WHERE slug = 'kebutuhan-pelatihan-2026'").fetchone()[0]
    qs = con.execute("SELECT id, kind FROM survey_questions WHERE survey_id = ? ORDER BY position", (sid,)).fetchall()
    start = con.execute("SELECT COALESCE(MAX(id), 0) FROM survey_responses").fetchone()[0] + 1
    con.execute("BEGIN")
    con.executemany("INSERT INTO survey_responses (id, survey_id, submission_key, submitted_at) VALUES (?, ?, ?, 0)",
                    ((start + i, sid, f"bench-survey-{i}") for i in range(count)))
    def answers():
        for i in range(count):
            rid = start + i
            for qid, kind in qs:
                if kind in ("single", "multiple"):
                    yield (rid, qid, 0, i % 2, None, None)
                elif kind == "likert":
                    yield (rid, qid, 0, 1 + i % 5, None, None)
                elif kind == "number":
                    yield (rid, qid, 0, None, float(i % 40), None)
                elif kind == "matrix":
                    for r in range(3):
                        yield (rid, qid, r, (i + r) % 3, None, None)
                else:
                    yield (rid, qid, 0, None, None, f"Jawaban uji {i}")
    con.executemany("INSERT INTO survey_answers (response_id, question_id, row_index, choice, number, body) VALUES (?,?,?,?,?,?)", answers())
    con.execute("COMMIT")
    con.close()
    return sid


def timed_gets(url, count):
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url) as r:
            r.read()
            assert r.status == 200
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median": times[len(times) // 2], "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "max": times[-1]}


def signed_in(base, login):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    html = opener.open(f"{base}/masuk").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "login": login, "password": "demo-jatim-2026", "next": "/"}).encode()
    try:
        opener.open(f"{base}/masuk", body)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise
    return opener


def export(base, pid):
    opener = signed_in(base, "skm.sukodono")
    html = opener.open(f"{base}/skm/kelola").read().decode()
    unit = re.search(r'href="/skm/kelola/(\d+)"', html).group(1)
    return download(opener, f"{base}/skm/kelola/{unit}/ekspor.csv?periode={datetime.date.today().year}", pid)


def download(opener, url, pid):
    """Downloads `url`, counting lines, while sampling the server's RSS."""
    peak = [rss_mb(pid)]
    done = threading.Event()
    def sample():
        while not done.is_set():
            peak.append(rss_mb(pid))
            time.sleep(0.02)
    t = threading.Thread(target=sample)
    t.start()
    t0 = time.perf_counter()
    lines = size = 0
    with opener.open(url) as r:
        for chunk in iter(lambda: r.read(1 << 16), b""):
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - t0
    done.set()
    t.join()
    # The export covers this year's months only: count what it should hold.
    return {"rows": lines - 1, "mb": size / 1e6, "seconds": seconds, "peak_rss": max(peak), "start_rss": peak[0]}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=60, help="seconds of ingest load per database")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--responses", type=int, default=1_000_000)
    ap.add_argument("--extra-units", type=int, default=1000)
    ap.add_argument("--survey-responses", type=int, default=200_000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "RESULTS.md"))
    args = ap.parse_args()

    ensure_tools()
    if not args.no_build:
        sh("cargo", "build", "--release", "--bin", "rumah", cwd=ROOT)
    work = tempfile.mkdtemp(prefix="rumah-skm-bench-")
    res = {}
    try:
        # 1. Ingest on SQLite, then kill -9 and count.
        data = os.path.join(work, "sqlite")
        db = os.path.join(data, "rumah.db")
        res["sqlite"] = ingest("sqlite", data, args.duration, args.connections, sqlite_count(db))
        print("sqlite ingest", res["sqlite"], file=sys.stderr)

        # 2. The same on PostgreSQL (a fresh database).
        if not args.no_postgres:
            name = f"rumah_bench_{os.getpid()}"
            psql(PG_ADMIN_URL, f"DROP DATABASE IF EXISTS {name}")
            psql(PG_ADMIN_URL, f"CREATE DATABASE {name}")
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
            try:
                res["postgres"] = ingest("pg", os.path.join(work, "pg"), args.duration, args.connections,
                                         lambda: int(psql(url, "SELECT COUNT(*) FROM skm_responses") or 0), url)
                print("postgres ingest", res["postgres"], file=sys.stderr)
            finally:
                psql(PG_ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        # 3. The peer: naive commit-per-submission SQLite writes, no HTTP.
        res["peer_rps"] = peer_sqlite(min(args.duration, 20))
        print("peer", res["peer_rps"], file=sys.stderr)

        # 4. A million responses: result pages and the roll-up.
        load_million(db, args.responses, args.extra_units)
        survey_id = load_survey_responses(db, args.survey_responses)
        port = free_port()
        proc = start(data, port, demo=False)
        base = f"http://127.0.0.1:{port}"
        timed_gets(f"{base}/skm/{SLUG}/hasil", 3)
        res["results"] = timed_gets(f"{base}/skm/{SLUG}/hasil", 50)
        res["rollup"] = timed_gets(f"{base}/skm", 20)
        con = sqlite3.connect(db)
        res["unit_responses"] = con.execute("SELECT COUNT(*) FROM skm_responses r JOIN skm_units u ON u.id = r.unit_id"
                                            " WHERE u.slug = ?", (SLUG,)).fetchone()[0]
        res["units"] = con.execute("SELECT COUNT(*) FROM skm_units").fetchone()[0]
        year = datetime.date.today().year
        res["export_expected"] = con.execute("SELECT COUNT(*) FROM skm_responses r JOIN skm_units u ON u.id = r.unit_id"
                                             " WHERE u.slug = ? AND r.month BETWEEN ? AND ?", (SLUG, year * 100 + 1, year * 100 + 12)).fetchone()[0]
        con.close()
        # 5. The exports, streamed.
        res["export"] = export(base, proc.pid)
        admin = signed_in(base, "admin")
        res["survey_csv"] = download(admin, f"{base}/survei/kelola/{survey_id}/ekspor.csv", proc.pid)
        res["survey_xlsx"] = download(admin, f"{base}/survei/kelola/{survey_id}/ekspor.xlsx", proc.pid)
        stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    ok = lambda b: "meets target" if b else "MISSES target"
    s = res["sqlite"]
    lines = [
        "# SKM benchmark results",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
        f"- Command: `python3 bench/skm/run.py --duration {args.duration} --connections {args.connections}`",
        f"- Load generator: {wrk_version}, 1 thread, {args.connections} connections, on the same 2 cores as the server",
        "- rumah: release build, default configuration except the per-address submission limit (lifted: all load comes from 127.0.0.1)",
        "- Peer: Python sqlite3 writing the same row and tally with one transaction per submission (WAL, synchronous=NORMAL), no HTTP",
        "",
        "| Measure | rumah | target | verdict |",
        "|---|---|---|---|",
        f"| Ingest on SQLite, POST /skm/{{slug}} sustained {args.duration} s | {s['rps']:,.0f} accepted/s ({s['acked']:,} acknowledged, p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms) | ≥ {TARGETS['ingest_rps']:,}/s | {ok(s['rps'] >= TARGETS['ingest_rps'] and s['non2xx'] == 0)} |",
        f"| Durability after `kill -9` right after the load (SQLite) | {s['stored']:,} stored ≥ {s['acked']:,} acknowledged | every acknowledged submission stored | {ok(s['durable'])} |",
    ]
    if "postgres" in res:
        p = res["postgres"]
        lines += [
            f"| Ingest on PostgreSQL 15 (same machine), sustained {args.duration} s | {p['rps']:,.0f} accepted/s ({p['acked']:,} acknowledged, p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms) | report | — |",
            f"| Durability after `kill -9` (PostgreSQL) | {p['stored']:,} stored ≥ {p['acked']:,} acknowledged | every acknowledged submission stored | {ok(p['durable'])} |",
        ]
    r, u, e = res["results"], res["rollup"], res["export"]
    lines += [
        f"| Results page of a unit with {res['unit_responses']:,} responses (median / p99 of 50) | {r['median']:.1f} / {r['p99']:.1f} ms | < {TARGETS['results_ms']} ms | {ok(r['p99'] < TARGETS['results_ms'])} |",
        f"| Province roll-up over {res['units']:,} units (median / p99 of 20) | {u['median']:.1f} / {u['p99']:.1f} ms | < {TARGETS['rollup_ms']} ms | {ok(u['p99'] < TARGETS['rollup_ms'])} |",
        f"| CSV export of {e['rows']:,} responses ({e['mb']:.0f} MB in {e['seconds']:.1f} s; {res['export_expected']:,} expected) | peak RSS {e['peak_rss']:.0f} MB (at start {e['start_rss']:.0f} MB) | < {TARGETS['export_rss_mb']} MB | {ok(e['peak_rss'] < TARGETS['export_rss_mb'] and e['rows'] == res['export_expected'])} |",
        f"| Custom survey CSV export, {res['survey_csv']['rows']:,} responses ({args.survey_responses:,} + 60 demo) × 9 columns ({res['survey_csv']['mb']:.0f} MB in {res['survey_csv']['seconds']:.1f} s) | peak RSS {res['survey_csv']['peak_rss']:.0f} MB | flat | {ok(res['survey_csv']['peak_rss'] < TARGETS['export_rss_mb'] and res['survey_csv']['rows'] == args.survey_responses + 60)} |",
        f"| Custom survey XLSX export, same responses ({res['survey_xlsx']['mb']:.0f} MB in {res['survey_xlsx']['seconds']:.1f} s) | peak RSS {res['survey_xlsx']['peak_rss']:.0f} MB | flat | {ok(res['survey_xlsx']['peak_rss'] < TARGETS['export_rss_mb'])} |",
        "",
        "Against the peer (same run):",
        "",
        "| | submissions/s | ratio to peer |",
        "|---|---|---|",
        f"| rumah on SQLite, through HTTP, batched commits | {s['rps']:,.0f} | {s['rps'] / res['peer_rps']:.2f} |",
    ]
    if "postgres" in res:
        lines.append(f"| rumah on PostgreSQL, through HTTP, batched commits | {res['postgres']['rps']:,.0f} | {res['postgres']['rps'] / res['peer_rps']:.2f} |")
    lines.append(f"| peer: Python sqlite3, one transaction per submission, no HTTP | {res['peer_rps']:,.0f} | 1.00 |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
