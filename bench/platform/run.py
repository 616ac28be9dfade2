#!/usr/bin/env python3
"""Platform shell benchmark: start-up, idle memory, page and API throughput.

Measures on this machine, in one run:
  * start-up to ready on SQLite (spawn until GET /readyz answers 200),
    cold (empty data directory: creates the database, runs migrations)
    and warm (existing database);
  * idle resident memory after start-up, and after the load;
  * GET / (the rendered home page) and GET /api/v1/regions with wrk at 64
    connections: requests/s and latency percentiles;
  * the named peer: nginx serving the very same bytes as static files, so
    each figure is also printed as a ratio to a static file server.

Installs wrk and nginx from Debian when missing. Servers listen on
127.0.0.1 only; every run is bounded by --duration.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "rumah")
TARGETS = {"startup_ms": 300, "idle_rss_mb": 40, "home_rps": 15000, "regions_rps": 25000, "p99_ms": 10}


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def ensure_tools():
    missing = [p for p, exe in (("wrk", "wrk"), ("nginx", "nginx")) if shutil.which(exe) is None]
    if missing:
        print(f"installing {' '.join(missing)} from Debian", file=sys.stderr)
        sh("apt-get", "update", "-qq")
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


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


def wait_ready(port, deadline):
    """Polls /readyz with a raw socket every millisecond; returns when 200."""
    request = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(request)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            pass
        time.sleep(0.001)
    return False


def start_rumah(data_dir, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUMAH_")}
    env["RUMAH_LOG"] = os.environ.get("BENCH_RUMAH_LOG", "info")
    t0 = time.perf_counter()
    proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_ready(port, t0 + 10):
        proc.kill()
        raise SystemExit("rumah did not become ready within 10 s")
    return proc, (time.perf_counter() - t0) * 1000


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url, duration, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99), "non2xx": int(errors.group(1)) if errors else 0}


def start_nginx(root, port):
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ text/html html; application/json json; }}
  server {{
    listen 127.0.0.1:{port};
    root {root}/www;
    location = / {{ default_type "text/html; charset=utf-8"; try_files /index.html =404; }}
    location = /api/v1/regions {{ default_type application/json; try_files /regions.json =404; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.perf_counter() + 5
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.01)
    raise SystemExit("nginx did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--startups", type=int, default=5, help="start-up measurements per kind")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "RESULTS.md"))
    args = ap.parse_args()

    ensure_tools()
    if not args.no_build:
        sh("cargo", "build", "--release", "--bin", "rumah", cwd=ROOT)
    work = tempfile.mkdtemp(prefix="rumah-bench-")
    try:
        cold, warm = [], []
        for i in range(args.startups):
            data = os.path.join(work, f"cold{i}")
            proc, ms = start_rumah(data, free_port())
            cold.append(ms)
            stop(proc)
            proc, ms = start_rumah(data, free_port())
            warm.append(ms)
            stop(proc)

        port = free_port()
        proc, _ = start_rumah(os.path.join(work, "main"), port)
        time.sleep(2)
        idle_rss = rss_mb(proc.pid)
        base = f"http://127.0.0.1:{port}"
        www = os.path.join(work, "nginx", "www")
        os.makedirs(www)
        for path, name in (("/", "index.html"), ("/api/v1/regions", "regions.json")):
            with urllib.request.urlopen(base + path) as r, open(os.path.join(www, name), "wb") as f:
                f.write(r.read())
        results = {}
        for name, path in (("home", "/"), ("regions", "/api/v1/regions")):
            wrk(base + path, 2, args.connections)  # warm-up
            results[name] = wrk(base + path, args.duration, args.connections)
        loaded_rss = rss_mb(proc.pid)
        stop(proc)

        nginx_port = free_port()
        nginx = start_nginx(os.path.join(work, "nginx"), nginx_port)
        peer = {}
        for name, path in (("home", "/"), ("regions", "/api/v1/regions")):
            wrk(f"http://127.0.0.1:{nginx_port}{path}", 2, args.connections)
            peer[name] = wrk(f"http://127.0.0.1:{nginx_port}{path}", args.duration, args.connections)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().replace("nginx version: ", "")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    med = lambda xs: sorted(xs)[len(xs) // 2]
    def verdict(ok):
        return "meets target" if ok else "MISSES target"
    lines = [
        "# Platform benchmark results",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
        f"- Command: `python3 bench/platform/run.py --duration {args.duration} --connections {args.connections}`",
        f"- Load generator: {wrk_version}, 1 thread, {args.connections} connections, {args.duration} s per run after a 2 s warm-up, on the same 2 cores as the server",
        f"- Peer: {nginx_version} serving the same bytes as static files (worker_processes auto, access log off)",
        "- rumah: release build, SQLite, default configuration (info-level request log to stderr)",
        "",
        "| Measure | rumah | target | verdict |",
        "|---|---|---|---|",
        f"| Start-up to ready, cold (new database + migrations), median of {args.startups} | {med(cold):.0f} ms (min {min(cold):.0f}, max {max(cold):.0f}) | < {TARGETS['startup_ms']} ms | {verdict(med(cold) < TARGETS['startup_ms'])} |",
        f"| Start-up to ready, warm (existing database), median of {args.startups} | {med(warm):.0f} ms (min {min(warm):.0f}, max {max(warm):.0f}) | < {TARGETS['startup_ms']} ms | {verdict(med(warm) < TARGETS['startup_ms'])} |",
        f"| Idle resident memory after start-up | {idle_rss:.1f} MB | < {TARGETS['idle_rss_mb']} MB | {verdict(idle_rss < TARGETS['idle_rss_mb'])} |",
        f"| Resident memory after the load | {loaded_rss:.1f} MB | — | — |",
    ]
    for name, label, target in (("home", "GET / (rendered home page)", TARGETS["home_rps"]), ("regions", "GET /api/v1/regions", TARGETS["regions_rps"])):
        r, p = results[name], peer[name]
        lines.append(f"| {label}: throughput | {r['rps']:,.0f} req/s | ≥ {target:,} req/s | {verdict(r['rps'] >= target and r['non2xx'] == 0)} |")
        lines.append(f"| {label}: p50 / p99 latency | {r['p50']:.2f} / {r['p99']:.2f} ms | p99 < {TARGETS['p99_ms']} ms | {verdict(r['p99'] < TARGETS['p99_ms'])} |")
    lines += ["", "Against the peer (nginx static files, same bytes, same run):", "",
              "| Route | rumah req/s | nginx req/s | ratio rumah/nginx | rumah p99 | nginx p99 |", "|---|---|---|---|---|---|"]
    for name, path in (("home", "/"), ("regions", "/api/v1/regions")):
        r, p = results[name], peer[name]
        lines.append(f"| `{path}` | {r['rps']:,.0f} | {p['rps']:,.0f} | {r['rps'] / p['rps']:.2f} | {r['p99']:.2f} ms | {p['p99']:.2f} ms |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
