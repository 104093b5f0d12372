//! The accept loop: builds the zone, serves each connection on its own task
//! under the connection limit, and shuts down gracefully when told to.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cmdman::{Registry, RegistryError, Scope, Settings};
use thiserror::Error;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::access::{AccessControl, check_against_registry};
use crate::chatnet::ServerLine;
use crate::connection::serve as serve_chatnet;
use crate::outbox::Connections;
use crate::sanction::Sanctions;
use crate::store::{OpenError, Store, StoreHandle};
use crate::throttle::PreLogin;
use crate::zone::Zone;

/// What [`run`] needs besides the listener.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The loaded configuration (a directory or the embedded default).
    pub config: config::Config,
    /// Where the server keeps its own state (`zone.db`, on the SQLite
    /// store); created if missing.
    pub data_dir: PathBuf,
}

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The command table is invalid (a duplicate name, an illegal declaration).
    #[error("command registry: {0}")]
    Registry(#[from] RegistryError),
    /// The config names something the server does not have (a component).
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The data directory or database cannot be used.
    #[error("data store: {0}")]
    Store(#[from] OpenError),
    /// The database could not be read.
    #[error("data store: {0}")]
    Read(#[from] crate::store::StoreError),
    /// The listener has no local address.
    #[error("listener: {0}")]
    Listener(#[source] std::io::Error),
    /// `metrics_listen` or `admin_listen` cannot be bound.
    #[error("binding the {what} listener on {addr}: {source}")]
    Bind {
        /// `metrics` or `admin`.
        what: &'static str,
        /// The address from `zone.ron`.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The sockets a zone serves: ChatNet, and the metrics endpoint and admin
/// page when they are on.
#[derive(Debug)]
pub struct Listeners {
    /// Players connect here.
    pub chatnet: TcpListener,
    /// `GET /metrics` (DESIGN §13), if on.
    pub metrics: Option<TcpListener>,
    /// The admin web page (DESIGN §13), if on.
    pub admin: Option<TcpListener>,
}

impl Listeners {
    /// `chatnet`, and the metrics and admin listeners bound where `zone`
    /// says (`metrics_listen`, `admin_listen`), if anywhere.
    ///
    /// # Errors
    /// [`ServerError::Bind`] when one cannot be bound.
    pub async fn bind(chatnet: TcpListener, zone: &config::ZoneConfig) -> Result<Listeners, ServerError> {
        async fn bind(
            what: &'static str,
            addr: Option<std::net::SocketAddr>,
        ) -> Result<Option<TcpListener>, ServerError> {
            match addr {
                None => Ok(None),
                Some(addr) => TcpListener::bind(addr).await.map(Some).map_err(|source| ServerError::Bind {
                    what,
                    addr,
                    source,
                }),
            }
        }
        Ok(Listeners {
            chatnet,
            metrics: bind("metrics", zone.metrics_listen).await?,
            admin: bind("admin", zone.admin_listen).await?,
        })
    }
}

/// Audit rows kept: older ones are deleted at each usage checkpoint, so the
/// log cannot fill the disk.
const AUDIT_ROWS_KEPT: usize = 1_000_000;

/// Runs the zone on `listener` until `shutdown` resolves, then tells every
/// online player, saves their session time, and returns once every connection
/// has closed. The metrics and admin listeners are bound from the config.
///
/// # Errors
/// [`ServerError`] when the zone cannot start; once serving, it returns `Ok`.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let listeners = Listeners::bind(listener, &config.config.zone).await?;
    serve(listeners, config, None, shutdown).await
}

/// [`run`] on listeners of the caller's (the config's `metrics_listen` and
/// `admin_listen` are not read), and on `store` if given, else the store the
/// config chooses.
///
/// # Errors
/// [`ServerError`] when the zone cannot start; once serving, it returns `Ok`.
pub async fn serve(
    listeners: Listeners,
    config: ServerConfig,
    store: Option<Arc<dyn Store>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    if let Some(store) = store {
        return serve_on(listeners, config, store, shutdown).await;
    }
    let (choice, dir) = (config.config.zone.store.clone(), config.data_dir.clone());
    // Opening connects and migrates: blocking work, off the async threads.
    let store = tokio::task::spawn_blocking(move || crate::store::open(&choice, &dir))
        .await
        .map_err(|error| ServerError::Read(crate::store::StoreError::Unavailable(error.to_string())))??;
    serve_on(listeners, config, store, shutdown).await
}

/// [`run`] on a store of the caller's (`config.data_dir` is not opened):
/// for tests that make the store fail, and for other backends.
///
/// # Errors
/// [`ServerError`] when the zone cannot start; once serving, it returns `Ok`.
pub async fn run_with_store(
    listener: TcpListener,
    config: ServerConfig,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let listeners = Listeners::bind(listener, &config.config.zone).await?;
    serve_on(listeners, config, store, shutdown).await
}

async fn serve_on(
    listeners: Listeners,
    config: ServerConfig,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let Listeners { chatnet: listener, metrics, admin } = listeners;
    let settings = Settings {
        cmd_chars: config.config.zone.cmd_chars.clone(),
        multi_limit: config.config.zone.limits.multi_commands,
    };
    let registry = Registry::linked(settings)?;
    // Installed script components first, so the config may name them.
    let scripts = Arc::new(crate::script::Scripts::new(
        &config.data_dir,
        config.config.dir.clone(),
        config.config.zone.scripts.clone(),
    ));
    // A few small files read and compiled once, before the zone serves.
    scripts.load_installed(&registry);
    if let Err(error) = check_against_registry(&config.config, &registry) {
        // A rule or command group of a script component that failed to
        // load cannot be told from a typo; the component's failure must not
        // stop the zone, so with one failed the rule is reported instead.
        if !scripts.any_failed() {
            return Err(error.into());
        }
        let problem = format!(
            "{error} (a script component did not load, which may declare it; until it does, this applies to nothing)"
        );
        warn!("{problem}");
        scripts.report(problem);
    }
    let store = StoreHandle::new(store);
    let (rules, members) = store.edits().await?;
    let access = AccessControl::new(config.config.clone(), rules, members, &registry);
    let zone_config = config.config.zone;
    let limits = zone_config.limits.clone();
    let checkpoint = zone_config.accounts.usage_checkpoint;
    let sanctions = Sanctions::new(store.sanctions().await?);
    let zone = Arc::new(Zone::new(zone_config, registry, store, access, sanctions, scripts.clone()));
    scripts.link(&zone);
    attach_configured(&zone);
    attach_kept(&zone);
    zone.scripts().attachments_changed(zone.registry());
    info!("{} password hashers", zone.hashers().workers());
    info!("listening on {}", listener.local_addr().map_err(ServerError::Listener)?);

    let stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    tracker.spawn(zone.clone().write_sessions(stop.clone()));
    if let Some(dir) = zone.access().config_dir() {
        tracker.spawn(watch_config(zone.clone(), dir, stop.clone()));
    }
    tracker.spawn(checkpoint_usage(zone.clone(), checkpoint, stop.clone()));
    if let Some(instance) = zone.instance() {
        info!("in the zone network as {instance}");
        tracker.spawn(zone.clone().keep_presence(stop.clone()));
        tracker.spawn(zone.clone().send_to_network(stop.clone()));
        if let Some(events) = zone.store().subscribe() {
            tracker.spawn(zone.clone().follow_network(events, stop.clone()));
        }
    }
    let pre_login = PreLogin::new(limits.pre_login_connections, limits.pre_login_per_address);
    if let Some(metrics) = metrics {
        let addr = metrics.local_addr().map_err(ServerError::Listener)?;
        info!("metrics on http://{addr}/metrics");
        zone.registry().keep_latency(true);
        let router = crate::ops::metrics_router(zone.clone(), pre_login.clone());
        let http = zone.config().http.clone();
        tracker.spawn(crate::ops::serve_http("metrics", metrics, router, http, stop.clone()));
    }
    if let Some(admin) = admin {
        let addr = admin.local_addr().map_err(ServerError::Listener)?;
        info!("admin page on http://{addr}/");
        zone.set_admin_addr(addr);
        if !addr.ip().is_loopback() {
            warn!("the admin page listens on {addr}, off loopback: put a TLS proxy in front of it");
        }
        let router = crate::ops::admin::router(zone.clone());
        let http = zone.config().http.clone();
        tracker.spawn(crate::ops::serve_http("admin", admin, router, http, stop.clone()));
    }
    let lingering = Arc::new(Semaphore::new(REFUSALS_LINGERING));
    let connections = Arc::new(Connections::default());
    tracker.spawn(keepalive(connections.clone(), limits.keepalive, stop.clone()));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match pre_login.admit(peer.ip()) {
                    Ok(slot) => {
                        let (outbox, registration) = connections.open(limits.outbound_queue);
                        let zone = zone.clone();
                        tracker.spawn(async move {
                            serve_chatnet(stream, peer, slot, zone, outbox).await;
                            drop(registration);
                        });
                    }
                    Err(refused) => refuse(&zone, stream, &refused.to_string(), peer, &lingering),
                },
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    error!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    info!(players = zone.player_count(), "shutting down");
    stop.cancel();
    connections.close_all();
    tracker.close();
    tracker.wait().await;
    zone.save_usage(true).await;
    info!("shut down");
    Ok(())
}

/// Keepalive slices: every `keepalive / KEEPALIVE_SLICES`, one slice of the
/// connections is looked at, so each is looked at once a period, and the
/// `NOOP`s of a silent crowd go out spread over the period, not at once.
const KEEPALIVE_SLICES: u64 = 8;

/// The keepalive: a `NOOP` to each connection written nothing for a whole
/// `period` ([`Connections::keepalive`]), one slice at a time, until `stop`.
async fn keepalive(connections: Arc<Connections>, period: Duration, stop: CancellationToken) {
    let noop = ServerLine::Noop.encode();
    let step = period / KEEPALIVE_SLICES as u32;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + step, step);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for slice in (0..KEEPALIVE_SLICES).cycle() {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => connections.keepalive(&noop, slice, KEEPALIVE_SLICES),
        }
    }
}

/// Refused connections that may linger at once (see [`refuse`]).
const REFUSALS_LINGERING: usize = 64;

/// Answers a connection the zone will not serve with `LOGINBAD:reason` and
/// closes it. A new socket's send buffer is empty, so the line is written at
/// once without waiting. Closing a socket with unread input resets it, and
/// the client may lose the line: up to [`REFUSALS_LINGERING`] refused
/// connections at once (a client that logs in and is refused) close their
/// sending side and read for a second first; past that, they close at once.
fn refuse(
    zone: &Zone,
    stream: TcpStream,
    reason: &str,
    peer: std::net::SocketAddr,
    lingering: &Arc<Semaphore>,
) {
    let line = ServerLine::LoginBad(reason).encode();
    let _ = stream.try_write(&line);
    if let Some(left_out) = zone.connection_log().take() {
        info!(%peer, reason, left_out, "connection refused");
    }
    let Ok(permit) = lingering.clone().try_acquire_owned() else { return };
    tokio::spawn(async move {
        let mut stream = stream;
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            if stream.shutdown().await.is_ok() {
                crate::connection::drain(&mut stream, usize::MAX).await;
            }
        })
        .await;
        drop(permit);
    });
}

