//! The shared harness of the integration tests: a real zone on 127.0.0.1:0 with
//! its own data directory, and a ChatNet client that reads exact lines.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cmdman::{Effect, RuleKey};
use config::{Config, PasswordHashing, ZoneConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zone_server::sanction::{Kind, Sanction, Warning};
use zone_server::store::{
    Account, AuditEntry, AuditFilter, MembershipEdit, Message, MessageLimits, Rows, RuleEdit, Sent,
    SqliteStore, Store, StoreError, Time,
};
use zone_server::{ServerConfig, ServerError};

pub mod browser;
pub mod debian;
pub mod http;
pub mod postgres;

/// How long a test waits for a line before failing. Generous: it only bounds
/// a hung test, no test measures time with it.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The default zone config with cheap password hashing, so tests log in fast.
pub fn test_config() -> ZoneConfig {
    let mut zone = Config::embedded().unwrap().zone;
    zone.accounts.password_hashing = PasswordHashing { memory_kib: 64, iterations: 1, parallelism: 1 };
    zone
}

/// A config of `zone` with the default groups and these memberships:
/// (name, group, realm).
pub fn with_staff(zone: ZoneConfig, members: &[(&str, &str, Option<&str>)]) -> Config {
    let mut config = Config::from_zone(zone);
    for (name, group, realm) in members {
        config.staff.members.push(config::Member {
            name: (*name).to_owned(),
            group: (*group).to_owned(),
            realm: realm.map(str::to_owned),
        });
    }
    config
}

/// A zone running in this process.
pub struct TestZone {
    pub addr: std::net::SocketAddr,
    /// The metrics endpoint, when started with [`TestZone::start_ops`].
    pub metrics: Option<SocketAddr>,
    /// The admin page, when started with [`TestZone::start_ops`].
    pub admin: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
    data: Option<tempfile::TempDir>,
}

impl TestZone {
    /// A zone on the test config and a new data directory.
    pub async fn start() -> TestZone {
        TestZone::start_with(test_config(), tempfile::tempdir().unwrap()).await
    }

    /// A zone on `zone` and the data directory `data` (reused across restarts).
    pub async fn start_with(zone: ZoneConfig, data: tempfile::TempDir) -> TestZone {
        TestZone::start_config(Config::from_zone(zone), data).await
    }

    /// A zone on `zone` where every player may run every command: the group
    /// `default` has all access and no rules of its own.
    pub async fn start_open(zone: ZoneConfig) -> TestZone {
        let mut config = Config::from_zone(zone);
        let default = config.groups.groups.iter_mut().find(|group| group.name == "default").unwrap();
        default.all_access = true;
        default.grant.clear();
        default.deny.clear();
        TestZone::start_config(config, tempfile::tempdir().unwrap()).await
    }

    /// A zone on `config` and the data directory `data`.
    pub async fn start_config(config: Config, data: tempfile::TempDir) -> TestZone {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let config = ServerConfig { config, data_dir: data.path().to_owned() };
        let task = tokio::spawn(zone_server::run(listener, config, async {
            let _ = stopped.await;
        }));
        TestZone { addr, metrics: None, admin: None, stop: Some(stop), task: Some(task), data: Some(data) }
    }

    /// A zone on `config` with its metrics endpoint and admin page on, each
    /// on 127.0.0.1 port 0.
    pub async fn start_ops(config: Config) -> TestZone {
        let data = tempfile::tempdir().unwrap();
        let bind = || tokio::net::TcpListener::bind("127.0.0.1:0");
        let listeners = zone_server::Listeners {
            chatnet: bind().await.unwrap(),
            metrics: Some(bind().await.unwrap()),
            admin: Some(bind().await.unwrap()),
        };
        let addr = listeners.chatnet.local_addr().unwrap();
        let metrics = listeners.metrics.as_ref().map(|l| l.local_addr().unwrap());
        let admin = listeners.admin.as_ref().map(|l| l.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let config = ServerConfig { config, data_dir: data.path().to_owned() };
        let task = tokio::spawn(zone_server::serve(listeners, config, None, async {
            let _ = stopped.await;
        }));
        TestZone { addr, metrics, admin, stop: Some(stop), task: Some(task), data: Some(data) }
    }

    /// A zone on `config` whose store is `store` (a [`FaultyStore`]).
    pub async fn start_with_store(config: Config, store: Arc<dyn Store>) -> TestZone {
        let data = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let config = ServerConfig { config, data_dir: data.path().to_owned() };
        let task = tokio::spawn(zone_server::run_with_store(listener, config, store, async {
            let _ = stopped.await;
        }));
        TestZone { addr, metrics: None, admin: None, stop: Some(stop), task: Some(task), data: Some(data) }
    }

    pub fn data_dir(&self) -> &Path {
        self.data.as_ref().unwrap().path()
    }

    /// A raw connection, not logged in.
    pub async fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (read, write) = stream.into_split();
        Client { lines: BufReader::new(read).lines(), write, name: String::new() }
    }

    /// A raw connection from the loopback address `from` (`[127, 0, 0, n]`):
    /// a client on another machine, as far as per-address limits go.
    pub async fn connect_from(&self, from: [u8; 4]) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        let (read, write) = stream.into_split();
        Client { lines: BufReader::new(read).lines(), write, name: String::new() }
    }

    /// A logged-in client from the loopback address `from`.
    pub async fn login_from(&self, name: &str, from: [u8; 4]) -> Client {
        let mut client = self.connect_from(from).await;
        client.send(&format!("LOGIN:1;test:{name}:pw")).await;
        client.expect(&format!("LOGINOK:{name}")).await;
        client.expect_prefix("MSG:ARENA:Welcome to ").await;
        client.name = name.to_owned();
        client
    }

    /// Logs in as `name` with `password`: the client and the first answer
    /// line (`LOGINOK:…` or `LOGINBAD:…`); past the welcome line when in.
    pub async fn login_as(&self, name: &str, password: &str) -> (Client, String) {
        let mut client = self.connect().await;
        client.send(&format!("LOGIN:1;test:{name}:{password}")).await;
        let answer = client.recv().await;
        if answer.starts_with("LOGINOK:") {
            client.expect_prefix("MSG:ARENA:Welcome to ").await;
            client.name = name.to_owned();
        }
        (client, answer)
    }

    /// A raw connection whose receive buffer is `bytes` (the system's
    /// automatic sizing off): a client that stops reading fills it, and
    /// the zone's side, within a few hundred KiB, whatever the machine's
    /// TCP settings.
    pub async fn connect_with_receive_buffer(&self, bytes: u32) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(bytes).unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        let (read, write) = stream.into_split();
        Client { lines: BufReader::new(read).lines(), write, name: String::new() }
    }

    /// A logged-in client (password `pw`), past the welcome line.
    pub async fn login(&self, name: &str) -> Client {
        TestZone::log_in(self.connect().await, name).await
    }

    /// Logs `client` in as `name` ([`TestZone::login`] on a connection of
    /// the test's own).
    pub async fn log_in(mut client: Client, name: &str) -> Client {
        client.send(&format!("LOGIN:1;test:{name}:pw")).await;
        client.expect(&format!("LOGINOK:{name}")).await;
        let welcome = client.recv().await;
        assert!(welcome.starts_with("MSG:ARENA:Welcome to "), "{welcome}");
        client.name = name.to_owned();
        client
    }

    /// A logged-in client that has entered `realm` and read its `INARENA`
    /// and `PLAYER` lines.
    pub async fn enter(&self, name: &str, realm: &str) -> Client {
        let mut client = self.login(name).await;
        client.go(realm).await;
        client
    }

    /// Shuts the zone down as SIGTERM would and waits for `run` to return.
    /// Returns the data directory, for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.shutdown().await;
        self.data.take().unwrap()
    }

    /// Fires the shutdown future and waits for `run` to return `Ok`.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(PATIENCE, task).await.expect("run() did not return");
            result.unwrap().unwrap();
        }
    }
}

