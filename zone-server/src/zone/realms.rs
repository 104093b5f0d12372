//! Realms: entering one (created on demand), freqs, the realm list, `?who`,
//! and the scopes realms and games are to the command manager.

use super::*;

/// A realm as `?who` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmPlayers {
    /// The realm's name; `None` for players in no realm.
    pub name: Option<Arc<str>>,
    /// Whether it is public (others are listed only to players in them).
    pub public: bool,
    /// Its players' names, in order of entry.
    pub players: Vec<Arc<str>>,
}

/// A realm as `?arena` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmSummary {
    /// The realm's name.
    pub name: Arc<str>,
    /// Players in it.
    pub player_count: usize,
    /// Whether it is public.
    pub public: bool,
    /// Whether it is locked (`?lock`).
    pub locked: bool,
}

/// What `?specall` did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpecAll {
    /// Players moved to the spectator freq.
    pub moved: usize,
    /// Players left where they were: their group ranks at or above the
    /// sender's.
    pub spared: Vec<Arc<str>>,
}

/// Why a player could not enter a realm; the text is the player's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnterError {
    /// The name is not a valid realm name.
    #[error("'{0}' is not a realm name: use 1 to {1} letters, digits, '_' or '-'")]
    BadName(String, usize),
    /// No public realm exists for `GO:` with no name.
    #[error("there is no public realm; enter one by name")]
    NoPublicRealm,
    /// The realm limit is reached.
    #[error("no more realms can be created now; try an existing one (?arena)")]
    TooManyRealms,
    /// The realm is locked and the player may not run `lock` there.
    #[error("realm {0} is locked; only staff may enter it now")]
    Locked(Arc<str>),
}

impl Zone {
    /// Moves a player into the realm `name` (`""`: the first public realm),
    /// creating it if needed; sends them `INARENA` and a `PLAYER` line for
    /// each other player there, and
    /// the others `LEAVING`/`ENTERING`.
    ///
    /// A locked realm admits only players who may run `lock` there (their
    /// group in that realm counts), and those already in it.
    ///
    /// # Errors
    /// [`EnterError`] with the player's answer; the player stays where they were.
    pub fn enter(&self, id: PlayerId, name: &str) -> Result<(), EnterError> {
        let mut state = self.state.write();
        let key = if name.is_empty() {
            let first_public = self.config.realms.iter().find(|realm| realm.public);
            match first_public {
                Some(realm) => realm.name.to_ascii_lowercase(),
                None => return Err(EnterError::NoPublicRealm),
            }
        } else {
            if !valid_realm_name(name, self.config.limits.realm_name_length) {
                return Err(EnterError::BadName(name.to_owned(), self.config.limits.realm_name_length));
            }
            name.to_ascii_lowercase()
        };
        if !state.players.contains_key(&id) {
            return Ok(());
        }
        let realm_id = match state.realm_names.get(&key) {
            Some(&realm_id) => {
                if let (Some(realm), Some(player)) = (state.realms.get(&realm_id), state.players.get(&id))
                    && realm.locked
                    && player.realm != Some(realm_id)
                    && !self.may_run(player, "lock", Some(&realm.name))
                {
                    return Err(EnterError::Locked(realm.name.clone()));
                }
                realm_id
            }
            None => {
                if state.realms.len() >= self.config.limits.realms {
                    return Err(EnterError::TooManyRealms);
                }
                state.create_realm(&key, false, true)
            }
        };
        if let Some(closed) = state.leave_realm(id, Some(realm_id)) {
            self.realm_closed(closed);
        }
        let spec_freq = self.config.spec_freq;
        let State { players, realms, events: state_events, .. } = &mut *state;
        let Some(player) = players.get_mut(&id) else { return Ok(()) };
        let Some(realm) = realms.get_mut(&realm_id) else { return Ok(()) };
        player.realm = Some(realm_id);
        player.forget_group();
        player.freq = spec_freq;
        player.ship = SPEC_SHIP;
        realm.players.push(id);
        let (name, outbox) = (player.name.clone(), player.outbox.clone());
        state_events.emit(ZoneEvent::Enter {
            player: name.clone(),
            realm: realm_id,
            realm_name: realm.name.clone(),
        });
        self.presence_changed(&name);
        outbox.event(Event::Entered { realm: realm.name.clone(), freq: spec_freq });
        let entering = Delivery::new(Event::Arrived { name: name.clone(), ship: SPEC_SHIP, freq: spec_freq });
        // PLAYER lines for the others only: clients add themselves on
        // INARENA (ASSS arenaman.c). One item of the newcomer's queue,
        // however full the realm: a realm of more players than the queue
        // holds is no reason to call the newcomer a slow reader.
        let mut present = Vec::with_capacity(realm.players.len().saturating_sub(1));
        for other in realm.players.iter().filter(|other| **other != id) {
            let Some(player) = players.get(other) else { continue };
            present.push(Present { name: player.name.clone(), ship: player.ship, freq: player.freq });
            player.outbox.deliver(&entering);
        }
        if !present.is_empty() {
            outbox.event(Event::Present(present));
        }
        Ok(())
    }

