//! Games: named sub-scopes of a realm that players join and leave.

use super::*;

/// Why a player could not join a game; the text is the player's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GameError {
    /// The player is in no realm.
    #[error("Enter a realm before joining a game.")]
    NoRealm,
    /// The realm has no game of that name.
    #[error("There is no game called '{0}' here. Type ?games for this realm's games.")]
    NoSuchGame(String),
    /// The player is in no game.
    #[error("You are not in a game.")]
    NotInGame,
    /// The player is in that game already.
    #[error("You are in the game {0} already.")]
    AlreadyIn(Arc<str>),
}

impl Zone {
    /// Puts the player into the game `name` of their realm (leaving any other),
    /// telling the game's other players. Returns the game's name.
    ///
    /// # Errors
    /// [`GameError`] with the player's answer.
    pub fn join_game(&self, id: PlayerId, name: &str) -> Result<Arc<str>, GameError> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get(&id) else { return Err(GameError::NoRealm) };
        let Some(realm) = player.realm.and_then(|r| realms.get(&r)) else {
            return Err(GameError::NoRealm);
        };
        let Some(index) = realm.games.iter().position(|game| game.eq_ignore_ascii_case(name)) else {
            return Err(GameError::NoSuchGame(name.to_owned()));
        };
        let game = GameId(index as u32);
        let game_name = realm.games[index].clone();
        let previous = player.game;
        if previous == Some(game) {
            return Err(GameError::AlreadyIn(realm.games[index].clone()));
        }
        let player_name = player.name.clone();
        let in_game = |players: &IdMap<PlayerId, Online>, game: GameId| -> Vec<PlayerId> {
            realm
                .players
                .iter()
                .copied()
                .filter(|p| *p != id && players.get(p).is_some_and(|o| o.game == Some(game)))
                .collect()
        };
        if let Some(previous) = previous.filter(|previous| *previous != game) {
            let line = Delivery::new(Event::Notice(format!("{player_name} left the game.").into()));
            broadcast(players, &in_game(players, previous), &line);
        }
        if previous != Some(game) {
            let line = Delivery::new(Event::Notice(format!("{player_name} joined the game.").into()));
            broadcast(players, &in_game(players, game), &line);
        }
        if let Some(player) = players.get_mut(&id) {
            player.game = Some(game);
        }
        Ok(game_name)
    }

    /// Takes the player out of their game, telling its other players. Returns
    /// the game's name.
    ///
    /// # Errors
    /// [`GameError::NotInGame`].
    pub fn leave_game(&self, id: PlayerId) -> Result<Arc<str>, GameError> {
        let mut state = self.state.write();
        let State { players, realms, .. } = &mut *state;
        let Some(player) = players.get_mut(&id) else { return Err(GameError::NotInGame) };
        let (Some(realm), Some(game)) = (player.realm.and_then(|r| realms.get(&r)), player.game.take())
        else {
            return Err(GameError::NotInGame);
        };
        let line = Delivery::new(Event::Notice(format!("{} left the game.", player.name).into()));
        let others: Vec<PlayerId> = realm
            .players
            .iter()
            .copied()
            .filter(|p| players.get(p).is_some_and(|o| o.game == Some(game)))
            .collect();
        broadcast(players, &others, &line);
        Ok(realm.games.get(game.0 as usize).cloned().unwrap_or_else(|| "?".into()))
    }

    /// The games of the realm `realm`, with how many players are in each.
    pub fn games(&self, realm: RealmId) -> Vec<(Arc<str>, usize)> {
        let state = self.state.read();
        let Some(found) = state.realms.get(&realm) else { return Vec::new() };
        found
            .games
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let count = found
                    .players
                    .iter()
                    .filter(|p| state.players.get(p).is_some_and(|o| o.game == Some(GameId(index as u32))))
                    .count();
                (name.clone(), count)
            })
            .collect()
    }
}
