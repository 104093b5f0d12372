//! Moderators' sanctions (DESIGN §10): bans (and `?kick -t`, a short ban),
//! mutes and warnings, with the duration syntax and the times players see.
//! Stored through [`crate::store::Store`]; [`Sanctions`] keeps the ones in
//! force in memory, so a login or a chat line checks them without the store.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;

/// How long a sanction lasts: `perm`, or a duration written `30s`, `10m`,
/// `2h`, `7d`, or several of them (`1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// Until lifted.
    Perm,
    /// For this long.
    For(Duration),
}

/// The longest term that is not `perm`: ten years.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 86_400);

impl Term {
    /// When a sanction of this term begun at `now` (seconds since the epoch)
    /// ends: `None` for perm.
    pub fn ends(self, now: i64) -> Option<i64> {
        match self {
            Term::Perm => None,
            Term::For(length) => {
                Some(now.saturating_add(i64::try_from(length.as_secs()).unwrap_or(i64::MAX)))
            }
        }
    }
}

impl std::str::FromStr for Term {
    type Err = String;

    /// Parses `perm` or `30s`, `10m`, `2h`, `7d`, `1h30m`.
    ///
    /// # Errors
    /// What a duration looks like, for the player.
    fn from_str(text: &str) -> Result<Term, String> {
        if text.eq_ignore_ascii_case("perm") {
            return Ok(Term::Perm);
        }
        let bad = || format!("'{text}' is not a duration: write 30s, 10m, 2h, 7d (or 1h30m), or perm");
        let mut total: u64 = 0;
        let mut number: Option<u64> = None;
        for c in text.chars() {
            if let Some(digit) = c.to_digit(10) {
                number = Some(
                    number
                        .unwrap_or(0)
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(digit.into()))
                        .ok_or_else(bad)?,
                );
                continue;
            }
            let unit = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let amount = number.take().ok_or_else(bad)?;
            total = amount.checked_mul(unit).and_then(|secs| total.checked_add(secs)).ok_or_else(bad)?;
        }
        if number.is_some() || total == 0 {
            return Err(bad());
        }
        let length = Duration::from_secs(total);
        if length > LONGEST {
            return Err(format!("'{text}' is longer than ten years; use perm"));
        }
        Ok(Term::For(length))
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Perm => f.write_str("for good"),
            Term::For(length) => write!(f, "for {}", span(*length)),
        }
    }
}

/// A length as a player reads it: `45s`, `10m`, `2h30m`, `7d`.
pub fn span(length: Duration) -> String {
    let mut secs = length.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

/// A time as players see it (DESIGN §10: UTC on the wire):
/// `2026-12-01 20:00 UTC`.
pub fn utc(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(time) => time.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => format!("{secs} s after 1970"),
    }
}

/// What a sanction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// No login until it ends.
    Ban,
    /// `?kick -t`: no login until it ends, said as a kick.
    Kick,
    /// No chat of any kind until it ends; commands still work.
    Mute,
}

impl Kind {
    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ban => "ban",
            Kind::Kick => "kick",
            Kind::Mute => "mute",
        }
    }

    /// The kind a stored word names.
    pub fn parse(word: &str) -> Option<Kind> {
        match word {
            "ban" => Some(Kind::Ban),
            "kick" => Some(Kind::Kick),
            "mute" => Some(Kind::Mute),
            _ => None,
        }
    }
}

/// A ban, kick or mute on one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanction {
    /// The account's name as given.
    pub name: String,
    /// What it does.
    pub kind: Kind,
    /// When it ends, seconds since the epoch; `None`: until lifted.
    pub until: Option<i64>,
    /// Why, in the moderator's words (may be empty).
    pub reason: String,
    /// Who.
    pub by: String,
    /// When, seconds since the epoch.
    pub at: i64,
}

impl Sanction {
    /// Whether it is still in force at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.until.is_none_or(|until| now < until)
    }

    /// `banned until 2026-12-01 20:00 UTC: spamming`, `banned: spamming`,
    /// `kicked until …`, `muted until …`: the `LOGINBAD` reason or the
    /// notice a muted player gets.
    pub fn describe(&self) -> String {
        self.text(false)
    }

    /// `banned by Sam until 2026-12-01 20:00 UTC: spamming`: what an online
    /// player it disconnects is told.
    pub fn farewell(&self) -> String {
        self.text(true)
    }

    fn text(&self, with_by: bool) -> String {
        let verb = match self.kind {
            Kind::Ban => "banned",
            Kind::Kick => "kicked",
            Kind::Mute => "muted",
        };
        let mut text = verb.to_owned();
        if with_by {
            text.push_str(" by ");
            text.push_str(&self.by);
        }
        if let Some(until) = self.until {
            text.push_str(" until ");
            text.push_str(&utc(until));
        }
        if !self.reason.is_empty() {
            text.push_str(": ");
            text.push_str(&self.reason);
        }
        text
    }
}

/// A warning a moderator gave a player (`?warn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The player's name as given.
    pub name: String,
    /// What they were told.
    pub text: String,
    /// Who.
    pub by: String,
    /// When, seconds since the epoch.
    pub at: i64,
}

