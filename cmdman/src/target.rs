//! Who and where: players, scopes (zone ⊃ realm ⊃ game), how a line was
//! addressed and the target a handler gets (DESIGN §3, §4.2).

/// A player's id for the life of their session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerId(pub u32);

/// A realm's id for the life of the realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RealmId(pub u32);

/// A game's id, unique within its realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GameId(pub u32);

/// An attach scope. Scopes nest: zone ⊃ realm ⊃ game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole zone.
    Zone,
    /// One realm.
    Realm(RealmId),
    /// One game inside a realm.
    Game(RealmId, GameId),
}

impl Scope {
    /// Whether a player (or team) at `location` is inside this scope.
    pub fn contains(self, location: Location) -> bool {
        match self {
            Scope::Zone => true,
            Scope::Realm(realm) => location.realm == Some(realm),
            Scope::Game(realm, game) => location.realm == Some(realm) && location.game == Some(game),
        }
    }

    /// 0 for the zone, 1 for a realm, 2 for a game: the most specific wins.
    pub fn depth(self) -> u8 {
        match self {
            Scope::Zone => 0,
            Scope::Realm(_) => 1,
            Scope::Game(..) => 2,
        }
    }
}

/// Where a player is: in the zone, in at most one realm, and in at most one
/// game of that realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Location {
    /// The realm, once the player has entered one.
    pub realm: Option<RealmId>,
    /// The game inside that realm, if the player joined one.
    pub game: Option<GameId>,
}

/// A logged-in player as the command manager sees one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Player<'a> {
    /// The session id.
    pub id: PlayerId,
    /// The name, as the player capitalised it at login.
    pub name: &'a str,
    /// Where the player is.
    pub location: Location,
    /// The player's freq (team) in their realm, once in one.
    pub freq: Option<u16>,
}

/// How a command line was addressed on the wire, before the command manager
/// turns it into a [`TargetForm`](crate::TargetForm) and a [`Target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee<'a> {
    /// A public message or `SEND:CMD`.
    Pub,
    /// A team message to `freq` in the sender's realm: the `team` form when it is
    /// the sender's own freq, `remote_team` otherwise.
    Team(u16),
    /// A private message to a player who is in the zone.
    Player(Player<'a>),
    /// A private message to a name that is not in the zone.
    External(&'a str),
}

/// What a command is aimed at, as its handler gets it (DESIGN §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `pub` form: the command's attach scope.
    Scope(Scope),
    /// `team` or `remote_team` form: a freq in a realm.
    Team {
        /// The realm the team is in.
        realm: RealmId,
        /// The freq.
        freq: u16,
    },
    /// `player` form: a player anywhere in the zone.
    Player(Player<'a>),
    /// `external` form: a name only; nobody promises it is online or exists.
    External(&'a str),
}
