//! The schema of `zone.ron`: what the zone listens on, its cmd chars, realms,
//! account policy and limits. Every field may be left out; its default is in
//! its doc and in the shipped `default/zone.ron`.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// `zone.ron`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZoneConfig {
    /// The zone's name, shown to players when they log in.
    ///
    /// # Default
    /// `"zone-server"`
    pub name: String,
    /// The message of the day: sent to every player after the welcome line
    /// at login, one `MSG:ARENA:` line per line of text (`"\n"` starts a
    /// new line). No control characters other than the line breaks; at
    /// most 20 lines of at most 250 characters each.
    ///
    /// # Default
    /// `""` (none)
    pub motd: String,
    /// The TCP address the ChatNet listener binds; `--listen` overrides it.
    ///
    /// # Default
    /// `"127.0.0.1:5000"`
    pub listen: SocketAddr,
    /// Where the Prometheus metrics endpoint (`GET /metrics`, text format)
    /// listens, if anywhere (DESIGN §13). Anyone who reaches it can read
    /// the zone's load: keep it on loopback or a private network.
    ///
    /// # Default
    /// `None` (off)
    pub metrics_listen: Option<SocketAddr>,
    /// Where the admin web page listens, if anywhere (DESIGN §13): staff
    /// log in with their zone account to see and edit player groups,
    /// rules and memberships. It speaks plain HTTP and its session cookie
    /// is `Secure`: off loopback, serve it through a TLS proxy.
    ///
    /// # Default
    /// `None` (off)
    pub admin_listen: Option<SocketAddr>,
    /// Threads the zone's async runtime runs players' connections, commands
    /// and chat on, 1 to [`MAX_RUNTIME_THREADS`]. `None`: the
    /// `TOKIO_WORKER_THREADS` environment variable if set, else one per CPU
    /// core. Fewer leave a machine's other busy programs their cores
    /// (BENCHMARKS.md, "Load", measures one and two beside a load generator
    /// on two cores). Read at start only.
    ///
    /// # Default
    /// `None` (one per CPU core)
    pub runtime_threads: Option<usize>,
    /// The cmd chars that start a command; the first is assumed for a
    /// `SEND:CMD` line without one. Punctuation only.
    ///
    /// # Default
    /// `['?', '*']`
    pub cmd_chars: Vec<char>,
    /// The freq players are put on when they enter a realm (ChatNet clients
    /// are spectators, ship 8).
    ///
    /// # Default
    /// `8025`, the spectator freq of ASSS.
    pub spec_freq: u16,
    /// Components attached zone-wide at start-up: their commands work
    /// everywhere. Each is a component compiled into the server or an
    /// installed script component; a name that is neither is reported by
    /// `?health` and `zone-server component list`, and the zone starts
    /// without it.
    ///
    /// # Default
    /// [`BUILT_IN_COMPONENTS`], every built-in.
    pub components: Vec<String>,
    /// Realms that exist from start-up, in order; `GO:` with no name enters the
    /// first public one. Other realms are created when a player enters them and
    /// removed when the last player leaves.
    ///
    /// # Default
    /// One public realm, `lobby`.
    pub realms: Vec<RealmConfig>,
    /// Where the zone keeps what it stores (accounts, edits, sanctions, the
    /// audit log): `Sqlite`, the embedded `zone.db` in the data directory,
    /// or `Postgres(url: "postgres://user:password@host:port/database")`, a
    /// PostgreSQL database several zones may share (DESIGN §11). The
    /// `DATABASE_URL` environment variable, when set, chooses PostgreSQL at
    /// that URL instead.
    ///
    /// # Default
    /// `Sqlite`
    pub store: StoreConfig,
    /// Who may log in, and how passwords are hashed.
    pub accounts: AccountsConfig,
    /// Limits on input, connections and realms.
    pub limits: Limits,
    /// What each script component may spend (DESIGN §12).
    pub scripts: ScriptLimits,
    /// What clients of the metrics endpoint and the admin page may make the
    /// zone spend (DESIGN §13).
    pub http: HttpLimits,
}

