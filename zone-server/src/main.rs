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
    #[command(subcommand)]
    command: Option<Command>,
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
        action: StaffAction,
    },
    /// Reads a password from standard input and prints its argon2 hash, for
    /// `group_passwords` in staff.ron.
    HashPassword,
}

#[derive(Debug, Subcommand)]
enum StaffAction {
    /// Puts NAME in player group GROUP, zone-wide or in one realm.
    Set {
        /// The player's name.
        name: String,
        /// The player group (groups.ron).
        group: String,
        /// Only in this realm.
        #[arg(long)]
        realm: Option<String>,
    },
    /// Takes NAME out of their group, zone-wide or in one realm.
    Rm {
        /// The player's name.
        name: String,
        /// Only in this realm.
        #[arg(long)]
        realm: Option<String>,
    },
    /// Lists every membership, from staff.ron and the data directory.
    List,
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
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    if let Some(Command::Init { dir }) = &cli.command {
        for path in config::load::init(dir)? {
            println!("wrote {}", path.display());
        }
        println!("run it with: zone-server --config {}", dir.display());
        return Ok(());
    }

    let config = match &cli.config {
        Some(dir) => config::Config::load(dir)?,
        None => config::Config::embedded()?,
    };
    match cli.command {
        Some(Command::Staff { action }) => return staff(action, config, &cli.data),
        Some(Command::HashPassword) => return hash_password(&config),
        _ => {}
    }
    let listen = cli.listen.unwrap_or(config.zone.listen);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        let server = ServerConfig { config, data_dir: cli.data };
        zone_server::run(listener, server, shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

/// `zone-server staff …`: memberships written to the store as the console.
fn staff(action: StaffAction, config: config::Config, data: &std::path::Path) -> anyhow::Result<()> {
    use zone_server::store::Store as _;
    let store = zone_server::store::SqliteStore::open(data)?;
    let policy = config.policy();
    let check_name = |name: &str| -> anyhow::Result<()> {
        zone_names::check_player_name(name, config.zone.limits.name_length)
            .map_err(|reason| anyhow::anyhow!("'{name}' is not a player name: {reason}"))
    };
    let check_realm = |realm: &Option<String>| -> anyhow::Result<()> {
        match realm {
            Some(realm) if !config::zone::valid_realm_name(realm, config.zone.limits.realm_name_length) => {
                anyhow::bail!("'{realm}' is not a realm name")
            }
            _ => Ok(()),
        }
    };
    let place =
        |realm: &Option<String>| realm.as_ref().map_or("zone-wide".to_owned(), |r| format!("in realm {r}"));
    match action {
        StaffAction::Set { name, group, realm } => {
            check_name(&name)?;
            check_realm(&realm)?;
            if policy.group(&group).is_none() {
                let names: Vec<&str> = policy.groups().iter().map(|g| g.name.as_str()).collect();
                anyhow::bail!("there is no player group '{group}'; the groups are {}", names.join(", "));
            }
            let action = format!("set {name}'s group {} to {group}", place(&realm));
            store.set_membership(&name, realm.as_deref(), Some(&group), "console", &action)?;
            println!("{name} is in group {group} {}.", place(&realm));
        }
        StaffAction::Rm { name, realm } => {
            check_name(&name)?;
            check_realm(&realm)?;
            let action = format!("removed {name}'s group {}", place(&realm));
            store.set_membership(&name, realm.as_deref(), None, "console", &action)?;
            println!("{name} has no group {} now.", place(&realm));
        }
        StaffAction::List => {
            let settings = cmdman::Settings {
                cmd_chars: config.zone.cmd_chars.clone(),
                multi_limit: config.zone.limits.multi_commands,
            };
            let registry = cmdman::Registry::linked(settings)?;
            let access = zone_server::access::AccessControl::new(
                config,
                store.rule_edits()?,
                store.memberships()?,
                &registry,
            );
            let snapshot = access.snapshot();
            let memberships = snapshot.memberships();
            if memberships.is_empty() {
                println!("Nobody has a player group; everyone is default.");
            }
            for membership in memberships {
                println!(
                    "{}: {} {} ({})",
                    membership.name,
                    membership.group,
                    place(&membership.realm),
                    membership.origin
                );
            }
        }
    }
    Ok(())
}

/// `zone-server hash-password`: one line from standard input, hashed with the
/// zone's argon2id cost.
fn hash_password(config: &config::Config) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "the password is empty");
    let hash = zone_server::password::hash(password, config.zone.accounts.password_hashing)?;
    println!("{hash}");
    Ok(())
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
