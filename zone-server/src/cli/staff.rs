//! `zone-server staff set|rm|list`: memberships in the data directory,
//! written as the console, with the zone stopped or running.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum StaffAction {
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

/// `zone-server staff …`: memberships written to the store as the console.
pub(crate) fn run(action: StaffAction, config: config::Config, data: &std::path::Path) -> anyhow::Result<()> {
    // The zone's store: zone.db, or the network's PostgreSQL (zone.ron's
    // `store`, or DATABASE_URL).
    let store = zone_server::store::open(&config.zone.store, data)?;
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
