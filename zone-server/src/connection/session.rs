//! The login handshake: name and password checks, throttles, hashing on the
//! pool, account creation, and joining the zone.

use super::*;
use crate::ops::metrics::{LoginOutcome, LoginVia};

impl Connection {
    pub(super) async fn login(&mut self, version: &str, client: &str, name: &str, password: &str) -> Next {
        let zone = self.zone.clone();
        let refuse = |outcome: LoginOutcome, reason: &str| {
            zone.meters().login(LoginVia::ChatNet, outcome);
            Next::Close(Some(ServerLine::LoginBad(reason).encode()), format!("login refused: {reason}"))
        };
        let config = zone.config();
        let address = self.peer.ip();
        if let Err(wait) = zone.attempts().attempt(address) {
            let wait = wait.as_secs();
            return refuse(
                LoginOutcome::Throttled,
                &format!("too many login attempts from your address; try again in {wait} s"),
            );
        }
        if version != "1" {
            return refuse(LoginOutcome::Refused, "unsupported protocol version; this zone speaks ChatNet 1");
        }
        if let Err(reason) = zone_names::check_player_name(name, config.limits.name_length) {
            return refuse(LoginOutcome::Refused, &reason);
        }
        if password.is_empty() {
            return refuse(LoginOutcome::Refused, "a password is required");
        }
        // A full zone, a ban or a timed kick refuses before a password hash
        // or a new account.
        if let Err(refused) = zone.admits(name, address) {
            return refuse(LoginOutcome::Refused, &refused.to_string());
        }
        let attempt = match zone.backoff().begin(Kind::Login, name, None, address) {
            Ok(attempt) => attempt,
            Err(wait) => {
                return refuse(
                    LoginOutcome::Throttled,
                    &format!("too many attempts; try again in {} s", wait.as_secs()),
                );
            }
        };
        // Read before the stored hash: a password changed meanwhile refuses
        // this login at join.
        let password_generation = zone.password_generation(name);
        let (account, hash) = match self.authenticate(name, password, attempt).await {
            Ok(checked) => checked,
            Err((outcome, reason)) => return refuse(outcome, &reason),
        };
        let store = zone.store();
        let read =
            futures_util::future::join3(store.channels(name), store.ignores(name), store.message_count(name));
        let (channels, ignored, messages) = read.await;
        let (channels, ignored, messages) = (
            channels.unwrap_or_else(|error| {
                zone.store_trouble("read chat channels", &error);
                Vec::new()
            }),
            ignored.unwrap_or_else(|error| {
                zone.store_trouble("read an ignore list", &error);
                Vec::new()
            }),
            messages.unwrap_or_else(|error| {
                zone.store_trouble("count offline messages", &error);
                0
            }),
        );
        let must_change_password = account.must_change_password;
        let arrival = Arrival {
            name,
            address,
            client,
            channels,
            outbox: self.outbox.clone(),
            account,
            ignored,
            password_generation,
        };
        let remembered = arrival.account.clone();
        let id = match zone.join(arrival) {
            Ok(id) => id,
            Err(refused) => return refuse(LoginOutcome::Refused, &refused.to_string()),
        };
        zone.meters().login(LoginVia::ChatNet, LoginOutcome::Ok);
        // Kept only once joined: a password changed meanwhile refused the join.
        zone.remember_login(&remembered, &hash);
        // Logged in: the connection leaves the pre-login budget. In a
        // network, a session of the name in another zone is closed (the
        // newest login wins), without holding this login up.
        self.slot = None;
        if let Some(origin) = zone.instance().map(str::to_owned) {
            zone.tell_network(NetworkEvent::Login { origin, name: name.to_owned() });
        }
        info!(peer = %self.peer, name, client, "logged in");
        self.session = Some(Session {
            id,
            name: name.into(),
            start: Instant::now(),
            password_reset: must_change_password,
        });
        self.outbox.line(ServerLine::LoginOk(name).encode());
        let cmd_char = zone.registry().default_cmd_char();
        self.outbox.notice(&format!(
            "Welcome to {}, {name}. Type {cmd_char}help for help, {cmd_char}commands for commands.",
            config.name
        ));
        // Checked when the config was read: lines without control characters.
        for line in config.motd.trim_end().lines() {
            self.outbox.notice(line);
        }
        if messages > 0 {
            let plural = if messages == 1 { "" } else { "s" };
            self.outbox.notice(&format!("You have {messages} message{plural} ({cmd_char}messages)."));
        }
        if must_change_password {
            self.outbox.notice(&format!(
                "Your password was reset by staff. Change it now with {cmd_char}passwd <one-time password> <new password>; until then nothing else works."
            ));
        }
        Next::Continue
    }

