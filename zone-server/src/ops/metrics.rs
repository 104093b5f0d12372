//! The Prometheus metrics of one zone (DESIGN §13), in the OpenMetrics text
//! format of `prometheus-client`.
//!
//! Two kinds: events the zone counts as they happen ([`Meters`]: logins,
//! disconnects, flood drops, store calls), and values read at each scrape
//! from what the zone keeps anyway (players, connections, traffic, each
//! command's statistics and the dispatch latency histogram of
//! [`cmdman::Registry::latency`]). The second kind costs nothing between
//! scrapes, so dispatch carries no metric of its own besides its sampled
//! timing.
//!
//! Label values are bounded: commands and realms are names the zone
//! declared or admitted (realms are bounded by `limits.realms`); a line that
//! names no command is counted under `command="(unknown)"`, never under
//! what was typed.

use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::zone::Zone;

/// One label: a fixed key and a value from a fixed set.
type Label = [(&'static str, &'static str); 1];

/// How a login attempt ended, for `zone_logins_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in.
    Ok,
    /// The password was wrong.
    BadPassword,
    /// Refused by a throttle: too many attempts from the address, or the
    /// name's back-off.
    Throttled,
    /// Refused for another reason: a ban, a full zone, a bad name, an
    /// account that may not log in there.
    Refused,
    /// The zone could not check: the store or the hashers were busy or away.
    Unavailable,
}

impl LoginOutcome {
    fn label(self) -> &'static str {
        match self {
            LoginOutcome::Ok => "ok",
            LoginOutcome::BadPassword => "bad_password",
            LoginOutcome::Throttled => "throttled",
            LoginOutcome::Refused => "refused",
            LoginOutcome::Unavailable => "unavailable",
        }
    }
}

/// Where a login came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVia {
    /// A ChatNet client.
    ChatNet,
    /// The admin web page.
    Admin,
}

/// The store's calls: how long each took, and how many failed.
#[derive(Debug)]
pub struct StoreMeter {
    duration: Histogram,
    errors: Counter,
}

impl Default for StoreMeter {
    fn default() -> StoreMeter {
        // 100 µs to about 6.5 s.
        StoreMeter {
            duration: Histogram::new(exponential_buckets(0.0001, 2.0, 17)),
            errors: Counter::default(),
        }
    }
}

impl StoreMeter {
    /// Counts one call that took `took`, failed or not.
    pub fn record(&self, took: Duration, failed: bool) {
        self.duration.observe(took.as_secs_f64());
        if failed {
            self.errors.inc();
        }
    }
}

/// The events a zone counts as they happen. Each is a relaxed atomic add
/// (a family also takes a read lock to find its label's counter): rare
/// events only, never one per line.
#[derive(Debug)]
pub struct Meters {
    registry: Registry,
    logins: Family<[(&'static str, &'static str); 2], Counter>,
    disconnects: Family<Label, Counter>,
    flood_dropped: Counter,
    /// Kept apart from `registry` only to be handed to the store handle.
    _store: std::sync::Arc<StoreMeter>,
    /// Serialises scrapes: one encodes at a time, so a client that scrapes
    /// in a loop costs one core at most.
    scrape: Mutex<()>,
}

impl Meters {
    /// The meters of a zone whose store calls `store` counts.
    pub fn new(store: std::sync::Arc<StoreMeter>) -> Meters {
        let mut registry = Registry::default();
        let logins = Family::default();
        registry.register(
            "zone_logins",
            "Login attempts by where from (chatnet, admin) and outcome (ok, bad_password, throttled, refused, unavailable)",
            logins.clone(),
        );
        let disconnects = Family::default();
        registry.register(
            "zone_disconnects",
            "Logged-in players disconnected by the zone, by reason (slow_reader: outbound queue full; flood; replaced; password_changed; kicked)",
            disconnects.clone(),
        );
        let flood_dropped = Counter::default();
        registry.register(
            "zone_flood_dropped_lines",
            "Lines dropped because their sender sent more than limits.lines_per_second",
            flood_dropped.clone(),
        );
        registry.register_with_unit(
            "zone_store_duration",
            "Time of each store call, including its wait for a blocking thread",
            Unit::Seconds,
            store.duration.clone(),
        );
        registry.register("zone_store_errors", "Store calls that failed", store.errors.clone());
        Meters { registry, logins, disconnects, flood_dropped, _store: store, scrape: Mutex::new(()) }
    }

    /// Counts a login attempt.
    pub fn login(&self, via: LoginVia, outcome: LoginOutcome) {
        let via = match via {
            LoginVia::ChatNet => "chatnet",
            LoginVia::Admin => "admin",
        };
        self.logins.get_or_create(&[("via", via), ("outcome", outcome.label())]).inc();
    }

    /// Counts a player the zone disconnected for `reason`.
    pub fn disconnect(&self, reason: &crate::outbox::Disconnect) {
        use crate::outbox::Disconnect;
        let label = match reason {
            Disconnect::SlowReader => "slow_reader",
            Disconnect::Replaced => "replaced",
            Disconnect::Flood => "flood",
            Disconnect::PasswordChanged => "password_changed",
            Disconnect::Shutdown => "shutdown",
            Disconnect::Kicked { .. } => "kicked",
        };
        self.disconnects.get_or_create(&[("reason", label)]).inc();
    }

    /// Counts a line dropped for flooding.
    pub fn flood_drop(&self) {
        self.flood_dropped.inc();
    }
}

