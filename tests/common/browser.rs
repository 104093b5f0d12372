//! Headless Chromium driven over WebDriver for the admin page's tests
//! (DESIGN §13): Debian's `chromium` and `chromium-driver` are installed
//! when missing, `chromedriver` is started on a free 127.0.0.1 port, and a
//! browser with a new, empty profile is opened through `fantoccini`. The
//! driver and the browser are killed when the handle drops. A test never
//! skips itself: when Chromium cannot be had, it fails and says why.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use super::debian;

/// Where Debian's packages put the browser and its driver.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session, with its driver.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// `chromedriver` and the browsers it started: its process group, killed
/// on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

fn installed() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

impl Browser {
    /// Starts `chromedriver` and opens a headless browser with a window of
    /// `width` by `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        assert!(
            debian::ensure(&["chromium", "chromium-driver"], installed),
            "Chromium is needed and could not be installed: `apt-get install chromium chromium-driver` \
             failed (run it as root, or give this user sudo), and {CHROMIUM} or {CHROMEDRIVER} is missing"
        );
        // A process group of its own, so that the browsers it starts go with it.
        let mut driver = Driver(
            Command::new(CHROMEDRIVER)
                .args(["--port=0", "--allowed-ips=127.0.0.1", "--log-level=WARNING"])
                .process_group(0)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("cannot start {CHROMEDRIVER}: {error}")),
        );
        let port = driver_port(&mut driver.0);
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), "chrome".into());
        capabilities
            .insert("goog:chromeOptions".to_owned(), serde_json::json!({ "binary": CHROMIUM, "args": args }));
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .expect("Chromium did not start within 60 s")
        .unwrap_or_else(|error| panic!("cannot open a Chromium session through chromedriver: {error}"));
        Browser { client, _driver: driver, _profile: profile }
    }

    /// Ends the browser session; the driver is killed when `self` drops.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

/// The port from chromedriver's "started successfully on port N" line
/// (within 30 s); the rest of what it prints is read and dropped by a
/// thread of its own.
fn driver_port(driver: &mut Child) -> u16 {
    let stdout = driver.stdout.take().unwrap();
    let (found, port) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(port) = line.split("started successfully on port ").nth(1) {
                let _ = found.send(Ok(port.trim_end_matches('.').parse::<u16>()));
                lines.for_each(drop);
                return;
            }
            seen.push(line);
        }
        let _ = found.send(Err(seen));
    });
    match port.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(Ok(port))) => port,
        Ok(Ok(Err(error))) => panic!("chromedriver said a port that is not one: {error}"),
        Ok(Err(seen)) => panic!("chromedriver ended without saying its port: {seen:?}"),
        Err(_) => panic!("chromedriver did not say its port within 30 s"),
    }
}