/// A ChatNet client.
pub struct Client {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
    pub name: String,
}

impl Client {
    /// Sends one line (a `\n` is added).
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes()).await;
    }

    /// Sends bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.unwrap();
    }

    /// Sends bytes as they are; the error when the connection is gone.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write.write_all(bytes).await
    }

    /// The lines that arrive until none has for 100 ms (`NOOP`s skipped);
    /// stops at a close.
    pub async fn drain(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_millis(100), self.lines.next_line()).await
        {
            if line != "NOOP" {
                lines.push(line);
            }
        }
        lines
    }

    /// Whether the zone serves this connection before login: a line gets
    /// the "log in first" answer rather than a `LOGINBAD`.
    pub async fn admitted(&mut self) -> bool {
        if self.try_send_raw(b"SEND:PUB:x\n").await.is_err() {
            return false;
        }
        match tokio::time::timeout(PATIENCE, self.lines.next_line()).await {
            Ok(Ok(Some(line))) if line.starts_with("MSG:ARENA:error: log in first") => true,
            Ok(Ok(Some(line))) if line.starts_with("LOGINBAD:") => false,
            other => panic!("neither served nor refused: {other:?}"),
        }
    }

    /// The next line, skipping keepalive `NOOP`s; fails the test after
    /// [`PATIENCE`] or when the server closes.
    pub async fn recv(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("{}: no line from the server", self.name))
                .unwrap()
                .unwrap_or_else(|| panic!("{}: the server closed the connection", self.name));
            if line != "NOOP" {
                return line;
            }
        }
    }

    /// The next line, keepalive `NOOP`s included.
    pub async fn recv_raw(&mut self) -> String {
        tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{}: no line from the server", self.name))
            .unwrap()
            .unwrap_or_else(|| panic!("{}: the server closed the connection", self.name))
    }

    /// The next line must be `line`.
    pub async fn expect(&mut self, line: &str) {
        let got = self.recv().await;
        assert_eq!(got, line, "{}: unexpected line", self.name);
    }

    /// The next line must start with `prefix`; returns it.
    pub async fn expect_prefix(&mut self, prefix: &str) -> String {
        let got = self.recv().await;
        assert!(got.starts_with(prefix), "{}: expected {prefix:?}…, got {got:?}", self.name);
        got
    }

    /// Lines up to and including the first that satisfies `last`.
    pub async fn recv_until(&mut self, last: impl Fn(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.recv().await;
            let done = last(&line);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// The server must close the connection (after any lines, returned).
    pub async fn expect_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match tokio::time::timeout(PATIENCE, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => lines.push(line),
                Ok(Ok(None)) | Ok(Err(_)) => return lines,
                Err(_) => panic!("{}: the connection stayed open; got {lines:?}", self.name),
            }
        }
    }

    /// `GO:realm`, reading `INARENA` and the `PLAYER` lines for the others
    /// there (returned): every line up to a barrier.
    pub async fn go(&mut self, realm: &str) -> Vec<String> {
        self.send(&format!("GO:{realm}")).await;
        self.expect_prefix("INARENA:").await;
        self.barrier().await
    }

    /// Sends `line` and returns every line that arrives before a barrier: a
    /// private message to oneself sent right after it (the server handles one
    /// player's lines in order, and their queue is first in, first out).
    pub async fn command(&mut self, line: &str) -> Vec<String> {
        self.send(line).await;
        self.barrier().await
    }

    /// Lines that arrive before a round trip through the server completes.
    pub async fn barrier(&mut self) -> Vec<String> {
        let marker = format!("MSG:PRIV:{}:barrier", self.name);
        self.send(&format!("SEND:PRIV:{}:barrier", self.name)).await;
        let mut lines = self.recv_until(|line| line == marker).await;
        lines.pop();
        lines
    }
}

