//! Operations (DESIGN §13): the metrics endpoint moves with activity, and the
//! admin page's security: no session → the login page, wrong passwords
//! throttled, non-staff refused, forged and cross-site posts refused, edits
//! through the ladder with their audit row.
#![allow(clippy::unwrap_used)]

mod common;

use common::http::{self, hidden, sample};
use common::{TestZone, ask, test_config, with_staff};

async fn scrape(zone: &TestZone) -> String {
    let response = http::get(zone.metrics.unwrap(), "/metrics", &[]).await;
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    assert!(response.body.trim_end().ends_with("# EOF"), "{}", response.body);
    response.body
}

fn value(metrics: &str, series: &str) -> f64 {
    sample(metrics, series).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_move_with_players_commands_and_logins() {
    let zone = TestZone::start_ops(with_staff(test_config(), &[])).await;
    let before = scrape(&zone).await;
    assert_eq!(value(&before, "zone_players_online"), 0.0);

    let mut ann = zone.enter("Ann", "lobby").await;
    let (_bob, answer) = zone.login_as("Ann", "wrong").await;
    assert!(answer.starts_with("LOGINBAD:"), "{answer}");
    ask(&mut ann, "SEND:CMD:?uptime").await;
    ann.command("SEND:CMD:?nosuchcommand").await;
    ann.command("SEND:CMD:?grant mod kick").await; // default may not
    ann.command("SEND:CMD:?usage extra words here").await;

    let after = scrape(&zone).await;
    assert_eq!(value(&after, "zone_players_online"), 1.0);
    assert_eq!(value(&after, "zone_realm_players{realm=\"lobby\"}"), 1.0);
    assert_eq!(value(&after, "zone_connections{state=\"logged_in\"}"), 1.0);
    assert_eq!(value(&after, "zone_logins_total{via=\"chatnet\",outcome=\"ok\"}"), 1.0);
    assert_eq!(value(&after, "zone_logins_total{via=\"chatnet\",outcome=\"bad_password\"}"), 1.0);
    assert_eq!(
        value(&after, "zone_commands_total{command=\"?uptime\",component=\"uptime\",outcome=\"ok\"}"),
        1.0
    );
    assert_eq!(
        value(&after, "zone_commands_total{command=\"(unknown)\",component=\"\",outcome=\"unknown\"}"),
        1.0
    );
    assert_eq!(
        value(&after, "zone_commands_total{command=\"?grant\",component=\"groups\",outcome=\"denied\"}"),
        1.0
    );
    assert!(value(&after, "zone_lines_received_total") > value(&before, "zone_lines_received_total"));
    assert!(value(&after, "zone_sent_bytes_total") > value(&before, "zone_sent_bytes_total"));
    // Every command's first call is timed.
    assert!(value(&after, "zone_command_duration_seconds_count") >= 1.0, "{after}");
    assert!(
        value(&after, "zone_store_duration_seconds_count")
            > value(&before, "zone_store_duration_seconds_count")
    );

    // A player who leaves leaves the gauges; the counters keep their lines.
    let received = value(&after, "zone_lines_received_total");
    drop(ann);
    let mut left = scrape(&zone).await;
    for _ in 0..100 {
        if value(&left, "zone_players_online") == 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        left = scrape(&zone).await;
    }
    assert_eq!(value(&left, "zone_players_online"), 0.0);
    assert!(value(&left, "zone_lines_received_total") >= received);
    zone.stop().await;
}

/// Logs `name` (password `pw`, an account made by a ChatNet login first) in
/// to the admin page: the session cookie header.
async fn admin_login(zone: &TestZone, name: &str, password: &str) -> Result<String, http::Response> {
    let admin = zone.admin.unwrap();
    let page = http::get(admin, "/login", &[]).await;
    let login_cookie = page.cookies().into_iter().find(|(n, _)| n == "zone_admin_login").unwrap();
    let csrf = hidden(&page.body, "csrf").unwrap();
    let cookie = format!("{}={}", login_cookie.0, login_cookie.1);
    let body = format!("name={name}&password={password}&csrf={csrf}");
    let response = http::post(admin, "/login", &[("Cookie", &cookie)], &body).await;
    match response.cookies().into_iter().find(|(n, _)| n == "zone_admin") {
        Some((n, v)) if response.status == 303 => Ok(format!("{n}={v}")),
        _ => Err(response),
    }
}

#[tokio::test]
async fn the_admin_page_wants_a_staff_login_and_refuses_forged_posts() {
    let zone = TestZone::start_ops(with_staff(test_config(), &[("Sam", "smod", None)])).await;
    let admin = zone.admin.unwrap();
    // Accounts are made by logging in once.
    drop(zone.login("Sam").await);
    let pat = zone.enter("Pat", "lobby").await;

    // No session: every page sends you to the login page.
    for path in ["/groups", "/players", "/sanctions", "/audit", "/why"] {
        let response = http::get(admin, path, &[]).await;
        assert_eq!(response.status, 303, "{path}");
        assert_eq!(response.header("location"), Some("/login"), "{path}");
    }
    let page = http::get(admin, "/login", &[]).await;
    let cookie = page.headers.iter().find(|(n, _)| n == "set-cookie").unwrap().1.clone();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(page.header("content-security-policy").unwrap().contains("script-src 'self'"));

    // A player who is not staff is refused, with the right password.
    let refused = admin_login(&zone, "Pat", "pw").await.unwrap_err();
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("not staff"), "{}", refused.body);

    // Wrong passwords are throttled like game logins.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(admin_login(&zone, "Sam", "wrong").await.unwrap_err().status);
    }
    assert_eq!(statuses[0], 401);
    assert!(statuses.contains(&429), "{statuses:?}");
    let metrics = scrape(&zone).await;
    assert!(value(&metrics, "zone_logins_total{via=\"admin\",outcome=\"throttled\"}") >= 1.0, "{metrics}");

    drop(pat);
    zone.stop().await;
}