/// Counts online players' time and writes it every `period` (so `kill -9`
/// loses at most one period of it), retrying what failed, trims the audit
/// log to its newest [`AUDIT_ROWS_KEPT`] rows, and forgets ended sanctions.
async fn checkpoint_usage(zone: Arc<Zone>, period: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        zone.save_usage(true).await;
        zone.sanctions().purge();
        let tidied = zone
            .store()
            .run(|store| {
                store.prune_audit(AUDIT_ROWS_KEPT)?;
                store.purge_sanctions(crate::sanction::now())
            })
            .await;
        if let Err(error) = tidied {
            zone.store_trouble("trim the audit log and ended sanctions", &error);
        }
    }
}

/// Attaches the components the config names: zone-wide, then each declared
/// realm's and game's. Conflicts are logged here and kept for `?health`.
fn attach_configured(zone: &Zone) {
    let config = zone.config();
    let mut wanted: Vec<(&str, Scope)> =
        config.components.iter().map(|name| (name.as_str(), Scope::Zone)).collect();
    for realm in &config.realms {
        if let Some(scope) = zone.scope_named(&realm.name) {
            wanted.extend(realm.components.iter().map(|name| (name.as_str(), scope)));
        }
        for game in &realm.games {
            if let Some(scope) = zone.scope_named(&format!("{}/{}", realm.name, game.name)) {
                wanted.extend(game.components.iter().map(|name| (name.as_str(), scope)));
            }
        }
    }
    for (component, scope) in wanted {
        if zone.registry().tables().component(component).is_none() {
            let problem = format!(
                "zone.ron names the component '{component}', which is neither compiled in nor an installed \
                 script component that loaded; the zone runs without it"
            );
            warn!("{problem}");
            zone.scripts().report(problem);
            continue;
        }
        match zone.registry().attach(component, scope) {
            Ok(conflicts) => {
                for conflict in conflicts {
                    warn!(
                        "component {} not attached for {} in {}: component {} offers it there already",
                        conflict.refused,
                        conflict.name,
                        zone.describe(conflict.scope),
                        conflict.kept
                    );
                }
            }
            Err(e) => warn!("{e}"),
        }
    }
}