    /// Puts a player on `freq` in their realm and tells the realm
    /// (`SHIPFREQCHANGE`, to the player too).
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn change_freq(&self, id: PlayerId, freq: u16) -> Result<(), ChatError> {
        let mut state = self.state.write();
        let State { players, realms, events, .. } = &mut *state;
        let Some((realm_id, realm)) = players
            .get(&id)
            .and_then(|player| player.realm)
            .and_then(|realm| realms.get(&realm).map(|found| (realm, found)))
        else {
            return match players.contains_key(&id) {
                true => Err(ChatError::NoRealmForFreq),
                false => Ok(()),
            };
        };
        set_freq(players, (realm_id, realm), id, freq, events);
        Ok(())
    }

    /// Locks (or unlocks) player `id`'s realm; the realm is told who did it.
    /// Returns the realm's name and whether anything changed.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn set_locked(&self, id: PlayerId, locked: bool) -> Result<(Arc<str>, bool), ChatError> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get(&id) else { return Err(ChatError::NoRealmForCommand) };
        let Some(realm) = player.realm.and_then(|realm| realms.get_mut(&realm)) else {
            return Err(ChatError::NoRealmForCommand);
        };
        if realm.locked == locked {
            return Ok((realm.name.clone(), false));
        }
        realm.locked = locked;
        let text = if locked {
            format!("{} locked this realm: only staff may enter it now.", player.name)
        } else {
            format!("{} unlocked this realm.", player.name)
        };
        broadcast(players, &realm.players, &Delivery::new(Event::Notice(text.into())));
        Ok((realm.name.clone(), true))
    }

    /// Moves everyone in player `id`'s realm whose group there ranks below
    /// theirs (and the player) to the spectator freq; the realm sees a
    /// `SHIPFREQCHANGE` for each.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn spec_all(&self, id: PlayerId) -> Result<SpecAll, ChatError> {
        let spec_freq = self.config.spec_freq;
        let snapshot = self.access.snapshot();
        let mut state = self.state.write();
        let State { players, realms, events, .. } = &mut *state;
        let Some((realm_id, realm)) = players
            .get(&id)
            .and_then(|player| player.realm)
            .and_then(|realm| realms.get(&realm).map(|found| (realm, found)))
        else {
            return Err(ChatError::NoRealmForCommand);
        };
        let rank_of = |player: &Online| snapshot.rank(group_for(&snapshot, player, Some(&realm.name)));
        let own_rank = players.get(&id).map(rank_of).unwrap_or_default();
        let mut done = SpecAll::default();
        let mut moved = Vec::new();
        for other in &realm.players {
            let Some(player) = players.get(other) else { continue };
            if player.freq == spec_freq {
                continue;
            }
            if *other != id && rank_of(player) >= own_rank {
                done.spared.push(player.name.clone());
                continue;
            }
            moved.push(*other);
        }
        for other in moved {
            set_freq(players, (realm_id, realm), other, spec_freq, events);
            done.moved += 1;
        }
        Ok(done)
    }

    /// An announcement (`MSG:ARENA:text`) to everyone in `realm`, or with
    /// `None` to everyone online.
    pub fn announce(&self, realm: Option<RealmId>, text: &str) {
        let state = self.state.read();
        let line = Delivery::new(Event::Notice(text.into()));
        match realm {
            Some(realm) => {
                if let Some(realm) = state.realms.get(&realm) {
                    broadcast(&state.players, &realm.players, &line);
                }
            }
            None => {
                for player in state.players.values() {
                    player.outbox.deliver(&line);
                }
            }
        }
    }

    /// Every realm, in name order.
    pub fn realms(&self) -> Vec<RealmSummary> {
        let state = self.state.read();
        let mut realms: Vec<RealmSummary> = state
            .realms
            .values()
            .map(|realm| RealmSummary {
                name: realm.name.clone(),
                player_count: realm.players.len(),
                public: realm.public,
                locked: realm.locked,
            })
            .collect();
        realms.sort_by(|a, b| a.name.cmp(&b.name));
        realms
    }

    /// The scope `realm` or `realm/game` names, if that realm (and game) exists.
    pub fn scope_named(&self, name: &str) -> Option<Scope> {
        let state = self.state.read();
        self.scope_named_locked(&state, name)
    }

    fn scope_named_locked(&self, state: &State, name: &str) -> Option<Scope> {
        let (realm_name, game_name) = match name.split_once('/') {
            Some((realm, game)) => (realm, Some(game)),
            None => (name, None),
        };
        let realm_id = *state.realm_names.get(&realm_name.to_ascii_lowercase())?;
        match game_name {
            None => Some(Scope::Realm(realm_id)),
            Some(game) => {
                let index =
                    state.realms.get(&realm_id)?.games.iter().position(|g| g.eq_ignore_ascii_case(game))?;
                Some(Scope::Game(realm_id, GameId(index as u32)))
            }
        }
    }

    /// Attaches `component` to the scope `realm` or `realm/game` names (the
    /// zone for `None`), looking the scope up and attaching under the zone's
    /// lock, so a realm closing meanwhile cannot keep a stale attachment.
    ///
    /// # Errors
    /// The player's answer: no such scope, or the registry's refusal.
    pub fn attach(
        &self,
        component: &str,
        scope: Option<&str>,
    ) -> Result<(Scope, Vec<cmdman::Conflict>), String> {
        let state = self.state.read();
        let scope = match scope {
            None => Scope::Zone,
            Some(name) => self
                .scope_named_locked(&state, name)
                .ok_or_else(|| format!("There is no realm or game '{name}'. Use realm or realm/game."))?,
        };
        let conflicts = self.registry.attach(component, scope).map_err(|error| error.to_string())?;
        Ok((scope, conflicts))
    }

    /// How a reply names `scope`: `the zone`, `realm duel`, `game duel/final`.
    pub fn describe(&self, scope: Scope) -> String {
        let state = self.state.read();
        let realm_name =
            |realm: RealmId| state.realms.get(&realm).map_or_else(|| "?".into(), |r| r.name.clone());
        match scope {
            Scope::Zone => "the zone".to_owned(),
            Scope::Realm(realm) => format!("realm {}", realm_name(realm)),
            Scope::Game(realm, game) => {
                let game_name = state
                    .realms
                    .get(&realm)
                    .and_then(|r| r.games.get(game.0 as usize).cloned())
                    .unwrap_or_else(|| "?".into());
                format!("game {}/{game_name}", realm_name(realm))
            }
        }
    }

    /// Who is online, by realm (in name order, players in order of entry);
    /// players in no realm are listed under `None`.
    pub fn who(&self) -> Vec<RealmPlayers> {
        let state = self.state.read();
        let mut realms: Vec<RealmPlayers> = state
            .realms
            .values()
            .filter(|realm| !realm.players.is_empty())
            .map(|realm| {
                let names =
                    realm.players.iter().filter_map(|id| state.players.get(id)).map(|p| p.name.clone());
                RealmPlayers {
                    name: Some(realm.name.clone()),
                    public: realm.public,
                    players: names.collect(),
                }
            })
            .collect();
        realms.sort_by(|a, b| a.name.cmp(&b.name));
        let mut nowhere: Vec<Arc<str>> =
            state.players.values().filter(|player| player.realm.is_none()).map(|p| p.name.clone()).collect();
        if !nowhere.is_empty() {
            nowhere.sort();
            realms.push(RealmPlayers { name: None, public: true, players: nowhere });
        }
        realms
    }
}