#[tokio::test]
async fn an_edit_on_the_admin_page_goes_through_the_ladder_and_refuses_forgery() {
    let zone =
        TestZone::start_ops(with_staff(test_config(), &[("Sam", "smod", None), ("Moe", "mod", None)])).await;
    let admin = zone.admin.unwrap();
    drop(zone.login("Sam").await);
    drop(zone.login("Moe").await);
    let mut pat = zone.enter("Pat", "lobby").await;
    assert_eq!(ask(&mut pat, "SEND:CMD:?cmdstats").await, "You may not use ?cmdstats.");

    let session = admin_login(&zone, "Sam", "pw").await.unwrap();
    let page = http::get(admin, "/groups?group=default", &[("Cookie", &session)]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<code>usage:pub</code>"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf").unwrap();

    // Without the token, with a wrong one, or from another site: refused,
    // and nothing changes.
    let form = "group=default&rule=cmdstats&effect=grant";
    let no_token = http::post(admin, "/rules", &[("Cookie", &session)], form).await;
    assert!(no_token.status == 403 || no_token.status == 422, "{}", no_token.status);
    // Its first character changed (replacing two with "00" left a token
    // that starts with "00" right, one run in 256).
    let other = if csrf.starts_with('0') { '1' } else { '0' };
    let wrong =
        http::post(admin, "/rules", &[("Cookie", &session)], &format!("{form}&csrf={other}{}", &csrf[1..]))
            .await;
    assert_eq!(wrong.status, 403);
    let cross = http::post(
        admin,
        "/rules",
        &[("Cookie", &session), ("Origin", "http://127.0.0.1:1")],
        &format!("{form}&csrf={csrf}"),
    )
    .await;
    assert_eq!(cross.status, 403);
    assert_eq!(ask(&mut pat, "SEND:CMD:?cmdstats").await, "You may not use ?cmdstats.");

    // The real form: applied to the online player at once, and audited.
    let done = http::post(admin, "/rules", &[("Cookie", &session)], &format!("{form}&csrf={csrf}")).await;
    assert_eq!(done.status, 303);
    let page = http::get(admin, "/groups?group=default", &[("Cookie", &session)]).await;
    assert!(page.body.contains("cmdstats"), "{}", page.body);
    let stats = pat.command("SEND:CMD:?cmdstats").await;
    assert!(!stats.iter().any(|line| line.contains("You may not")), "{stats:?}");
    let audit = http::get(admin, "/audit?by=sam&contains=cmdstats", &[("Cookie", &session)]).await;
    assert!(audit.body.contains("<td>Sam</td>"), "{}", audit.body);

    // A mod may open the page but the rank rules of ?grant still hold.
    let moe = admin_login(&zone, "Moe", "pw").await.unwrap();
    let page = http::get(admin, "/groups?group=default", &[("Cookie", &moe)]).await;
    let csrf = hidden(&page.body, "csrf").unwrap();
    http::post(
        admin,
        "/rules",
        &[("Cookie", &moe)],
        &format!("group=default&rule=kick&effect=grant&csrf={csrf}"),
    )
    .await;
    let page = http::get(admin, "/groups?group=default", &[("Cookie", &moe)]).await;
    assert!(page.body.contains("You may not use ?grant."), "{}", page.body);

    // The why box answers like ?why.
    let why = http::get(admin, "/why?player=Pat&command=cmdstats&form=pub", &[("Cookie", &session)]).await;
    assert!(why.body.contains("cmdstats:pub: allowed by step 4, default grants cmdstats."), "{}", why.body);
    zone.stop().await;
}

