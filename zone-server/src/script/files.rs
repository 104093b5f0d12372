//! A script component's files folder (seed 001): a folder under the data
//! directory that only that component reads and writes, through names
//! checked here, within the counts and sizes of
//! [`ScriptLimits`](config::ScriptLimits).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

/// Why a file operation was refused; the text is what the script gets as
/// its error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    /// The name is not one the folder may hold.
    #[error(
        "'{0}' is not a file name here: use 1 to 64 letters, digits, '.', '_' and '-', \
         with '/' between up to 4 folders, no '..' and no leading '/'"
    )]
    BadName(String),
    /// The file would pass the size of one file.
    #[error("'{name}' would hold {size} bytes; a file holds at most {max}")]
    TooLarge {
        /// The file.
        name: String,
        /// Its size after the write.
        size: u64,
        /// The bound.
        max: usize,
    },
    /// The folder would pass its total or its count of files.
    #[error("the component's files would pass their bound of {0}")]
    Full(String),
    /// One call made too many file operations.
    #[error("a call may make at most {0} file operations")]
    TooMany(usize),
    /// The operating system refused.
    #[error("'{name}': {message}")]
    Io {
        /// The file.
        name: String,
        /// What the OS said.
        message: String,
    },
}

/// One component's files folder.
#[derive(Debug)]
pub struct Files {
    root: PathBuf,
    limits: config::ScriptLimits,
    /// One operation at a time, so the bounds are checked against what is
    /// really there.
    lock: Mutex<()>,
}

impl Files {
    /// The folder at `root` (created at the first write).
    pub fn new(root: PathBuf, limits: config::ScriptLimits) -> Files {
        Files { root, limits, lock: Mutex::new(()) }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `name` inside the folder.
    ///
    /// # Errors
    /// [`FileError::BadName`] for an absolute path, `..`, an empty part or a
    /// character outside letters, digits, `.`, `_`, `-` and `/`.
    pub fn path(&self, name: &str) -> Result<PathBuf, FileError> {
        let bad = || FileError::BadName(name.chars().take(80).collect());
        if name.is_empty() || name.len() > 200 || name.starts_with('/') {
            return Err(bad());
        }
        if name.split('/').count() > MAX_DEPTH {
            return Err(bad());
        }
        let mut path = self.root.clone();
        for part in name.split('/') {
            let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            if part.is_empty() || part.len() > 64 || part == "." || part == ".." || !part.chars().all(legal) {
                return Err(bad());
            }
            path.push(part);
        }
        Ok(path)
    }

    /// The text of `name`, or `None` if there is no such file.
    ///
    /// # Errors
    /// A bad name, or the OS's refusal.
    pub fn read(&self, name: &str) -> Result<Option<String>, FileError> {
        let path = self.path(name)?;
        let _one = self.lock.lock();
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io(name, &error)),
        };
        let mut text = String::new();
        // Never more than a file may hold, whatever was put there by hand.
        file.take(self.limits.file_bytes as u64)
            .read_to_string(&mut text)
            .map_err(|error| io(name, &error))?;
        Ok(Some(text))
    }

    /// Writes `text` as the whole of `name` (`append`: after what it holds).
    ///
    /// # Errors
    /// A bad name, a bound passed (nothing is written then), or the OS's
    /// refusal.
    pub fn write(&self, name: &str, text: &str, append: bool) -> Result<(), FileError> {
        let path = self.path(name)?;
        let _one = self.lock.lock();
        let existing = std::fs::metadata(&path).map(|m| m.len()).ok();
        let size = if append { existing.unwrap_or(0) + text.len() as u64 } else { text.len() as u64 };
        if size > self.limits.file_bytes as u64 {
            return Err(FileError::TooLarge { name: name.to_owned(), size, max: self.limits.file_bytes });
        }
        let (count, total) = self.usage();
        if existing.is_none() && count >= self.limits.files {
            return Err(FileError::Full(format!("{} files", self.limits.files)));
        }
        if total - existing.unwrap_or(0) + size > self.limits.files_bytes as u64 {
            return Err(FileError::Full(format!("{} bytes", self.limits.files_bytes)));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| io(name, &error))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)
            .map_err(|error| io(name, &error))?;
        file.write_all(text.as_bytes()).map_err(|error| io(name, &error))
    }

    /// Removes `name`; whether it was there.
    ///
    /// # Errors
    /// A bad name, or the OS's refusal.
    pub fn remove(&self, name: &str) -> Result<bool, FileError> {
        let path = self.path(name)?;
        let _one = self.lock.lock();
        match std::fs::remove_file(&path) {
            Ok(()) => {
                // Folders left empty go too: they count against the files.
                let mut dir = path.parent();
                while let Some(folder) = dir.filter(|folder| *folder != self.root) {
                    if std::fs::remove_dir(folder).is_err() {
                        break;
                    }
                    dir = folder.parent();
                }
                Ok(true)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(io(name, &error)),
        }
    }

    /// Every file's name, in name order.
    pub fn list(&self) -> Vec<String> {
        let _one = self.lock.lock();
        let mut names = Vec::new();
        walk(&self.root, "", &mut |name, _| names.push(name.to_owned()));
        names.sort();
        names
    }

    /// How many files and folders there are, and the files' bytes.
    fn usage(&self) -> (usize, u64) {
        let (mut count, mut total) = (0, 0);
        walk(&self.root, "", &mut |_, size| {
            count += 1;
            total += size;
        });
        (count + folders(&self.root), total)
    }
}