/// Bounds of the metrics endpoint and the admin page ([`ZoneConfig::http`]):
/// connections, time, request bodies and admin sessions. Each listener
/// serves one request per connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Connections one listener (metrics, admin) serves at once; one more
    /// is closed at once, unanswered.
    ///
    /// # Default
    /// `64`
    pub connections_per_listener: usize,
    /// How long a client has to send a request's line and headers before
    /// its connection is closed.
    ///
    /// # Default
    /// `"10s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub header_timeout: Duration,
    /// How long one connection may last, request and response together;
    /// then it is closed, whatever it is doing.
    ///
    /// # Default
    /// `"30s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub connection_time: Duration,
    /// Bytes of one request body to the admin page, at least 1024; a larger
    /// one is answered `413 Payload Too Large`.
    ///
    /// # Default
    /// `16384`
    pub body_bytes: usize,
    /// Admin page sessions at once, over all accounts; a login past it
    /// ends the oldest session.
    ///
    /// # Default
    /// `256`
    pub sessions: usize,
    /// Admin page sessions one account may have at once; a login past it
    /// ends that account's oldest session.
    ///
    /// # Default
    /// `4`
    pub sessions_per_account: usize,
    /// An admin page session unused this long ends: the next request is
    /// sent to the login page.
    ///
    /// # Default
    /// `"30m"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub session_idle: Duration,
    /// Every admin page session ends this long after its login, used or
    /// not.
    ///
    /// # Default
    /// `"12h"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub session_lifetime: Duration,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            connections_per_listener: 64,
            header_timeout: Duration::from_secs(10),
            connection_time: Duration::from_secs(30),
            body_bytes: 16 * 1024,
            sessions: 256,
            sessions_per_account: 4,
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// What one script component may spend ([`ZoneConfig::scripts`]): its
/// memory, the work of one call, its timers and its files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptLimits {
    /// Memory one component's Luau VM may hold, in KiB; an allocation past
    /// it fails the call.
    ///
    /// # Default
    /// `16384` (16 MiB)
    pub memory_kib: usize,
    /// Steps one call into a script (a command, an event, a timer) may take:
    /// a step is one loop iteration or one function call, where Luau checks
    /// for interrupts. Past it the call is cut off.
    ///
    /// # Default
    /// `1000000`
    pub budget: u64,
    /// Timers one component may have set at once.
    ///
    /// # Default
    /// `16`
    pub timers: usize,
    /// The shortest delay or period of a timer.
    ///
    /// # Default
    /// `"1s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub min_period: Duration,
    /// Files one component may keep in its files folder.
    ///
    /// # Default
    /// `256`
    pub files: usize,
    /// Bytes one file may hold.
    ///
    /// # Default
    /// `65536`
    pub file_bytes: usize,
    /// Bytes all of one component's files may hold together.
    ///
    /// # Default
    /// `4194304` (4 MiB)
    pub files_bytes: usize,
}

impl Default for ScriptLimits {
    fn default() -> ScriptLimits {
        ScriptLimits {
            memory_kib: 16 * 1024,
            budget: 1_000_000,
            timers: 16,
            min_period: Duration::from_secs(1),
            files: 256,
            file_bytes: 64 * 1024,
            files_bytes: 4 * 1024 * 1024,
        }
    }
}

impl Default for ZoneConfig {
    fn default() -> ZoneConfig {
        ZoneConfig {
            name: "zone-server".to_owned(),
            motd: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            metrics_listen: None,
            admin_listen: None,
            runtime_threads: None,
            cmd_chars: vec!['?', '*'],
            spec_freq: 8025,
            components: BUILT_IN_COMPONENTS.iter().map(|&name| name.to_owned()).collect(),
            realms: vec![RealmConfig {
                name: "lobby".to_owned(),
                public: true,
                components: Vec::new(),
                games: Vec::new(),
            }],
            store: StoreConfig::Sqlite,
            accounts: AccountsConfig::default(),
            limits: Limits::default(),
            scripts: ScriptLimits::default(),
            http: HttpLimits::default(),
        }
    }
}

