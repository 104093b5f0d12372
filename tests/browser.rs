//! The admin page (DESIGN §13) in a real browser: headless Chromium, driven
//! over WebDriver. A staff member logs in, grants a rule to a group and an
//! online ChatNet player's command goes from denied to allowed; the audit
//! row is found through the filter form; the page's own script asks before
//! a rule is revoked; a player who is not staff is refused; and a form
//! posted to the page from another site, with the staff member's session
//! cookie in the browser, is refused and changes nothing.
//!
//! The screenshot of the groups page in the README (`docs/admin-groups.png`)
//! is taken here: run with `ZONE_SCREENSHOT=docs/admin-groups.png` to write
//! it again.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::browser::Browser;
use common::{TestZone, ask, test_config, with_staff};
use fantoccini::{Client, Locator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Waits until the element `css` is on the page; it, or a failure naming
/// the page the browser is on.
async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client.wait().at_most(common::PATIENCE).for_element(Locator::Css(css)).await {
        Ok(element) => element,
        Err(error) => {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let source = client.source().await.unwrap_or_default();
            panic!("no `{css}` on {url} ({error}):\n{source}");
        }
    }
}

/// The text of the element `css`, found again if the page changed under it.
async fn text(client: &Client, css: &str) -> String {
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    loop {
        match find(client, css).await.text().await {
            Ok(text) => return text,
            Err(error) if tokio::time::Instant::now() > deadline => panic!("no text of `{css}`: {error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Waits until the browser's address contains `part`: the page a click
/// led to is there (the old one may hold the same elements).
async fn arrive(client: &Client, part: &str) {
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    loop {
        let url = client.current_url().await.unwrap().to_string();
        if url.contains(part) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "still on {url}, not at {part}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The text of the dialog the page opened, once it is open.
async fn alert_text(client: &Client) -> String {
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    loop {
        match client.get_alert_text().await {
            Ok(text) => return text,
            Err(error) if tokio::time::Instant::now() > deadline => panic!("no dialog opened: {error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The path the browser is on.
async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

/// Fills the login form and sends it.
async fn log_in(client: &Client, admin: SocketAddr, name: &str, password: &str) {
    client.goto(&format!("http://{admin}/login")).await.unwrap();
    find(client, "#name").await.send_keys(name).await.unwrap();
    find(client, "#password").await.send_keys(password).await.unwrap();
    find(client, "#login").await.click().await.unwrap();
}

/// Serves `page` to every request on a new 127.0.0.1 port: a site of
/// someone else's, for the forgery test.
async fn other_site(page: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_edit_groups_in_a_real_browser_and_forgeries_are_refused() {
    let zone = TestZone::start_ops(with_staff(test_config(), &[("Sam", "smod", None)])).await;
    let admin = zone.admin.unwrap();
    // Accounts are made by logging in once.
    drop(zone.login("Sam").await);
    drop(zone.login("Nick").await);
    let mut pat = zone.enter("Pat", "lobby").await;
    assert_eq!(ask(&mut pat, "SEND:CMD:?cmdstats").await, "You may not use ?cmdstats.");

    let browser = Browser::start(1280, 860).await;
    let client = &browser.client;

    // No session: the page sends the browser to the login form.
    client.goto(&format!("http://{admin}/groups")).await.unwrap();
    find(client, "#login").await;
    assert_eq!(path(client).await, "/login");

    // Staff log in with their zone account; the Secure, SameSite=Strict
    // session cookie is kept on http://127.0.0.1 and carried to the next page.
    log_in(client, admin, "Sam", "pw").await;
    assert_eq!(text(client, "#account").await, "Sam");
    assert_eq!(path(client).await, "/groups");

    // Grant a rule to the group `default` from its page in the tree.
    find(client, "#group-tree a.group[href='/groups?group=default']").await.click().await.unwrap();
    arrive(client, "group=default").await;
    assert_eq!(text(client, "#group-name").await, "default");
    find(client, "#rule").await.send_keys("cmdstats").await.unwrap();
    find(client, "#grant").await.click().await.unwrap();
    let result = text(client, "#result").await;
    assert!(result.contains("cmdstats"), "{result}");
    find(client, "#rules tr[data-rule='cmdstats']").await;

    // The online player may use it at once.
    let stats = pat.command("SEND:CMD:?cmdstats").await;
    assert!(!stats.iter().any(|line| line.contains("You may not")), "{stats:?}");

    // A group lower in the tree shows what it inherits, and from where.
    find(client, "#group-tree a.group[href='/groups?group=smod']").await.click().await.unwrap();
    arrive(client, "group=smod").await;
    assert_eq!(text(client, "#group-name").await, "smod");
    assert_eq!(text(client, "#group-tree a.chosen").await, "smod");
    let inherited = text(client, "#rules tr[data-rule='cmdstats']").await;
    assert!(inherited.contains("inherited from default"), "{inherited}");
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{} bytes", png.len());
    if let Ok(to) = std::env::var("ZONE_SCREENSHOT") {
        std::fs::write(&to, &png).unwrap();
    }

    // The audit log, through its filter form.
    find(client, "nav a[href='/audit']").await.click().await.unwrap();
    find(client, "#audit-filter input[name='by']").await.send_keys("Sam").await.unwrap();
    find(client, "#audit-filter input[name='contains']").await.send_keys("cmdstats").await.unwrap();
    find(client, "#audit-filter button").await.click().await.unwrap();
    arrive(client, "contains=cmdstats").await;
    let audit = text(client, "#audit tbody").await;
    assert!(audit.contains("Sam") && audit.contains("cmdstats"), "{audit}");

    // Revoking asks first (the page's own script, allowed by its CSP):
    // dismissed, nothing happens; accepted, the rule goes.
    client.goto(&format!("http://{admin}/groups?group=default")).await.unwrap();
    let revoke = "#rules tr[data-rule='cmdstats'] button[value='revoke']";
    find(client, revoke).await.click().await.unwrap();
    assert_eq!(alert_text(client).await, "Revoke this rule?");
    client.dismiss_alert().await.unwrap();
    assert!(!pat.command("SEND:CMD:?cmdstats").await.iter().any(|line| line.contains("You may not")));
    find(client, revoke).await.click().await.unwrap();
    assert_eq!(alert_text(client).await, "Revoke this rule?");
    client.accept_alert().await.unwrap();
    let result = text(client, "#result").await;
    assert!(result.contains("cmdstats"), "{result}");
    assert_eq!(ask(&mut pat, "SEND:CMD:?cmdstats").await, "You may not use ?cmdstats.");

    // Another site's page posts a grant to the admin page while Sam's
    // session is in the browser. From another port of 127.0.0.1 (the same
    // site, so the cookie goes along) the Origin check refuses it; from
    // `localhost` (another site) the cookie stays home and the browser is
    // sent to the login form.
    let forged = format!(
        "<!doctype html><title>Free prizes</title><form method=post action='http://{admin}/rules'>\
         <input type=hidden name=csrf value=0123456789abcdef>\
         <input type=hidden name=group value=default>\
         <input type=hidden name=rule value=lsmod>\
         <button id=prize name=effect value=grant>Claim your prize</button></form>"
    );
    let evil = other_site(forged).await;
    client.goto(&format!("http://{evil}/")).await.unwrap();
    find(client, "#prize").await.click().await.unwrap();
    let refused = text(client, "main").await;
    assert!(refused.contains("came from another site"), "{refused}");
    client.goto(&format!("http://localhost:{}/", evil.port())).await.unwrap();
    find(client, "#prize").await.click().await.unwrap();
    find(client, "#login").await;
    assert_eq!(ask(&mut pat, "SEND:CMD:?lsmod").await, "You may not use ?lsmod.");
    client.goto(&format!("http://{admin}/audit?by=Sam&contains=lsmod")).await.unwrap();
    assert_eq!(text(client, "#audit tbody").await, "No entries.");

    // Log out; a player who is not staff is refused with the right password.
    find(client, "form.logout button").await.click().await.unwrap();
    find(client, "#login").await;
    log_in(client, admin, "Nick", "pw").await;
    let problem = text(client, "#problem").await;
    assert!(problem.contains("not staff"), "{problem}");
    client.goto(&format!("http://{admin}/groups")).await.unwrap();
    find(client, "#login").await;

    browser.quit().await;
    // Whatever the browser did, the zone still answers.
    tokio::time::timeout(Duration::from_secs(10), pat.barrier()).await.unwrap();
    zone.stop().await;
}
