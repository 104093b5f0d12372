//! Help topics: texts the zone operator writes in the config directory's
//! `help/` folder, one file a topic (`help/rules.txt` is `?help rules`), and
//! the rule every text shown to players follows (the message of the day
//! too): no control characters, lines of bounded length.

use std::path::{Path, PathBuf};

use crate::error::ConfigError;

/// The folder of help topics in a config directory.
pub const HELP_DIR: &str = "help";
/// Topics one zone may have; more `.txt` files are an error.
pub const MAX_TOPICS: usize = 100;
/// The largest topic file, in bytes.
pub const MAX_TOPIC_BYTES: u64 = 16 * 1024;
/// The longest line of an operator's text (a topic, the message of the
/// day), in characters: one `MSG:ARENA:` line each.
pub const MAX_LINE_CHARS: usize = 250;
/// The most lines a topic may have.
pub const MAX_TOPIC_LINES: usize = 100;

/// One help topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpTopic {
    /// Its name: the file's name without `.txt`, in lower case.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Its lines, trailing empty lines left out.
    pub lines: Vec<String>,
}

/// The help topics of a config directory, in name order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HelpTopics(Vec<HelpTopic>);

impl HelpTopics {
    /// The topic `name` (any case).
    pub fn get(&self, name: &str) -> Option<&HelpTopic> {
        self.0.iter().find(|topic| topic.name.eq_ignore_ascii_case(name))
    }

    /// Every topic, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &HelpTopic> {
        self.0.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `dir/help/*.txt`; no `help` folder means no topics. Files of
    /// other names are left alone.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the folder or a file cannot be read;
    /// [`ConfigError::Invalid`] naming the file (with line and column where
    /// the text is at fault) for a name that is not a topic name, two files
    /// of one name, more than [`MAX_TOPICS`] topics, a file over
    /// [`MAX_TOPIC_BYTES`] or [`MAX_TOPIC_LINES`], text that is not UTF-8, a
    /// control character, or a line over [`MAX_LINE_CHARS`].
    pub fn load(dir: &Path) -> Result<HelpTopics, ConfigError> {
        let folder = dir.join(HELP_DIR);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(HelpTopics::default()),
            Err(source) => return Err(ConfigError::Io { path: folder, source }),
        };
        let io = |path: &Path, source| ConfigError::Io { path: path.to_owned(), source };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| io(&folder, source))?.path();
            if path.extension().is_some_and(|ext| ext == "txt") {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.len() > MAX_TOPICS {
            return Err(at_start(
                &folder,
                format!("{} help topics; a zone may have at most {MAX_TOPICS}", paths.len()),
            ));
        }
        let mut topics: Vec<HelpTopic> = Vec::new();
        for path in paths {
            let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
            let name = stem.to_ascii_lowercase();
            if !zone_names::is_command_name(&name) {
                return Err(at_start(
                    &path,
                    format!(
                        "'{stem}' cannot be a help topic: topic names, like command names, are 1 to {} ASCII letters and digits",
                        zone_names::COMMAND_NAME_LENGTH
                    ),
                ));
            }
            if let Some(other) = topics.iter().find(|topic| topic.name == name) {
                return Err(at_start(
                    &path,
                    format!("help topic '{name}' is also {}; keep one", other.path.display()),
                ));
            }
            // Read through a bound: a file that grows, or a link to a
            // device, costs at most one byte more than a topic may have.
            let mut bytes = Vec::new();
            let file = std::fs::File::open(&path).map_err(|source| io(&path, source))?;
            std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_TOPIC_BYTES + 1), &mut bytes)
                .map_err(|source| io(&path, source))?;
            if bytes.len() as u64 > MAX_TOPIC_BYTES {
                return Err(at_start(
                    &path,
                    format!("over {MAX_TOPIC_BYTES} bytes; a help topic is at most that"),
                ));
            }
            let text = std::str::from_utf8(&bytes).map_err(|error| {
                let (line, column) = position(&bytes[..error.valid_up_to()]);
                ConfigError::Invalid { path: path.clone(), line, column, problem: "not UTF-8 text".into() }
            })?;
            let lines = text_lines(text, MAX_TOPIC_LINES).map_err(|(line, column, problem)| {
                ConfigError::Invalid { path: path.clone(), line, column, problem }
            })?;
            if lines.is_empty() {
                return Err(at_start(&path, "the help topic is empty".to_owned()));
            }
            topics.push(HelpTopic { name, path, lines });
        }
        Ok(HelpTopics(topics))
    }
}