/// Puts player `id` of `realm` on `freq` and tells the realm
/// (`SHIPFREQCHANGE`, to the player too).
/// Puts player `id` on `freq` in `realm`, tells the realm, and emits the
/// component event.
fn set_freq(
    players: &mut IdMap<PlayerId, Online>,
    (realm_id, realm): (RealmId, &Realm),
    id: PlayerId,
    freq: u16,
    events: &crate::script::events::Emitter,
) {
    let Some(player) = players.get_mut(&id) else { return };
    player.freq = freq;
    let line = Delivery::new(Event::FreqChanged { name: player.name.clone(), ship: player.ship, freq });
    if events.wants(EventKind::Freq) {
        events.emit(ZoneEvent::Freq {
            player: player.name.clone(),
            location: Location { realm: Some(realm_id), game: player.game },
            realm_name: realm.name.clone(),
            freq,
        });
    }
    broadcast(players, &realm.players, &line);
}

impl State {
    pub(super) fn create_realm(&mut self, key: &str, declared: bool, public: bool) -> RealmId {
        let id = RealmId(self.next_realm);
        self.next_realm += 1;
        self.realms.insert(
            id,
            Realm {
                name: key.into(),
                declared,
                public,
                games: Vec::new(),
                players: Vec::new(),
                locked: false,
            },
        );
        self.realm_names.insert(key.to_owned(), id);
        id
    }

    /// Takes the player out of their realm, telling the others; a realm that
    /// was created on demand goes when its last player does, unless it is
    /// `keep` (the player is re-entering it).
    /// Returns the realm that closed, whose attachments the caller detaches.
    pub(super) fn leave_realm(&mut self, id: PlayerId, keep: Option<RealmId>) -> Option<RealmId> {
        let player = self.players.get_mut(&id)?;
        let realm_id = player.realm.take()?;
        player.forget_group();
        player.game = None;
        let name = player.name.clone();
        let realm = self.realms.get_mut(&realm_id)?;
        realm.players.retain(|other| *other != id);
        self.events.emit(ZoneEvent::Leave {
            player: name.clone(),
            realm: realm_id,
            realm_name: realm.name.clone(),
        });
        let line = Delivery::new(Event::Left { name: name.clone() });
        broadcast(&self.players, &realm.players, &line);
        if realm.players.is_empty() && !realm.declared && keep != Some(realm_id) {
            let key = realm.name.to_string();
            self.realms.remove(&realm_id);
            self.realm_names.remove(&key);
            return Some(realm_id);
        }
        None
    }
}
