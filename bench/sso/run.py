#!/usr/bin/env python3
"""Satu Akun benchmark: the OpenID Connect provider against node oidc-provider.

Measures on this machine, in one run, Satu Akun (release build, SQLite) and
the peer, panva's `oidc-provider` (OpenID Certified, bench/sso/peer, its
in-memory adapter), set up alike: ES256, JWT access tokens (RFC 9068),
client_secret_basic, refresh tokens rotated on every use.

Every figure twice: both servers unpinned, and each server pinned to core 0
(`taskset -c 0`) with the load generator pinned to core 1.

  * client_credentials grant: throughput with wrk, 32 connections;
  * refresh_token grant with rotation: throughput with bench/loadgen, 16
    connections, each following its own chain of refresh tokens (every
    request is a real rotation; a reused token would revoke the family);
  * introspection and UserInfo at a fixed 2,000 requests/s (bench/loadgen,
    latency from each request's due time): p50/p99;
  * password login (Satu Akun only; the peer's development login hashes
    nothing): POST /masuk throughput and p99 with wrk, against the raw
    Argon2id rate of the same parameters on the same cores
    (`rumah admin argon2-rate`), measured in the same run;
  * resident memory of the server with 100,000 active sessions and
    1,000,000 live refresh tokens stored, after load on each endpoint.

Installs wrk from Debian and the peer's npm packages when missing, builds
bench/loadgen. Servers listen on 127.0.0.1 only; every run is bounded.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
LOADGEN = os.path.join(ROOT, "bench", "loadgen", "target", "release", "rumah-loadgen")
PEER = os.path.join(HERE, "peer")
PASSWORD = "Kopi-Tubruk-Sore-2026!"
REDIRECT = "http://127.0.0.1/cb"
TARGETS = {
    "cc_ratio_unpinned": 5.0,
    "cc_ratio_pinned": 3.0,
    "refresh_ratio": 3.0,
    "refresh_rps": 1500,
    "fixed_rate": 2000,
    "fixed_p99_ms": 5.0,
    "login_share": 0.85,
    "rss_mb": 150,
}


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_tools(build):
    if shutil.which("wrk") is None:
        print("installing wrk from Debian", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        sh("apt-get", "update", "-qq")
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk", env=env)
    lock = os.path.join(PEER, "package-lock.json")
    stamp = os.path.join(PEER, "node_modules", ".package-lock.json")
    if not os.path.exists(stamp) or os.path.getmtime(lock) > os.path.getmtime(stamp):
        sh("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=PEER)
    sh("cargo", "build", "--release", "--quiet", "--manifest-path",
       os.path.join(ROOT, "bench", "loadgen", "Cargo.toml"))
    if build:
        sh("cargo", "build", "--release", "--quiet", "--bin", "rumah", cwd=ROOT)
    try:
        import requests  # noqa: F401
    except ImportError:
        sh(sys.executable, "-m", "pip", "install", "--quiet", "requests==2.34.2")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start listening on {port}")


def rss_mb(pid):
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return vals.get("VmRSS", float("nan")), vals.get("VmHWM", float("nan"))


def pin(core):
    return ["taskset", "-c", str(core)] if core is not None else []


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# --- the servers -----------------------------------------------------------

class Rumah:
    name = "Satu Akun (rumah)"

    def __init__(self, binary, data):
        self.bin, self.data = binary, data
        # Default configuration, except the per-request log line (the peer
        # keeps no request log): warnings only.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RUMAH_")}
        self.env["RUMAH_LOG"] = "warn"
        self.proc = None
        self.port = None
        self.run("migrate")
        p = subprocess.run([self.bin, "admin", "create-user", "--data-dir", data, "--username", "bench",
                            "--name", "Bench User", "--password-stdin"],
                           input=PASSWORD + "\n", text=True, capture_output=True, env=self.env)
        if p.returncode != 0:
            sys.exit(f"rumah admin create-user failed: {p.stderr}")
        self.cc_secret = self.client("--name", "Bench CC", "--client-id", "bench-cc",
                                     "--redirect-uri", REDIRECT, "--grant", "client_credentials",
                                     "--scope", "api")
        self.rp_secret = self.client("--name", "Bench RP", "--client-id", "bench-rp", "--first-party",
                                     "--redirect-uri", REDIRECT, "--grant", "authorization_code",
                                     "--grant", "refresh_token", *sum((["--scope", s] for s in
                                     ("openid", "profile", "email", "offline_access", "api")), []))
        self.ui_client = "bench-rp"
        self.paths = {"token": "/oidc/token", "introspect": "/oidc/introspect",
                      "userinfo": "/oidc/userinfo", "authorize": "/oidc/authorize"}

    def run(self, *args):
        return subprocess.run([self.bin, *args, "--data-dir", self.data], check=True,
                              capture_output=True, text=True, env=self.env).stdout

    def client(self, *args):
        out = self.run("admin", "client", "create", *args)
        return re.search(r"client_secret: (\S+)", out).group(1)

    def start(self, core=None):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [*pin(core), self.bin, "serve", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        wait_port(self.port, self.proc, "rumah")
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None

    def signed_in(self, base):
        import requests
        s = requests.Session()
        page = s.get(f"{base}/masuk").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = s.post(f"{base}/masuk", data={"login": "bench", "password": PASSWORD, "csrf_token": csrf},
                   allow_redirects=False)
        if r.status_code not in (302, 303):
            sys.exit(f"rumah login failed: {r.status_code}")
        return s


class Peer:
    name = "oidc-provider"

    def __init__(self):
        self.cc_secret = secrets.token_urlsafe(32)
        self.rp_secret = secrets.token_urlsafe(32)
        self.ui_client = "bench-ui"
        self.proc = None
        self.paths = {"token": "/token", "introspect": "/token/introspection",
                      "userinfo": "/me", "authorize": "/auth"}

    def start(self, core=None):
        self.port = free_port()
        env = {**os.environ, "PORT": str(self.port), "CC_SECRET": self.cc_secret,
               "RP_SECRET": self.rp_secret, "NODE_ENV": "production"}
        self.proc = subprocess.Popen([*pin(core), "node", os.path.join(PEER, "server.mjs")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wait_port(self.port, self.proc, "oidc-provider")
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None

    def signed_in(self, base):
        import requests
        s = requests.Session()
        verifier, challenge = pkce()
        r = s.get(f"{base}/auth", params={"client_id": "bench-rp", "response_type": "code",
                                           "redirect_uri": REDIRECT, "scope": "openid", "state": "s",
                                           "code_challenge": challenge, "code_challenge_method": "S256"},
                  allow_redirects=False)
        interaction = urllib.parse.urljoin(base, r.headers["location"])
        page = s.get(interaction).text
        action = urllib.parse.urljoin(base, re.search(r'action="([^"]+)"', page).group(1))
        r = s.post(action, data={"prompt": "login", "login": "bench", "password": "x"}, allow_redirects=False)
        # Follow the resume redirects until the client's redirect URI.
        while r.status_code in (302, 303) and not r.headers["location"].startswith(REDIRECT):
            r = s.get(urllib.parse.urljoin(base, r.headers["location"]), allow_redirects=False)
        return s


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def tokens(server, base, session, client_id, n, scope):
    """n token responses through the authorization code flow (PKCE)."""
    out = []
    for _ in range(n):
        verifier, challenge = pkce()
        r = session.get(f"{base}{server.paths['authorize']}", params={
            "client_id": client_id, "response_type": "code", "redirect_uri": REDIRECT, "scope": scope,
            "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge, "code_challenge_method": "S256"}, allow_redirects=False)
        while r.status_code in (302, 303) and not r.headers["location"].startswith(REDIRECT):
            r = session.get(urllib.parse.urljoin(base, r.headers["location"]), allow_redirects=False)
        loc = r.headers.get("location", "")
        code = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query).get("code")
        if not code:
            sys.exit(f"{server.name}: no code from the authorization endpoint ({r.status_code} {loc} {r.text[:300]})")
        import requests
        t = requests.post(f"{base}{server.paths['token']}", data={
            "grant_type": "authorization_code", "code": code[0], "redirect_uri": REDIRECT,
            "code_verifier": verifier}, headers={"Authorization": basic(client_id, server.rp_secret)})
        if t.status_code != 200 or "refresh_token" not in t.json():
            sys.exit(f"{server.name}: token exchange failed: {t.status_code} {t.text[:300]}")
        out.append(t.json())
    return out


# --- the load ----------------------------------------------------------------

def wrk(url, method, headers, body, connections, duration, core):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua_headers = "".join(f'wrk.headers["{k}"] = {json.dumps(v)}\n' for k, v in headers.items())
    script.write(f'wrk.method = "{method}"\nwrk.body = {json.dumps(body)}\n{lua_headers}')
    script.close()
    threads = 1 if core is not None else 2
    for warm in (True, False):
        out = subprocess.run([*pin(core), "wrk", f"-t{threads}", f"-c{connections}",
                              f"-d{2 if warm else duration}s", "--latency", "-s", script.name, url],
                             check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)

    def ms(label):
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1) if errors else ""}


def loadgen(url, method, headers, body, connections, duration, core, rate=0, chain=None, warmup=2):
    args = [*pin(core), LOADGEN, "--url", url, "--method", method, "--connections", str(connections),
            "--duration", str(duration), "--warmup", str(warmup), "--rate", str(rate)]
    for k, v in headers.items():
        args += ["--header", f"{k}: {v}"]
    if body:
        args += ["--body", body]
    path = None
    if chain:
        f = tempfile.NamedTemporaryFile("w", delete=False)
        f.write("\n".join(chain) + "\n")
        f.close()
        path = f.name
        args += ["--chain", path]
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    if path:
        os.unlink(path)
    if out.stderr.strip():
        print(out.stderr.strip(), file=sys.stderr)
    return json.loads(out.stdout)


def measure(server, base, core, duration, label):
    """Every figure for one server in one placement."""
    res = {}
    client_core = None if core is None else 1
    cc_headers = {"Authorization": basic("bench-cc", server.cc_secret)}
    print(f"  {label}: client_credentials", file=sys.stderr)
    res["cc"] = wrk(f"{base}{server.paths['token']}", "POST",
                    {**cc_headers, "Content-Type": "application/x-www-form-urlencoded"},
                    "grant_type=client_credentials&scope=api", 32, duration, client_core)
    s = server.signed_in(base)
    chains = [t["refresh_token"] for t in tokens(server, base, s, "bench-rp", 16, "openid offline_access api")]
    print(f"  {label}: refresh_token rotation", file=sys.stderr)
    res["refresh"] = loadgen(f"{base}{server.paths['token']}", "POST",
                             {"Authorization": basic("bench-rp", server.rp_secret)},
                             "grant_type=refresh_token&refresh_token={token}", 16, duration, client_core,
                             chain=chains)
    ui = tokens(server, base, s, server.ui_client, 1, "openid profile email offline_access")[0]
    at = ui["access_token"]
    print(f"  {label}: introspection at 2,000/s", file=sys.stderr)
    res["introspect"] = loadgen(f"{base}{server.paths['introspect']}", "POST",
                                {"Authorization": basic(server.ui_client, server.rp_secret)},
                                f"token={at}", 16, duration, client_core, rate=TARGETS["fixed_rate"])
    print(f"  {label}: userinfo at 2,000/s", file=sys.stderr)
    res["userinfo"] = loadgen(f"{base}{server.paths['userinfo']}", "GET",
                              {"Authorization": f"Bearer {at}"}, "", 16, duration, client_core,
                              rate=TARGETS["fixed_rate"])
    for k in ("introspect", "userinfo"):
        if res[k]["non2xx"] or res[k]["errors"]:
            sys.exit(f"{server.name} {k}: {res[k]}")
    return res


def login(rumah, base, core, duration, label):
    """POST /masuk with a valid CSRF pair; every request is a full sign-in."""
    import requests
    s = requests.Session()
    page = s.get(f"{base}/masuk").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
    body = urllib.parse.urlencode({"login": "bench", "password": PASSWORD, "csrf_token": csrf})
    print(f"  {label}: password login", file=sys.stderr)
    # wrk counts 3xx as success; a refused login answers 200 with the form.
    r = wrk(f"{base}/masuk", "POST", {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                                      "Origin": base, "Sec-Fetch-Site": "same-origin"},
            body, 8, duration, None if core is None else 1)
    check = requests.post(f"{base}/masuk", data=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Origin": base},
        allow_redirects=False)
    if check.status_code != 303 and check.status_code != 302:
        sys.exit(f"the login request does not sign in: {check.status_code}")
    return r


def argon2_rate(rumah, core, seconds):
    out = subprocess.run([*pin(core), rumah.bin, "admin", "argon2-rate", "--data-dir", rumah.data,
                          "--seconds", str(seconds)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"([\d.]+) hashes/s", out).group(1))


def seed_memory(rumah, sessions, refresh):
    """Stores `sessions` live sessions and `refresh` live refresh tokens."""
    db = sqlite3.connect(os.path.join(rumah.data, "rumah.db"))
    account = db.execute("SELECT id FROM accounts WHERE username = 'bench'").fetchone()[0]
    now = int(time.time() * 1000)
    day = 24 * 3600 * 1000
    db.executemany(
        "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, auth_time, amr, ip, user_agent)"
        " VALUES (?, ?, ?, ?, ?, ?, 'pwd', '127.0.0.1', 'bench')",
        ((hashlib.sha256(f"s{i}".encode()).hexdigest(), account, now, now, now + day, now) for i in range(sessions)))
    db.executemany(
        "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, account_id, scope, auth_time, amr,"
        " created_at, expires_at) VALUES (?, ?, 'bench-rp', ?, 'openid offline_access api', ?, 'pwd', ?, ?)",
        ((hashlib.sha256(f"r{i}".encode()).hexdigest(), f"f{i}", account, now, now, now + 30 * day)
         for i in range(refresh)))
    db.commit()
    counts = (db.execute("SELECT COUNT(*) FROM sessions WHERE expires_at > ?", (now,)).fetchone()[0],
              db.execute("SELECT COUNT(*) FROM oidc_refresh_tokens WHERE revoked_at IS NULL AND expires_at > ?",
                         (now,)).fetchone()[0])
    db.close()
    return counts


# --- report -------------------------------------------------------------------

def fmt(v, unit=""):
    return f"{v:,.0f}{unit}" if v >= 100 else f"{v:,.2f}{unit}"


def verdict(ok):
    return "meets target" if ok else "**misses target**"


def report(args, res, rss, login_res, versions, started):
    lines = ["# Satu Akun benchmark results", "",
             f"- Date: {started:%Y-%m-%d %H:%M} UTC",
             f"- Machine: {os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}",
             f"- Command: `python3 bench/sso/run.py {' '.join(sys.argv[1:])}` at commit {commit()}",
             f"- Satu Akun: release build, SQLite, default configuration (Argon2id {versions['argon2']}) except "
             "`RUMAH_LOG=warn`: no per-request log line, as the peer keeps none",
             f"- Peer: oidc-provider {versions['peer']} on Node.js {versions['node']}, in-memory adapter, "
             "configured as bench/sso/peer/server.mjs (ES256, JWT access tokens, rotation on every refresh)",
             f"- Load: {versions['wrk']} (client_credentials, login; 32 and 8 connections), and bench/loadgen "
             "(refresh chains, 16 connections; fixed-rate introspection/UserInfo at 2,000 requests/s over 16 "
             "connections, latency from each request's due time)",
             f"- Each measure: {args.duration} s after a 2 s warm-up, on the same 2 cores as the servers. "
             "Pinned: server on core 0 (`taskset -c 0`), load generator on core 1.",
             "", "## Against the peer", "",
             "| Measure | placement | Satu Akun | oidc-provider | ratio | target | verdict |",
             "|---|---|---|---|---|---|---|"]
    for mode in ("unpinned", "pinned"):
        r, p = res["rumah"][mode], res["peer"][mode]
        ratio = r["cc"]["rps"] / p["cc"]["rps"]
        target = TARGETS["cc_ratio_unpinned" if mode == "unpinned" else "cc_ratio_pinned"]
        lines.append(f"| client_credentials grants/s (p99) | {mode} | {fmt(r['cc']['rps'])} ({fmt(r['cc']['p99_ms'], ' ms')})"
                     f" | {fmt(p['cc']['rps'])} ({fmt(p['cc']['p99_ms'], ' ms')}) | {ratio:.1f}× | ≥ {target:.0f}× | {verdict(ratio >= target)} |")
    for mode in ("unpinned", "pinned"):
        r, p = res["rumah"][mode], res["peer"][mode]
        ratio = r["refresh"]["rps"] / p["refresh"]["rps"]
        ok = ratio >= TARGETS["refresh_ratio"] and r["refresh"]["rps"] >= TARGETS["refresh_rps"]
        lines.append(f"| refresh_token rotations/s (p99) | {mode} | {fmt(r['refresh']['rps'])} ({fmt(r['refresh']['p99_ms'], ' ms')})"
                     f" | {fmt(p['refresh']['rps'])} ({fmt(p['refresh']['p99_ms'], ' ms')}) | {ratio:.1f}× | ≥ 3× and ≥ 1,500/s | {verdict(ok)} |")
    for k, label in (("introspect", "introspection"), ("userinfo", "UserInfo")):
        for mode in ("unpinned", "pinned"):
            r, p = res["rumah"][mode][k], res["peer"][mode][k]
            ok = r["p99_ms"] < TARGETS["fixed_p99_ms"] and r["rps"] >= 0.98 * TARGETS["fixed_rate"]
            lines.append(f"| {label} at 2,000/s: p50 / p99 | {mode} | {r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms"
                         f" | {p['p50_ms']:.2f} / {p['p99_ms']:.2f} ms | — | p99 < 5 ms | {verdict(ok)} |")
    lines += ["", "## Satu Akun alone", "", "| Measure | placement | result | target | verdict |", "|---|---|---|---|---|"]
    for mode in ("unpinned", "pinned"):
        lr = login_res[mode]
        share = lr["login"]["rps"] / lr["raw"]
        lines.append(f"| password login: POST /masuk/s (p99) vs raw Argon2id hashes/s on the same cores | {mode} |"
                     f" {fmt(lr['login']['rps'])}/s ({fmt(lr['login']['p99_ms'], ' ms')}) vs {fmt(lr['raw'])}/s = {share:.0%}"
                     f" | ≥ 85% | {verdict(share >= TARGETS['login_share'])} |")
    lines.append(f"| resident memory with {rss['sessions']:,} sessions and {rss['refresh']:,} refresh tokens stored, "
                 f"after load on every endpoint (peak) | unpinned | {rss['rss']:.1f} MB (peak {rss['hwm']:.1f} MB)"
                 f" | < 150 MB | {verdict(rss['hwm'] < TARGETS['rss_mb'])} |")
    lines += ["", "Raw figures (JSON):", "", "```json", json.dumps({"results": res, "login": login_res, "memory": rss},
                                                                     indent=1), "```", ""]
    return "\n".join(lines)


def commit():
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per measure (default 10)")
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/rumah")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "rumah"))
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--refresh-tokens", type=int, default=1_000_000)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    ensure_tools(not args.no_build)
    versions = {
        "peer": json.load(open(os.path.join(PEER, "node_modules", "oidc-provider", "package.json")))["version"],
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0].split(" [")[0],
    }
    work = tempfile.mkdtemp(prefix="rumah-bench-sso-")
    rumah = Rumah(args.bin, os.path.join(work, "data"))
    versions["argon2"] = "m=19 MiB, t=2, p=1, the default [security] settings"
    peer = Peer()
    res = {"rumah": {}, "peer": {}}
    login_res = {}
    try:
        for mode, core in (("unpinned", None), ("pinned", 0)):
            for key, server in (("rumah", rumah), ("peer", peer)):
                print(f"{server.name}, {mode}", file=sys.stderr)
                base = server.start(core)
                try:
                    res[key][mode] = measure(server, base, core, args.duration, mode)
                    if key == "rumah":
                        raw = argon2_rate(rumah, "0" if core is not None else None, args.duration)
                        login_res[mode] = {"login": login(rumah, base, core, args.duration, mode), "raw": raw}
                finally:
                    server.stop()
        print("memory: seeding sessions and refresh tokens", file=sys.stderr)
        sessions, refresh = seed_memory(rumah, args.sessions, args.refresh_tokens)
        base = rumah.start(None)
        try:
            measure(rumah, base, None, max(3, args.duration // 2), "memory")
            rss, hwm = rss_mb(rumah.proc.pid)
        finally:
            rumah.stop()
        mem = {"sessions": sessions, "refresh": refresh, "rss": rss, "hwm": hwm}
    finally:
        rumah.stop()
        peer.stop()
    text = report(args, res, mem, login_res, versions, started)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
