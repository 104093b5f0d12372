//! The admin web page (DESIGN §13): staff log in with their zone account and
//! see and edit player groups, rules and memberships, bans and mutes, the
//! audit log, and ask "why".
//!
//! **Who may log in.** An account whose zone-wide group may run
//! `?adminpage` (command group `mod` by default), checked at login and at
//! every request, so a demotion applies at once. Passwords are checked like
//! a game login: the same per-address attempt limit and per-name back-off
//! ([`crate::throttle`]), the same hashers; a wrong one is audited.
//!
//! **Edits run the in-game commands.** A form becomes the command line a
//! moderator would type (`?grant mod kick`), dispatched as the staff
//! account with no session (like a command from another zone, see
//! [`crate::zone::REMOTE_SENDER`]): the same ladder, rank rules, audit
//! rows and live effect, and the replies are shown on the page.
//!
//! **Sessions and forgery.** A session is a 256-bit random token in an
//! `HttpOnly; Secure; SameSite=Strict` cookie, kept in memory within
//! `zone.ron`'s `http` limits ([`config::HttpLimits`]: so many in all and
//! per account, a login past either ending the oldest; a session ends when
//! unused for `session_idle`, and `session_lifetime` after login). Every POST must
//! carry the session's CSRF token (the login form a token of its own, in a
//! cookie), and a request whose `Origin` is not this page is refused. Pages
//! are sent with a `Content-Security-Policy` that allows only this page's
//! own script and style. Request bodies are capped at `http.body_bytes`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cmdman::{Addressee, Location, Player, Recipient, ReplySink, Request, TargetForm, Via};
use config::HttpLimits;
use parking_lot::Mutex;
use serde::Deserialize;

use crate::ops::metrics::{LoginOutcome, LoginVia};
use crate::outbox::Outbox;
use crate::throttle::Kind;
use crate::zone::{REMOTE_SENDER, Zone};

mod pages;

/// Reply lines of one command shown, at most.
const REPLY_LINES: usize = 200;

/// The session cookie.
const SESSION_COOKIE: &str = "zone_admin";

/// The login form's own CSRF cookie.
const LOGIN_COOKIE: &str = "zone_admin_login";

/// The command whose ladder decides who may use the page.
pub const GATE_COMMAND: &str = "adminpage";

/// The page's state: the zone, the sessions and their bounds.
struct Admin {
    zone: Arc<Zone>,
    sessions: Mutex<HashMap<String, Session>>,
    limits: HttpLimits,
}

#[derive(Debug, Clone)]
struct Session {
    account: String,
    csrf: String,
    created: Instant,
    last_seen: Instant,
    /// Lines to show on the next page (a command's replies).
    flash: Vec<String>,
}

/// A logged-in request's session, as handlers see it.
#[derive(Debug, Clone)]
pub(crate) struct Staff {
    token: String,
    pub(crate) account: String,
    pub(crate) csrf: String,
    pub(crate) flash: Vec<String>,
}

/// The router of the admin listener.
pub(crate) fn router(zone: Arc<Zone>) -> Router {
    let limits = zone.config().http.clone();
    let body_bytes = limits.body_bytes;
    let admin = Arc::new(Admin { zone, sessions: Mutex::new(HashMap::new()), limits });
    Router::new()
        .route("/", get(|| async { Redirect::to("/groups") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/groups", get(groups_page))
        .route("/rules", post(edit_rule))
        .route("/members", post(edit_member))
        .route("/players", get(players_page))
        .route("/sanctions", get(sanctions_page).post(lift_sanction))
        .route("/audit", get(audit_page))
        .route("/why", get(why_page))
        .route("/static/admin.css", get(|| async { static_file("text/css", pages::CSS) }))
        .route("/static/admin.js", get(|| async { static_file("text/javascript", pages::JS) }))
        .layer(DefaultBodyLimit::max(body_bytes))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(admin)
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=300")], body).into_response()
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with the
        // page's own form posts (Fetch, "serialize a request origin"), and
        // the origin check would refuse them all. `same-origin` keeps the
        // page's addresses from other sites and its own Origin for itself.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// 32 random bytes from the OS, in hex.
fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie for this browser session only (the server ends sessions itself).
fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value)).path("/").http_only(true).secure(true).same_site(SameSite::Strict).build()
}

/// A refusal page with `status`.
fn refusal(status: StatusCode, text: &str) -> Response {
    (status, pages::message_page("Refused", text)).into_response()
}

/// Whether the request comes from this page: an `Origin` (or, without
/// one, `Sec-Fetch-Site`) that names another site is refused.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else { return false };
        let Some(host) = host else { return false };
        let bare = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
        return bare == Some(host);
    }
    !matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("cross-site" | "same-site"))
}

