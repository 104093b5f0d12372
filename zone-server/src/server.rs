//! The accept loop: builds the zone, serves each connection on its own task
//! under the connection limit, and shuts down gracefully when told to.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cmdman::{Registry, RegistryError, Scope, Settings};
use thiserror::Error;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::access::{AccessControl, check_against_registry};
use crate::chatnet::ServerLine;
use crate::connection::serve;
use crate::store::{OpenError, SqliteStore};
use crate::zone::Zone;

/// What [`run`] needs besides the listener.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The loaded configuration (a directory or the embedded default).
    pub config: config::Config,
    /// Where the server keeps its own state (`zone.db`); created if missing.
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
    Listener(#[from] std::io::Error),
}

/// Runs the zone on `listener` until `shutdown` resolves, then tells every
/// online player, saves their session time, and returns once every connection
/// has closed.
///
/// # Errors
/// [`ServerError`] when the zone cannot start; once serving, it returns `Ok`.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let settings = Settings {
        cmd_chars: config.config.zone.cmd_chars.clone(),
        multi_limit: config.config.zone.limits.multi_commands,
    };
    let registry = Registry::linked(settings)?;
    check_against_registry(&config.config, &registry)?;
    let store = SqliteStore::open(&config.data_dir)?;
    let access = AccessControl::new(config.config.clone(), &store, &registry)?;
    let zone_config = config.config.zone;
    let connection_limit = zone_config.limits.connections;
    let zone = Arc::new(Zone::new(zone_config, registry, Arc::new(store), access));
    attach_configured(&zone);
    info!("listening on {}", listener.local_addr()?);

    let stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    if let Some(dir) = zone.access().config_dir() {
        tracker.spawn(watch_config(zone.clone(), dir, stop.clone()));
    }
    let permits = Arc::new(Semaphore::new(connection_limit));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let (zone, stop) = (zone.clone(), stop.clone());
                        tracker.spawn(async move {
                            serve(stream, zone, stop).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        tracker.spawn(async move {
                            let mut stream = stream;
                            let line = ServerLine::LoginBad("the zone is full; try again later").encode();
                            let _ = stream.write_all(&line).await;
                        });
                    }
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
    tracker.close();
    tracker.wait().await;
    info!("shut down");
    Ok(())
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
            // The config was checked against the components; nothing else fails.
            Err(e) => warn!("{e}"),
        }
    }
}

/// How often the config files are checked for changes.
const CONFIG_POLL: Duration = Duration::from_secs(2);

/// Reloads the config when a file in `dir` changes (its modification time or
/// length), until `stop`. Polling works on every file system and with editors
/// that replace files on save.
async fn watch_config(zone: Arc<Zone>, dir: PathBuf, stop: CancellationToken) {
    fn stamp(dir: &std::path::Path) -> Vec<Option<(Option<std::time::SystemTime>, u64)>> {
        config::DEFAULT_FILES
            .iter()
            .map(|(name, _)| std::fs::metadata(dir.join(name)).ok().map(|m| (m.modified().ok(), m.len())))
            .collect()
    }
    let mut seen = stamp(&dir);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(CONFIG_POLL) => {}
        }
        let (zone_now, dir_now) = (zone.clone(), dir.clone());
        // File and database reads block: off the async threads.
        let changed = tokio::task::spawn_blocking(move || {
            let now = stamp(&dir_now);
            if now == seen {
                return now;
            }
            // Errors are logged and audited by reload_config.
            let _ = zone_now.reload_config("config file watcher");
            now
        })
        .await;
        match changed {
            Ok(now) => seen = now,
            Err(_) => return,
        }
    }
}