/// Folders a name may hold, counting the file: `a/b/c/d.txt`.
const MAX_DEPTH: usize = 4;

/// How many folders there are under `dir`.
fn folders(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| 1 + folders(&entry.path()))
        .sum()
}

/// Calls `each` with every file's name (relative to the folder) and size.
fn walk(dir: &Path, prefix: &str, each: &mut dyn FnMut(&str, u64)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(&entry.path(), &format!("{name}/"), each),
            Ok(kind) if kind.is_file() => each(&name, entry.metadata().map_or(0, |m| m.len())),
            _ => {}
        }
    }
}

fn io(name: &str, error: &std::io::Error) -> FileError {
    FileError::Io { name: name.to_owned(), message: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Files {
        // Four files or folders.
        let limits = config::ScriptLimits { files: 4, file_bytes: 10, files_bytes: 25, ..Default::default() };
        Files::new(dir.join("files"), limits)
    }

    #[test]
    fn names_outside_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = files(dir.path());
        for bad in ["../x", "/etc/passwd", "a/../../x", "a//b", "", "a\\b", "./x", "x/..", "ä", "a/b/c/d/e"]
        {
            assert!(matches!(files.path(bad), Err(FileError::BadName(_))), "{bad} was taken");
        }
        assert_eq!(files.path("notes/bob.txt").unwrap(), dir.path().join("files/notes/bob.txt"));
    }

    #[test]
    fn writes_within_bounds_and_refusals_past_them() {
        let dir = tempfile::tempdir().unwrap();
        let files = files(dir.path());
        assert_eq!(files.read("a").unwrap(), None);
        files.write("a", "hello", false).unwrap();
        files.write("a", "!", true).unwrap();
        assert_eq!(files.read("a").unwrap().as_deref(), Some("hello!"));
        assert!(matches!(files.write("a", "12345", true), Err(FileError::TooLarge { size: 11, .. })));
        files.write("sub/b", "0123456789", false).unwrap();
        // 6 + 10 + 10 would pass 25 bytes.
        assert!(matches!(files.write("c", "0123456789", false), Err(FileError::Full(_))));
        files.write("c", "x", false).unwrap();
        // a, sub, sub/b and c are four: a fifth is refused; rewriting one is not.
        assert!(matches!(files.write("d", "x", false), Err(FileError::Full(_))));
        files.write("c", "yy", false).unwrap();
        assert_eq!(files.list(), ["a", "c", "sub/b"]);
        assert!(files.remove("c").unwrap());
        assert!(!files.remove("c").unwrap());
        // The folder a removed file leaves empty goes with it.
        assert!(files.remove("sub/b").unwrap());
        assert!(!dir.path().join("files/sub").exists());
    }
}
