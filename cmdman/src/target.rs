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

    /// Whether `other` is this scope or nested inside it.
    pub fn contains_scope(self, other: Scope) -> bool {
        match (self, other) {
            (Scope::Zone, _) => true,
            (Scope::Realm(a), Scope::Realm(b) | Scope::Game(b, _)) => a == b,
            (Scope::Game(a, g), Scope::Game(b, h)) => a == b && g == h,
            _ => false,
        }
    }

    /// The scope of `depth` (0 zone, 1 realm, 2 game) along `location`'s chain,
    /// if the location reaches that deep.
    pub fn at_depth(location: Location, depth: usize) -> Option<Scope> {
        match depth {
            0 => Some(Scope::Zone),
            1 => location.realm.map(Scope::Realm),
            2 => Some(Scope::Game(location.realm?, location.game?)),
            _ => None,
        }
    }

    /// The scope directly containing this one; `None` for the zone.
    pub fn parent(self) -> Option<Scope> {
        match self {
            Scope::Zone => None,
            Scope::Realm(_) => Some(Scope::Zone),
            Scope::Game(realm, _) => Some(Scope::Realm(realm)),
        }
    }

    /// 0 for the zone, 1 for a realm, 2 for a game: the most specific wins.
    pub fn depth(self) -> usize {
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
    /// `team` or `remote_team` form: a freq in the sender's realm, and in the
    /// sender's game when the sender is in one (a game's teams are its own).
    Team {
        /// The realm the team is in.
        realm: RealmId,
        /// The game the team is in, if any.
        game: Option<GameId>,
        /// The freq.
        freq: u16,
    },
    /// `player` form: a player anywhere in the zone.
    Player(Player<'a>),
    /// `external` form: a name only; nobody promises it is online or exists.
    External(&'a str),
}

impl Target<'_> {
    /// Where the target is, for the scope checks: `None` for a scope target
    /// (always inside its own scope) and for an external name (nowhere).
    pub fn location(&self) -> Option<Location> {
        match *self {
            Target::Scope(_) | Target::External(_) => None,
            Target::Team { realm, game, .. } => Some(Location { realm: Some(realm), game }),
            Target::Player(player) => Some(player.location),
        }
    }

    /// Whether the target is inside `scope` (DESIGN §4.3, `target_in_scope`).
    /// A scope target is inside the scopes that contain it; an external name is
    /// inside none but the zone.
    pub fn is_in(&self, scope: Scope) -> bool {
        match *self {
            Target::Scope(own) => scope.contains_scope(own),
            Target::External(_) => scope == Scope::Zone,
            _ => self.location().is_some_and(|location| scope.contains(location)),
        }
    }
}

/// A command as [`World::allows`](crate::World::allows) is asked about it:
/// its place in the registry (the compiled ladder's column), the command
/// set that place belongs to, and what the reference model needs when the
/// compiled table is of another command set: its name, cmd char and command
/// group for the form asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRef<'a> {
    /// Its index in [`Tables::commands`](crate::Tables::commands).
    pub index: usize,
    /// The [`Tables::version`](crate::Tables::version) the index is of.
    pub version: u64,
    /// Its name.
    pub name: &'a str,
    /// The cmd char it is bound to, if any (rules name it `*warn`).
    pub cmd_char: Option<char>,
    /// Its command group for the form asked, if it has one.
    pub group: Option<&'a str>,
}
