//! What a hostile client may make the zone spend before and while guessing
//! passwords (DESIGN §8), kept in memory across reconnects and bounded:
//! - [`Backoff`]: wrong passwords per account and per IP address, with an
//!   exponential back-off (`limits.login_backoff`);
//! - [`Attempts`]: `LOGIN` lines per IP address and minute
//!   (`limits.login_attempts_per_minute`);
//! - [`PreLogin`]: connections that have not logged in, in total and per IP
//!   address (`limits.pre_login_connections`, `pre_login_per_address`).
//!
//! Each table holds at most `limits.login_backoff.max_entries` entries; when
//! one is full, expired entries go first and then the stalest one.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use config::LoginBackoff;
use parking_lot::Mutex;

/// What a wrong password was for: logins and `?grplogin` are counted apart,
/// so guessing group passwords does not lock a player out of the zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `LOGIN` with an account password.
    Login,
    /// `?grplogin` with a group password.
    GroupLogin,
}

/// Who a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// An account, by its lower-case name.
    Account(Kind, String),
    /// An IP address.
    Address(Kind, IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    closed_until: Instant,
}

/// Wrong passwords per account and per address, with exponential back-off.
#[derive(Debug)]
pub struct Backoff {
    policy: LoginBackoff,
    entries: Mutex<HashMap<Key, Failures>>,
}