/// Makes the kept `?attach`/`?detach` changes again, after the config's
/// attachments. A change naming a component or scope that is not there is
/// reported by `?health` and kept, for when it is.
fn attach_kept(zone: &Zone) {
    for change in zone.scripts().kept().changes() {
        let scope = if change.scope == "zone" { Some(Scope::Zone) } else { zone.scope_named(&change.scope) };
        let Some(scope) = scope else {
            let problem = format!(
                "a kept ?{} of {} names '{}', which is not open; not made",
                if change.attached { "attach" } else { "detach" },
                change.component,
                change.scope
            );
            warn!("{problem}");
            zone.scripts().report(problem);
            continue;
        };
        let made = if change.attached {
            zone.registry().attach(&change.component, scope).map(|_| ())
        } else {
            zone.registry().detach(&change.component, scope)
        };
        match made {
            Ok(()) => {
                info!(component = %change.component, scope = %change.scope, attached = change.attached, "kept attachment change made")
            }
            // Already so: the config says the same now.
            Err(cmdman::AttachError::AlreadyAttached(_) | cmdman::AttachError::NotAttached(_)) => {}
            Err(error) => {
                let problem =
                    format!("a kept attachment change of {} is not made: {error}", change.component);
                warn!("{problem}");
                zone.scripts().report(problem);
            }
        }
    }
}