/// Where a zone keeps what it stores ([`ZoneConfig::store`]). Its `Debug`
/// leaves out the URL's password.
#[derive(Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub enum StoreConfig {
    /// `zone.db`, an SQLite database in the data directory.
    #[default]
    Sqlite,
    /// A PostgreSQL database.
    Postgres {
        /// A libpq connection URL or key=value string
        /// (`postgres://zone:secret@127.0.0.1:5432/zones`). Its password is
        /// never logged.
        url: String,
    },
}

/// One realm declared in config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealmConfig {
    /// The realm's name: 1 to [`Limits::realm_name_length`] characters, ASCII
    /// letters, digits, `_` or `-`; compared case-insensitively and shown in
    /// lower case.
    pub name: String,
    /// Whether `GO:` with no name may pick this realm and `?arena` lists it.
    ///
    /// # Default
    /// `true`
    #[serde(default = "yes")]
    pub public: bool,
    /// Components attached to this realm at start-up: their commands work
    /// only here, and a name here hides the same name attached zone-wide.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub components: Vec<String>,
    /// Games inside this realm: named sub-scopes players join with `?join`.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub games: Vec<GameConfig>,
}

/// One game declared inside a realm.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GameConfig {
    /// The game's name, unique within its realm; the same rules as realm names.
    pub name: String,
    /// Components attached to this game at start-up: their commands work only
    /// for players in the game.
    ///
    /// # Default
    /// `[]`
    #[serde(default)]
    pub components: Vec<String>,
}

/// The most [`ZoneConfig::runtime_threads`] may ask for: more than any
/// machine's cores only adds memory and switching.
pub const MAX_RUNTIME_THREADS: usize = 1024;

/// The components compiled into zone-server, attached zone-wide by default.
pub const BUILT_IN_COMPONENTS: &[&str] = &[
    "usage",
    "help",
    "find",
    "realm",
    "uptime",
    "game",
    "components",
    "stats",
    "groups",
    "staff",
    "moderation",
    "staffchat",
    "channels",
    "info",
    "account",
    "ignore",
    "messages",
    "announce",
    "teams",
];

fn yes() -> bool {
    true
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Sqlite => f.write_str("Sqlite"),
            StoreConfig::Postgres { url } => {
                // postgres://user:password@host/db → postgres://user:…@host/db
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        let credentials = &url[scheme + 3..at];
                        match credentials.split_once(':') {
                            Some((user, _)) => format!("{}{user}:…{}", &url[..scheme + 3], &url[at..]),
                            None => url.clone(),
                        }
                    }
                    _ if url.contains("password") => "(a key=value URL with a password)".to_owned(),
                    _ => url.clone(),
                };
                f.debug_struct("Postgres").field("url", &shown).finish()
            }
        }
    }
}

/// Account policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Whether a login with an unknown name creates an account. With `false`,
    /// only names already in the data directory may log in.
    ///
    /// # Default
    /// `true`
    pub allow_new: bool,
    /// The argon2id cost of password hashes. Existing hashes keep the cost they
    /// were made with.
    pub password_hashing: PasswordHashing,
    /// Time between saves of online players' connected time, so a crash
    /// (`kill -9`, power loss) loses at most one period of it. A save that
    /// fails is retried at the next one. A duration (`"60s"`, `"250ms"`) or
    /// whole seconds, 100ms to 1d.
    ///
    /// # Default
    /// `"60s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub usage_checkpoint: Duration,
}

impl Default for AccountsConfig {
    fn default() -> AccountsConfig {
        AccountsConfig {
            allow_new: true,
            password_hashing: PasswordHashing::default(),
            usage_checkpoint: Duration::from_secs(60),
        }
    }
}

