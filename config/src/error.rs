//! Configuration errors. Each names the file, and where the file's text is at
//! fault, the line and column (1-based) and what was expected.

use std::path::PathBuf;

use thiserror::Error;

/// A configuration that cannot be used. The server refuses it (at start-up) or
/// keeps the running config (on reload).
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file is not valid RON for its schema: a syntax error, an unknown or
    /// missing field, a value of the wrong type.
    #[error("{path}:{line}:{column}: {expected}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected, in its words.
        expected: String,
    },
    /// A file parses but breaks a rule (a duplicate realm, a bad cmd char, …).
    #[error("{path}:{line}:{column}: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending value (or of its field).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

impl ConfigError {
    /// A [`ConfigError::Parse`] from ron's error. ron's span starts where its
    /// cursor was, which may be just before white space: the column is moved
    /// past it, onto the token at fault.
    pub(crate) fn parse(path: PathBuf, text: &str, error: ron::error::SpannedError) -> ConfigError {
        let line = error.span.start.line;
        let mut column = error.span.start.col;
        if let Some(source_line) = text.lines().nth(line.saturating_sub(1)) {
            column +=
                source_line.chars().skip(column.saturating_sub(1)).take_while(|c| c.is_whitespace()).count();
        }
        ConfigError::Parse { path, line, column, expected: error.code.to_string() }
    }

    /// A [`ConfigError::Invalid`] pointed at the first of `places` found in
    /// `text` (each a needle and which occurrence of it, from 0: the offending
    /// value, then its field name), or at 1:1 when none is found.
    pub(crate) fn invalid(
        path: PathBuf,
        text: &str,
        places: &[(String, usize)],
        problem: String,
    ) -> ConfigError {
        let (line, column) =
            places.iter().find_map(|(needle, nth)| locate(text, needle, *nth)).unwrap_or((1, 1));
        ConfigError::Invalid { path, line, column, problem }
    }
}

/// The 1-based line and column of occurrence `nth` (from 0) of `needle`
/// outside `//` comments.
pub(crate) fn locate(text: &str, needle: &str, nth: usize) -> Option<(usize, usize)> {
    text.lines()
        .enumerate()
        .flat_map(|(index, line)| {
            let code = line.find("//").map_or(line, |comment| &line[..comment]);
            code.match_indices(needle).map(move |(at, _)| (index + 1, code[..at].chars().count() + 1))
        })
        .nth(nth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_skips_comments_and_counts_from_one() {
        let text = "// realms: [\"lobby\"]\n(\n  realms: [(name: \"lobby\")],\n)";
        assert_eq!(locate(text, "\"lobby\"", 0), Some((3, 19)));
        assert_eq!(locate(text, "\"lobby\"", 1), None);
        assert_eq!(locate(text, "missing", 0), None);
    }
}
