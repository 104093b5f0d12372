//! Events and timers (seed 000: components react to events, not only
//! commands). The zone emits a [`ZoneEvent`] at each login, logout, realm
//! entry and exit, freq change and public chat line; each reaches the
//! components attached to a scope that holds where it happened (a login or
//! logout: components attached zone-wide), compiled ones through
//! [`Listener`] and script ones through `on(kind, function(event) … end)`.
//!
//! Events and timers run on one thread of their own, `scripts`, fed by a
//! bounded queue: a script never runs under the zone's locks, and the zone
//! never waits for a script. When the queue is full events are dropped and
//! counted (the log says how many, at most once a minute).
//!
//! Timers (`after(secs, fn)`, `every(secs, fn)`, `cancel(id)`,
//! `running(id)`) belong to a component while it is attached somewhere:
//! they are set from its handlers (its `on("attach", …)` is the place for a
//! periodic one), at most [`ScriptLimits::timers`](config::ScriptLimits)
//! at once and no shorter than its `min_period`, and all cancelled when it
//! is attached nowhere any more or uninstalled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use cmdman::{Location, RealmId, Scope};
use mlua::{Function, Lua, RegistryKey, Table};
use parking_lot::Mutex;
use tracing::{info, warn};

use super::ScriptComponent;
use crate::throttle::LogQuota;
use crate::zone::Zone;

/// What a component may hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A player logged in (`event.player`).
    Login,
    /// A player logged out or was disconnected.
    Logout,
    /// A player entered a realm (`event.realm`).
    Enter,
    /// A player left a realm.
    Leave,
    /// A player changed freq (`event.freq`).
    Freq,
    /// A player said something in public in a realm (`event.text`); read
    /// only, it is delivered as usual.
    Chat,
    /// The component was attached somewhere, having been attached nowhere.
    Attach,
    /// The component is attached nowhere any more; its timers are gone.
    Detach,
}

impl EventKind {
    /// Every kind, as `on` names them.
    pub const ALL: [EventKind; 8] = [
        EventKind::Login,
        EventKind::Logout,
        EventKind::Enter,
        EventKind::Leave,
        EventKind::Freq,
        EventKind::Chat,
        EventKind::Attach,
        EventKind::Detach,
    ];

    /// The name scripts use: `login`, `logout`, `enter`, `leave`, `freq`,
    /// `chat`, `attach`, `detach`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Login => "login",
            EventKind::Logout => "logout",
            EventKind::Enter => "enter",
            EventKind::Leave => "leave",
            EventKind::Freq => "freq",
            EventKind::Chat => "chat",
            EventKind::Attach => "attach",
            EventKind::Detach => "detach",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Something that happened in the zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneEvent {
    /// A player logged in.
    Login {
        /// Their name.
        player: Arc<str>,
    },
    /// A player logged out or was disconnected.
    Logout {
        /// Their name.
        player: Arc<str>,
    },
    /// A player entered a realm.
    Enter {
        /// Their name.
        player: Arc<str>,
        /// The realm.
        realm: RealmId,
        /// Its name.
        realm_name: Arc<str>,
    },
    /// A player left a realm (for another, or by logging out).
    Leave {
        /// Their name.
        player: Arc<str>,
        /// The realm.
        realm: RealmId,
        /// Its name.
        realm_name: Arc<str>,
    },
    /// A player changed freq.
    Freq {
        /// Their name.
        player: Arc<str>,
        /// Where.
        location: Location,
        /// The realm's name.
        realm_name: Arc<str>,
        /// The new freq.
        freq: u16,
    },
    /// A public chat line.
    Chat {
        /// Who said it.
        player: Arc<str>,
        /// Where.
        location: Location,
        /// The realm's name.
        realm_name: Arc<str>,
        /// What was said.
        text: Arc<str>,
    },
}

impl ZoneEvent {
    /// Its kind.
    pub fn kind(&self) -> EventKind {
        match self {
            ZoneEvent::Login { .. } => EventKind::Login,
            ZoneEvent::Logout { .. } => EventKind::Logout,
            ZoneEvent::Enter { .. } => EventKind::Enter,
            ZoneEvent::Leave { .. } => EventKind::Leave,
            ZoneEvent::Freq { .. } => EventKind::Freq,
            ZoneEvent::Chat { .. } => EventKind::Chat,
        }
    }