/// argon2id parameters (RFC 9106). The defaults are the argon2 crate's, which
/// follow OWASP's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHashing {
    /// Memory per hash, in KiB.
    ///
    /// # Default
    /// `19456` (19 MiB)
    pub memory_kib: u32,
    /// Passes over the memory.
    ///
    /// # Default
    /// `2`
    pub iterations: u32,
    /// Lanes.
    ///
    /// # Default
    /// `1`
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    fn default() -> PasswordHashing {
        PasswordHashing { memory_kib: 19456, iterations: 2, parallelism: 1 }
    }
}

/// Limits (DESIGN §8). Each has a documented answer when it is reached.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The longest input line, in bytes, without its terminator. A longer line
    /// is dropped whole and answered with an error line.
    ///
    /// # Default
    /// `512`
    pub line_length: usize,
    /// Input lines a connection may send per second; lines past it are dropped
    /// and the player is warned once a second.
    ///
    /// # Default
    /// `50`
    pub lines_per_second: u32,
    /// Players logged in at once; one more login is answered `LOGINBAD:the
    /// zone is full; try again later` and closed (logging in with the name of
    /// a player online replaces them, and is never refused for this).
    /// Connections that have not logged in yet count against
    /// [`Limits::pre_login_connections`] instead.
    ///
    /// # Default
    /// `1024`
    pub connections: usize,
    /// Players logged in at once from one IPv4 address or IPv6 /64; one more
    /// login is answered `LOGINBAD:too many players from your address; try
    /// again later`.
    ///
    /// # Default
    /// `64`
    pub players_per_address: usize,
    /// Connections that have not logged in yet, from all addresses together;
    /// one more is answered `LOGINBAD:the zone is busy; try again in a
    /// moment` and closed.
    ///
    /// # Default
    /// `256`
    pub pre_login_connections: usize,
    /// Connections that have not logged in yet from one IPv4 address or IPv6
    /// /64; one more
    /// is answered `LOGINBAD:too many connections from your address; try
    /// again later` and closed.
    ///
    /// # Default
    /// `8`
    pub pre_login_per_address: usize,
    /// `LOGIN` lines one IP address may send per minute, counted from its
    /// first in a window of 60 s; past it, `LOGINBAD:too many login attempts
    /// from your address; try again in N s`.
    ///
    /// # Default
    /// `30`
    pub login_attempts_per_minute: u32,
    /// Password hashes (logins, `?grplogin`) computed at once, each on a
    /// thread of its own with a memory block it keeps; `0` means one per CPU
    /// core. Bounds the CPU and memory logins can take: memory is this times
    /// `accounts.password_hashing.memory_kib`.
    ///
    /// # Default
    /// `0` (the number of cores)
    pub password_hashers: usize,
    /// Password hashes waiting for a hasher; a login that finds the queue
    /// full is answered `LOGINBAD:the zone is busy; try again in a moment`.
    ///
    /// # Default
    /// `32`
    pub password_queue: usize,
    /// Back-off after wrong passwords, for logins and `?grplogin` alike.
    pub login_backoff: LoginBackoff,
    /// Lines a second past which a connection is flooding
    /// ([`Limits::lines_per_second`]) for this many seconds in a row, and it
    /// is disconnected (`Disconnected: you sent too many lines too fast.`).
    ///
    /// # Default
    /// `10`
    pub flood_disconnect_secs: u32,
    /// A player who keeps flooding after the warning (a second flooded second
    /// in a row) is muted for this many seconds, told so, and staff are
    /// alerted (`MSG:SYSOP`); reconnecting does not lift it.
    ///
    /// # Default
    /// `60`
    pub flood_mute_secs: u64,
    /// How long a connection may take to log in before it is closed: a
    /// duration (`"30s"`, `"500ms"`) or whole seconds, 100ms to 1d.
    ///
    /// # Default
    /// `"30s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub login_timeout: Duration,
    /// Lines queued for a player who is not reading; when the queue is full
    /// the player is disconnected, so a slow reader never slows the realm.
    ///
    /// # Default
    /// `1024`
    pub outbound_queue: usize,
    /// The keepalive period: at the end of a period in which the server sent
    /// a player nothing, it sends `NOOP` (so after one to two periods of
    /// silence), so clients and middleboxes see the connection is alive. A
    /// duration (`"60s"`) or whole seconds, 100ms to 1d.
    ///
    /// # Default
    /// `"60s"`
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub keepalive: Duration,
    /// The longest player name, in characters.
    ///
    /// # Default
    /// `20`
    pub name_length: usize,
    /// The longest realm name, in characters.
    ///
    /// # Default
    /// `15`
    pub realm_name_length: usize,
    /// Realms that may exist at once, declared ones included; entering a new
    /// realm past it is refused.
    ///
    /// # Default
    /// `100`
    pub realms: usize,
    /// Commands one `?|a|b|c` line may run.
    ///
    /// # Default
    /// `5`
    pub multi_commands: usize,
    /// Names one player may `?ignore` at once, kept with their account.
    ///
    /// # Default
    /// `50`
    pub ignores_per_player: usize,
    /// Unread offline messages (`?message`) kept for one player; one more
    /// is refused with `NAME's message box is full (20 unread); try again
    /// when they have read them.`
    ///
    /// # Default
    /// `20`
    pub messages_per_recipient: usize,
    /// Offline messages one player may send a day (UTC); one more is
    /// refused until the next day.
    ///
    /// # Default
    /// `20`
    pub messages_per_day: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            line_length: 512,
            lines_per_second: 50,
            connections: 1024,
            players_per_address: 64,
            pre_login_connections: 256,
            pre_login_per_address: 8,
            login_attempts_per_minute: 30,
            password_hashers: 0,
            password_queue: 32,
            login_backoff: LoginBackoff::default(),
            flood_disconnect_secs: 10,
            flood_mute_secs: 60,
            login_timeout: Duration::from_secs(30),
            outbound_queue: 1024,
            keepalive: Duration::from_secs(60),
            name_length: 20,
            realm_name_length: 15,
            realms: 100,
            multi_commands: 5,
            ignores_per_player: 50,
            messages_per_recipient: 20,
            messages_per_day: 20,
        }
    }
}

