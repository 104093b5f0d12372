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
    /// A player group, by its name as tried (`?grplogin`): guessing one
    /// group's password from many accounts and addresses is slowed too.
    Group(String),
    /// An address ([`network`]).
    Address(Kind, IpAddr),
}

/// The unit per-address limits count: an IPv4 address, or an IPv6 /64 (one
/// customer's network; a host there has 2⁶⁴ addresses to choose from).
pub fn network(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    /// Attempts checked and not yet decided.
    in_flight: u32,
    last: Instant,
    /// `None` while open: set only by a failure past the free ones. Never
    /// the time of a check or a free failure, which a check that read its
    /// clock a moment earlier would see in its future and be refused by.
    closed_until: Option<Instant>,
}

impl Failures {
    fn new(now: Instant) -> Failures {
        Failures { count: 0, in_flight: 0, last: now, closed_until: None }
    }
}

/// Wrong passwords per account, per group tried and per address, with
/// exponential back-off.
///
/// An attempt is begun ([`Backoff::begin`]) before the password is checked
/// and decided after. Checks on one account (or group) past its free
/// failures run one at a time, so many connections guessing at once get no
/// more guesses than one; an address has no such rule, so players behind one
/// NAT log in at once.
#[derive(Debug)]
pub struct Backoff {
    policy: LoginBackoff,
    entries: Mutex<HashMap<Key, Failures>>,
}

/// One password check under way; dropping it without a verdict (the
/// connection went) counts nothing.
#[derive(Debug)]
#[must_use = "an attempt is decided with failed() or succeeded()"]
pub struct Attempt<'a> {
    backoff: &'a Backoff,
    keys: Vec<Key>,
}

impl Backoff {
    /// An empty table under `policy`.
    pub fn new(policy: LoginBackoff) -> Backoff {
        Backoff { policy, entries: Mutex::new(HashMap::new()) }
    }

