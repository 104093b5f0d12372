//! `?attach` and `?detach` changes, kept in `<data>/attachments.ron` so they
//! survive a restart (DESIGN §12). The file holds the last change of each
//! component and scope, in the order made; at start-up they are made again
//! after the config's attachments:
//!
//! ```ron
//! [
//!     (component: "dice", scope: "zone", attached: true),
//!     (component: "stats", scope: "lobby", attached: false),
//! ]
//! ```
//!
//! A scope is `zone`, a realm's name or `realm/game`. A change to a realm
//! that is not open at start-up (one that is not declared in `zone.ron`) is
//! reported by `?health` and kept for a later start; it is not made when
//! such a realm opens later.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// The file's name in the data directory.
pub const FILE: &str = "attachments.ron";

/// Changes kept at most: each is one component and scope, so this bounds
/// the file whatever sysops do.
pub const MAX_CHANGES: usize = 1024;

/// One kept change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The component.
    pub component: String,
    /// `zone`, `realm` or `realm/game`, in lower case.
    pub scope: String,
    /// Attached (`true`) or detached.
    pub attached: bool,
}

/// The kept changes and their file.
#[derive(Debug)]
pub struct Kept {
    path: PathBuf,
    changes: Mutex<Vec<Change>>,
}

impl Kept {
    /// Reads `<data>/attachments.ron`; a missing file is no changes. A file
    /// that does not read is moved aside to `attachments.ron.bad` and the
    /// reason returned, for `?health`.
    pub fn load(data_dir: &Path) -> (Kept, Option<String>) {
        let path = data_dir.join(FILE);
        let (changes, problem) = match std::fs::read_to_string(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
            Err(error) => (Vec::new(), Some(format!("{}: {error}", path.display()))),
            Ok(text) => match ron::from_str::<Vec<Change>>(&text) {
                Ok(mut changes) => {
                    changes.truncate(MAX_CHANGES);
                    (changes, None)
                }
                Err(error) => {
                    let aside = path.with_extension("ron.bad");
                    let _ = std::fs::rename(&path, &aside);
                    let problem = format!(
                        "{}:{}:{}: {}; moved to {} and not applied",
                        path.display(),
                        error.span.start.line,
                        error.span.start.col,
                        error.code,
                        aside.display()
                    );
                    (Vec::new(), Some(problem))
                }
            },
        };
        (Kept { path, changes: Mutex::new(changes) }, problem)
    }

    /// The changes, oldest first.
    pub fn changes(&self) -> Vec<Change> {
        self.changes.lock().clone()
    }

    /// Keeps `change` in place of any earlier one for its component and
    /// scope, and writes the file (to a temporary file renamed over it, so
    /// a crash leaves the old or the new one).
    ///
    /// # Errors
    /// When the file cannot be written; the change is not kept then.
    pub fn record(&self, change: Change) -> Result<(), String> {
        let mut changes = self.changes.lock();
        let mut next = changes.clone();
        next.retain(|old| !(old.component == change.component && old.scope == change.scope));
        next.push(change);
        if next.len() > MAX_CHANGES {
            next.remove(0);
        }
        self.write(&next)?;
        *changes = next;
        Ok(())
    }

    /// Forgets every change of `component` (it was uninstalled).
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn forget(&self, component: &str) -> Result<(), String> {
        let mut changes = self.changes.lock();
        if !changes.iter().any(|change| change.component == component) {
            return Ok(());
        }
        let next: Vec<Change> =
            changes.iter().filter(|change| change.component != component).cloned().collect();
        self.write(&next)?;
        *changes = next;
        Ok(())
    }

    fn write(&self, changes: &[Change]) -> Result<(), String> {
        let text = ron::ser::to_string_pretty(changes, ron::ser::PrettyConfig::default())
            .map_err(|error| error.to_string())?;
        let temporary = self.path.with_extension("ron.new");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .map_err(|error| format!("{}: {error}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(component: &str, scope: &str, attached: bool) -> Change {
        Change { component: component.into(), scope: scope.into(), attached }
    }

    #[test]
    fn the_last_change_of_each_scope_is_kept_across_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, problem) = Kept::load(dir.path());
        assert_eq!(problem, None);
        kept.record(change("dice", "zone", true)).unwrap();
        kept.record(change("stats", "lobby", false)).unwrap();
        kept.record(change("dice", "zone", false)).unwrap();
        let (again, _) = Kept::load(dir.path());
        assert_eq!(again.changes(), [change("stats", "lobby", false), change("dice", "zone", false)]);
        again.forget("dice").unwrap();
        assert_eq!(Kept::load(dir.path()).0.changes(), [change("stats", "lobby", false)]);
    }

    #[test]
    fn a_bad_file_is_moved_aside_and_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "[(component: \"x\",\n oops)]").unwrap();
        let (kept, problem) = Kept::load(dir.path());
        let problem = problem.unwrap();
        assert!(problem.contains("attachments.ron:2:"), "{problem}");
        assert!(kept.changes().is_empty());
        assert!(dir.path().join("attachments.ron.bad").exists());
    }
}
