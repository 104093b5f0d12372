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
    let wrong =
        http::post(admin, "/rules", &[("Cookie", &session)], &format!("{form}&csrf=00{}", &csrf[2..])).await;
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