impl Backoff {
    /// An empty table under `policy`.
    pub fn new(policy: LoginBackoff) -> Backoff {
        Backoff { policy, entries: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` while `account` or `address` is closed for `kind`: the
    /// time until it opens, rounded up to whole seconds.
    ///
    /// # Errors
    /// The wait, when closed.
    pub fn check(&self, kind: Kind, account: &str, address: IpAddr) -> Result<(), Duration> {
        self.check_at(kind, account, address, Instant::now())
    }

    fn check_at(&self, kind: Kind, account: &str, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock();
        let wait = [Key::Account(kind, account.to_lowercase()), Key::Address(kind, address)]
            .iter()
            .filter_map(|key| entries.get(key))
            .map(|failures| failures.closed_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() { Ok(()) } else { Err(round_up(wait)) }
    }

    /// Counts a wrong password for `account` (if any: an unknown name counts
    /// against the address only) and `address`. Returns the wait before the
    /// next attempt, zero while failures are still free.
    pub fn failure(&self, kind: Kind, account: Option<&str>, address: IpAddr) -> Duration {
        self.failure_at(kind, account, address, Instant::now())
    }

    fn failure_at(&self, kind: Kind, account: Option<&str>, address: IpAddr, now: Instant) -> Duration {
        let forget = Duration::from_secs(self.policy.forget_secs);
        let mut entries = self.entries.lock();
        let keys = account
            .map(|name| Key::Account(kind, name.to_lowercase()))
            .into_iter()
            .chain(std::iter::once(Key::Address(kind, address)));
        let mut wait = Duration::ZERO;
        for key in keys {
            if !entries.contains_key(&key) {
                make_room(
                    &mut entries,
                    self.policy.max_entries,
                    |f| now.duration_since(f.last) >= forget,
                    |f| f.last,
                );
            }
            let failures = entries.entry(key).or_insert(Failures { count: 0, last: now, closed_until: now });
            if now.duration_since(failures.last) >= forget {
                failures.count = 0;
            }
            failures.count = failures.count.saturating_add(1);
            failures.last = now;
            let closed = self.closed_for(failures.count);
            failures.closed_until = now + closed;
            wait = wait.max(closed);
        }
        wait
    }

    /// How long the `count`th failure in a row closes logins.
    fn closed_for(&self, count: u32) -> Duration {
        let Some(past) = count.checked_sub(self.policy.free_failures + 1) else { return Duration::ZERO };
        let factor = 1u64.checked_shl(past.min(63)).unwrap_or(u64::MAX);
        Duration::from_secs(self.policy.base_secs.saturating_mul(factor).min(self.policy.max_secs))
    }

    /// A correct password: the account's count is cleared. The address's is
    /// not, so one's own account cannot be used to reset a guessing address.
    pub fn success(&self, kind: Kind, account: &str) {
        self.entries.lock().remove(&Key::Account(kind, account.to_lowercase()));
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `LOGIN` lines per IP address, in windows of one minute from the first.
#[derive(Debug)]
pub struct Attempts {
    per_minute: u32,
    max_entries: usize,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

const MINUTE: Duration = Duration::from_secs(60);

impl Attempts {
    /// `per_minute` attempts per address, tracking at most `max_entries`.
    pub fn new(per_minute: u32, max_entries: usize) -> Attempts {
        Attempts { per_minute, max_entries, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `address`.
    ///
    /// # Errors
    /// The wait until the address's window ends, once it is used up.
    pub fn attempt(&self, address: IpAddr) -> Result<(), Duration> {
        self.attempt_at(address, Instant::now())
    }

    fn attempt_at(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock();
        if !windows.contains_key(&address) {
            make_room(
                &mut windows,
                self.max_entries,
                |(start, _)| now.duration_since(*start) >= MINUTE,
                |w| w.0,
            );
        }
        let (start, count) = windows.entry(address).or_insert((now, 0));
        if now.duration_since(*start) >= MINUTE {
            (*start, *count) = (now, 0);
        }
        if *count >= self.per_minute {
            return Err(round_up((*start + MINUTE).saturating_duration_since(now)));
        }
        *count += 1;
        Ok(())
    }
}

/// Makes room for one more entry: drops expired ones, then the stalest.
fn make_room<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    max: usize,
    expired: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) {
    if map.len() < max {
        return;
    }
    map.retain(|_, value| !expired(value));
    while map.len() >= max.max(1) {
        let Some(stalest) = map.iter().min_by_key(|(_, value)| age(value)).map(|(key, _)| key.clone()) else {
            return;
        };
        map.remove(&stalest);
    }
}

fn round_up(wait: Duration) -> Duration {
    Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

/// Connections that have not logged in yet: a total and a per-address count.
#[derive(Debug)]
pub struct PreLogin {
    total: usize,
    per_address: usize,
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// Why a connection was refused before login; the text is its `LOGINBAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The pre-login budget of the whole zone is used up.
    #[error("the zone is busy; try again in a moment")]
    Busy,
    /// This address holds its share already.
    #[error("too many connections from your address; try again later")]
    Address,
}

/// A connection's place in the pre-login budget, given back when dropped
/// (at login, or when the connection closes).
#[derive(Debug)]
pub struct PreLoginSlot {
    owner: Arc<PreLogin>,
    address: IpAddr,
}

impl PreLogin {
    /// `total` connections at once, `per_address` from one address.
    pub fn new(total: usize, per_address: usize) -> Arc<PreLogin> {
        Arc::new(PreLogin { total, per_address, counts: Mutex::new((0, HashMap::new())) })
    }

    /// A slot for a new connection from `address`.
    ///
    /// # Errors
    /// [`Refused`] when either budget is used up.
    pub fn admit(self: &Arc<PreLogin>, address: IpAddr) -> Result<PreLoginSlot, Refused> {
        let mut counts = self.counts.lock();
        let (total, per_address) = &mut *counts;
        if *total >= self.total {
            return Err(Refused::Busy);
        }
        let held = per_address.entry(address).or_insert(0);
        if *held >= self.per_address {
            return Err(Refused::Address);
        }
        *held += 1;
        *total += 1;
        Ok(PreLoginSlot { owner: self.clone(), address })
    }

    /// Connections not logged in, in total.
    pub fn held(&self) -> usize {
        self.counts.lock().0
    }
}

impl Drop for PreLoginSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock();
        let (total, per_address) = &mut *counts;
        *total = total.saturating_sub(1);
        if let Some(held) = per_address.get_mut(&self.address) {
            *held -= 1;
            if *held == 0 {
                per_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    fn policy() -> LoginBackoff {
        LoginBackoff { free_failures: 3, base_secs: 5, max_secs: 60, ..LoginBackoff::default() }
    }

    #[test]
    fn failures_past_the_free_ones_close_for_doubling_times() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        let waits: Vec<u64> = (0..8)
            .map(|i| {
                backoff.failure_at(Kind::Login, Some("Alice"), A, now + Duration::from_secs(i)).as_secs()
            })
            .collect();
        assert_eq!(waits, [0, 0, 0, 5, 10, 20, 40, 60]);
        let later = now + Duration::from_secs(8);
        assert_eq!(backoff.check_at(Kind::Login, "ALICE", B, later), Err(Duration::from_secs(59)));
        // Another account from the same address is closed too (the address is).
        assert!(backoff.check_at(Kind::Login, "Bob", A, later).is_err());
        // Another account from another address is not.
        assert!(backoff.check_at(Kind::Login, "Bob", B, later).is_ok());
        // Group logins are counted apart.
        assert!(backoff.check_at(Kind::GroupLogin, "Alice", A, later).is_ok());
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        for _ in 0..4 {
            backoff.failure_at(Kind::Login, Some("Alice"), A, now);
        }
        backoff.success(Kind::Login, "alice");
        assert!(backoff.check_at(Kind::Login, "Alice", B, now).is_ok());
        assert!(backoff.check_at(Kind::Login, "Alice", A, now).is_err());
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_period() {
        let backoff = Backoff::new(LoginBackoff { forget_secs: 100, ..policy() });
        let now = Instant::now();
        for _ in 0..5 {
            backoff.failure_at(Kind::Login, Some("Alice"), A, now);
        }
        let later = now + Duration::from_secs(100);
        assert_eq!(backoff.failure_at(Kind::Login, Some("Alice"), A, later), Duration::ZERO);
    }

    #[test]
    fn the_table_never_grows_past_its_bound() {
        let backoff = Backoff::new(LoginBackoff { max_entries: 50, ..policy() });
        let now = Instant::now();
        for i in 0..1000u32 {
            let address = IpAddr::from(i.to_be_bytes());
            backoff.failure_at(
                Kind::Login,
                Some(&format!("name{i}")),
                address,
                now + Duration::from_millis(i.into()),
            );
            assert!(backoff.len() <= 50);
        }
        // The newest are the ones kept.
        let newest = IpAddr::from(999u32.to_be_bytes());
        assert!(backoff.entries.lock().contains_key(&Key::Address(Kind::Login, newest)));
    }

    #[test]
    fn attempts_per_minute_per_address() {
        let attempts = Attempts::new(3, 10);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(attempts.attempt_at(A, now).is_ok());
        }
        assert_eq!(attempts.attempt_at(A, now + Duration::from_secs(20)), Err(Duration::from_secs(40)));
        assert!(attempts.attempt_at(B, now).is_ok());
        assert!(attempts.attempt_at(A, now + MINUTE).is_ok());
    }

    #[test]
    fn pre_login_slots_are_given_back() {
        let budget = PreLogin::new(3, 2);
        let a1 = budget.admit(A).unwrap();
        let _a2 = budget.admit(A).unwrap();
        assert_eq!(budget.admit(A).unwrap_err(), Refused::Address);
        let _b1 = budget.admit(B).unwrap();
        assert_eq!(budget.admit(B).unwrap_err(), Refused::Busy);
        drop(a1);
        assert_eq!(budget.held(), 2);
        assert!(budget.admit(A).is_ok());
    }
}
