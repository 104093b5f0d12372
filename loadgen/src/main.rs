//! zone-loadgen: drives a zone (or any line-based server, such as redis-server
//! with inline commands) over loopback TCP and reports throughput and latency
//! (issue 5).
//!
//! Modes:
//! - `chatnet`: N connections log in, enter a realm, and each runs a closed
//!   loop: send `--line` (default `SEND:CMD:?uptime`), wait for one reply line.
//! - `raw`: N connections, each a closed loop of `--line` (`PING` for redis)
//!   and one reply line; no login.
//! - `fanout`: one sender and `--receivers` receivers in one realm (ChatNet:
//!   `SEND:PUB`) or channel (`--redis`: `SUBSCRIBE`/`PUBLISH`); counts
//!   deliveries per second. The sender keeps at most `--window` messages
//!   ahead of the slowest receiver.
//! - `idle`: N connections log in (entering no realm) and stay until
//!   `--duration` ends; for the server's memory per connection.
//!
//! Every mode prints a progress line each second (to stderr) and a report
//! whose last line is machine-readable: `result <mode> <number>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Semaphore;

/// Load for zone-server (ChatNet) and, for comparison, redis-server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// What to run.
    #[arg(long, value_enum, default_value = "chatnet")]
    mode: Mode,
    /// The server.
    #[arg(long, default_value = "127.0.0.1:5000")]
    addr: String,
    /// Connections (chatnet, raw, idle).
    #[arg(long, short = 'n', default_value_t = 50)]
    connections: usize,
    /// Seconds to measure for (idle: to stay connected).
    #[arg(long, short = 'd', default_value_t = 10)]
    duration: u64,
    /// The line each request sends (chatnet, raw).
    #[arg(long)]
    line: Option<String>,
    /// The realm to enter (chatnet, fanout).
    #[arg(long, default_value = "bench")]
    realm: String,
    /// Receivers (fanout).
    #[arg(long, default_value_t = 1000)]
    receivers: usize,
    /// Messages the sender may be ahead of the slowest receiver (fanout).
    #[arg(long, default_value_t = 64)]
    window: u64,
    /// Fan out through redis `PUBLISH` instead of ChatNet (fanout).
    #[arg(long)]
    redis: bool,
    /// Logins at once while connecting.
    #[arg(long, default_value_t = 64)]
    login_concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Chatnet,
    Raw,
    Fanout,
    Idle,
}

/// One connection, line by line.
struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    line: String,
}

impl Conn {
    async fn connect(addr: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Ok(Conn { reader: BufReader::new(read), writer: write, line: String::new() })
    }

    async fn send(&mut self, line: &str) -> anyhow::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.writer.write_all(&bytes).await?;
        Ok(())
    }

    /// The next line without its terminator, skipping ChatNet's keepalive.
    async fn recv(&mut self) -> anyhow::Result<&str> {
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line).await? == 0 {
                bail!("the server closed the connection");
            }
            let line = self.line.trim_end_matches(['\r', '\n']);
            if line != "NOOP" {
                // Re-borrow to return the trimmed slice.
                let len = line.len();
                return Ok(&self.line[..len]);
            }
        }
    }

    /// Logs in as `name` and, with a realm, enters it, reading until the own
    /// PLAYER line.
    async fn login(addr: &str, name: &str, realm: Option<&str>) -> anyhow::Result<Conn> {
        let mut conn = Conn::connect(addr).await?;
        conn.send(&format!("LOGIN:1;zone-loadgen:{name}:loadgen")).await?;
        let answer = conn.recv().await?.to_owned();
        if !answer.starts_with("LOGINOK:") {
            bail!("{name}: {answer}");
        }
        // The welcome line.
        conn.recv().await?;
        let Some(realm) = realm else { return Ok(conn) };
        conn.send(&format!("GO:{realm}")).await?;
        let me = format!("PLAYER:{name}:");
        while !conn.recv().await?.starts_with(&me) {}
        Ok(conn)
    }
}

/// Opens `count` logged-in connections named `prefix0…`, `login_concurrency`
/// at a time, in `cli.realm` if `enter`.
async fn login_all(cli: &Cli, prefix: &str, count: usize, enter: bool) -> anyhow::Result<Vec<Conn>> {
    let permits = Arc::new(Semaphore::new(cli.login_concurrency));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let (addr, realm, permits) = (cli.addr.clone(), enter.then(|| cli.realm.clone()), permits.clone());
        let name = format!("{prefix}{i}");
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire().await?;
            Conn::login(&addr, &name, realm.as_deref()).await
        }));
    }
    let mut conns = Vec::with_capacity(count);
    for task in tasks {
        conns.push(task.await??);
    }
    // Earlier arrivals were told of later ones (ENTERING): read those lines
    // now, up to a private message to oneself, so every later line is a reply.
    for (i, conn) in conns.iter_mut().enumerate() {
        let name = format!("{prefix}{i}");
        conn.send(&format!("SEND:PRIV:{name}:sync")).await?;
        let marker = format!("MSG:PRIV:{name}:sync");
        while conn.recv().await? != marker {}
    }
    Ok(conns)
}

/// Prints `done` per second to stderr until `stop`.
fn progress(label: &'static str, done: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut last = 0;
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = done.load(Ordering::Relaxed);
            eprintln!("{:>4.0}s  {now:>10} {label}  {:>9}/s", started.elapsed().as_secs_f64(), now - last);
            last = now;
        }
    })
}