    /// Where it happened: the zone for logins and logouts.
    pub fn location(&self) -> Location {
        match self {
            ZoneEvent::Login { .. } | ZoneEvent::Logout { .. } => Location::default(),
            ZoneEvent::Enter { realm, .. } | ZoneEvent::Leave { realm, .. } => {
                Location { realm: Some(*realm), game: None }
            }
            ZoneEvent::Freq { location, .. } | ZoneEvent::Chat { location, .. } => *location,
        }
    }

    /// The player it is about.
    pub fn player(&self) -> &str {
        match self {
            ZoneEvent::Login { player }
            | ZoneEvent::Logout { player }
            | ZoneEvent::Enter { player, .. }
            | ZoneEvent::Leave { player, .. }
            | ZoneEvent::Freq { player, .. }
            | ZoneEvent::Chat { player, .. } => player,
        }
    }

    fn to_lua(&self, lua: &Lua) -> mlua::Result<Table> {
        let table = lua.create_table()?;
        table.set("kind", self.kind().as_str())?;
        table.set("player", self.player())?;
        match self {
            ZoneEvent::Login { .. } | ZoneEvent::Logout { .. } => {}
            ZoneEvent::Enter { realm_name, .. } | ZoneEvent::Leave { realm_name, .. } => {
                table.set("realm", &**realm_name)?;
            }
            ZoneEvent::Freq { realm_name, freq, .. } => {
                table.set("realm", &**realm_name)?;
                table.set("freq", *freq)?;
            }
            ZoneEvent::Chat { realm_name, text, .. } => {
                table.set("realm", &**realm_name)?;
                table.set("text", &**text)?;
            }
        }
        Ok(table)
    }
}

/// A compiled component's ears: the same events scripts get, where its
/// component is attached. Register one with
/// `#[linkme::distributed_slice(zone_server::script::events::LISTENERS)]`.
/// It runs on the `scripts` thread, so it may take its time, but not
/// forever: the events behind it wait.
pub trait Listener: Sync {
    /// The component whose attachments decide where it hears.
    fn component(&self) -> &'static str;

    /// The kinds it wants (others are never queued for it).
    fn kinds(&self) -> &'static [EventKind];

    /// One event, in a scope its component is attached to.
    fn on(&self, zone: &Zone, event: &ZoneEvent);
}

/// Every compiled [`Listener`].
#[linkme::distributed_slice]
pub static LISTENERS: [&'static dyn Listener];

/// Events waiting for the `scripts` thread, at most.
pub const QUEUE: usize = 4096;

/// What the `scripts` thread is asked to do.
pub(crate) enum Job {
    /// Deliver an event to the components attached where it happened, as
    /// the tables were when it happened.
    Event(ZoneEvent, Arc<cmdman::Tables>),
    /// A timer was set, or a component's attachment changed: look again.
    Wake,
}

/// The zone's side of the queue: cheap to call on every event, and a
/// no-op for kinds nobody listens to.
#[derive(Debug)]
pub struct Emitter {
    sender: OnceLock<SyncSender<Job>>,
    /// The zone, for its attachments when an event happens.
    zone: OnceLock<std::sync::Weak<Zone>>,
    wanted: AtomicU8,
    dropped: AtomicU64,
    quota: LogQuota,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Event(event, _) => f.debug_tuple("Event").field(event).finish(),
            Job::Wake => f.write_str("Wake"),
        }
    }
}

impl Default for Emitter {
    fn default() -> Emitter {
        Emitter {
            sender: OnceLock::new(),
            zone: OnceLock::new(),
            wanted: AtomicU8::new(0),
            dropped: AtomicU64::new(0),
            quota: LogQuota::new(1),
        }
    }
}