/// Reads what the server sends until it closes the connection (a reset,
/// for a request it did not read, counts as closing).
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(common::PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server kept the connection open");
    if let Err(error) = read {
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset, "{error}");
    }
    answer
}

#[tokio::test]
async fn http_connections_past_the_cap_are_closed_unanswered() {
    use tokio::io::AsyncWriteExt;
    let mut zone = test_config();
    zone.http.connections_per_listener = 3;
    let zone = TestZone::start_ops(with_staff(zone, &[])).await;
    let metrics = zone.metrics.unwrap();
    // Three connections that send nothing hold the listener's three places
    // (for http.header_timeout, 10 s by default)...
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(tokio::net::TcpStream::connect(metrics).await.unwrap());
    }
    // ... so a fourth, even with a whole request, is closed unanswered...
    let mut fourth = tokio::net::TcpStream::connect(metrics).await.unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n");
    let _ = fourth.write_all(request.as_bytes()).await;
    assert_eq!(read_to_close(&mut fourth).await, b"", "a fourth connection was answered");
    // ... and the admin page, another listener, still answers.
    assert_eq!(http::get(zone.admin.unwrap(), "/login", &[]).await.status, 200);
    // A place freed is taken again.
    drop(idle.pop());
    let mut scraped = false;
    for _ in 0..100 {
        let mut stream = tokio::net::TcpStream::connect(metrics).await.unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        if read_to_close(&mut stream).await.starts_with(b"HTTP/1.1 200") {
            scraped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(scraped, "a freed place was never taken again");
    zone.stop().await;
}

#[tokio::test]
async fn slow_http_clients_are_cut_off_and_big_bodies_refused() {
    use tokio::io::AsyncWriteExt;
    // A head that never ends is cut off after http.header_timeout (the
    // connection's own time, 30 s, is longer than the test waits).
    let mut zone = test_config();
    zone.http.header_timeout = std::time::Duration::from_millis(300);
    let heads = TestZone::start_ops(with_staff(zone, &[])).await;
    let mut slow_head = tokio::net::TcpStream::connect(heads.admin.unwrap()).await.unwrap();
    slow_head.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let answer = read_to_close(&mut slow_head).await;
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    heads.stop().await;

    let mut zone = test_config();
    zone.http.connection_time = std::time::Duration::from_secs(1);
    zone.http.body_bytes = 2048;
    let zone = TestZone::start_ops(with_staff(zone, &[])).await;
    let admin = zone.admin.unwrap();

    // A body that never ends is cut off after http.connection_time.
    let mut slow_body = tokio::net::TcpStream::connect(admin).await.unwrap();
    let head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=";
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut slow_body).await;
    assert!(!answer.starts_with(b"HTTP/1.1 2"), "{}", String::from_utf8_lossy(&answer));

    // A body past http.body_bytes is refused before it is read.
    let big = format!("name=Sam&password={}&csrf=x", "a".repeat(4096));
    let response = http::post(admin, "/login", &[], &big).await;
    assert_eq!(response.status, 413, "{}", response.body);

    // The page still answers.
    assert_eq!(http::get(admin, "/login", &[]).await.status, 200);
    zone.stop().await;
}