/// Sends `line` and returns the one reply line it gets, without a
/// `MSG:ARENA:` prefix; fails if there is not exactly one.
pub async fn ask(client: &mut Client, line: &str) -> String {
    let lines = client.command(line).await;
    assert_eq!(lines.len(), 1, "{}: {line}: {lines:?}", client.name);
    lines[0].strip_prefix("MSG:ARENA:").unwrap_or(&lines[0]).to_owned()
}

/// An SQLite store whose writes fail while `failing` is set, as on a full or
/// read-only disk (reads still work), and whose reading of the rule edits can
/// be held at a gate, as a slow disk would hold it.
pub struct FaultyStore {
    pub inner: SqliteStore,
    pub failing: AtomicBool,
    /// Refuses only the logout stamps ([`Store::touch_logouts`]): a failure
    /// between the two transactions of a session's write.
    pub failing_logouts: AtomicBool,
    gate: parking_lot::Mutex<Option<Gate>>,
    /// Holds the next read of credentials, after it is made.
    credentials_gate: parking_lot::Mutex<Option<Gate>>,
    /// Whether a held read gave up waiting for its release (5 s).
    pub gate_gave_up: AtomicBool,
}

/// Holds the next read: says when it is reached, waits for the release.
struct Gate {
    reached: std::sync::mpsc::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}

impl Gate {
    /// A gate, the sender that releases it, and the receiver that hears
    /// when it is reached.
    fn new() -> (Gate, std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>) {
        let (reached, on_reach) = std::sync::mpsc::channel();
        let (release, on_release) = std::sync::mpsc::channel();
        (Gate { reached, release: on_release }, release, on_reach)
    }
}

impl FaultyStore {
    pub fn open(dir: &Path) -> Arc<FaultyStore> {
        Arc::new(FaultyStore {
            inner: SqliteStore::open(dir).unwrap(),
            failing: AtomicBool::new(false),
            failing_logouts: AtomicBool::new(false),
            gate: parking_lot::Mutex::new(None),
            credentials_gate: parking_lot::Mutex::new(None),
            gate_gave_up: AtomicBool::new(false),
        })
    }

    /// Holds the next read of the rule edits until the returned sender
    /// sends; the returned receiver hears when the read is reached.
    pub fn hold_next_read(&self) -> (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>) {
        let (gate, release, on_reach) = Gate::new();
        *self.gate.lock() = Some(gate);
        (release, on_reach)
    }

    /// Holds the next read of credentials once it has read them (a login
    /// that has the hash, not yet checked), as [`FaultyStore::hold_next_read`].
    pub fn hold_next_credentials(&self) -> (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>) {
        let (gate, release, on_reach) = Gate::new();
        *self.credentials_gate.lock() = Some(gate);
        (release, on_reach)
    }