impl Emitter {
    /// Whether some listener wants `kind` (building the event may be skipped
    /// otherwise).
    pub fn wants(&self, kind: EventKind) -> bool {
        self.wanted.load(Ordering::Relaxed) & kind.bit() != 0
    }

    /// Queues `event` for the listeners that want its kind, with the
    /// attachments as they are now: who hears it is decided by where
    /// components were attached when it happened.
    pub fn emit(&self, event: ZoneEvent) {
        if !self.wants(event.kind()) {
            return;
        }
        let Some(zone) = self.zone.get().and_then(std::sync::Weak::upgrade) else { return };
        self.send(Job::Event(event, zone.registry().tables()));
    }

    pub(crate) fn send(&self, job: Job) {
        let Some(sender) = self.sender.get() else { return };
        match sender.try_send(job) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(left_out) = self.quota.take() {
                    warn!(dropped, left_out, "component events dropped: the scripts thread is behind");
                }
            }
        }
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn set_wanted(&self, kinds: u8) {
        self.wanted.store(kinds, Ordering::Relaxed);
    }
}

/// One timer of a component.
pub(crate) struct Timer {
    id: u64,
    due: Instant,
    period: Option<Duration>,
    callback: RegistryKey,
}

/// A component's timers, and whether it is attached anywhere.
#[derive(Default)]
pub(crate) struct Clock {
    timers: Mutex<Vec<Timer>>,
    attached: AtomicBool,
    /// The attachment changed and `on("attach")`/`on("detach")` has not
    /// run for it yet (a flag, not a queued job: it cannot be dropped, and
    /// the handler sees the state as it is when it runs).
    pending: AtomicBool,
    next_id: AtomicU64,
}

impl Clock {
    /// Whether the component is attached somewhere now.
    pub(crate) fn attached(&self) -> bool {
        self.attached.load(Ordering::Relaxed)
    }

    fn next_due(&self) -> Option<Instant> {
        self.timers.lock().iter().map(|timer| timer.due).min()
    }

    pub(crate) fn cancel_all(&self) {
        self.timers.lock().clear();
    }
}

/// Sets `after`, `every`, `cancel`, `running` and `on` in a component's VM.
pub(crate) fn install_api(
    lua: &Lua,
    clock: &Arc<Clock>,
    handlers: &Arc<Mutex<Option<BTreeMap<EventKind, RegistryKey>>>>,
    limits: &config::ScriptLimits,
    wake: &Arc<Emitter>,
) -> mlua::Result<()> {
    let globals = lua.globals();
    let set = |repeat: bool| {
        let (clock, wake, limits) = (clock.clone(), wake.clone(), limits.clone());
        move |lua: &Lua, (secs, callback): (f64, Function)| -> mlua::Result<u64> {
            if !clock.attached() {
                return Err(mlua::Error::runtime(
                    "timers run while the component is attached somewhere: set them in on(\"attach\", ...) \
                     or in a command or event handler",
                ));
            }
            let delay = Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
            if delay < limits.min_period || delay > Duration::from_secs(86_400) {
                return Err(mlua::Error::runtime(format!(
                    "a timer waits from {} s to a day, not {secs} s",
                    limits.min_period.as_secs_f64()
                )));
            }
            let mut timers = clock.timers.lock();
            if timers.len() >= limits.timers {
                return Err(mlua::Error::runtime(format!(
                    "a component may have {} timers at once; cancel one first",
                    limits.timers
                )));
            }
            let id = clock.next_id.fetch_add(1, Ordering::Relaxed) + 1;
            let callback = lua.create_registry_value(callback)?;
            timers.push(Timer { id, due: Instant::now() + delay, period: repeat.then_some(delay), callback });
            drop(timers);
            wake.send(Job::Wake);
            Ok(id)
        }
    };
    globals.set("after", lua.create_function(set(false))?)?;
    globals.set("every", lua.create_function(set(true))?)?;
    let timers = clock.clone();
    globals.set(
        "cancel",
        lua.create_function(move |_, id: u64| {
            let mut list = timers.timers.lock();
            let before = list.len();
            list.retain(|timer| timer.id != id);
            Ok(list.len() < before)
        })?,
    )?;
    let timers = clock.clone();
    globals.set(
        "running",
        lua.create_function(move |_, id: u64| Ok(timers.timers.lock().iter().any(|timer| timer.id == id)))?,
    )?;
    let handlers = handlers.clone();
    globals.set(
        "on",
        lua.create_function(move |lua, (kind, handler): (String, Function)| {
            let Some(kind) = EventKind::from_name(&kind) else {
                let kinds: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
                return Err(mlua::Error::runtime(format!(
                    "there is no event '{kind}'; the events are {}",
                    kinds.join(", ")
                )));
            };
            let mut handlers = handlers.lock();
            let Some(handlers) = handlers.as_mut() else {
                return Err(mlua::Error::runtime("handlers are set when the component loads, not later"));
            };
            handlers.insert(kind, lua.create_registry_value(handler)?);
            Ok(())
        })?,
    )?;
    Ok(())
}

