//! Accounts as the zone sees them online: password changes (closing the
//! account's other sessions and refusing a login that checked the old
//! password), one-time passwords, and ignore lists.

use std::hash::BuildHasher;

use super::*;

/// Buckets of [`PasswordGenerations`]: a fixed table, so its memory does not
/// grow with the accounts that change their password.
const GENERATION_BUCKETS: usize = 4096;

/// A counter per bucket of lower-case names, bumped at every password
/// change. A login reads its name's counter before it reads the stored
/// hash, and [`Zone::join`] refuses it if the counter moved: the password
/// changed while the old one was being checked. Two names in one bucket
/// only cost a rare "log in again"; the buckets are keyed at random per run,
/// so nobody can pick a name that shares another account's.
pub(super) struct PasswordGenerations {
    buckets: Box<[AtomicU32]>,
    keys: std::collections::hash_map::RandomState,
}

impl Default for PasswordGenerations {
    fn default() -> PasswordGenerations {
        PasswordGenerations {
            buckets: (0..GENERATION_BUCKETS).map(|_| AtomicU32::new(0)).collect(),
            keys: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl PasswordGenerations {
    fn bucket(&self, name: &str) -> &AtomicU32 {
        let hash = self.keys.hash_one(name.to_ascii_lowercase());
        &self.buckets[(hash % GENERATION_BUCKETS as u64) as usize]
    }

    pub(super) fn current(&self, name: &str) -> u32 {
        self.bucket(name).load(Ordering::SeqCst)
    }

    fn bump(&self, name: &str) {
        self.bucket(name).fetch_add(1, Ordering::SeqCst);
    }
}

/// Logins [`KnownLogins`] keeps, at most.
const KNOWN_LOGINS: usize = 10_000;

/// In a network of zones, the accounts and password hashes of players who
/// logged in to this zone since it started: while the store cannot be
/// reached they may log in
/// again, checked against the hash they logged in with (a zone of a network
/// stays open to its regulars through a database restart; nobody else can
/// be checked, so nobody else gets in). A password change anywhere in the
/// network forgets the entry.
#[derive(Default)]
pub(super) struct KnownLogins(Mutex<HashMap<String, (Account, String)>>);

impl Zone {
    /// Keeps `account`'s `hash` for logins while the store is away: in a
    /// network of zones, whose database may restart. A zone on its own
    /// SQLite file keeps none (its store is never away but for a failing
    /// disk), and so no memory of each player who ever logged in.
    pub fn remember_login(&self, account: &Account, hash: &str) {
        if self.instance().is_none() {
            return;
        }
        let mut known = self.known_logins.0.lock();
        if known.len() >= KNOWN_LOGINS
            && let Some(any) = known.keys().next().cloned()
        {
            known.remove(&any);
        }
        known.insert(account.name.to_lowercase(), (account.clone(), hash.to_owned()));
    }

    /// Forgets every kept password (the network may have changed some
    /// while this zone was not listening).
    pub fn forget_known_logins(&self) {
        self.known_logins.0.lock().clear();
    }

    /// The account and hash `name` last logged in with here, if any.
    pub fn known_login(&self, name: &str) -> Option<(Account, String)> {
        self.known_logins.0.lock().get(&name.to_lowercase()).cloned()
    }

    /// The password generation of `name` now: a login reads it before the
    /// stored hash and hands it to [`Zone::join`] in [`Arrival`].
    pub fn password_generation(&self, name: &str) -> u32 {
        self.generations.current(name)
    }

    /// Called once a new password of `name` is stored (here, or in another
    /// zone of the network): a login that checked the old one is refused at
    /// join, and every session of the account but `keep` is closed for
    /// `reason`. The commands that change passwords also tell the network
    /// ([`crate::network::NetworkEvent::PasswordChanged`]).
    pub fn password_changed(&self, name: &str, keep: Option<PlayerId>, reason: Disconnect) {
        // Bumped before the lock: a join either sees the new generation, or
        // finished before and is found here.
        self.generations.bump(name);
        self.known_logins.0.lock().remove(&name.to_lowercase());
        let state = self.state.read();
        let online = state.names.get(&name.to_lowercase()).filter(|id| Some(**id) != keep);
        if let Some(player) = online.and_then(|id| state.players.get(id)) {
            player.outbox.kick(reason);
        }
    }

    /// Whether player `id` logged in with a one-time password they have not
    /// changed yet (then only `?passwd` works).
    pub fn password_change_due(&self, id: PlayerId) -> bool {
        self.state.read().players.get(&id).is_some_and(|player| player.must_change_password)
    }

    /// Player `id` changed their one-time password.
    pub fn password_change_done(&self, id: PlayerId) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.must_change_password = false;
        }
    }

    /// The names player `id` ignores, in the order ignored.
    pub fn ignored(&self, id: PlayerId) -> Vec<Arc<str>> {
        self.state.read().players.get(&id).map(|player| player.ignored.clone()).unwrap_or_default()
    }

    /// Sets the names player `id` ignores (as stored).
    pub fn set_ignored(&self, id: PlayerId, names: Vec<Arc<str>>) {
        if let Some(player) = self.state.write().players.get_mut(&id) {
            player.ignored = names;
        }
    }
}

impl Online {
    /// Where this player is.
    pub(super) fn location(&self) -> Location {
        Location { realm: self.realm, game: self.game }
    }

    /// This player's freq, in a realm; none outside one.
    pub(super) fn freq_in_realm(&self) -> Option<u16> {
        self.realm.map(|_| self.freq)
    }

    /// The compiled-ladder index of this player's group in their realm, if
    /// it was worked out from the snapshot numbered `generation`
    /// ([`Snapshot::generation`](crate::access::Snapshot::generation)).
    ///
    /// One word: the generation above the low 16 bits, the index plus one
    /// in them (0: nothing kept). Generations never reach 2^48.
    pub(super) fn cached_group(&self, generation: u64) -> Option<usize> {
        let word = self.group_cache.load(Ordering::Relaxed);
        let index = (word & 0xFFFF) as usize;
        (index != 0 && word >> 16 == generation).then(|| index - 1)
    }

    /// Keeps `index` as this player's group in their realm under snapshot
    /// `generation`. Called under the zone's read lock, so the realm and
    /// session group it was worked out for are still theirs; an index that
    /// does not fit is not kept.
    pub(super) fn cache_group(&self, generation: u64, index: usize) {
        if index < 0xFFFF && generation < 1 << 48 {
            self.group_cache.store(generation << 16 | (index as u64 + 1), Ordering::Relaxed);
        }
    }

    /// Forgets the kept group: the realm or session group changed (under the
    /// zone's write lock).
    pub(super) fn forget_group(&mut self) {
        *self.group_cache.get_mut() = 0;
    }

    /// Whether this player ignores `sender`: their chat is not delivered.
    pub(super) fn ignores(&self, sender: &str) -> bool {
        self.ignored.iter().any(|name| name.eq_ignore_ascii_case(sender))
    }
}