    /// Checks the password of `name`, or creates the account: the account
    /// and its password hash. A wrong password is counted (back-off,
    /// audit); a store that cannot be written still lets existing accounts
    /// in.
    ///
    /// # Errors
    /// The `LOGINBAD` reason, and what to count it as.
    async fn authenticate(
        &self,
        name: &str,
        password: &str,
        attempt: Attempt<'_>,
    ) -> Result<(crate::store::Account, String), (LoginOutcome, String)> {
        const UNAVAILABLE: &str = "the zone cannot log you in right now; try again later";
        let zone = &self.zone;
        // With the store away, a player who logged in to this zone since it
        // started is checked against the hash they logged in with then.
        let (found, cached) = match zone.store().credentials(name).await {
            Ok(found) => (found, false),
            Err(error) => match zone.known_login(name) {
                Some(known) => {
                    warn!(
                        name,
                        "login: the store failed ({error}); checking the password this zone last saw"
                    );
                    (Some(known), true)
                }
                None => {
                    warn!(name, "login: the store failed: {error}");
                    return Err((LoginOutcome::Unavailable, UNAVAILABLE.to_owned()));
                }
            },
        };
        let busy = |error: PasswordError| match error {
            PasswordError::Busy => {
                (LoginOutcome::Unavailable, "the zone is busy; try again in a moment".to_owned())
            }
            error => {
                warn!(name, "login: {error}");
                (LoginOutcome::Unavailable, UNAVAILABLE.to_owned())
            }
        };
        match found {
            Some((account, hash)) => {
                if !zone.hashers().verify(password, &hash).await.map_err(busy)? {
                    let wait = attempt.failed(true);
                    zone.audit_repeated(&account.name, "wrong password at login".to_owned()).await;
                    if wait.is_zero() {
                        return Err((LoginOutcome::BadPassword, "wrong password".to_owned()));
                    }
                    return Err((
                        LoginOutcome::BadPassword,
                        format!("wrong password; try again in {} s", wait.as_secs()),
                    ));
                }
                attempt.succeeded();
                if !cached {
                    let (zone, owned) = (zone.clone(), name.to_owned());
                    tokio::spawn(async move {
                        if let Err(error) = zone.store().touch_login(&owned).await {
                            zone.store_trouble("record a login time", &error);
                        }
                    });
                }
                Ok((account, hash))
            }
            None if !zone.config().accounts.allow_new => {
                // Probing for names counts against the address.
                attempt.failed(false);
                Err((
                    LoginOutcome::Refused,
                    "unknown name; this zone does not create new accounts".to_owned(),
                ))
            }
            None => {
                let cost = zone.config().accounts.password_hashing;
                let hash = zone.hashers().hash(password, cost).await.map_err(busy)?;
                match zone.store().create_account(name, hash.clone()).await {
                    Ok(Some(account)) => Ok((account, hash)),
                    // Registered by another connection meanwhile.
                    Ok(None) => {
                        Err((LoginOutcome::Refused, "that name was just taken; log in again".to_owned()))
                    }
                    Err(error) => {
                        zone.store_trouble("create an account", &error);
                        Err((
                            LoginOutcome::Unavailable,
                            "the zone cannot create new accounts right now; try again later".to_owned(),
                        ))
                    }
                }
            }
        }
    }
}