/// Warnings kept per player: older ones go when a new one comes.
pub const WARNINGS_KEPT: usize = 50;

/// The bans and mutes in force, by lower-case name: loaded from the store at
/// start and kept in step with it by the moderation commands.
#[derive(Debug, Default)]
pub struct Sanctions {
    entries: RwLock<HashMap<(String, Kind), Sanction>>,
}

impl Sanctions {
    /// The sanctions `stored` holds (expired ones are dropped).
    pub fn new(stored: Vec<Sanction>) -> Sanctions {
        let now = now();
        let entries = stored
            .into_iter()
            .filter(|sanction| sanction.in_force(now))
            .map(|sanction| ((sanction.name.to_lowercase(), sanction.kind), sanction))
            .collect();
        Sanctions { entries: RwLock::new(entries) }
    }

    /// Replaces every sanction with those `stored` holds (another zone of
    /// the network changed them).
    pub fn replace(&self, stored: Vec<Sanction>) {
        *self.entries.write() = Sanctions::new(stored).entries.into_inner();
    }

    /// The ban or kick keeping `name` out now, if any.
    pub fn barred(&self, name: &str) -> Option<Sanction> {
        let key = name.to_lowercase();
        let now = now();
        let entries = self.entries.read();
        [Kind::Ban, Kind::Kick]
            .into_iter()
            .filter_map(|kind| entries.get(&(key.clone(), kind)))
            .filter(|sanction| sanction.in_force(now))
            .max_by_key(|sanction| sanction.until.unwrap_or(i64::MAX))
            .cloned()
    }

    /// The mute on `name` now, if any.
    pub fn mute(&self, name: &str) -> Option<Sanction> {
        let entries = self.entries.read();
        entries.get(&(name.to_lowercase(), Kind::Mute)).filter(|mute| mute.in_force(now())).cloned()
    }

    /// Records `sanction`, replacing one of its kind.
    pub fn set(&self, sanction: Sanction) {
        self.entries.write().insert((sanction.name.to_lowercase(), sanction.kind), sanction);
    }

    /// Lifts `name`'s sanction of `kind`; returns it if it was in force.
    pub fn lift(&self, name: &str, kind: Kind) -> Option<Sanction> {
        let lifted = self.entries.write().remove(&(name.to_lowercase(), kind));
        lifted.filter(|sanction| sanction.in_force(now()))
    }

    /// Every sanction of `kinds` in force, soonest to end first.
    pub fn list(&self, kinds: &[Kind]) -> Vec<Sanction> {
        let now = now();
        let mut listed: Vec<Sanction> = self
            .entries
            .read()
            .values()
            .filter(|sanction| kinds.contains(&sanction.kind) && sanction.in_force(now))
            .cloned()
            .collect();
        listed.sort_by_key(|sanction| (sanction.until.unwrap_or(i64::MAX), sanction.name.to_lowercase()));
        listed
    }

    /// Forgets the sanctions that have ended.
    pub fn purge(&self) {
        let now = now();
        self.entries.write().retain(|_, sanction| sanction.in_force(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit_and_combined() {
        let secs = |text: &str| match text.parse::<Term>() {
            Ok(Term::For(length)) => length.as_secs(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(secs("30s"), 30);
        assert_eq!(secs("10m"), 600);
        assert_eq!(secs("2h"), 7200);
        assert_eq!(secs("7d"), 604_800);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("2W"), 1_209_600);
        assert_eq!("PERM".parse::<Term>(), Ok(Term::Perm));
        for bad in ["", "10", "m", "10x", "0s", "-5m", "1.5h", "99999999999999999999d", "11000d"] {
            assert!(bad.parse::<Term>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spans_and_times_read_as_players_expect() {
        assert_eq!(span(Duration::from_secs(5400)), "1h30m");
        assert_eq!(span(Duration::from_secs(604_800 + 5)), "7d5s");
        assert_eq!(utc(1_796_155_200), "2026-12-01 20:00 UTC");
        let ban = Sanction {
            name: "Bob".into(),
            kind: Kind::Ban,
            until: Some(1_796_155_200),
            reason: "spamming".into(),
            by: "Mod".into(),
            at: 0,
        };
        assert_eq!(ban.describe(), "banned until 2026-12-01 20:00 UTC: spamming");
        let perm = Sanction { until: None, ..ban };
        assert_eq!(perm.describe(), "banned: spamming");
    }

    #[test]
    fn ended_sanctions_are_not_in_force() {
        let now = now();
        let ended = Sanction {
            name: "Bob".into(),
            kind: Kind::Mute,
            until: Some(now - 1),
            reason: String::new(),
            by: "Mod".into(),
            at: now - 10,
        };
        let sanctions = Sanctions::new(vec![ended.clone()]);
        assert_eq!(sanctions.mute("bob"), None);
        sanctions.set(Sanction { until: Some(now + 60), ..ended.clone() });
        assert!(sanctions.mute("BOB").is_some());
        sanctions.set(Sanction { kind: Kind::Kick, until: Some(now + 30), ..ended });
        assert_eq!(sanctions.barred("bob").map(|s| s.kind), Some(Kind::Kick));
        assert_eq!(sanctions.list(&[Kind::Ban, Kind::Kick]).len(), 1);
    }
}
