//! zone-loadgen: drives a zone (or any line-based server, such as redis-server
//! with inline commands) over loopback TCP and reports throughput and latency
//! (issue 5).
//!
//! Modes:
//! - `chatnet`: N connections log in, enter a realm, and each runs a closed
//!   loop: send `--line` (default `SEND:CMD:?uptime`), wait for one reply line
//!   (one starting with `--expect`, if given).
//! - `raw`: N connections, each a closed loop of `--line` (`PING` for redis)
//!   and one reply line; no login.
//! - `fanout`: one sender and `--receivers` receivers in one realm (ChatNet:
//!   `SEND:PUB`) or channel (`--redis`: `SUBSCRIBE`/`PUBLISH`); counts
//!   deliveries per second and the latency from send to delivery, over all
//!   deliveries and at each message's slowest receiver. The sender keeps at
//!   most `--window` messages ahead of the slowest receiver.
//! - `idle`: N connections log in and stay until `--duration` ends, in no
//!   realm or spread over `--realms` realms, reading what they are sent;
//!   for the server's memory per player.
//!
//! It relies only on what ChatNet promises, so it drives any ChatNet server
//! (ASSS too): `LOGINOK` answers `LOGIN` and `INARENA` answers `GO`; what
//! else a server sends is read until it is quiet for `--settle` ms. Every
//! wait is bounded by `--reply-timeout`: a reply that does not come is
//! counted lost (and the connection resynchronised by reading until quiet),
//! never waited for forever.
//! - `wrong-logins` (issue 9): `--attempts` logins with a wrong password for
//!   `--name`, `-n` at a time, each on a new connection; counts the answers.
//! - `idle-raw` (issue 9): N connections that never log in, held until
//!   `--duration` ends; counts those the server kept and those it refused.
//! - `probe` (issue 9): one player logs in as `--name` and runs `?uptime`;
//!   reports how long each took (for a login under attack).
//! - `propagation` (issue 12): `--name` (an smod) in the zone at `--addr`
//!   grants and revokes `bans` for `default`, `--attempts` times; a player in
//!   each zone of `--peers` runs `?bans` back to back until the answer
//!   changes. Reports, from the moderator's acknowledgement to the change in
//!   the slowest zone, p50 and p99 (µs).
//! - `cross-private` (issue 12): a sender in the zone at `--addr` sends
//!   private messages to a receiver in the first zone of `--peers`, at most
//!   `--window` ahead; deliveries per second.
//!
//! `--from` binds connections to a source address (127.0.0.x), so one run can
//! stand for another machine as far as per-address limits go; `--sources K`
//! spreads them over K addresses, past one address's ephemeral ports.
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
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
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
    /// The source address of every connection (default: the system's choice).
    #[arg(long)]
    from: Option<std::net::IpAddr>,
    /// Spread connections over this many source addresses, counting up
    /// from `--from` (default 127.0.0.1): one address has about 28,000
    /// ephemeral ports (chatnet, idle, fanout receivers).
    #[arg(long, default_value_t = 1)]
    sources: u8,
    /// Realms to spread idle players over: player i enters `{realm}{i % K}`
    /// (idle; 0: they enter no realm).
    #[arg(long, default_value_t = 0)]
    realms: usize,
    /// Milliseconds to wait for a reply (and for `LOGINOK`, `INARENA`)
    /// before counting it lost.
    #[arg(long, default_value_t = 5000)]
    reply_timeout: u64,
    /// Only a line starting with this is the reply (chatnet, raw); other
    /// lines are counted as unsolicited and skipped. Default: any line.
    #[arg(long)]
    expect: Option<String>,
    /// The server's process id: the closed loop reports the CPU time it
    /// spent (user and system, from `/proc/PID/stat`) per request.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Milliseconds without a line after which a connection has read all
    /// the server had to say (after login, and after a lost reply).
    #[arg(long, default_value_t = 300)]
    settle: u64,
    /// Logins to try (wrong-logins).
    #[arg(long, default_value_t = 2000)]
    attempts: usize,
    /// The account (wrong-logins, probe; the moderator of propagation).
    #[arg(long, default_value = "victim")]
    name: String,
    /// The other zones of a network, `IP:port,IP:port` (propagation,
    /// cross-private).
    #[arg(long, value_delimiter = ',')]
    peers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Chatnet,
    Raw,
    Fanout,
    Idle,
    WrongLogins,
    IdleRaw,
    Probe,
    Propagation,
    CrossPrivate,
}