/// A problem with a file or folder as a whole, placed at its start.
fn at_start(path: &Path, problem: String) -> ConfigError {
    ConfigError::Invalid { path: path.to_owned(), line: 1, column: 1, problem }
}

/// The 1-based line and column just past `valid`.
fn position(valid: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(valid);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

/// An operator's text as the lines players are shown: split at line breaks
/// (`\n`, `\r\n`), trailing empty lines left out.
///
/// # Errors
/// The 1-based line and column at fault and the problem: a control
/// character or other character [`zone_names::is_forbidden_in_text`]
/// refuses, a line over [`MAX_LINE_CHARS`], or more than `max_lines` lines.
pub fn text_lines(text: &str, max_lines: usize) -> Result<Vec<String>, (usize, usize, String)> {
    let mut lines: Vec<String> = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((column, c)) = zone_names::first_forbidden_in_text(line) {
            let code = u32::from(c);
            let problem = match c {
                '\t' => format!("the control character U+{code:04X} (use spaces instead of tabs)"),
                c if c.is_control() => format!("the control character U+{code:04X}"),
                _ => format!(
                    "the character U+{code:04X} (line separators and direction overrides are refused)"
                ),
            };
            return Err((index + 1, column, problem));
        }
        if line.chars().count() > MAX_LINE_CHARS {
            return Err((
                index + 1,
                MAX_LINE_CHARS + 1,
                format!("a line is at most {MAX_LINE_CHARS} characters"),
            ));
        }
        lines.push(line.to_owned());
    }
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    if lines.len() > max_lines {
        return Err((max_lines + 1, 1, format!("at most {max_lines} lines")));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn texts_split_into_lines_and_refuse_control_characters() {
        assert_eq!(text_lines("a\r\nb\n\n", 5).unwrap(), ["a", "b"]);
        assert!(text_lines("", 5).unwrap().is_empty());
        let (line, column, problem) = text_lines("fine\nta\tb", 5).unwrap_err();
        assert_eq!((line, column), (2, 3));
        assert!(problem.contains("U+0009") && problem.contains("tabs"), "{problem}");
        assert_eq!(text_lines(&"x".repeat(251), 5).unwrap_err().0, 1);
        assert_eq!(text_lines("1\n2\n3", 2).unwrap_err().0, 3);
        let (_, _, problem) = text_lines("a\u{202e}b", 5).unwrap_err();
        assert!(problem.contains("U+202E") && problem.contains("direction overrides"), "{problem}");
    }

    #[test]
    fn topics_load_from_the_help_folder_with_positions_for_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(HelpTopics::load(dir.path()).unwrap().is_empty(), "no folder, no topics");
        let help = dir.path().join(HELP_DIR);
        std::fs::create_dir(&help).unwrap();
        std::fs::write(help.join("Rules.txt"), "Be nice.\nNo spam.\n").unwrap();
        std::fs::write(help.join("notes.md"), "not a topic").unwrap();
        let topics = HelpTopics::load(dir.path()).unwrap();
        let names: Vec<&str> = topics.iter().map(|topic| topic.name.as_str()).collect();
        assert_eq!(names, ["rules"]);
        assert_eq!(topics.get("RULES").unwrap().lines, ["Be nice.", "No spam."]);

        std::fs::write(help.join("faq.txt"), "ok\nbad \u{1b}[2J\n").unwrap();
        let error = HelpTopics::load(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with("faq.txt:2:5: the control character U+001B"), "{error}");
        std::fs::write(help.join("faq.txt"), b"ok\n\xff").unwrap();
        let error = HelpTopics::load(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with("faq.txt:2:1: not UTF-8 text"), "{error}");
        std::fs::write(help.join("faq.txt"), "x".repeat(MAX_TOPIC_BYTES as usize + 1)).unwrap();
        let error = HelpTopics::load(dir.path()).unwrap_err().to_string();
        assert!(error.ends_with("faq.txt:1:1: over 16384 bytes; a help topic is at most that"), "{error}");
        std::fs::remove_file(help.join("faq.txt")).unwrap();
        std::fs::write(help.join("RULES.txt"), "again").unwrap();
        let error = HelpTopics::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("help topic 'rules' is also"), "{error}");
    }
}