/// The `scripts` thread: delivers events and fires timers until the zone
/// is gone.
pub(crate) fn start(
    components: Arc<Mutex<BTreeMap<String, Arc<ScriptComponent>>>>,
    zone: super::ZoneLink,
    emitter: &Arc<Emitter>,
) {
    let (sender, jobs) = std::sync::mpsc::sync_channel(QUEUE);
    if emitter.sender.set(sender).is_err() {
        return;
    }
    if let Some(zone) = zone.get() {
        let _ = emitter.zone.set(Arc::downgrade(&zone));
    }
    let runner = Runner { components, zone, errors: LogQuota::new(60) };
    let started = std::thread::Builder::new().name("scripts".to_owned()).spawn(move || runner.run(&jobs));
    if let Err(error) = started {
        warn!("the scripts thread could not start, so component events and timers are off: {error}");
    }
}

struct Runner {
    components: Arc<Mutex<BTreeMap<String, Arc<ScriptComponent>>>>,
    zone: super::ZoneLink,
    errors: LogQuota,
}

impl Runner {
    fn run(&self, jobs: &Receiver<Job>) {
        loop {
            // The components' own functions keep the queue open, so the
            // thread ends when the zone has gone, looked at each second.
            if self.zone.get().is_none() {
                return;
            }
            let next = self.components.lock().values().filter_map(|c| c.clock.next_due()).min();
            let most = Instant::now() + Duration::from_secs(1);
            let due = next.map_or(most, |due| due.min(most));
            let job = jobs.recv_timeout(due.saturating_duration_since(Instant::now()));
            match job {
                Ok(Job::Event(event, tables)) => self.deliver(&event, &tables),
                Ok(Job::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            self.attachments_changed();
            self.fire_due();
        }
    }

    /// Runs `on("attach")` or `on("detach")` of each component whose
    /// attachment changed since it last looked, as it is now.
    fn attachments_changed(&self) {
        let components: Vec<Arc<ScriptComponent>> = self.components.lock().values().cloned().collect();
        for component in components {
            if !component.clock.pending.swap(false, Ordering::Relaxed) {
                continue;
            }
            let attached = component.clock.attached();
            let kind = if attached { EventKind::Attach } else { EventKind::Detach };
            self.call(&component, kind, |lua| {
                let table = lua.create_table()?;
                table.set("kind", kind.as_str())?;
                Ok(table)
            });
            if !component.clock.attached() {
                component.clock.cancel_all();
            }
        }
    }

    /// Calls every listener of `event`'s kind whose component is attached
    /// to a scope holding where it happened.
    fn deliver(&self, event: &ZoneEvent, tables: &cmdman::Tables) {
        let Some(zone) = self.zone.get() else { return };
        let attachments = tables.attachments();
        let location = event.location();
        let hears = |component: &str| {
            attachments
                .iter()
                .any(|(name, scope): &(&str, Scope)| *name == component && scope.contains(location))
        };
        for listener in LISTENERS.iter() {
            if listener.kinds().contains(&event.kind()) && hears(listener.component()) {
                listener.on(&zone, event);
            }
        }
        let components: Vec<Arc<ScriptComponent>> = self.components.lock().values().cloned().collect();
        for component in components {
            if hears(&component.manifest.name) {
                self.call(&component, event.kind(), |lua| event.to_lua(lua));
            }
        }
    }

    /// Runs `component`'s handler for `kind`, if it has one.
    fn call(
        &self,
        component: &ScriptComponent,
        kind: EventKind,
        event: impl FnOnce(&Lua) -> mlua::Result<Table>,
    ) {
        if !component.handlers.contains_key(&kind) {
            return;
        }
        let result = component.run(|lua| {
            let Some(key) = component.handlers.get(&kind) else { return Ok(()) };
            let handler: Function = lua.registry_value(key)?;
            handler.call::<()>(event(lua)?)
        });
        if let Err(failure) = result
            && let Some(left_out) = self.errors.take()
        {
            warn!(component = %component.manifest.name, event = kind.as_str(), left_out, "event handler: {failure}");
        }
    }

    /// Fires the timers that are due, each once, rescheduling periodic ones.
    fn fire_due(&self) {
        let now = Instant::now();
        let components: Vec<Arc<ScriptComponent>> = self.components.lock().values().cloned().collect();
        for component in components {
            let due: Vec<u64> = {
                let mut timers = component.clock.timers.lock();
                let due: Vec<u64> =
                    timers.iter().filter(|timer| timer.due <= now).map(|timer| timer.id).collect();
                for timer in timers.iter_mut().filter(|timer| timer.due <= now) {
                    if let Some(period) = timer.period {
                        // Late by more than a period: skip, do not burst.
                        timer.due = (timer.due + period).max(now);
                    }
                }
                due
            };
            for id in due {
                let result = component.run(|lua| {
                    let callback: Option<Function> = {
                        let timers = component.clock.timers.lock();
                        match timers.iter().find(|timer| timer.id == id) {
                            Some(timer) => Some(lua.registry_value(&timer.callback)?),
                            None => None,
                        }
                    };
                    // One-shot timers go before they run, so they may set another.
                    component.clock.timers.lock().retain(|timer| timer.id != id || timer.period.is_some());
                    match callback {
                        Some(callback) => callback.call::<()>(()),
                        None => Ok(()),
                    }
                });
                if let Err(failure) = result
                    && let Some(left_out) = self.errors.take()
                {
                    warn!(component = %component.manifest.name, left_out, "timer: {failure}");
                }
            }
        }
    }
}

/// Whether each loaded component is attached anywhere now; tells the
/// `scripts` thread of each change (it calls `on("attach")` or
/// `on("detach")`, and cancels the timers of one attached nowhere).
pub(crate) fn attachments_changed(
    components: &Mutex<BTreeMap<String, Arc<ScriptComponent>>>,
    attached_now: &[(&'static str, Scope)],
    emitter: &Emitter,
) {
    let components: Vec<Arc<ScriptComponent>> = components.lock().values().cloned().collect();
    for component in components {
        let now = attached_now.iter().any(|(name, _)| *name == component.manifest.name);
        let before = component.clock.attached.swap(now, Ordering::Relaxed);
        if before != now {
            info!(component = %component.manifest.name, attached = now, "script component attachment changed");
            if !now {
                component.clock.cancel_all();
            }
            component.clock.pending.store(true, Ordering::Relaxed);
            emitter.send(Job::Wake);
        }
    }
}

/// The kinds some listener wants: every compiled [`Listener`]'s, and the
/// loaded scripts' handlers.
pub(crate) fn wanted(components: &Mutex<BTreeMap<String, Arc<ScriptComponent>>>) -> u8 {
    let compiled =
        LISTENERS.iter().flat_map(|listener| listener.kinds().iter()).fold(0, |bits, kind| bits | kind.bit());
    components
        .lock()
        .values()
        .flat_map(|component| component.handlers.keys())
        .fold(compiled, |bits, kind| bits | kind.bit())
}