/// One connection, line by line.
struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// The line being read, or the last one read whole.
    line: String,
    /// Whether `line` holds a whole line (read past), not a part.
    complete: bool,
}

impl Conn {
    async fn connect(addr: &str) -> anyhow::Result<Conn> {
        Conn::connect_from(addr, None).await
    }

    async fn connect_from(addr: &str, from: Option<std::net::IpAddr>) -> anyhow::Result<Conn> {
        let stream = match from {
            None => TcpStream::connect(addr).await,
            Some(from) => {
                let target: std::net::SocketAddr = addr.parse().context("--from needs --addr as IP:port")?;
                let socket = if from.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
                socket.bind(std::net::SocketAddr::new(from, 0))?;
                socket.connect(target).await
            }
        }
        .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Ok(Conn { reader: BufReader::new(read), writer: write, line: String::new(), complete: false })
    }

    async fn send(&mut self, line: &str) -> anyhow::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.writer.write_all(&bytes).await?;
        Ok(())
    }

    /// The next line without its terminator, skipping ChatNet's keepalive.
    /// Cancel-safe: a line cut short by a timeout is finished by the next
    /// call.
    async fn recv(&mut self) -> anyhow::Result<&str> {
        loop {
            if std::mem::take(&mut self.complete) {
                self.line.clear();
            }
            // Appends to `line`, and keeps what it read if it is cancelled.
            if self.reader.read_line(&mut self.line).await? == 0 {
                bail!("the server closed the connection");
            }
            self.complete = true;
            let line = self.line.trim_end_matches(['\r', '\n']);
            if line != "NOOP" {
                // Re-borrow to return the trimmed slice.
                let len = line.len();
                return Ok(&self.line[..len]);
            }
        }
    }

    /// The next line within `patience`; `None` if none came.
    async fn recv_within(&mut self, patience: Duration) -> anyhow::Result<Option<&str>> {
        // The line is read into `self.line`; a timeout loses nothing, since
        // `read_line` keeps what it has read for the next call.
        match tokio::time::timeout(patience, self.recv_owned()).await {
            Ok(result) => {
                result?;
                Ok(Some(self.line.trim_end_matches(['\r', '\n'])))
            }
            Err(_) => Ok(None),
        }
    }

    /// [`Conn::recv`], leaving the line in `self.line`.
    async fn recv_owned(&mut self) -> anyhow::Result<()> {
        self.recv().await.map(drop)
    }

    /// Reads and drops lines until none comes for `quiet` (at most 30 s of
    /// them): what the server had to say is read, whatever it was.
    async fn settle(&mut self, quiet: Duration) -> anyhow::Result<u64> {
        let until = Instant::now() + Duration::from_secs(30);
        let mut dropped = 0;
        while Instant::now() < until && self.recv_within(quiet).await?.is_some() {
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Logs in as `name` and, with a realm, enters it, relying only on what
    /// ChatNet promises: `LOGINOK` (or `LOGINBAD`) answers `LOGIN`, and
    /// `INARENA` answers `GO`; other lines (a welcome, `PLAYER` lines, ASSS's
    /// own) are skipped. Each answer must come within `patience`. The caller
    /// reads what else the server sends ([`Conn::settle`]).
    async fn login(
        addr: &str,
        from: Option<std::net::IpAddr>,
        name: &str,
        realm: Option<&str>,
        patience: Duration,
    ) -> anyhow::Result<Conn> {
        let mut conn = Conn::connect_from(addr, from).await?;
        conn.send(&format!("LOGIN:1;zone-loadgen:{name}:loadgen")).await?;
        conn.answer(name, "LOGINOK:", "LOGINBAD:", patience).await?;
        if let Some(realm) = realm {
            conn.send(&format!("GO:{realm}")).await?;
            conn.answer(name, "INARENA:", "LOGINBAD:", patience).await?;
        }
        Ok(conn)
    }

    /// Reads until a line starting with `wanted` (skipping others), failing
    /// on one starting with `refused` or when `patience` passes.
    async fn answer(
        &mut self,
        name: &str,
        wanted: &str,
        refused: &str,
        patience: Duration,
    ) -> anyhow::Result<()> {
        let until = Instant::now() + patience;
        let mut last = String::new();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let Some(line) = self.recv_within(left).await? else {
                bail!("{name}: no {wanted} within {patience:?} (last line: {last:?})");
            };
            if line.starts_with(wanted) {
                return Ok(());
            }
            if line.starts_with(refused) {
                bail!("{name}: {line}");
            }
            line.clone_into(&mut last);
        }
    }
}