/// Exponential back-off after wrong passwords (DESIGN §8). Failures are
/// counted per account and per IP address, in memory, across reconnects:
/// after `free_failures` failures in a row, each further one closes logins
/// for `base_secs`, doubling with every failure up to `max_secs`. A correct
/// password clears the account's count (not the address's); a count with no
/// failure for `forget_secs` is forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginBackoff {
    /// Failures allowed before the back-off starts.
    ///
    /// # Default
    /// `3`
    pub free_failures: u32,
    /// The first wait, in seconds.
    ///
    /// # Default
    /// `5`
    pub base_secs: u64,
    /// The longest wait, in seconds; at most 30 days and at most
    /// `forget_secs`.
    ///
    /// # Default
    /// `900`
    pub max_secs: u64,
    /// Seconds without a failure after which a count is forgotten.
    ///
    /// # Default
    /// `3600`
    pub forget_secs: u64,
    /// Accounts and addresses tracked at once; past it the stalest entry is
    /// dropped, so the table's memory is bounded whatever a client does.
    ///
    /// # Default
    /// `65536`
    pub max_entries: usize,
    /// Failed logins are written to the audit log as one row per account and
    /// window of this many seconds, with a count, never one row per try.
    ///
    /// # Default
    /// `3600`
    pub audit_window_secs: u64,
}

impl Default for LoginBackoff {
    fn default() -> LoginBackoff {
        LoginBackoff {
            free_failures: 3,
            base_secs: 5,
            max_secs: 900,
            forget_secs: 3600,
            max_entries: 65536,
            audit_window_secs: 3600,
        }
    }
}

/// Whether `name` is a valid realm name under `max_len` characters.
pub fn valid_realm_name(name: &str, max_len: usize) -> bool {
    zone_names::is_realm_name(name, max_len)
}