/// The checks of every POST: same origin, and the form's CSRF token is the
/// session's.
// The error is the response itself, sent at once: axum's idiom.
#[allow(clippy::result_large_err)]
fn check_post(headers: &HeaderMap, staff: &Staff, csrf: &str) -> Result<(), Response> {
    if !same_origin(headers) {
        return Err(refusal(StatusCode::FORBIDDEN, "This request came from another site; it was refused."));
    }
    if !same_secret(csrf, &staff.csrf) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "This form is stale or forged (its CSRF token is wrong); reload the page and try again.",
        ));
    }
    Ok(())
}

impl Admin {
    /// The session of the request's cookie, if it is live and its account
    /// may still use the page; else a redirect to the login page.
    #[allow(clippy::result_large_err)] // the redirect, sent at once
    fn staff(&self, jar: &CookieJar) -> Result<Staff, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or_else(to_login)?;
        let now = Instant::now();
        let mut sessions = self.sessions.lock();
        let Some(session) = sessions.get_mut(&token) else { return Err(to_login()) };
        if self.ended(session, now) {
            sessions.remove(&token);
            return Err(to_login());
        }
        let account = session.account.clone();
        if !may_administer(&self.zone, &account) {
            sessions.remove(&token);
            return Err(refusal(StatusCode::FORBIDDEN, "Your account may no longer use the admin page."));
        }
        session.last_seen = now;
        let flash = std::mem::take(&mut session.flash);
        Ok(Staff { token, account, csrf: session.csrf.clone(), flash })
    }

    /// [`Admin::staff`] for a POST, which must also pass [`check_post`].
    #[allow(clippy::result_large_err)] // the refusal, sent at once
    fn staff_post(&self, jar: &CookieJar, headers: &HeaderMap, csrf: &str) -> Result<Staff, Response> {
        let staff = self.staff(jar)?;
        check_post(headers, &staff, csrf)?;
        Ok(staff)
    }

    fn flash(&self, staff: &Staff, lines: Vec<String>) {
        if let Some(session) = self.sessions.lock().get_mut(&staff.token) {
            session.flash = lines;
        }
    }

    /// Whether `session` has ended by `now`: unused for too long, or too
    /// long since its login.
    fn ended(&self, session: &Session, now: Instant) -> bool {
        now.duration_since(session.last_seen) > self.limits.session_idle
            || now.duration_since(session.created) > self.limits.session_lifetime
    }

    /// Starts a session for `account`, within the bounds.
    fn open_session(&self, account: &str) -> String {
        let now = Instant::now();
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, s| !self.ended(s, now));
        let oldest_of = |sessions: &HashMap<String, Session>, only: Option<&str>| {
            sessions
                .iter()
                .filter(|(_, s)| only.is_none_or(|name| s.account.eq_ignore_ascii_case(name)))
                .min_by_key(|(_, s)| s.created)
                .map(|(token, _)| token.clone())
        };
        while sessions.values().filter(|s| s.account.eq_ignore_ascii_case(account)).count()
            >= self.limits.sessions_per_account
        {
            let Some(oldest) = oldest_of(&sessions, Some(account)) else { break };
            sessions.remove(&oldest);
        }
        while sessions.len() >= self.limits.sessions {
            let Some(oldest) = oldest_of(&sessions, None) else { break };
            sessions.remove(&oldest);
        }
        let session = token();
        sessions.insert(
            session.clone(),
            Session {
                account: account.to_owned(),
                csrf: token(),
                created: now,
                last_seen: now,
                flash: Vec::new(),
            },
        );
        session
    }
}

/// Whether `name`'s zone-wide group may run [`GATE_COMMAND`].
pub fn may_administer(zone: &Zone, name: &str) -> bool {
    let tables = zone.registry().tables();
    let Some(gate) = tables
        .commands()
        .iter()
        .find(|c| c.def().name == GATE_COMMAND && !matches!(c.def().handler, cmdman::Handler::Dynamic))
    else {
        return false;
    };
    let snapshot = zone.access().snapshot();
    snapshot.allows(snapshot.member_group(name, None), gate, TargetForm::Pub)
}

