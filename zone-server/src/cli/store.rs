//! `zone-server store migrate --from DIR --to URL`: a single zone's SQLite
//! store copied into the PostgreSQL store of a network.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum StoreAction {
    /// Copies the SQLite store of a zone's data directory (zone.db) into a
    /// PostgreSQL store; refused whole, with a report, when the network
    /// holds any of its accounts, memberships or rule edits already.
    Migrate {
        /// The zone's data directory.
        #[arg(long, value_name = "DIR")]
        from: std::path::PathBuf,
        /// The PostgreSQL store's URL (postgres://user:password@host:port/database).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// `zone-server store …`.
pub(crate) fn run(action: StoreAction) -> anyhow::Result<()> {
    match action {
        StoreAction::Migrate { from, to } => {
            if !from.join("zone.db").exists() {
                anyhow::bail!("{} has no zone.db: nothing to migrate", from.display());
            }
            let copied = zone_server::store::migrate::copy_to_postgres(&from, &to)?;
            println!("{copied}");
            Ok(())
        }
    }
}
