//! A small HTTP/1.1 load generator for the benchmarks under `bench/`.
//!
//! It does what wrk cannot:
//! * **fixed rate** (`--rate R`): request `i` is due at `start + i/R`, and
//!   its latency is measured from that due time, not from when a free
//!   connection got round to sending it, so a stall shows up in the
//!   percentiles instead of hiding (the "coordinated omission" wrk2 fixes);
//! * **refresh-token chains** (`--chain FILE`): each connection starts from
//!   one refresh token of FILE and sends the token each answer returns, so
//!   every request is a real rotation.
//!
//! Without `--rate` it is a closed loop: each connection sends its next
//! request when the previous answer is in. Keep-alive connections; a
//! connection the server closes is reopened. Prints one JSON object.
//!
//! ```text
//! rumah-loadgen --url http://127.0.0.1:8080/oidc/introspect --method POST \
//!   --header 'Authorization: Basic …' --body 'token=…' \
//!   --connections 16 --rate 2000 --duration 15 --warmup 3
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Args {
    host: String,
    path: String,
    method: String,
    headers: Vec<String>,
    body: String,
    connections: usize,
    duration: f64,
    warmup: f64,
    rate: f64,
    chain: Option<Vec<String>>,
    /// Paths to take in turn instead of the URL's one (`--paths`).
    paths: Option<Vec<String>>,
}

fn usage() -> ! {
    eprintln!(
        "usage: rumah-loadgen --url URL [--method M] [--header 'K: V']... [--body B] \
         [--connections N] [--duration S] [--warmup S] [--rate R] [--chain FILE] [--paths FILE]\n\
         --chain FILE: one refresh token per line; the body's {{token}} is replaced by the\n\
         connection's current token, and each answer's \"refresh_token\" replaces it\n\
         --paths FILE: one path per line (on the URL's host), requested in turn"
    );
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        host: String::new(),
        path: String::new(),
        method: "GET".into(),
        headers: Vec::new(),
        body: String::new(),
        connections: 16,
        duration: 10.0,
        warmup: 2.0,
        rate: 0.0,
        chain: None,
        paths: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--url" => {
                let url = val();
                let rest = url.strip_prefix("http://").unwrap_or_else(|| usage());
                let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                a.host = host.to_owned();
                a.path = if path.is_empty() {
                    "/".into()
                } else {
                    path.to_owned()
                };
            }
            "--method" => a.method = val(),
            "--header" => a.headers.push(val()),
            "--body" => a.body = val(),
            "--connections" => a.connections = val().parse().unwrap_or_else(|_| usage()),
            "--duration" => a.duration = val().parse().unwrap_or_else(|_| usage()),
            "--warmup" => a.warmup = val().parse().unwrap_or_else(|_| usage()),
            "--rate" => a.rate = val().parse().unwrap_or_else(|_| usage()),
            "--paths" => {
                let text = std::fs::read_to_string(val()).unwrap_or_else(|e| {
                    eprintln!("rumah-loadgen: --paths: {e}");
                    std::process::exit(2)
                });
                let paths: Vec<String> = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                if paths.is_empty() {
                    usage();
                }
                a.paths = Some(paths);
            }
            "--chain" => {
                let text = std::fs::read_to_string(val()).unwrap_or_else(|e| {
                    eprintln!("rumah-loadgen: --chain: {e}");
                    std::process::exit(2)
                });
                a.chain = Some(
                    text.lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
            }
            _ => usage(),
        }
    }
    if a.host.is_empty() || a.connections == 0 {
        usage();
    }
    if let Some(chain) = &a.chain {
        if chain.len() < a.connections {
            eprintln!("rumah-loadgen: --chain needs one token per connection");
            std::process::exit(2)
        }
    }
    a
}

fn request(a: &Args, path: &str, token: Option<&str>) -> Vec<u8> {
    let body = match token {
        Some(t) => a.body.replace("{token}", t),
        None => a.body.clone(),
    };
    let mut r = format!("{} {} HTTP/1.1\r\nHost: {}\r\n", a.method, path, a.host);
    for h in &a.headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    if !body.is_empty() || a.method == "POST" {
        if !a
            .headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("content-type:"))
        {
            r.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        r.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    r.push_str(&body);
    r.into_bytes()
}

/// Reads one response; returns (status, body, keep-alive).
async fn response(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>, bool)> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (mut length, mut chunked, mut close) = (0usize, false, false);
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        let (k, v) = (k.to_ascii_lowercase(), v.trim().to_ascii_lowercase());
        match k.as_str() {
            "content-length" => length = v.parse().unwrap_or(0),
            "transfer-encoding" => chunked = v.contains("chunked"),
            "connection" => close = v == "close",
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let start = body.len();
            body.resize(start + size + 2, 0);
            r.read_exact(&mut body[start..]).await?;
            body.truncate(start + size);
            if size == 0 {
                break;
            }
        }
    } else {
        body.resize(length, 0);
        r.read_exact(&mut body).await?;
    }
    Ok((status, body, !close))
}

