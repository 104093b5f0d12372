//! Player groups as the zone sees them: a player's group where they are
//! (DESIGN §5.1), `?grplogin` session groups, and config reloads.

use super::*;

/// The group that counts for `player` in `realm` (a realm name; `None` for
/// zone-wide): their `?grplogin` group while the policy still has it, else
/// their membership (DESIGN §5.1).
pub(super) fn group_for<'s>(snapshot: &'s Snapshot, player: &'s Online, realm: Option<&str>) -> &'s str {
    match player.session_group.as_deref().filter(|group| snapshot.policy().group(group).is_some()) {
        Some(group) => group,
        None => snapshot.member_group(&player.name, realm),
    }
}

impl Zone {
    /// The player group that counts for player `id` in `realm` (DESIGN §5.1):
    /// their `?grplogin` group for this session, else their membership in that
    /// realm, else their zone-wide one, else `default`.
    pub fn group_of(&self, id: PlayerId, realm: Option<RealmId>) -> Arc<str> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return config::DEFAULT_GROUP.into() };
        let realm_name = realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
        group_for(&self.access.snapshot(), player, realm_name).into()
    }

    /// The player group of `player` at one place: their session group, else
    /// their membership in `realm` (a lower-case realm name), else with
    /// `None` their zone-wide one; `default` failing all. A sender with no
    /// session here (in another zone) has their membership by name. Edits
    /// that reach a place are judged by the editor's group there.
    pub fn group_at(&self, player: &Player<'_>, realm: Option<&str>) -> Arc<str> {
        let state = self.state.read();
        let snapshot = self.access.snapshot();
        match state.players.get(&player.id) {
            Some(online) => group_for(&snapshot, online, realm).into(),
            None => snapshot.member_group(player.name, realm).into(),
        }
    }

    /// Gives player `id` the group `group` for the rest of the session.
    pub fn set_session_group(&self, id: PlayerId, group: &str) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.session_group = Some(group.into());
            player.forget_group();
        }
    }

    /// Online players with a `?grplogin` group: name and group.
    pub fn session_groups(&self) -> Vec<(Arc<str>, Arc<str>)> {
        let state = self.state.read();
        let mut groups: Vec<(Arc<str>, Arc<str>)> = state
            .players
            .values()
            .filter_map(|player| player.session_group.clone().map(|group| (player.name.clone(), group)))
            .collect();
        groups.sort();
        groups
    }

    /// Reloads the config directory (`?reloadconf`, or a changed file): logs
    /// and audits the outcome.
    ///
    /// # Errors
    /// The file's error; the running config stays.
    pub async fn reload_config(&self, by: &str) -> Result<Reloaded, ReloadError> {
        let result = self.access.reload(&self.store, &self.registry, self.scripts().any_failed()).await;
        let action = match &result {
            Ok(reloaded) => {
                if let Some(problem) = &reloaded.unchecked {
                    let problem = format!(
                        "{problem} (a script component did not load, which may declare it; until it does, this applies to nothing)"
                    );
                    tracing::warn!("{problem}");
                    self.scripts().report(problem);
                }
                match &reloaded.dir {
                    Some(dir) => tracing::info!(by, "config reloaded from {}", dir.display()),
                    None => tracing::info!(by, "runtime edits reloaded (embedded config)"),
                }
                "reloaded the config".to_owned()
            }
            Err(error) => {
                tracing::warn!(by, "config reload refused: {error}");
                self.alert_staff(&format!("A config reload by {by} was refused: {error}"));
                format!("tried to reload the config: {error}")
            }
        };
        if let Err(error) = self.store.audit(by, action).await {
            self.store_trouble("write the audit log", &error);
        }
        result
    }
}