/// Opens `count` logged-in connections named `prefix0…`, `login_concurrency`
/// at a time, connection i entering `realm(i)` if it names one, then reads
/// on each what the server had to say (welcomes, other players' arrivals)
/// until it is quiet.
async fn login_all(
    cli: &Cli,
    prefix: &str,
    count: usize,
    realm: impl Fn(usize) -> Option<String>,
) -> anyhow::Result<Vec<Conn>> {
    let permits = Arc::new(Semaphore::new(cli.login_concurrency));
    let patience = Duration::from_millis(cli.reply_timeout);
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let (addr, realm, permits, from) = (cli.addr.clone(), realm(i), permits.clone(), cli.source(i));
        let name = format!("{prefix}{i}");
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire().await?;
            Conn::login(&addr, from, &name, realm.as_deref(), patience).await
        }));
    }
    let mut conns = Vec::with_capacity(count);
    for task in tasks {
        conns.push(task.await??);
    }
    settle_all(cli, conns).await
}

/// [`Conn::settle`] on every connection at once.
async fn settle_all(cli: &Cli, conns: Vec<Conn>) -> anyhow::Result<Vec<Conn>> {
    let quiet = Duration::from_millis(cli.settle);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            tokio::spawn(async move {
                conn.settle(quiet).await?;
                anyhow::Ok(conn)
            })
        })
        .collect();
    let mut settled = Vec::with_capacity(tasks.len());
    for task in tasks {
        settled.push(task.await??);
    }
    Ok(settled)
}

impl Cli {
    /// The source address of connection `i`: `--from` (or 127.0.0.1) plus
    /// `i % --sources`; `None` (the system's choice) for one source and no
    /// `--from`.
    fn source(&self, i: usize) -> Option<std::net::IpAddr> {
        if self.sources <= 1 {
            return self.from;
        }
        let base = match self.from {
            Some(std::net::IpAddr::V4(v4)) => v4,
            _ => std::net::Ipv4Addr::LOCALHOST,
        };
        let offset = u32::try_from(i % usize::from(self.sources)).unwrap_or(0);
        Some(std::net::IpAddr::V4(std::net::Ipv4Addr::from(u32::from(base).wrapping_add(offset))))
    }