/// What is read from the zone at a scrape.
#[derive(Debug)]
struct Live {
    players: usize,
    realms: Vec<(String, usize)>,
    pre_login: usize,
    traffic: [u64; 3],
    /// (command, component, outcome, count).
    commands: Vec<(String, &'static str, &'static str, u64)>,
    latency: cmdman::LatencySnapshot,
    uptime: Duration,
}

impl Live {
    fn read(zone: &Zone, pre_login: usize) -> Live {
        let cmd_char = zone.registry().default_cmd_char();
        let tables = zone.registry().tables();
        let mut commands = Vec::new();
        for command in tables.commands() {
            let stats = command.stats();
            if stats.calls == 0 && stats.denied == 0 && stats.refused == 0 {
                continue;
            }
            let name = command.display_name(cmd_char);
            let handler_errors = stats.errors.saturating_sub(stats.usage_errors);
            for (outcome, count) in [
                ("ok", stats.calls.saturating_sub(stats.errors)),
                ("usage_error", stats.usage_errors),
                ("handler_error", handler_errors),
                ("denied", stats.denied),
                ("refused", stats.refused),
            ] {
                commands.push((name.clone(), command.component(), outcome, count));
            }
        }
        commands.push(("(unknown)".to_owned(), "", "unknown", zone.registry().unknown_commands()));
        Live {
            players: zone.player_count(),
            realms: zone
                .realms()
                .into_iter()
                .map(|realm| (realm.name.to_string(), realm.player_count))
                .collect(),
            pre_login,
            traffic: zone.traffic_totals(),
            commands,
            latency: zone.registry().latency(),
            uptime: zone.started().elapsed(),
        }
    }
}

impl prometheus_client::collector::Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let gauge = |encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64| {
            let metric = ConstGauge::new(value);
            metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
        };
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        gauge(&mut encoder, "zone_players_online", "Players logged in", count(self.players))?;
        {
            let mut family = encoder.encode_descriptor(
                "zone_realm_players",
                "Players in each realm",
                None,
                MetricType::Gauge,
            )?;
            for (realm, players) in &self.realms {
                let metric = ConstGauge::new(count(*players));
                metric.encode(family.encode_family(&[("realm", realm.as_str())])?)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "zone_connections",
                "Open ChatNet connections, by state (pre_login, logged_in)",
                None,
                MetricType::Gauge,
            )?;
            for (state, n) in [("pre_login", self.pre_login), ("logged_in", self.players)] {
                ConstGauge::new(count(n)).encode(family.encode_family(&[("state", state)])?)?;
            }
        }
        let counter =
            |encoder: &mut DescriptorEncoder, name: &str, help: &str, unit: Option<&Unit>, value: u64| {
                let metric = ConstCounter::new(value);
                metric.encode(encoder.encode_descriptor(name, help, unit, metric.metric_type())?)
            };
        counter(&mut encoder, "zone_lines_received", "ChatNet lines received", None, self.traffic[0])?;
        counter(&mut encoder, "zone_lines_sent", "Lines sent to players", None, self.traffic[1])?;
        counter(
            &mut encoder,
            "zone_sent",
            "Bytes written to ChatNet sockets",
            Some(&Unit::Bytes),
            self.traffic[2],
        )?;
        {
            let mut family = encoder.encode_descriptor(
                "zone_commands",
                "Command lines by command and outcome (ok, usage_error, handler_error, denied, refused: wrong form or outside the attach scope, unknown)",
                None,
                MetricType::Counter,
            )?;
            for (command, component, outcome, n) in &self.commands {
                let labels = [("command", command.as_str()), ("component", component), ("outcome", outcome)];
                ConstCounter::new(*n).encode(family.encode_family(&labels)?)?;
            }
        }
        {
            let mut metric = encoder.encode_descriptor(
                "zone_command_duration",
                "Handler time of sampled command calls (the first of each command on each thread, then one in 16)",
                Some(&Unit::Seconds),
                MetricType::Histogram,
            )?;
            let mut cumulative = 0;
            let mut buckets = Vec::with_capacity(self.latency.buckets.len());
            for (i, n) in self.latency.buckets.iter().enumerate() {
                cumulative += n;
                let bound = cmdman::LATENCY_BUCKETS_NS.get(i).map_or(f64::INFINITY, |&ns| ns as f64 / 1e9);
                buckets.push((bound, cumulative));
            }
            metric.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                self.latency.sum.as_secs_f64(),
                cumulative,
                &buckets,
                None,
            )?;
        }
        let metric = ConstGauge::new(self.uptime.as_secs_f64());
        metric.encode(encoder.encode_descriptor(
            "zone_uptime",
            "Time since the zone started",
            Some(&Unit::Seconds),
            metric.metric_type(),
        )?)?;
        Ok(())
    }
}

/// The body of `GET /metrics`: the zone's metrics in the OpenMetrics text
/// format (`application/openmetrics-text; version=1.0.0`), ending `# EOF`.
/// `pre_login` is the count of connections not yet logged in.
pub fn render(zone: &Zone, pre_login: usize) -> String {
    let meters = zone.meters();
    let _one_at_a_time = meters.scrape.lock();
    let mut live = Registry::default();
    live.register_collector(Box::new(Live::read(zone, pre_login)));
    let mut out = String::with_capacity(16 * 1024);
    // Writing to a String cannot fail; an encoder error would be a bug in a
    // name, and leaves the output as far as it got.
    let _ = prometheus_client::encoding::text::encode_registry(&mut out, &meters.registry);
    let _ = prometheus_client::encoding::text::encode_registry(&mut out, &live);
    let _ = prometheus_client::encoding::text::encode_eof(&mut out);
    out
}

/// The `Content-Type` of [`render`]'s body.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