    /// Waits at `gate`, if set, until it is released (5 s at most).
    fn wait_at(&self, gate: &parking_lot::Mutex<Option<Gate>>) {
        let gate = gate.lock().take();
        if let Some(gate) = gate {
            let _ = gate.reached.send(());
            // Bounded, so a zone that blocks its async threads on this read
            // (and so the test that would release it) does not hang forever.
            if gate.release.recv_timeout(Duration::from_secs(5)).is_err() {
                self.gate_gave_up.store(true, Ordering::SeqCst);
            }
        }
    }

    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn write(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("database or disk is full".to_owned()));
        }
        Ok(())
    }
}

impl Store for FaultyStore {
    fn credentials(&self, name: &str) -> Result<Option<(Account, String)>, StoreError> {
        let read = self.inner.credentials(name);
        self.wait_at(&self.credentials_gate);
        read
    }
    fn create_account(&self, name: &str, hash: &str) -> Result<Option<Account>, StoreError> {
        self.write()?;
        self.inner.create_account(name, hash)
    }
    fn touch_login(&self, name: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.touch_login(name)
    }
    fn add_usage(&self, usage: &[(String, Duration)]) -> Result<(), StoreError> {
        self.write()?;
        self.inner.add_usage(usage)
    }
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.inner.account(name)
    }
    fn rule_edits(&self) -> Result<Rows<RuleEdit>, StoreError> {
        self.wait_at(&self.gate);
        self.inner.rule_edits()
    }
    fn set_rule(
        &self,
        group: &str,
        key: &RuleKey,
        effect: Option<Effect>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError> {
        self.write()?;
        self.inner.set_rule(group, key, effect, by, action)
    }
    fn memberships(&self) -> Result<Rows<MembershipEdit>, StoreError> {
        self.inner.memberships()
    }
    fn set_membership(
        &self,
        name: &str,
        realm: Option<&str>,
        group: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<Time, StoreError> {
        self.write()?;
        self.inner.set_membership(name, realm, group, by, action)
    }
    fn audit(&self, by: &str, action: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.audit(by, action)
    }
    fn audit_repeated(&self, by: &str, action: &str, window: Duration) -> Result<(), StoreError> {
        self.write()?;
        self.inner.audit_repeated(by, action, window)
    }
    fn prune_audit(&self, keep: usize) -> Result<(), StoreError> {
        self.write()?;
        self.inner.prune_audit(keep)
    }
    fn audit_search(&self, filter: &AuditFilter, count: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_search(filter, count)
    }
    fn touch_logouts(&self, logouts: &[(String, Duration)]) -> Result<(), StoreError> {
        self.write()?;
        if self.failing_logouts.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("database or disk is full".to_owned()));
        }
        self.inner.touch_logouts(logouts)
    }
    fn sanctions(&self) -> Result<Vec<Sanction>, StoreError> {
        self.inner.sanctions()
    }
    fn set_sanction(&self, sanction: &Sanction, action: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.set_sanction(sanction, action)
    }
    fn lift_sanction(&self, name: &str, kinds: &[Kind], by: &str, action: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.lift_sanction(name, kinds, by, action)
    }
    fn purge_sanctions(&self, now: i64) -> Result<(), StoreError> {
        self.write()?;
        self.inner.purge_sanctions(now)
    }
    fn add_warning(&self, warning: &Warning, action: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.add_warning(warning, action)
    }
    fn warnings(&self, name: &str) -> Result<Vec<Warning>, StoreError> {
        self.inner.warnings(name)
    }
    fn channels(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.inner.channels(name)
    }
    fn set_channels(&self, name: &str, channels: &[String]) -> Result<(), StoreError> {
        self.write()?;
        self.inner.set_channels(name, channels)
    }
    fn set_password(
        &self,
        name: &str,
        hash: &str,
        must_change: bool,
        replacing: Option<&str>,
        by: &str,
        action: &str,
    ) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.set_password(name, hash, must_change, replacing, by, action)
    }
    fn ignores(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.inner.ignores(name)
    }
    fn set_ignore(&self, name: &str, other: &str, ignore: bool) -> Result<(), StoreError> {
        self.write()?;
        self.inner.set_ignore(name, other, ignore)
    }
    fn add_message(&self, message: &Message, limits: MessageLimits) -> Result<Sent, StoreError> {
        self.write()?;
        self.inner.add_message(message, limits)
    }
    fn message_count(&self, name: &str) -> Result<usize, StoreError> {
        self.inner.message_count(name)
    }
    fn take_messages(&self, name: &str) -> Result<Vec<Message>, StoreError> {
        self.write()?;
        self.inner.take_messages(name)
    }
}