    fn patience(&self) -> Duration {
        Duration::from_millis(self.reply_timeout)
    }
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

/// What one connection of a closed loop saw.
struct LoopResult {
    histogram: Histogram<u64>,
    lost: u64,
    unsolicited: u64,
}

/// Closed loops of one line and one reply line per connection. A reply
/// that does not come within `--reply-timeout` is counted lost, and the
/// connection reads until the server is quiet before its next request, so
/// a late reply is not taken for the next one's.
async fn closed_loop(cli: &Cli, conns: Vec<Conn>, line: String) -> anyhow::Result<()> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(cli.duration);
    let started = Instant::now();
    let cpu_before = cli.server_pid.and_then(cpu_ticks);
    let reporter = progress("requests", done.clone(), stop.clone());
    let (patience, quiet) = (cli.patience(), Duration::from_millis(cli.settle));
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (line, done, expect) = (line.clone(), done.clone(), cli.expect.clone());
        tasks.push(tokio::spawn(async move {
            let mut result = LoopResult {
                histogram: Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?,
                lost: 0,
                unsolicited: 0,
            };
            let request = format!("{line}\r\n").into_bytes();
            while Instant::now() < deadline {
                let sent = Instant::now();
                conn.writer.write_all(&request).await?;
                loop {
                    let left = patience.saturating_sub(sent.elapsed());
                    match conn.recv_within(left).await? {
                        None => {
                            result.lost += 1;
                            conn.settle(quiet).await?;
                            break;
                        }
                        Some(reply) if expect.as_deref().is_none_or(|e| reply.starts_with(e)) => {
                            let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                            result.histogram.saturating_record(micros.max(1));
                            done.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Some(_) => result.unsolicited += 1,
                    }
                }
            }
            anyhow::Ok(result)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut lost, mut unsolicited) = (0, 0);
    for task in tasks {
        let result = task.await??;
        all.add(result.histogram)?;
        lost += result.lost;
        unsolicited += result.unsolicited;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = cli.server_pid.and_then(cpu_ticks);
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    let total = done.load(Ordering::Relaxed);
    let throughput = total as f64 / elapsed;
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let per_request = |ticks: u64| ticks as f64 / USER_HZ * 1e6 / total.max(1) as f64;
        let (user, system) = (after.0.saturating_sub(before.0), after.1.saturating_sub(before.1));
        let seconds = (user + system) as f64 / USER_HZ;
        println!(
            "server cpu: {:.2} µs/request ({seconds:.2} s over {elapsed:.1} s; user {:.2}, system {:.2})",
            per_request(user + system),
            per_request(user),
            per_request(system)
        );
    }
    println!("connections: {}", cli.connections);
    println!("line: {line}");
    println!("requests: {total} in {elapsed:.1} s");
    println!("lost replies: {lost} (no reply within {} ms)", cli.reply_timeout);
    println!("unsolicited lines: {unsolicited}");
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

/// Clock ticks a second in `/proc` (Linux's `USER_HZ`, 100 on every
/// architecture it runs on; `getconf CLK_TCK`).
const USER_HZ: f64 = 100.0;

/// The user and system CPU time of process `pid` so far, in clock ticks
/// (`utime` and `stime`, fields 14 and 15 of `/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// A fan-out message's payload, `m<seq>.<micros>` (the micros after the
/// run started when it was sent), from a ChatNet `MSG:PUB:name:…` line or
/// a redis bulk string line.
fn fanout_payload(line: &str) -> Option<(u64, u64)> {
    let payload = line.rsplit(':').next()?.strip_prefix('m')?;
    let (seq, micros) = payload.split_once('.')?;
    Some((seq.parse().ok()?, micros.parse().ok()?))
}

/// Messages whose slowest delivery is tracked, at most: more than any run
/// sends (a 10 s run at 2 million deliveries/s to 1,000 receivers sends
/// 20,000).
const TRACKED_MESSAGES: usize = 1 << 20;

/// One sender, many receivers; deliveries per second, and the latency from
/// send to delivery: over all deliveries, and at the slowest receiver of
/// each message.
async fn fanout(cli: &Cli) -> anyhow::Result<()> {
    let (receivers, sender) = if cli.redis {
        let mut receivers = Vec::with_capacity(cli.receivers);
        for i in 0..cli.receivers {
            let mut conn = Conn::connect_from(&cli.addr, cli.source(i)).await?;
            conn.send("SUBSCRIBE zonebench").await?;
            // *3 $9 subscribe $9 zonebench :n
            for _ in 0..6 {
                conn.recv().await?;
            }
            receivers.push(conn);
        }
        (receivers, Conn::connect(&cli.addr).await?)
    } else {
        let receivers = login_all(cli, "rcv", cli.receivers, |_| Some(cli.realm.clone())).await?;
        let mut sender = Conn::login(&cli.addr, None, "sender", Some(&cli.realm), cli.patience()).await?;
        sender.settle(Duration::from_millis(cli.settle)).await?;
        // The receivers were told the sender arrived.
        (settle_all(cli, receivers).await?, sender)
    };
    eprintln!("{} receivers ready", receivers.len());

    let delivered = Arc::new(AtomicU64::new(0));
    let slowest = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let per_receiver: Arc<Vec<AtomicU64>> =
        Arc::new((0..receivers.len()).map(|_| AtomicU64::new(0)).collect());
    // Per message, the latest delivery (µs after `started`).
    let last_delivery: Arc<Vec<AtomicU64>> =
        Arc::new((0..TRACKED_MESSAGES).map(|_| AtomicU64::new(0)).collect());
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..TRACKED_MESSAGES).map(|_| AtomicU64::new(0)).collect());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut conn) in receivers.into_iter().enumerate() {
        let (delivered, stop, per_receiver, last_delivery) =
            (delivered.clone(), stop.clone(), per_receiver.clone(), last_delivery.clone());
        tasks.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            while !stop.load(Ordering::Relaxed) {
                let line = match tokio::time::timeout(Duration::from_millis(200), conn.recv()).await {
                    Ok(line) => line?,
                    Err(_) => continue,
                };
                if let Some((seq, sent)) = fanout_payload(line) {
                    let now = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    histogram.saturating_record(now.saturating_sub(sent).max(1));
                    if let Some(slot) = usize::try_from(seq).ok().and_then(|seq| last_delivery.get(seq)) {
                        slot.fetch_max(now, Ordering::Relaxed);
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                    per_receiver[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(histogram)
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
    let Conn { mut reader, writer: mut sender, mut line, .. } = sender;
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
    let counted_from = Instant::now();
    let deadline = counted_from + Duration::from_secs(cli.duration);
    let mut sent: u64 = 0;
    let mut message = Vec::with_capacity(64);
    while Instant::now() < deadline {
        while sent >= slowest.load(Ordering::Relaxed) + cli.window {
            tokio::task::yield_now().await;
            if Instant::now() >= deadline {
                break;
            }
        }
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        message.clear();
        message.extend_from_slice(if cli.redis { b"PUBLISH zonebench m" } else { b"SEND:PUB:m" });
        message.extend_from_slice(format!("{sent}.{micros}\r\n").as_bytes());
        if let Some(slot) = usize::try_from(sent).ok().and_then(|seq| sent_at.get(seq)) {
            slot.store(micros, Ordering::Relaxed);
        }
        sender.write_all(&message).await?;
        sent += 1;
    }
    let elapsed = counted_from.elapsed().as_secs_f64();
    let total = delivered.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    watcher.abort();
    replies.abort();
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    // Messages every receiver got (each receiver reads in order).
    let complete = per_receiver.iter().map(|count| count.load(Ordering::Relaxed)).min().unwrap_or(0);
    let mut slowest_receiver = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for seq in 0..usize::try_from(complete).unwrap_or(0).min(TRACKED_MESSAGES) {
        let latency =
            last_delivery[seq].load(Ordering::Relaxed).saturating_sub(sent_at[seq].load(Ordering::Relaxed));
        slowest_receiver.saturating_record(latency.max(1));
    }
    let rate = total as f64 / elapsed;
    println!("receivers: {}", cli.receivers);
    println!("messages sent: {sent}, deliveries: {total} in {elapsed:.1} s");
    println!("deliveries: {rate:.0}/s");
    println!(
        "latency µs, every delivery: p50 {} p99 {} max {}",
        all.value_at_quantile(0.50),
        all.value_at_quantile(0.99),
        all.max()
    );
    println!(
        "latency µs, slowest receiver of each message ({complete} messages): p50 {} p99 {} max {}",
        slowest_receiver.value_at_quantile(0.50),
        slowest_receiver.value_at_quantile(0.99),
        slowest_receiver.max()
    );
    println!("result deliveries {rate:.0}");
    Ok(())
}

/// N logged-in connections that stay until the duration ends, in no realm
/// or spread over `--realms` realms; each reads and drops what it is sent.
async fn idle(cli: &Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let realms = cli.realms;
    let conns = login_all(cli, "idle", cli.connections, |i| {
        (realms > 0).then(|| format!("{}{}", cli.realm, i % realms))
    })
    .await?;
    let count = conns.len();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let stop = stop.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(Err(_)) = tokio::time::timeout(Duration::from_millis(500), conn.recv()).await {
                        break;
                    }
                }
            })
        })
        .collect();
    let place = if realms > 0 { format!(" in {realms} realms") } else { String::new() };
    println!("connections: {count} logged in{place} after {:.1} s", started.elapsed().as_secs_f64());
    println!("result idle {count}");
    tokio::time::sleep(Duration::from_secs(cli.duration)).await;
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.abort();
    }
    Ok(())
}

