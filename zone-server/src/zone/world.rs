//! The zone as the command manager's [`World`]: access checks, finding
//! players, naming scopes.

use super::*;

impl World for Zone {
    fn allows(
        &self,
        sender: &Player<'_>,
        command: CommandRef<'_>,
        form: TargetForm,
        realm: Option<RealmId>,
    ) -> bool {
        let state = self.state.read();
        let snapshot = self.access.current();
        let player = state.players.get(&sender.id);
        // The sender's group in their own realm is kept between commands
        // until the snapshot, their realm or their session group changes.
        let own_realm = player.filter(|player| player.realm == realm);
        if let Some(player) = own_realm
            && let Some(group) = player.cached_group(snapshot.generation())
            && let Some(allowed) = snapshot.allows_indexed(group, command, form)
        {
            return allowed;
        }
        let realm_name = realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
        let group = match player {
            Some(player) => group_for(&snapshot, player, realm_name),
            None => snapshot.member_group(sender.name, realm_name),
        };
        let index = snapshot.group_index(group);
        if let (Some(player), Some(index)) = (own_realm, index) {
            player.cache_group(snapshot.generation(), index);
        }
        // By the index just found; by name for a command of another
        // command set, or a group the policy lacks.
        match index.and_then(|index| snapshot.allows_indexed(index, command, form)) {
            Some(allowed) => allowed,
            None => snapshot.allows_ref(group, command, form),
        }
    }

    fn locate(&self, id: PlayerId) -> Option<(Location, Option<u16>)> {
        Zone::locate(self, id)
    }

    fn find_player(&self, name: &str) -> Option<OnlinePlayer> {
        self.find(name).map(|info| info.online())
    }

    fn players_with_prefix(&self, prefix: &str, max: usize) -> Vec<OnlinePlayer> {
        let prefix = prefix.to_lowercase();
        let state = self.state.read();
        state
            .names
            .iter()
            .filter(|(key, _)| key.starts_with(&prefix))
            .take(max)
            .filter_map(|(_, &id)| state.info(id))
            .map(|info| info.online())
            .collect()
    }

    fn scope_name(&self, scope: Scope) -> String {
        self.describe(scope)
    }
}

impl PlayerInfo {
    /// The player as typed arguments resolve them.
    pub fn online(&self) -> OnlinePlayer {
        OnlinePlayer { id: self.id, name: self.name.to_string(), location: self.location, freq: self.freq }
    }
}
