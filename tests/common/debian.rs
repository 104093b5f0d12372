//! Debian packages the tests need (PostgreSQL, Chromium): installed with
//! `apt-get` when missing, as root or through `sudo -n`. A test never skips
//! itself: when a package cannot be had, the caller fails and says why.

use std::process::{Command, Stdio};
use std::sync::Mutex;

/// One installation at a time in this process (dpkg takes a lock).
static INSTALL: Mutex<()> = Mutex::new(());

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

/// Makes sure `present()` holds, installing `packages` when it does not
/// (refreshing the package lists once if the first try fails). Returns
/// `present()` afterwards.
pub fn ensure(packages: &[&str], present: impl Fn() -> bool) -> bool {
    let _one = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if present() {
        return true;
    }
    let apt = |args: &[&str]| {
        let mut command = if is_root() {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.status().is_ok_and(|status| status.success())
    };
    eprintln!("installing {} (Debian) for the tests", packages.join(", "));
    // Another apt (unattended upgrades, a parallel test run) may hold
    // dpkg's lock for a while: wait for it rather than fail.
    let install = [&["-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q"][..], packages].concat();
    if !apt(&install) {
        apt(&["-o", "DPkg::Lock::Timeout=300", "update", "-q"]);
        apt(&install);
    }
    present()
}
