//! What dispatch asks of the server it runs in: whether a player may run a
//! command (the access ladder, DESIGN §5), who is online (for player
//! arguments), and what a scope is called (for replies).

use std::any::Any;

use zone_ladder::TargetForm;

use crate::target::{CommandRef, Location, Player, PlayerId, RealmId, Scope};

/// The server as dispatch sees it. Every method has a default, so a test world
/// can be `()`: everything allowed, nobody online, scopes named by number.
///
/// Handlers get the concrete type back through [`Ctx::world`](crate::Ctx::world).
pub trait World: Any + Send + Sync {
    /// Whether `sender` may run `command` in `form`, acting in `realm` (the
    /// target player's realm for player targets, else the sender's; DESIGN §5.1).
    /// Dispatch asks after the form and scope checks pass; a `false` gets the
    /// denial reply, or the unknown-command reply for a `stealth` command.
    fn allows(
        &self,
        sender: &Player<'_>,
        command: CommandRef<'_>,
        form: TargetForm,
        realm: Option<RealmId>,
    ) -> bool {
        let _ = (sender, command, form, realm);
        true
    }

    /// The online player whose name is `name`, ignoring ASCII case.
    fn find_player(&self, name: &str) -> Option<OnlinePlayer> {
        let _ = name;
        None
    }

    /// Online players whose names start with `prefix`, ignoring ASCII case; at
    /// most `max` of them.
    fn players_with_prefix(&self, prefix: &str, max: usize) -> Vec<OnlinePlayer> {
        let _ = (prefix, max);
        Vec::new()
    }

    /// Where player `id` is now and their freq, for the later parts of a
    /// `?|a|b` line (an earlier part may have moved them). `None` (the
    /// default) keeps the location the line started with.
    fn locate(&self, id: PlayerId) -> Option<(Location, Option<u16>)> {
        let _ = id;
        None
    }

    /// How a reply names `scope`: "the zone", "realm duel", "game duel/final".
    fn scope_name(&self, scope: Scope) -> String {
        match scope {
            Scope::Zone => "the zone".to_owned(),
            Scope::Realm(realm) => format!("realm #{}", realm.0),
            Scope::Game(realm, game) => format!("game #{}/{}", realm.0, game.0),
        }
    }
}

/// A world with nothing in it: every command allowed, nobody online.
impl World for () {}

/// An online player, found by name for a player argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlinePlayer {
    /// The player's id.
    pub id: PlayerId,
    /// The name as the player logged in with it.
    pub name: String,
    /// Where the player is.
    pub location: Location,
    /// The player's freq, if in a realm.
    pub freq: Option<u16>,
}