/// How often the config files are checked for changes.
const CONFIG_POLL: Duration = Duration::from_secs(2);

/// Reloads the config when a file in `dir` or a help topic in `dir/help`
/// changes, appears or goes (its modification time or length), until `stop`. Polling works on every file system and with editors
/// that replace files on save.
async fn watch_config(zone: Arc<Zone>, dir: PathBuf, stop: CancellationToken) {
    type Stamp = Option<(Option<std::time::SystemTime>, u64)>;
    fn stamp_of(path: &std::path::Path) -> Stamp {
        std::fs::metadata(path).ok().map(|m| (m.modified().ok(), m.len()))
    }
    /// The three files, then each file of the help folder, in name order.
    fn stamp(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Stamp)> {
        let mut paths: Vec<std::path::PathBuf> =
            config::DEFAULT_FILES.iter().map(|(name, _)| dir.join(name)).collect();
        if let Ok(entries) = std::fs::read_dir(dir.join(config::help::HELP_DIR)) {
            let mut topics: Vec<std::path::PathBuf> =
                entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
            topics.sort();
            paths.extend(topics);
        }
        paths
            .into_iter()
            .map(|path| {
                let stamp = stamp_of(&path);
                (path, stamp)
            })
            .collect()
    }
    let mut seen = stamp(&dir);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(CONFIG_POLL) => {}
        }
        let dir_now = dir.clone();
        // File metadata is read off the async threads.
        let Ok(now) = tokio::task::spawn_blocking(move || stamp(&dir_now)).await else { return };
        if now != seen {
            seen = now;
            // Errors are logged and audited by reload_config.
            let _ = zone.reload_config("config file watcher").await;
        }
    }
}