/// `--attempts` wrong-password logins, `-n` at a time, each on a new
/// connection; counts the first line of each answer.
async fn wrong_logins(cli: &Cli) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let answers = Arc::new(counts::Counts::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..cli.connections {
        let (next, answers) = (next.clone(), answers.clone());
        let (addr, from, name, attempts) =
            (cli.addr.clone(), cli.from, cli.name.clone(), cli.attempts as u64);
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < attempts {
                let answer = match Conn::connect_from(&addr, from).await {
                    Ok(mut conn) => match conn.send(&format!("LOGIN:1;zone-loadgen:{name}:wrong")).await {
                        Ok(()) => match tokio::time::timeout(Duration::from_secs(30), conn.recv()).await {
                            Ok(Ok(line)) => classify(line),
                            Ok(Err(_)) => "closed without a line",
                            Err(_) => "no answer in 30 s",
                        },
                        Err(_) => "write failed",
                    },
                    Err(_) => "connect failed",
                };
                answers.add(answer);
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("attempts: {} from {} connections at a time in {elapsed:.1} s", cli.attempts, cli.connections);
    let counts = answers.take();
    for (answer, count) in &counts {
        println!("  {count:>6}  {answer}");
    }
    let answered: u64 =
        counts.iter().filter(|(answer, _)| answer.starts_with("LOGINBAD")).map(|(_, n)| n).sum();
    println!("result wrong-logins {answered}");
    Ok(())
}

/// An answer without the part that varies (the seconds to wait).
fn classify(line: &str) -> &'static str {
    match line {
        "LOGINBAD:wrong password" => "LOGINBAD:wrong password",
        line if line.starts_with("LOGINBAD:wrong password; try again in") => {
            "LOGINBAD:wrong password; try again in N s"
        }
        "LOGINBAD:the zone is busy; try again in a moment" => {
            "LOGINBAD:the zone is busy; try again in a moment"
        }
        line if line.starts_with("LOGINBAD:too many attempts") => {
            "LOGINBAD:too many attempts; try again in N s"
        }
        line if line.starts_with("LOGINBAD:too many login attempts from your address") => {
            "LOGINBAD:too many login attempts from your address; try again in N s"
        }
        line if line.starts_with("LOGINBAD:too many connections from your address") => {
            "LOGINBAD:too many connections from your address; try again later"
        }
        line if line.starts_with("LOGINOK:") => "LOGINOK (the password was right)",
        line if line.starts_with("LOGINBAD:") => "LOGINBAD (other)",
        _ => "another line",
    }
}

/// Counts by answer, shared between tasks.
mod counts {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    #[derive(Default)]
    pub(crate) struct Counts(Mutex<BTreeMap<&'static str, u64>>);

    impl Counts {
        pub(crate) fn add(&self, answer: &'static str) {
            if let Ok(mut counts) = self.0.lock() {
                *counts.entry(answer).or_default() += 1;
            }
        }

        pub(crate) fn take(&self) -> Vec<(&'static str, u64)> {
            self.0.lock().map(|counts| counts.iter().map(|(a, n)| (*a, *n)).collect()).unwrap_or_default()
        }
    }
}

/// N connections that never log in, held for `--duration` seconds.
async fn idle_raw(cli: &Cli) -> anyhow::Result<()> {
    let mut held = Vec::new();
    let mut refused = 0u64;
    let mut failed = 0u64;
    for _ in 0..cli.connections {
        match Conn::connect_from(&cli.addr, cli.from).await {
            Ok(conn) => held.push(conn),
            Err(_) => failed += 1,
        }
    }
    // A refused connection has its LOGINBAD line by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut open = Vec::new();
    for mut conn in held {
        match tokio::time::timeout(Duration::from_millis(1), conn.recv()).await {
            // A LOGINBAD line, or the close itself.
            Ok(_) => refused += 1,
            Err(_) => open.push(conn),
        }
    }
    println!(
        "idle sockets: {} kept open by the server, {refused} refused, {failed} could not connect",
        open.len()
    );
    println!("result idle-raw {}", open.len());
    tokio::time::sleep(Duration::from_secs(cli.duration)).await;
    drop(open);
    Ok(())
}

/// One player logs in and runs `?uptime`: how long each takes.
async fn probe(cli: &Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut conn = Conn::connect_from(&cli.addr, cli.from).await?;
    conn.send(&format!("LOGIN:1;zone-loadgen:{}:loadgen", cli.name)).await?;
    let answer = conn.recv().await?.to_owned();
    let logged_in = started.elapsed();
    if !answer.starts_with("LOGINOK:") {
        bail!("login refused: {answer}");
    }
    conn.settle(Duration::from_millis(cli.settle)).await?;
    let asked = Instant::now();
    conn.send("SEND:CMD:?uptime").await?;
    let reply = conn.recv().await?.to_owned();
    let answered = asked.elapsed();
    println!("login: {:.1} ms ({answer})", logged_in.as_secs_f64() * 1e3);
    println!("?uptime: {:.1} ms ({reply})", answered.as_secs_f64() * 1e3);
    println!("result probe {:.1}", (logged_in + answered).as_secs_f64() * 1e3);
    Ok(())
}

/// Runs `?bans` on `conn` until its answer is `wanted` (allowed: `Nobody is
/// banned.` or a list; denied: `You may not use ?bans.`); when it was.
async fn until_bans(conn: &mut Conn, allowed: bool) -> anyhow::Result<Instant> {
    loop {
        conn.send("SEND:CMD:?bans").await?;
        let line = conn.recv().await?;
        let denied = line.starts_with("MSG:ARENA:You may not use ?bans");
        if denied != allowed {
            return Ok(Instant::now());
        }
    }
}

/// From an edit's acknowledgement in one zone to its effect in the slowest
/// of the others.
async fn propagation(cli: &Cli) -> anyhow::Result<()> {
    if cli.peers.is_empty() {
        bail!("--peers names the other zones");
    }
    let (patience, quiet) = (cli.patience(), Duration::from_millis(cli.settle));
    let mut moderator = Conn::login(&cli.addr, cli.from, &cli.name, None, patience).await?;
    moderator.settle(quiet).await?;
    let mut players = Vec::new();
    for (i, peer) in cli.peers.iter().enumerate() {
        let mut player = Conn::login(peer, None, &format!("watcher{i}"), None, patience).await?;
        player.settle(quiet).await?;
        players.push(player);
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for edit in 0..cli.attempts {
        let allowed = edit % 2 == 0;
        let line = if allowed { "SEND:CMD:?grant default bans" } else { "SEND:CMD:?revoke default bans" };
        moderator.send(line).await?;
        let acknowledged = async {
            let answer = moderator.recv().await?.to_owned();
            if !answer.starts_with("MSG:ARENA:Granted") && !answer.starts_with("MSG:ARENA:Revoked") {
                bail!("{line}: {answer}");
            }
            anyhow::Ok(Instant::now())
        };
        let seen = futures_join(players.iter_mut().map(|player| until_bans(player, allowed)).collect());
        let (acknowledged, seen) = tokio::join!(acknowledged, seen);
        let acknowledged = acknowledged?;
        let slowest = seen?.into_iter().max().unwrap_or(acknowledged);
        let micros =
            u64::try_from(slowest.saturating_duration_since(acknowledged).as_micros()).unwrap_or(u64::MAX);
        histogram.saturating_record(micros.max(1));
    }
    println!("zones: {}", cli.peers.len() + 1);
    println!("edits: {}", cli.attempts);
    println!(
        "propagation µs: p50 {} p90 {} p99 {} max {}",
        histogram.value_at_quantile(0.50),
        histogram.value_at_quantile(0.90),
        histogram.value_at_quantile(0.99),
        histogram.max()
    );
    println!("result propagation_p99_us {}", histogram.value_at_quantile(0.99));
    Ok(())
}

/// Awaits every future of `futures` at once.
async fn futures_join<T>(
    futures: Vec<impl std::future::Future<Output = anyhow::Result<T>>>,
) -> anyhow::Result<Vec<T>> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<T>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, slot) in pinned.iter_mut().zip(done.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            match future.as_mut().poll(context) {
                std::task::Poll::Ready(Ok(value)) => *slot = Some(value),
                std::task::Poll::Ready(Err(error)) => return std::task::Poll::Ready(Err(error)),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(Ok(())) }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}

/// Private messages from one zone to a player in another; deliveries per
/// second.
async fn cross_private(cli: &Cli) -> anyhow::Result<()> {
    let Some(peer) = cli.peers.first() else { bail!("--peers names the receiver's zone") };
    let (patience, quiet) = (cli.patience(), Duration::from_millis(cli.settle));
    let mut receiver = Conn::login(peer, None, "xreceiver", None, patience).await?;
    receiver.settle(quiet).await?;
    let mut sender = Conn::login(&cli.addr, cli.from, "xsender", None, patience).await?;
    sender.settle(quiet).await?;
    // The sender's zone must see the receiver online before the count starts.
    let warm = Instant::now();
    loop {
        sender.send("SEND:PRIV:xreceiver:warm-up").await?;
        if let Ok(line) = tokio::time::timeout(Duration::from_millis(200), receiver.recv()).await
            && line?.starts_with("MSG:PRIV:xsender:")
        {
            break;
        }
        if warm.elapsed() > Duration::from_secs(10) {
            bail!("the receiver never got a message from the sender's zone");
        }
    }
    let Conn { reader: mut sender_reader, writer: mut sender_writer, line: mut sender_line, .. } = sender;
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = {
        let (delivered, stop) = (delivered.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(200), receiver.recv()).await {
                    Ok(line) => {
                        if line?.starts_with("MSG:PRIV:xsender:") {
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => continue,
                }
            }
            anyhow::Ok(())
        })
    };
    let drain = tokio::spawn(async move {
        loop {
            sender_line.clear();
            if let Ok(0) | Err(_) = sender_reader.read_line(&mut sender_line).await {
                return;
            }
        }
    });
    let reporter = progress("deliveries", delivered.clone(), stop.clone());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(cli.duration);
    let mut sent: u64 = 0;
    while Instant::now() < deadline {
        if sent.saturating_sub(delivered.load(Ordering::Relaxed)) >= cli.window {
            tokio::time::sleep(Duration::from_micros(50)).await;
            continue;
        }
        sender_writer.write_all(format!("SEND:PRIV:xreceiver:message {sent}\r\n").as_bytes()).await?;
        sent += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    drain.abort();
    counter.await??;
    let total = delivered.load(Ordering::Relaxed);
    let rate = total as f64 / elapsed;
    println!("sent: {sent}, delivered: {total} in {elapsed:.1} s");
    println!("result cross_private {rate:.0}");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match cli.mode {
            Mode::Chatnet => {
                let conns = login_all(&cli, "load", cli.connections, |_| Some(cli.realm.clone())).await?;
                let line = cli.line.clone().unwrap_or_else(|| "SEND:CMD:?uptime".to_owned());
                closed_loop(&cli, conns, line).await
            }
            Mode::Raw => {
                let mut conns = Vec::with_capacity(cli.connections);
                for i in 0..cli.connections {
                    conns.push(Conn::connect_from(&cli.addr, cli.source(i)).await?);
                }
                let line = cli.line.clone().unwrap_or_else(|| "PING".to_owned());
                closed_loop(&cli, conns, line).await
            }
            Mode::Fanout => fanout(&cli).await,
            Mode::Idle => idle(&cli).await,
            Mode::WrongLogins => wrong_logins(&cli).await,
            Mode::IdleRaw => idle_raw(&cli).await,
            Mode::Probe => probe(&cli).await,
            Mode::Propagation => propagation(&cli).await,
            Mode::CrossPrivate => cross_private(&cli).await,
        }
    })
}
