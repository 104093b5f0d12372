//! Chat routing: public, team, private, channels, staff chat and alerts,
//! and muted players.

use super::*;

/// Why chat was not sent; the text is the player's answer (each written once,
/// here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// Public chat from a player in no realm.
    #[error("enter a realm before chatting in public")]
    NoRealmForPublic,
    /// Team chat from a player in no realm.
    #[error("enter a realm before chatting to a team")]
    NoRealmForTeam,
    /// A freq change from a player in no realm.
    #[error("enter a realm before changing freq")]
    NoRealmForFreq,
    /// A command that acts on the sender's realm, from a player in none.
    #[error("enter a realm first: this acts on the realm you are in")]
    NoRealmForCommand,
    /// A private message to a name nobody online has.
    #[error("no player named '{0}' is online")]
    NotOnline(String),
    /// A channel message from a player on no channel.
    #[error("you are on no chat channel; ?chat=name joins one")]
    NoChannels,
    /// A channel number the player does not have.
    #[error("you have no channel {number}: yours are 1 to {count}; ?chat lists them")]
    NoSuchChannel {
        /// The number sent.
        number: usize,
        /// How many channels the player has.
        count: usize,
    },
}

/// Chat channels a player may be on (ASSS: 10).
pub const MAX_CHANNELS: usize = 10;

/// The longest chat channel name, in characters.
pub const CHANNEL_NAME_LENGTH: usize = 20;

/// A message on `channel` from `from` to every member online among
/// `players` (`MSG:CHAT:n:from> text`, `n` each receiver's own number for
/// it), but those who ignore `from`.
pub(super) fn deliver_to_channel(players: &IdMap<PlayerId, Online>, channel: &str, from: &str, text: &str) {
    let (from, text): (Arc<str>, Arc<str>) = (from.into(), text.into());
    for player in players.values() {
        let Some(index) = player.channels.iter().position(|own| own.eq_ignore_ascii_case(channel)) else {
            continue;
        };
        if player.ignores(&from) {
            continue;
        }
        player.outbox.event(Event::Channel { number: index + 1, from: from.clone(), text: text.clone() });
    }
}

/// `line` to each of the players `to` (an event of the realm or game, not
/// chat: nobody's ignore list applies).
pub(super) fn broadcast(players: &IdMap<PlayerId, Online>, to: &[PlayerId], line: &Arc<Delivery>) {
    for id in to {
        if let Some(player) = players.get(id) {
            player.outbox.deliver(line);
        }
    }
}

/// Chat from `sender` to the players `to` but the sender and those who
/// ignore them (`?ignore`).
fn deliver_chat(players: &IdMap<PlayerId, Online>, to: &[PlayerId], sender: PlayerId, line: &Arc<Delivery>) {
    let Some(from) = players.get(&sender) else { return };
    for id in to {
        match players.get(id) {
            Some(player) if *id != sender && !player.ignores(&from.name) => player.outbox.deliver(line),
            _ => {}
        }
    }
}

