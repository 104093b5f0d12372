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
//! stand for another machine as far as per-address limits go.
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
    line: String,
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

    /// Logs in as `name` and, with a realm, enters it. Relies only on what
    /// ChatNet promises (`LOGINOK`, `INARENA`), then reads up to a private
    /// message to oneself, so what the server sends besides (a welcome, a
    /// `PLAYER` line per other player) is read whatever it is.
    async fn login(addr: &str, name: &str, realm: Option<&str>) -> anyhow::Result<Conn> {
        let mut conn = Conn::connect(addr).await?;
        conn.send(&format!("LOGIN:1;zone-loadgen:{name}:loadgen")).await?;
        let answer = conn.recv().await?.to_owned();
        if !answer.starts_with("LOGINOK:") {
            bail!("{name}: {answer}");
        }
        if let Some(realm) = realm {
            conn.send(&format!("GO:{realm}")).await?;
            while !conn.recv().await?.starts_with("INARENA:") {}
        }
        conn.send(&format!("SEND:PRIV:{name}:sync")).await?;
        let marker = format!("MSG:PRIV:{name}:sync");
        while conn.recv().await? != marker {}
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
    conn.recv().await?;
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
    let mut moderator = Conn::login(&cli.addr, &cli.name, None).await?;
    let mut players = Vec::new();
    for (i, peer) in cli.peers.iter().enumerate() {
        players.push(Conn::login(peer, &format!("watcher{i}"), None).await?);
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
    let mut receiver = Conn::login(peer, "xreceiver", None).await?;
    let mut sender = Conn::login(&cli.addr, "xsender", None).await?;
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
    let Conn { reader: mut sender_reader, writer: mut sender_writer, line: mut sender_line } = sender;
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
            Mode::WrongLogins => wrong_logins(&cli).await,
            Mode::IdleRaw => idle_raw(&cli).await,
            Mode::Probe => probe(&cli).await,
            Mode::Propagation => propagation(&cli).await,
            Mode::CrossPrivate => cross_private(&cli).await,
        }
    })
}
