//! The zone-server binary: parses the command line, loads the config, starts
//! tracing, binds, and hands over to [`zone_server::run`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use zone_server::ServerConfig;

mod cli;

/// jemalloc, not glibc's malloc: with its background thread on (see
/// `main`), the memory of players who left goes back to the system within
/// seconds (BENCHMARKS.md, "Connection scale"), where glibc's arenas keep it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A game-zone server speaking ChatNet.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Config directory (zone.ron, groups.ron, staff.ron); without it the
    /// embedded default is used.
    #[arg(long, value_name = "DIR", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on, overriding the config's `listen`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Directory for the server's own state (zone.db); created if missing.
    #[arg(long, value_name = "DIR", default_value = "data", global = true)]
    data: PathBuf,
    /// How log lines are written to stderr: `text` for people, `json` (one
    /// object a line) for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object a line: timestamp, level, target, message and fields.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes the default config, with comments, into DIR (never overwriting).
    Init {
        /// The directory to create.
        dir: PathBuf,
    },
    /// Sets, removes or lists memberships in the data directory, with the
    /// server stopped or running (a running zone picks them up at
    /// ?reloadconf): how a new zone gets its first sysop.
    Staff {
        #[command(subcommand)]
        action: cli::staff::StaffAction,
    },
    /// Reads a password from standard input and prints its argon2 hash, for
    /// `group_passwords` in staff.ron.
    HashPassword,
    /// Works on the store itself: `store migrate --from DIR --to URL`
    /// moves a zone into a network.
    Store {
        #[command(subcommand)]
        action: cli::store::StoreAction,
    },
    /// Installs, uninstalls or lists script components in the data
    /// directory: `component install FOLDER|FILE.zip`, `uninstall NAME`,
    /// `list`.
    Component {
        #[command(subcommand)]
        action: cli::component::ComponentAction,
    },
}

fn main() -> ExitCode {
    match start(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zone-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn start(cli: Cli) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }

    if let Some(Command::Init { dir }) = &cli.command {
        for path in config::load::init(dir)? {
            println!("wrote {}", path.display());
        }
        println!("run it with: zone-server --config {}", dir.display());
        return Ok(());
    }

    let mut config = match &cli.config {
        Some(dir) => config::Config::load(dir)?,
        None => config::Config::embedded()?,
    };
    // DATABASE_URL chooses the PostgreSQL store over zone.ron's `store`.
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        config.zone.store = config::StoreConfig::Postgres { url };
    }
    match cli.command {
        Some(Command::Staff { action }) => return cli::staff::run(action, config, &cli.data),
        Some(Command::HashPassword) => return cli::password::hash_password(&config),
        Some(Command::Store { action }) => return cli::store::run(action),
        Some(Command::Component { action }) => return cli::component::run(action, &config, &cli.data),
        _ => {}
    }
    let listen = cli.listen.unwrap_or(config.zone.listen);
    tune_allocator();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime
        .enable_all()
        // The store takes one call at a time whatever the threads; more
        // only hold memory while a crowd logs in (tokio's default is 512).
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(BLOCKING_KEEP_ALIVE)
        .on_thread_park(release_thread_cache);
    // Else tokio's default: TOKIO_WORKER_THREADS, or one per core.
    if let Some(threads) = config.zone.runtime_threads {
        runtime.worker_threads(threads);
    }
    let runtime = runtime.build().context("starting the async runtime")?;
    tracing::info!(
        "{} runtime threads{}",
        runtime.metrics().num_workers(),
        if config.zone.runtime_threads.is_some() { " (zone.ron's runtime_threads)" } else { "" }
    );
    runtime.block_on(async {
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        let server = ServerConfig { config, data_dir: cli.data };
        zone_server::run(listener, server, shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

/// Unused pages go back to the system within about a second of being freed
/// (jemalloc's `dirty_decay_ms` 1000, `muzzy_decay_ms` 0), purged by its
/// background thread even while the zone idles: players who left do not
/// keep the zone's memory up. Failing that, the defaults stay.
fn tune_allocator() {
    use tikv_jemalloc_ctl::{Access as _, AsName as _};
    let set = |key: &str, value: isize| {
        let key = format!("{key}\0");
        key.as_bytes().name().write(value)
    };
    // Arenas made from now on.
    for (key, value) in DECAY {
        let key = format!("arenas.{key}");
        if let Err(error) = set(&key, value) {
            tracing::warn!("cannot set the allocator's {key}: {error}");
        }
    }
    // Arenas made already, one by one (jemalloc's "all arenas" index is not
    // taken by these settings). One not yet made refuses, and gets the
    // defaults above when it is.
    // Arena 0 always exists: its refusal means a wrong key or value.
    let arenas = tikv_jemalloc_ctl::arenas::narenas::read().unwrap_or(0);
    for arena in 0..arenas {
        for (key, value) in DECAY {
            let key = format!("arena.{arena}.{key}");
            if let Err(error) = set(&key, value)
                && arena == 0
            {
                tracing::warn!("cannot set the allocator's {key}: {error}");
            }
        }
    }
    if let Err(error) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!("cannot start the allocator's background thread: {error}");
    }
}

/// The allocator's decay times, in ms, for every arena: dirty pages go back
/// after a second, none is kept as muzzy.
const DECAY: [(&str, isize); 2] = [("dirty_decay_ms", 1000), ("muzzy_decay_ms", 0)];

/// Threads for blocking work (store calls, config reads) at most.
const BLOCKING_THREADS: usize = 4;

/// A blocking thread idle this long ends (tokio's default is 10 s), and with
/// it its allocation cache: after a crowd's logins, the store's threads do
/// not keep the memory their calls freed. Not in `zone.ron`: it bounds no
/// client's use of the zone, and no operator has a reason to change it.
const BLOCKING_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(2);

/// How often an idle thread may give its allocation cache back.
const CACHE_RELEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// Called as a runtime thread goes idle: at most every [`CACHE_RELEASE`],
/// its jemalloc thread cache is emptied (turned off and on), so the freed
/// objects it holds do not keep partly used pages resident once players
/// are gone. Busy threads keep their cache: it saves about 0.8 µs of CPU a
/// request (BENCHMARKS.md).
fn release_thread_cache() {
    use std::cell::Cell;
    use std::time::Instant;
    use tikv_jemalloc_ctl::{Access as _, AsName as _};
    thread_local!(static RELEASED: Cell<Option<Instant>> = const { Cell::new(None) });
    let now = Instant::now();
    if RELEASED.get().is_some_and(|last| now.duration_since(last) < CACHE_RELEASE) {
        return;
    }
    RELEASED.set(Some(now));
    let enabled = b"thread.tcache.enabled\0".name();
    if enabled.write(false).is_ok() {
        let _ = enabled.write(true);
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