/// Where a command's replies go: the sender's lines are kept for the page,
/// the target's are queued to them if they are online.
struct PageSink {
    lines: Vec<String>,
    dropped: usize,
    target: Option<Outbox>,
}

impl ReplySink for PageSink {
    fn line(&mut self, to: Recipient, text: &str) {
        match to {
            Recipient::Sender if self.lines.len() < REPLY_LINES => self.lines.push(text.to_owned()),
            Recipient::Sender => self.dropped += 1,
            Recipient::Target => {
                if let Some(target) = &self.target {
                    target.notice(text);
                }
            }
        }
    }
}

/// Runs `line` as `account` typed it with no session, aimed at player
/// `to` (online or not) or public; the reply lines.
async fn run_command(zone: &Zone, account: &str, line: &str, to: Option<&str>) -> Vec<String> {
    let sender = Player { id: REMOTE_SENDER, name: account, location: Location::default(), freq: None };
    let online = to.and_then(|name| zone.find(name));
    let addressee = match (to, &online) {
        (_, Some(target)) => Addressee::Player(Player {
            id: target.id,
            name: &target.name,
            location: target.location,
            freq: target.freq,
        }),
        (Some(name), None) => Addressee::External(name),
        (None, None) => Addressee::Pub,
    };
    let mut sink =
        PageSink { lines: Vec::new(), dropped: 0, target: online.as_ref().map(|p| p.outbox.clone()) };
    let request = Request { sender, addressee, line, world: zone, via: Via::Command };
    let outcome = cmdman::dispatch(zone.registry(), request, &mut sink).await;
    tracing::info!(account, ?outcome, "admin page command");
    if sink.dropped > 0 {
        sink.lines.push(format!("({} more lines)", sink.dropped));
    }
    if sink.lines.is_empty() {
        sink.lines.push("Done.".to_owned());
    }
    sink.lines
}

/// A word of a command line from a form: no spaces or control characters,
/// 1 to 64 characters.
fn word<'a>(what: &str, text: &'a str) -> Result<&'a str, String> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("The {what} must be one word of at most 64 characters."));
    }
    Ok(text)
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

async fn login_page(jar: CookieJar) -> Response {
    let csrf = token();
    let jar = jar.add(cookie(LOGIN_COOKIE, csrf.clone()));
    (jar, pages::login_page(&csrf, None)).into_response()
}

async fn login(
    State(admin): State<Arc<Admin>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let zone = &admin.zone;
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !same_origin(&headers) || expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return refusal(
            StatusCode::FORBIDDEN,
            "This login form is stale or forged; reload the page and try again.",
        );
    }
    let again = |status: StatusCode, outcome: LoginOutcome, text: &str| {
        zone.meters().login(LoginVia::Admin, outcome);
        (status, pages::login_page(&expected, Some(text))).into_response()
    };
    let address = peer.ip();
    if let Err(wait) = zone.attempts().attempt(address) {
        let text = format!("Too many login attempts from your address; try again in {} s.", wait.as_secs());
        return again(StatusCode::TOO_MANY_REQUESTS, LoginOutcome::Throttled, &text);
    }
    let name = form.name.trim();
    if zone_names::check_player_name(name, zone.config().limits.name_length).is_err()
        || form.password.is_empty()
    {
        return again(StatusCode::UNAUTHORIZED, LoginOutcome::Refused, "Wrong name or password.");
    }
    let attempt = match zone.backoff().begin(Kind::Login, name, None, address) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let text = format!("Too many attempts; try again in {} s.", wait.as_secs());
            return again(StatusCode::TOO_MANY_REQUESTS, LoginOutcome::Throttled, &text);
        }
    };
    let found = match zone.store().credentials(name).await {
        Ok(found) => found,
        Err(error) => {
            zone.store_trouble("check an admin page login", &error);
            return again(
                StatusCode::SERVICE_UNAVAILABLE,
                LoginOutcome::Unavailable,
                "The zone cannot check passwords right now; try again later.",
            );
        }
    };
    let Some((account, hash)) = found else {
        attempt.failed(false);
        return again(StatusCode::UNAUTHORIZED, LoginOutcome::BadPassword, "Wrong name or password.");
    };
    match zone.hashers().verify(&form.password, &hash).await {
        Ok(true) => {}
        Ok(false) => {
            let wait = attempt.failed(true);
            zone.audit_repeated(&account.name, "wrong password at the admin page".to_owned()).await;
            let text = if wait.is_zero() {
                "Wrong name or password.".to_owned()
            } else {
                format!("Wrong name or password; try again in {} s.", wait.as_secs())
            };
            return again(StatusCode::UNAUTHORIZED, LoginOutcome::BadPassword, &text);
        }
        Err(_) => {
            return again(
                StatusCode::SERVICE_UNAVAILABLE,
                LoginOutcome::Unavailable,
                "The zone is busy; try again in a moment.",
            );
        }
    }
    attempt.succeeded();
    if let Some(sanction) = zone.sanctions().barred(&account.name) {
        return again(StatusCode::FORBIDDEN, LoginOutcome::Refused, &sanction.farewell());
    }
    if account.must_change_password {
        let text = "Your password was reset: change it in game first.";
        return again(StatusCode::FORBIDDEN, LoginOutcome::Refused, text);
    }
    if !may_administer(zone, &account.name) {
        let text = "Your account is not staff here: the admin page is for those who may run ?adminpage.";
        return again(StatusCode::FORBIDDEN, LoginOutcome::Refused, text);
    }
    zone.meters().login(LoginVia::Admin, LoginOutcome::Ok);
    tracing::info!(%peer, name = %account.name, "logged in to the admin page");
    if let Err(error) = zone.store().audit(&account.name, "logged in to the admin page".to_owned()).await {
        zone.store_trouble("audit an admin page login", &error);
    }
    let session = admin.open_session(&account.name);
    let jar = jar.remove(Cookie::build(LOGIN_COOKIE).path("/")).add(cookie(SESSION_COOKIE, session));
    (jar, Redirect::to("/groups")).into_response()
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    let staff = match admin.staff_post(&jar, &headers, &form.csrf) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    admin.sessions.lock().remove(&staff.token);
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/login")).into_response()
}

