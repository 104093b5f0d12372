//! A throwaway PostgreSQL server for the tests that need one (DESIGN §11):
//! Debian's `postgresql` package is installed when missing, a cluster is
//! made with `initdb` in a temporary directory (as the unprivileged
//! `postgres` user when the tests run as root), listens on 127.0.0.1 only,
//! and is stopped when the handle drops. A test never skips itself: when
//! PostgreSQL cannot be had, it fails and says why.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::debian::{self, is_root};

/// A running throwaway PostgreSQL server with one database, `zones`.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// The directory of `initdb` and `pg_ctl`, installing the Debian package
/// first if it is missing.
fn server_bin() -> PathBuf {
    debian::ensure(&["postgresql"], || find_bin().is_some());
    find_bin().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is needed and could not be installed: `apt-get install postgresql` failed \
             (run it as root, or give this user sudo), and no /usr/lib/postgresql/*/bin/initdb exists"
        )
    })
}

/// The newest `/usr/lib/postgresql/N/bin` with an `initdb`.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// `program` from `bin`, run as the `postgres` user when we are root
/// (PostgreSQL refuses to run as root).
fn as_server_user(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

impl Postgres {
    /// Starts a new server with an empty database `zones`.
    pub fn start() -> Postgres {
        let bin = server_bin();
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let owned = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
            assert!(
                owned.is_ok_and(|status| status.success()),
                "cannot give the cluster directory to postgres"
            );
        }
        let data = dir.path().join("data");
        let init = as_server_user(&bin, "initdb")
            .args(["-A", "trust", "-U", "zone", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(init.status.success(), "initdb failed: {}", String::from_utf8_lossy(&init.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Postgres { bin, dir, port };
        server.start_again();
        let created = Command::new(server.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "zone", "zones"])
            .output()
            .unwrap();
        assert!(created.status.success(), "createdb failed: {}", String::from_utf8_lossy(&created.stderr));
        server
    }

    /// Starts the server (again, after [`Postgres::stop`]) and waits until
    /// it takes connections. `fsync` is off (nothing here must survive a
    /// power cut), but commits are written before they are acknowledged, so
    /// a stop keeps every acknowledged write.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let started = as_server_user(&self.bin, "pg_ctl")
            .args(["-w", "-t", "30", "-D"])
            .arg(self.dir.path().join("data"))
            .args(["-l"])
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "start"])
            .output()
            .unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(
            started.status.success(),
            "pg_ctl start failed: {}\n{log}",
            String::from_utf8_lossy(&started.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL never listened on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server at once (as a crash or a restart would).
    pub fn stop(&self) {
        let _ = as_server_user(&self.bin, "pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .output();
    }

    /// Runs `statement` in database `zones` with `psql`, as an operator
    /// would: for what the store's interface does not do (a test's set-up).
    pub fn sql(&self, statement: &str) {
        let ran = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "zone", "-d", "zones", "-v"])
            .arg("ON_ERROR_STOP=1")
            .args(["-c", statement])
            .output()
            .unwrap();
        assert!(ran.status.success(), "psql failed on {statement}: {}", String::from_utf8_lossy(&ran.stderr));
    }

    /// The URL of database `zones`.
    pub fn url(&self) -> String {
        format!("postgres://zone@127.0.0.1:{}/zones", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