/// `/players` answers `session` (rather than sending it to log in).
async fn live(admin: std::net::SocketAddr, session: &str) -> bool {
    http::get(admin, "/players", &[("Cookie", session)]).await.status == 200
}

#[tokio::test]
async fn admin_sessions_are_bounded_in_all_and_per_account() {
    let mut zone = test_config();
    zone.http.sessions = 3;
    zone.http.sessions_per_account = 2;
    let zone = TestZone::start_ops(with_staff(zone, &[("Sam", "smod", None), ("Sue", "smod", None)])).await;
    let admin = zone.admin.unwrap();
    drop(zone.login("Sam").await);
    drop(zone.login("Sue").await);

    // Per account: Sam's third login ends his first session.
    let sam1 = admin_login(&zone, "Sam", "pw").await.unwrap();
    let sam2 = admin_login(&zone, "Sam", "pw").await.unwrap();
    let sam3 = admin_login(&zone, "Sam", "pw").await.unwrap();
    assert!(!live(admin, &sam1).await);
    assert!(live(admin, &sam2).await && live(admin, &sam3).await);
    // In all: Sue's login makes three; her second ends the oldest, Sam's.
    let sue1 = admin_login(&zone, "Sue", "pw").await.unwrap();
    assert!(live(admin, &sam2).await);
    let sue2 = admin_login(&zone, "Sue", "pw").await.unwrap();
    assert!(!live(admin, &sam2).await);
    for session in [&sam3, &sue1, &sue2] {
        assert!(live(admin, session).await);
    }
    zone.stop().await;
}

#[tokio::test]
async fn admin_sessions_end_when_unused_and_after_their_lifetime() {
    let mut zone = test_config();
    zone.http.session_idle = std::time::Duration::from_secs(1);
    zone.http.session_lifetime = std::time::Duration::from_secs(5);
    let zone = TestZone::start_ops(with_staff(zone, &[("Sam", "smod", None)])).await;
    let admin = zone.admin.unwrap();
    drop(zone.login("Sam").await);
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(100));

    // Both sessions start together; one is used every 0.1 s, the other
    // not at all.
    let started = std::time::Instant::now();
    let used = admin_login(&zone, "Sam", "pw").await.unwrap();
    let unused = admin_login(&zone, "Sam", "pw").await.unwrap();
    for _ in 0..15 {
        assert!(live(admin, &used).await, "a session in use ended before http.session_lifetime");
        pause().await;
    }
    // 1.5 s on: the unused one has ended, the used one not.
    assert!(!live(admin, &unused).await, "an unused session outlived http.session_idle");
    assert!(live(admin, &used).await);
    // In use or not, it ends after http.session_lifetime.
    let mut polls = 0;
    while live(admin, &used).await {
        polls += 1;
        assert!(polls < 300, "the session outlived http.session_lifetime");
        pause().await;
    }
    // Made after `started`, it cannot have ended sooner than 5 s after it.
    let lived = started.elapsed();
    assert!(
        lived >= std::time::Duration::from_secs(5),
        "the session in use ended after {lived:?}, before 5 s"
    );
    zone.stop().await;
}