/// Closed loops of one line and one reply line per connection.
async fn closed_loop(cli: &Cli, conns: Vec<Conn>, line: String) -> anyhow::Result<()> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(cli.duration);
    let started = Instant::now();
    let reporter = progress("requests", done.clone(), stop.clone());
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (line, done) = (line.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            while Instant::now() < deadline {
                let sent = Instant::now();
                conn.send(&line).await?;
                conn.recv().await?;
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                histogram.saturating_record(micros.max(1));
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(histogram)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    let total = done.load(Ordering::Relaxed);
    let throughput = total as f64 / elapsed;
    println!("connections: {}", cli.connections);
    println!("line: {line}");
    println!("requests: {total} in {elapsed:.1} s");
    println!("throughput: {throughput:.0} requests/s");
    println!(
        "latency µs: p50 {} p90 {} p99 {} p99.9 {} max {}",
        all.value_at_quantile(0.50),
        all.value_at_quantile(0.90),
        all.value_at_quantile(0.99),
        all.value_at_quantile(0.999),
        all.max()
    );
    println!("result throughput {throughput:.0}");
    Ok(())
}

/// One sender, many receivers; deliveries per second.
async fn fanout(cli: &Cli) -> anyhow::Result<()> {
    let (receivers, sender, matches): (Vec<Conn>, Conn, fn(&str) -> bool) = if cli.redis {
        let mut receivers = Vec::with_capacity(cli.receivers);
        for _ in 0..cli.receivers {
            let mut conn = Conn::connect(&cli.addr).await?;
            conn.send("SUBSCRIBE zonebench").await?;
            // *3 $9 subscribe $9 zonebench :n
            for _ in 0..6 {
                conn.recv().await?;
            }
            receivers.push(conn);
        }
        (receivers, Conn::connect(&cli.addr).await?, |line| line == "message")
    } else {
        let receivers = login_all(cli, "rcv", cli.receivers, true).await?;
        let sender = Conn::login(&cli.addr, "sender", Some(&cli.realm)).await?;
        (receivers, sender, |line| line.starts_with("MSG:PUB:"))
    };
    eprintln!("{} receivers ready", receivers.len());

    let delivered = Arc::new(AtomicU64::new(0));
    let slowest = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let per_receiver: Arc<Vec<AtomicU64>> =
        Arc::new((0..receivers.len()).map(|_| AtomicU64::new(0)).collect());
    let mut tasks = Vec::new();
    for (i, mut conn) in receivers.into_iter().enumerate() {
        let (delivered, stop, per_receiver) = (delivered.clone(), stop.clone(), per_receiver.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let line = match tokio::time::timeout(Duration::from_millis(200), conn.recv()).await {
                    Ok(line) => line?,
                    Err(_) => continue,
                };
                if matches(line) {
                    delivered.fetch_add(1, Ordering::Relaxed);
                    per_receiver[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(())
        }));
    }
    let watcher = {
        let (per_receiver, slowest, stop) = (per_receiver.clone(), slowest.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let min = per_receiver.iter().map(|count| count.load(Ordering::Relaxed)).min().unwrap_or(0);
                slowest.store(min, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        })
    };
    // The sender's incoming lines (redis answers each PUBLISH) are read on
    // the side, so the sender waits for nothing but the window.
    let Conn { mut reader, writer: mut sender, mut line } = sender;
    let replies = {
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                line.clear();
                if let Ok(Ok(0) | Err(_)) =
                    tokio::time::timeout(Duration::from_millis(200), reader.read_line(&mut line)).await
                {
                    break;
                }
            }
        })
    };
    let reporter = progress("deliveries", delivered.clone(), stop.clone());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(cli.duration);
    let mut sent: u64 = 0;
    while Instant::now() < deadline {
        while sent >= slowest.load(Ordering::Relaxed) + cli.window {
            tokio::task::yield_now().await;
            if Instant::now() >= deadline {
                break;
            }
        }
        let line: &[u8] = if cli.redis { b"PUBLISH zonebench hello\r\n" } else { b"SEND:PUB:hello\r\n" };
        sender.write_all(line).await?;
        sent += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = delivered.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    watcher.abort();
    replies.abort();
    for task in tasks {
        task.await??;
    }
    let rate = total as f64 / elapsed;
    println!("receivers: {}", cli.receivers);
    println!("messages sent: {sent}, deliveries: {total} in {elapsed:.1} s");
    println!("deliveries: {rate:.0}/s");
    println!("result deliveries {rate:.0}");
    Ok(())
}

/// N logged-in connections that stay until the duration ends.
async fn idle(cli: &Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    // Logged in, in no realm: no arrival notices, nothing to read.
    let conns = login_all(cli, "idle", cli.connections, false).await?;
    println!("connections: {} logged in after {:.1} s", conns.len(), started.elapsed().as_secs_f64());
    println!("result idle {}", conns.len());
    tokio::time::sleep(Duration::from_secs(cli.duration)).await;
    drop(conns);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match cli.mode {
            Mode::Chatnet => {
                let conns = login_all(&cli, "load", cli.connections, true).await?;
                let line = cli.line.clone().unwrap_or_else(|| "SEND:CMD:?uptime".to_owned());
                closed_loop(&cli, conns, line).await
            }
            Mode::Raw => {
                let mut conns = Vec::with_capacity(cli.connections);
                for _ in 0..cli.connections {
                    conns.push(Conn::connect(&cli.addr).await?);
                }
                let line = cli.line.clone().unwrap_or_else(|| "PING".to_owned());
                closed_loop(&cli, conns, line).await
            }
            Mode::Fanout => fanout(&cli).await,
            Mode::Idle => idle(&cli).await,
        }
    })
}