impl Zone {
    /// Public chat (`MSG:PUB`, or `MSG:PUBM` for a macro) to the others in the
    /// sender's realm, but those who ignore the sender.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn chat_pub(&self, id: PlayerId, text: &str, macro_: bool) -> Result<(), ChatError> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(realm) = player.realm.and_then(|realm| state.realms.get(&realm)) else {
            return Err(ChatError::NoRealmForPublic);
        };
        let kind = if macro_ { ChatKind::Macro } else { ChatKind::Public };
        let line = Delivery::new(Event::Chat { kind, from: player.name.clone(), text: text.into() });
        deliver_chat(&state.players, &realm.players, id, &line);
        if state.events.wants(crate::script::events::EventKind::Chat) {
            state.events.emit(crate::script::events::ZoneEvent::Chat {
                player: player.name.clone(),
                location: player.location(),
                realm_name: realm.name.clone(),
                text: text.into(),
            });
        }
        Ok(())
    }

    /// Team chat (`MSG:FREQ`) to the others on `freq` in the sender's realm,
    /// but those who ignore the sender.
    ///
    /// # Errors
    /// The player's answer when they are in no realm.
    pub fn chat_freq(&self, id: PlayerId, freq: u16, text: &str) -> Result<(), ChatError> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(realm) = player.realm.and_then(|realm| state.realms.get(&realm)) else {
            return Err(ChatError::NoRealmForTeam);
        };
        let line =
            Delivery::new(Event::Chat { kind: ChatKind::Team, from: player.name.clone(), text: text.into() });
        for other in &realm.players {
            match state.players.get(other) {
                Some(present) if *other != id && present.freq == freq && !present.ignores(&player.name) => {
                    present.outbox.deliver(&line);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A private message (`MSG:PRIV`) to `to`, in any realm; dropped, without
    /// a word to the sender, when `to` ignores them.
    ///
    /// # Errors
    /// The player's answer when nobody of that name is online.
    pub fn chat_priv(&self, id: PlayerId, to: &str, text: &str) -> Result<(), ChatError> {
        let state = self.state.read();
        let Some(player) = state.players.get(&id) else { return Ok(()) };
        let Some(target) = state.names.get(&to.to_lowercase()).and_then(|to| state.players.get(to)) else {
            return Err(ChatError::NotOnline(to.to_owned()));
        };
        if target.ignores(&player.name) {
            return Ok(());
        }
        target.outbox.event(Event::Chat {
            kind: ChatKind::Private,
            from: player.name.clone(),
            text: text.into(),
        });
        Ok(())
    }

    /// Whether online player `id` may chat: `Err` when muted, with the
    /// notice to send them (`Some`) at most once a minute.
    ///
    /// # Errors
    /// The player is muted.
    pub fn check_muted(&self, id: PlayerId) -> Result<(), Option<String>> {
        let name = match self.state.read().players.get(&id) {
            Some(player) => player.name.clone(),
            None => return Ok(()),
        };
        let Some(mute) = self.sanctions.mute(&name) else { return Ok(()) };
        let mut state = self.state.write();
        let Some(player) = state.players.get_mut(&id) else { return Err(None) };
        if player.told_muted.is_some_and(|told| told.elapsed() < Duration::from_secs(60)) {
            return Err(None);
        }
        player.told_muted = Some(Instant::now());
        Err(Some(format!("You are {}. Your chat is not delivered; commands still work.", mute.describe())))
    }

    /// Forgets that a player was told they are muted (a new mute is told at
    /// once).
    pub fn reset_mute_notice(&self, name: &str) {
        let mut state = self.state.write();
        if let Some(id) = state.names.get(&name.to_lowercase()).copied()
            && let Some(player) = state.players.get_mut(&id)
        {
            player.told_muted = None;
        }
    }

    /// The queues of every online player the ladder lets run `modchat`
    /// (staff: DESIGN §10, decided by rules, not a list), each judged in the
    /// realm they are in.
    pub fn staff(&self) -> Vec<Outbox> {
        let Some(modchat) = self.builtin("modchat") else { return Vec::new() };
        let state = self.state.read();
        let snapshot = self.access.snapshot();
        state
            .players
            .values()
            .filter(|player| {
                let realm = player.realm.and_then(|realm| state.realms.get(&realm)).map(|realm| &*realm.name);
                snapshot.allows(group_for(&snapshot, player, realm), &modchat, TargetForm::Pub)
            })
            .map(|player| player.outbox.clone())
            .collect()
    }

    /// Tells staff `text` as `MSG:SYSOP:text` (a ban, an automatic mute, a
    /// refused reload, a slow reader dropped), at most 60 a minute; it is
    /// logged too.
    pub fn alert_staff(&self, text: &str) {
        tracing::info!("staff alert: {text}");
        if self.alerts.take().is_none() {
            return;
        }
        let line = Delivery::new(Event::Alert(text.into()));
        for outbox in self.staff() {
            outbox.deliver(&line);
        }
    }

    /// Staff chat: `MSG:MOD:name:text` to every member of staff.
    pub fn mod_chat(&self, name: &str, text: &str) {
        let line = Delivery::new(Event::Chat { kind: ChatKind::Staff, from: name.into(), text: text.into() });
        for outbox in self.staff() {
            outbox.deliver(&line);
        }
    }

    /// Player `id`'s chat channels, channel 1 first.
    pub fn channels(&self, id: PlayerId) -> Vec<Arc<str>> {
        self.state.read().players.get(&id).map(|player| player.channels.clone()).unwrap_or_default()
    }

    /// Sets player `id`'s chat channels (already checked).
    pub fn set_channels(&self, id: PlayerId, channels: &[String]) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.channels = channels.iter().map(|channel| Arc::from(channel.as_str())).collect();
        }
    }

    /// A chat channel message from player `id` on their channel `number`
    /// (from 1): `MSG:CHAT:n:name> text` to every online member, sender
    /// included, `n` being each receiver's own number for the channel, but
    /// members who ignore the sender.
    ///
    /// Returns the channel's name (for the other zones of a network).
    ///
    /// # Errors
    /// The player's answer when they have no such channel.
    pub fn chat_channel(&self, id: PlayerId, number: usize, text: &str) -> Result<Arc<str>, ChatError> {
        let state = self.state.read();
        let Some(sender) = state.players.get(&id) else { return Err(ChatError::NoChannels) };
        if sender.channels.is_empty() {
            return Err(ChatError::NoChannels);
        }
        let Some(channel) = number.checked_sub(1).and_then(|index| sender.channels.get(index)) else {
            return Err(ChatError::NoSuchChannel { number, count: sender.channels.len() });
        };
        deliver_to_channel(&state.players, channel, &sender.name, text);
        Ok(channel.clone())
    }
}