fn refresh_token_in(body: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(body).ok()?;
    let at = s.find("\"refresh_token\"")? + "\"refresh_token\"".len();
    let rest = s[at..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    non2xx: u64,
    errors: u64,
}

struct Shared {
    args: Args,
    next: AtomicU64,
    /// Requests begun, for taking `--paths` in turn.
    turn: AtomicU64,
    start: Instant,
    measure_from: Instant,
    end: Instant,
}

async fn connection(sh: Arc<Shared>, mut token: Option<String>) -> Tally {
    let a = &sh.args;
    let mut t = Tally::default();
    let fixed = (a.chain.is_none() && a.paths.is_none()).then(|| request(a, &a.path, None));
    let mut conn: Option<BufReader<TcpStream>> = None;
    loop {
        let due = if a.rate > 0.0 {
            let i = sh.next.fetch_add(1, Ordering::Relaxed);
            let due = sh.start + Duration::from_secs_f64(i as f64 / a.rate);
            if due >= sh.end {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            due
        } else {
            let now = Instant::now();
            if now >= sh.end {
                break;
            }
            now
        };
        if conn.is_none() {
            match TcpStream::connect(&a.host).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    conn = Some(BufReader::new(s));
                }
                Err(_) => {
                    t.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        let chained;
        let req = match &fixed {
            Some(r) => r,
            None => {
                let path = match &a.paths {
                    Some(p) => {
                        let i = sh.turn.fetch_add(1, Ordering::Relaxed) as usize;
                        p[i % p.len()].as_str()
                    }
                    None => a.path.as_str(),
                };
                chained = request(a, path, token.as_deref());
                &chained
            }
        };
        let result = async {
            c.get_mut().write_all(req).await?;
            response(c).await
        }
        .await;
        let done = Instant::now();
        match result {
            Ok((status, body, keep)) => {
                if due >= sh.measure_from {
                    t.latencies_us
                        .push((done - due).as_micros().min(u32::MAX as u128) as u32);
                    if !(200..300).contains(&status) {
                        t.non2xx += 1;
                    }
                }
                if token.is_some() {
                    match refresh_token_in(&body) {
                        Some(next) => token = Some(next),
                        None => {
                            eprintln!(
                                "rumah-loadgen: the chain broke (status {status}): {}",
                                String::from_utf8_lossy(&body)
                            );
                            t.errors += 1;
                            break;
                        }
                    }
                }
                if !keep {
                    conn = None;
                }
            }
            Err(_) => {
                if due >= sh.measure_from {
                    t.errors += 1;
                }
                conn = None;
            }
        }
    }
    t
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse();
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);
    let tokens: Vec<Option<String>> = match &args.chain {
        Some(c) => c.iter().take(args.connections).cloned().map(Some).collect(),
        None => vec![None; args.connections],
    };
    let (connections, rate, duration) = (args.connections, args.rate, args.duration);
    let sh = Arc::new(Shared {
        args,
        next: AtomicU64::new(0),
        turn: AtomicU64::new(0),
        start,
        measure_from,
        end,
    });
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|tok| tokio::task::spawn(connection(sh.clone(), tok)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.expect("a connection task panicked");
        all.latencies_us.extend(t.latencies_us);
        all.non2xx += t.non2xx;
        all.errors += t.errors;
    }
    all.latencies_us.sort_unstable();
    let n = all.latencies_us.len();
    println!(
        "{{\"requests\":{n},\"rps\":{:.1},\"non2xx\":{},\"errors\":{},\"connections\":{connections},\
         \"rate\":{rate},\"duration_s\":{duration},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\
         \"p999_ms\":{:.3},\"max_ms\":{:.3}}}",
        n as f64 / duration,
        all.non2xx,
        all.errors,
        pct(&all.latencies_us, 50.0),
        pct(&all.latencies_us, 90.0),
        pct(&all.latencies_us, 99.0),
        pct(&all.latencies_us, 99.9),
        pct(&all.latencies_us, 100.0),
    );
}