    /// Begins a password check for `account` (and, for `?grplogin`, the
    /// group tried) from `address`.
    ///
    /// # Errors
    /// The wait, rounded up to whole seconds: while any of them is closed
    /// after failures; 1 s while the account or group has as many checks
    /// under way as it has free failures left, or the table is full of
    /// entries it may not forget.
    pub fn begin(
        &self,
        kind: Kind,
        account: &str,
        group: Option<&str>,
        address: IpAddr,
    ) -> Result<Attempt<'_>, Duration> {
        self.begin_at(kind, account, group, address, Instant::now())
    }

    fn begin_at(
        &self,
        kind: Kind,
        account: &str,
        group: Option<&str>,
        address: IpAddr,
        now: Instant,
    ) -> Result<Attempt<'_>, Duration> {
        let forget = Duration::from_secs(self.policy.forget_secs);
        let mut keys = vec![Key::Account(kind, account.to_lowercase()), Key::Address(kind, network(address))];
        if let Some(group) = group {
            keys.push(Key::Group(group.chars().take(32).collect::<String>().to_lowercase()));
        }
        let mut entries = self.entries.lock();
        let mut wait = Duration::ZERO;
        for key in &keys {
            let Some(failures) = entries.get(key) else { continue };
            let count = if now.duration_since(failures.last) >= forget { 0 } else { failures.count };
            let closed =
                failures.closed_until.map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
            let serial = !matches!(key, Key::Address(..));
            if !closed.is_zero() {
                wait = wait.max(closed);
            } else if serial
                && failures.in_flight > 0
                && count + failures.in_flight >= self.policy.free_failures
            {
                wait = wait.max(Duration::from_secs(1));
            }
        }
        if !wait.is_zero() {
            return Err(round_up(wait));
        }
        let missing = keys.iter().filter(|key| !entries.contains_key(key)).count();
        if missing > 0
            && !make_room(
                &mut entries,
                self.policy.max_entries,
                missing,
                |f| forgettable(f, now, forget),
                |f| f.last,
            )
        {
            return Err(Duration::from_secs(1));
        }
        for key in &keys {
            entries.entry(key.clone()).or_insert_with(|| Failures::new(now)).in_flight += 1;
        }
        Ok(Attempt { backoff: self, keys })
    }

    /// Counts a failure against `keys` (entries an attempt holds, so never
    /// forgotten meanwhile); returns the longest wait it set.
    fn fail<'k>(&self, keys: impl Iterator<Item = &'k Key>, now: Instant) -> Duration {
        let forget = Duration::from_secs(self.policy.forget_secs);
        let mut entries = self.entries.lock();
        let mut wait = Duration::ZERO;
        for key in keys {
            let Some(failures) = entries.get_mut(key) else { continue };
            if now.duration_since(failures.last) >= forget {
                failures.count = 0;
            }
            failures.count = failures.count.saturating_add(1);
            failures.last = now;
            let closed = self.closed_for(failures.count);
            failures.closed_until = (!closed.is_zero()).then(|| now.checked_add(closed).unwrap_or(now));
            wait = wait.max(closed);
        }
        wait
    }

    /// Ends a check on `key`: an entry with nothing to remember goes.
    fn release(&self, key: &Key) {
        let mut entries = self.entries.lock();
        if let Some(failures) = entries.get_mut(key) {
            failures.in_flight = failures.in_flight.saturating_sub(1);
            if failures.in_flight == 0 && failures.count == 0 {
                entries.remove(key);
            }
        }
    }

    /// How long the `count`th failure in a row closes logins.
    fn closed_for(&self, count: u32) -> Duration {
        let Some(past) = count.checked_sub(self.policy.free_failures.saturating_add(1)) else {
            return Duration::ZERO;
        };
        let factor = 1u64.checked_shl(past.min(63)).unwrap_or(u64::MAX);
        Duration::from_secs(self.policy.base_secs.saturating_mul(factor).min(self.policy.max_secs))
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

/// An entry the table may drop when full: no check under way and not
/// closed (its failures are either forgotten or still free).
fn forgettable(failures: &Failures, now: Instant, forget: Duration) -> bool {
    failures.in_flight == 0
        && (failures.closed_until.is_none_or(|until| until <= now)
            || now.duration_since(failures.last) >= forget)
}

impl Attempt<'_> {
    /// A wrong password: counted against the account (when `known`: an
    /// unknown name counts against the address only), the group tried and
    /// the address. Returns the wait before the next attempt, zero while
    /// failures are free.
    pub fn failed(self, known: bool) -> Duration {
        self.failed_at(known, Instant::now())
    }

    fn failed_at(self, known: bool, now: Instant) -> Duration {
        let keys = self.keys.iter().filter(|key| known || !matches!(key, Key::Account(..)));
        self.backoff.fail(keys, now)
    }

    /// The right password: the account's and the group's counts are cleared.
    /// The address's is not, so one's own account cannot be used to reset a
    /// guessing address.
    pub fn succeeded(self) {
        let mut entries = self.backoff.entries.lock();
        for key in &self.keys {
            if !matches!(key, Key::Address(..))
                && let Some(failures) = entries.get_mut(key)
            {
                failures.count = 0;
                failures.closed_until = None;
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        for key in &self.keys {
            self.backoff.release(key);
        }
    }
}

/// `LOGIN` lines per address ([`network`]), in windows of one minute from
/// the first.
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
        self.attempt_at(network(address), Instant::now())
    }

    fn attempt_at(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock();
        if !windows.contains_key(&address) {
            // Windows are only counters: the stalest may always go.
            make_room(&mut windows, self.max_entries, 1, |_| true, |w| w.0);
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

/// Makes room for `needed` more entries in `map` (at most `max`): when full,
/// drops the stalest `forgettable` entries down to nine tenths of `max`, so
/// the scan is paid once per tenth of the table, not per insert. `false`
/// when the table is full of entries it may not drop.
fn make_room<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    max: usize,
    needed: usize,
    forgettable: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) -> bool {
    if map.len() + needed <= max {
        return true;
    }
    let target = (max - max / 10).min(max.saturating_sub(needed));
    let mut candidates: Vec<(Instant, K)> = map
        .iter()
        .filter(|(_, value)| forgettable(value))
        .map(|(key, value)| (age(value), key.clone()))
        .collect();
    let excess = (map.len() + needed).saturating_sub(target.max(needed)).min(candidates.len());
    if excess > 0 && excess < candidates.len() {
        candidates.select_nth_unstable_by_key(excess - 1, |(age, _)| *age);
    }
    for (_, key) in candidates.into_iter().take(excess) {
        map.remove(&key);
    }
    map.len() + needed <= max
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
        let address = network(address);
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

/// Log lines about what costs a client nothing (a refused connection, a
/// close before login): at most `per_minute` a minute, so a connection flood
/// cannot fill the disk through the log; the next line allowed says how many
/// were left out.
#[derive(Debug)]
pub struct LogQuota {
    per_minute: u32,
    state: Mutex<(Instant, u32, u64)>,
}

impl LogQuota {
    /// A quota of `per_minute` lines.
    pub fn new(per_minute: u32) -> LogQuota {
        LogQuota { per_minute, state: Mutex::new((Instant::now(), 0, 0)) }
    }

    /// `Some(left_out)` when a line may be logged now, with the number of
    /// lines left out since the last one; `None` when it must be left out.
    pub fn take(&self) -> Option<u64> {
        let mut state = self.state.lock();
        let (window, used, left_out) = &mut *state;
        if window.elapsed() >= MINUTE {
            (*window, *used) = (Instant::now(), 0);
        }
        if *used >= self.per_minute {
            *left_out += 1;
            return None;
        }
        *used += 1;
        Some(std::mem::take(left_out))
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

    /// Begins and fails an attempt at `now`; the wait it sets.
    fn fail(backoff: &Backoff, account: &str, address: IpAddr, now: Instant) -> Duration {
        backoff.begin_at(Kind::Login, account, None, address, now).unwrap().failed_at(true, now)
    }

    fn open(
        backoff: &Backoff,
        kind: Kind,
        account: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<(), Duration> {
        backoff.begin_at(kind, account, None, address, now).map(drop)
    }

    #[test]
    fn failures_past_the_free_ones_close_for_doubling_times() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        let mut waits = Vec::new();
        let mut at = now;
        for _ in 0..8 {
            let wait = fail(&backoff, "Alice", A, at);
            waits.push(wait.as_secs());
            at += wait;
        }
        assert_eq!(waits, [0, 0, 0, 5, 10, 20, 40, 60]);
        let later = at - Duration::from_secs(1);
        assert_eq!(open(&backoff, Kind::Login, "ALICE", B, later), Err(Duration::from_secs(1)));
        // Another account from the same address is closed too (the address is).
        assert!(open(&backoff, Kind::Login, "Bob", A, later).is_err());
        // Another account from another address is not.
        assert!(open(&backoff, Kind::Login, "Bob", B, later).is_ok());
        // Group logins are counted apart.
        assert!(open(&backoff, Kind::GroupLogin, "Alice", A, later).is_ok());
    }

    #[test]
    fn checks_on_one_account_past_the_free_failures_run_one_at_a_time() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        let from = |n: u8| IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, n));
        // Three free failures' worth may run at once on one account...
        let running: Vec<Attempt<'_>> =
            (1..=3).map(|n| backoff.begin_at(Kind::Login, "Alice", None, from(n), now).unwrap()).collect();
        // ...a fourth waits, from wherever.
        assert_eq!(open(&backoff, Kind::Login, "Alice", from(4), now), Err(Duration::from_secs(1)));
        // Other accounts from one address (players behind one NAT) do not.
        let nat: Vec<Attempt<'_>> =
            (0..10).map(|n| backoff.begin_at(Kind::Login, &format!("p{n}"), None, A, now).unwrap()).collect();
        drop(nat);
        for attempt in running {
            assert_eq!(attempt.failed_at(true, now), Duration::ZERO);
        }
        // Three failures: one more may run, and no second beside it.
        let fourth = backoff.begin_at(Kind::Login, "Alice", None, from(4), now).unwrap();
        assert!(open(&backoff, Kind::Login, "Alice", from(5), now).is_err());
        assert_eq!(fourth.failed_at(true, now), Duration::from_secs(5));
        // A check that ends without a verdict counts nothing.
        drop(backoff.begin_at(Kind::Login, "Bob", None, B, now).unwrap());
        assert!(!backoff.entries.lock().contains_key(&Key::Address(Kind::Login, B)));
    }

    #[test]
    fn a_group_guessed_from_many_accounts_and_addresses_closes() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        for n in 0..4u8 {
            let address = IpAddr::V4(std::net::Ipv4Addr::new(10, 2, 0, n));
            let attempt =
                backoff.begin_at(Kind::GroupLogin, &format!("m{n}"), Some("Sysop"), address, now).unwrap();
            attempt.failed_at(true, now);
        }
        let fresh = IpAddr::V4(std::net::Ipv4Addr::new(10, 3, 0, 1));
        let refused = backoff.begin_at(Kind::GroupLogin, "newcomer", Some("sysop"), fresh, now).map(drop);
        assert_eq!(refused, Err(Duration::from_secs(5)));
        assert!(backoff.begin_at(Kind::GroupLogin, "newcomer", Some("mod"), fresh, now).is_ok());
    }

    #[test]
    fn closed_and_busy_entries_survive_a_full_table() {
        let backoff = Backoff::new(LoginBackoff { max_entries: 40, ..policy() });
        let now = Instant::now();
        for _ in 0..4 {
            fail(&backoff, "Victim", A, now);
        }
        let held = backoff.begin_at(Kind::Login, "Busy", None, B, now).unwrap();
        for i in 0..1000u32 {
            let address = IpAddr::from((i + 1000).to_be_bytes());
            let at = now + Duration::from_millis(i.into());
            let _ = backoff
                .begin_at(Kind::Login, &format!("name{i}"), None, address, at)
                .map(|a| a.failed_at(true, at));
            assert!(backoff.len() <= 40);
        }
        assert!(open(&backoff, Kind::Login, "Victim", IpAddr::from([10, 9, 9, 9]), now).is_err());
        assert!(backoff.entries.lock().contains_key(&Key::Account(Kind::Login, "busy".to_owned())));
        drop(held);
    }

    #[test]
    fn addresses_count_by_ipv4_address_and_ipv6_network() {
        let v6 = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(network(v6("2001:db8:1:2:aaaa::1")), network(v6("2001:db8:1:2:bbbb::2")));
        assert_ne!(network(v6("2001:db8:1:2::1")), network(v6("2001:db8:1:3::1")));
        assert_eq!(network(v6("::ffff:10.0.0.1")), A);
        assert_ne!(network(A), network(B));
    }

    /// Many players behind one address log in at once: a check whose clock
    /// was read a moment before another check created the address's entry
    /// is not refused (it was "too many attempts; try again in 1 s").
    #[test]
    fn checks_at_once_from_one_address_are_not_refused() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        let first = backoff.begin_at(Kind::Login, "Alice", None, A, now + Duration::from_millis(1)).unwrap();
        assert!(open(&backoff, Kind::Login, "Bob", A, now).is_ok());
        first.succeeded();
        // Nor after a free failure: it closes nothing, whenever the clock
        // of the next check was read.
        let later = now + Duration::from_secs(1);
        assert_eq!(fail(&backoff, "Carol", B, later), Duration::ZERO);
        assert!(open(&backoff, Kind::Login, "Carol", B, later - Duration::from_millis(1)).is_ok());
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let backoff = Backoff::new(policy());
        let now = Instant::now();
        for _ in 0..4 {
            fail(&backoff, "Alice", A, now);
        }
        assert!(open(&backoff, Kind::Login, "Alice", B, now).is_err());
        // The account opens again after its wait; the right password clears it.
        let later = now + Duration::from_secs(6);
        backoff.begin_at(Kind::Login, "alice", None, B, later).unwrap().succeeded();
        assert!(open(&backoff, Kind::Login, "Alice", B, later).is_ok());
        assert_eq!(
            backoff.entries.lock().get(&Key::Address(Kind::Login, A)).map(|failures| failures.count),
            Some(4)
        );
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_period() {
        let backoff = Backoff::new(LoginBackoff { forget_secs: 100, ..policy() });
        let now = Instant::now();
        let mut at = now;
        for _ in 0..5 {
            at += fail(&backoff, "Alice", A, at);
        }
        let later = at + Duration::from_secs(100);
        assert_eq!(fail(&backoff, "Alice", A, later), Duration::ZERO);
    }

    #[test]
    fn the_table_never_grows_past_its_bound() {
        let backoff = Backoff::new(LoginBackoff { max_entries: 50, ..policy() });
        let now = Instant::now();
        for i in 0..1000u32 {
            let address = IpAddr::from(i.to_be_bytes());
            fail(&backoff, &format!("name{i}"), address, now + Duration::from_millis(i.into()));
            assert!(backoff.len() <= 50);
        }
        // The newest are the ones kept.
        let newest = IpAddr::from(999u32.to_be_bytes());
        assert!(backoff.entries.lock().contains_key(&Key::Address(Kind::Login, newest)));
    }

    /// Issue 9's bound: an attacker who reconnects freely and guesses as
    /// soon as the zone lets them gets at most 20 guesses in the first minute
    /// under the default policy, and fewer each minute after (here: 7, then
    /// 1, 1, 0, 0, 1, 0, …).
    #[test]
    fn a_persistent_guesser_gets_fewer_guesses_each_minute() {
        let backoff = Backoff::new(LoginBackoff::default());
        let start = Instant::now();
        let mut per_minute = [0u32; 10];
        for tenth in 0..6000u64 {
            let now = start + Duration::from_millis(tenth * 100);
            if let Ok(attempt) = backoff.begin_at(Kind::GroupLogin, "Mallory", Some("sysop"), A, now) {
                attempt.failed_at(true, now);
                per_minute[(tenth / 600) as usize] += 1;
            }
        }
        assert!(per_minute[0] <= 20, "{per_minute:?}");
        // From the second minute on the waits are over a minute long: at
        // most one guess a minute, and none in most of them.
        assert!(per_minute[1..].iter().all(|&n| n <= 1 && n < per_minute[0]), "{per_minute:?}");
        assert!(per_minute[5..].iter().sum::<u32>() <= 1, "{per_minute:?}");
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
    fn the_log_quota_leaves_lines_out_and_says_how_many() {
        let quota = LogQuota::new(2);
        assert_eq!(quota.take(), Some(0));
        assert_eq!(quota.take(), Some(0));
        assert_eq!(quota.take(), None);
        assert_eq!(quota.take(), None);
        quota.state.lock().0 -= MINUTE;
        assert_eq!(quota.take(), Some(2));
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