#[derive(Deserialize)]
struct GroupQuery {
    group: Option<String>,
}

async fn groups_page(
    State(admin): State<Arc<Admin>>,
    jar: CookieJar,
    Query(query): Query<GroupQuery>,
) -> Response {
    match admin.staff(&jar) {
        Ok(staff) => pages::groups_page(&admin.zone, &staff, query.group.as_deref()).into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct RuleForm {
    csrf: String,
    group: String,
    rule: String,
    /// `grant`, `deny` or `revoke`.
    effect: String,
}

async fn edit_rule(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<RuleForm>,
) -> Response {
    let staff = match admin.staff_post(&jar, &headers, &form.csrf) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let lines = match (word("group", &form.group), word("rule", &form.rule), form.effect.as_str()) {
        (Ok(group), Ok(rule), effect @ ("grant" | "deny" | "revoke")) => {
            let c = admin.zone.registry().default_cmd_char();
            run_command(&admin.zone, &staff.account, &format!("{c}{effect} {group} {rule}"), None).await
        }
        (Err(problem), _, _) | (_, Err(problem), _) => vec![problem],
        _ => vec!["Choose grant, deny or revoke.".to_owned()],
    };
    admin.flash(&staff, lines);
    Redirect::to(&group_url(form.group.trim())).into_response()
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    player: String,
    /// The group to put them in; empty with `action=remove`.
    #[serde(default)]
    group: String,
    #[serde(default)]
    realm: String,
    /// `set` or `remove`.
    action: String,
}

async fn edit_member(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<MemberForm>,
) -> Response {
    let staff = match admin.staff_post(&jar, &headers, &form.csrf) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let c = admin.zone.registry().default_cmd_char();
    let realm = form.realm.trim();
    let realm = if realm.is_empty() { Ok(None) } else { word("realm", realm).map(Some) };
    let player = form.player.trim();
    let lines = match (form.action.as_str(), realm) {
        (_, Err(problem)) => vec![problem],
        _ if player.is_empty() => vec!["Name a player.".to_owned()],
        ("set", Ok(realm)) => match word("group", &form.group) {
            Ok(group) => {
                let line =
                    format!("{c}setgroup {group}{}", realm.map(|r| format!(" {r}")).unwrap_or_default());
                run_command(&admin.zone, &staff.account, &line, Some(player)).await
            }
            Err(problem) => vec![problem],
        },
        ("remove", Ok(realm)) => {
            let line = format!("{c}rmgroup{}", realm.map(|r| format!(" {r}")).unwrap_or_default());
            run_command(&admin.zone, &staff.account, &line, Some(player)).await
        }
        _ => vec!["Choose set or remove.".to_owned()],
    };
    admin.flash(&staff, lines);
    Redirect::to(&group_url(form.group.trim())).into_response()
}

async fn players_page(State(admin): State<Arc<Admin>>, jar: CookieJar) -> Response {
    match admin.staff(&jar) {
        Ok(staff) => pages::players_page(&admin.zone, &staff).into_response(),
        Err(response) => response,
    }
}

async fn sanctions_page(State(admin): State<Arc<Admin>>, jar: CookieJar) -> Response {
    match admin.staff(&jar) {
        Ok(staff) => pages::sanctions_page(&admin.zone, &staff).into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
struct LiftForm {
    csrf: String,
    name: String,
    /// `ban` (or `kick`) or `mute`.
    kind: String,
}

async fn lift_sanction(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LiftForm>,
) -> Response {
    let staff = match admin.staff_post(&jar, &headers, &form.csrf) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let c = admin.zone.registry().default_cmd_char();
    let name = form.name.trim();
    let lines = match form.kind.as_str() {
        _ if name.is_empty() => vec!["Name a player.".to_owned()],
        "ban" | "kick" => run_command(&admin.zone, &staff.account, &format!("{c}unban {name}"), None).await,
        "mute" => run_command(&admin.zone, &staff.account, &format!("{c}unmute"), Some(name)).await,
        _ => vec!["Choose ban or mute.".to_owned()],
    };
    admin.flash(&staff, lines);
    Redirect::to("/sanctions").into_response()
}

#[derive(Deserialize)]
struct AuditQuery {
    by: Option<String>,
    contains: Option<String>,
}

/// Audit rows one page shows, at most.
const AUDIT_ROWS: usize = 200;

async fn audit_page(
    State(admin): State<Arc<Admin>>,
    jar: CookieJar,
    Query(query): Query<AuditQuery>,
) -> Response {
    let staff = match admin.staff(&jar) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let keep = |text: Option<String>| {
        text.map(|t| t.trim().chars().take(100).collect::<String>()).filter(|t| !t.is_empty())
    };
    let filter = crate::store::AuditFilter { by: keep(query.by), contains: keep(query.contains) };
    // The same gate as ?auditlog: the ladder decides who reads the log.
    let rows = if allowed(&admin.zone, &staff.account, "auditlog") {
        admin.zone.store().audit_search(filter.clone(), AUDIT_ROWS).await.map_err(|error| error.to_string())
    } else {
        Err("Your group may not read the audit log (?auditlog).".to_owned())
    };
    pages::audit_page(&staff, &filter, rows).into_response()
}

#[derive(Deserialize)]
struct WhyQuery {
    player: Option<String>,
    command: Option<String>,
    form: Option<String>,
}

async fn why_page(
    State(admin): State<Arc<Admin>>,
    jar: CookieJar,
    Query(query): Query<WhyQuery>,
) -> Response {
    let staff = match admin.staff(&jar) {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    fn filled(text: &Option<String>) -> Option<&str> {
        text.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }
    let answer = match (filled(&query.player), filled(&query.command)) {
        (Some(player), Some(command)) => {
            let form = filled(&query.form);
            let words =
                (word("player", player), word("command", command), form.map(|f| word("form", f)).transpose());
            Some(match words {
                (Ok(player), Ok(command), Ok(form)) => {
                    let c = admin.zone.registry().default_cmd_char();
                    let line = format!(
                        "{c}why {player} {command}{}",
                        form.map(|f| format!(" {f}")).unwrap_or_default()
                    );
                    run_command(&admin.zone, &staff.account, &line, None).await
                }
                (Err(problem), _, _) | (_, Err(problem), _) | (_, _, Err(problem)) => vec![problem],
            })
        }
        _ => None,
    };
    pages::why_page(&staff, &query.player, &query.command, &query.form, answer).into_response()
}

/// Whether `account`'s zone-wide group may run the compiled command `name`
/// (in its pub form).
fn allowed(zone: &Zone, account: &str, name: &str) -> bool {
    let tables = zone.registry().tables();
    let Some(command) = tables
        .commands()
        .iter()
        .find(|c| c.def().name == name && !matches!(c.def().handler, cmdman::Handler::Dynamic))
    else {
        return false;
    };
    let snapshot = zone.access().snapshot();
    snapshot.allows(snapshot.member_group(account, None), command, TargetForm::Pub)
}

/// The groups page of `group`.
fn group_url(group: &str) -> String {
    match serde_urlencoded::to_string([("group", group)]) {
        Ok(query) if !group.is_empty() => format!("/groups?{query}"),
        _ => "/groups".to_owned(),
    }
}
