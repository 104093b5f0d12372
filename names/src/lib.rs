//! The zone's naming rules, in one home (issue 11). The `#[command]` macro
//! (at compile time), cmdman (at registration), config (in RON files) and the
//! server (at login and in commands) all check names here, so a name one of
//! them accepts the others accept too.
//!
//! Each rule has a predicate and the sentence that explains it, for the
//! error messages of every checker.

/// The longest command name or alias, in bytes.
pub const COMMAND_NAME_LENGTH: usize = 32;

/// What a command name or alias is.
pub const COMMAND_NAME_RULE: &str = "names are 1 to 32 lower-case ASCII letters and digits";

/// Whether `name` is a legal command name or alias: 1 to
/// [`COMMAND_NAME_LENGTH`] lower-case ASCII letters and digits.
pub fn is_command_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= COMMAND_NAME_LENGTH
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// What a command group, player group or component name is.
pub const GROUP_NAME_RULE: &str = "use lower-case ASCII letters, digits, `_` and `-`";

/// Whether `name` is a legal command group, player group or component name:
/// non-empty, lower-case ASCII letters, digits, `_` and `-`.
pub fn is_group_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// What a cmd char is.
pub const CMD_CHAR_RULE: &str = "use ASCII punctuation other than '|' and ':'";

/// Whether `c` may be a cmd char: ASCII punctuation other than `|` (which
/// separates `?|a|b` commands) and `:` (which separates ChatNet fields).
pub fn is_cmd_char(c: char) -> bool {
    c.is_ascii_punctuation() && c != '|' && c != ':'
}

/// Checks a player name: 1 to `max` characters of printable ASCII other than
/// `:` (ChatNet's field separator), starting with a letter or digit, without
/// trailing spaces. Logins, `staff.ron`, the `staff` command and moderators'
/// commands all name players by it.
///
/// # Errors
/// What a name must be, for the player or operator.
pub fn check_player_name(name: &str, max: usize) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b':')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && !name.ends_with(' ');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a name is 1 to {max} characters: letters, digits, spaces and punctuation other than ':', starting with a letter or digit"
        ))
    }
}

/// Whether `name` is a valid realm (or game) name of at most `max`
/// characters: ASCII letters, digits, `_` or `-`.
pub fn is_realm_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.chars().count() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Derives a command name from a function name (DESIGN §4.1): lower-cased, a
/// leading `cmd_` removed, `_` and other non-alphanumerics removed.
///
/// `cmd_specall` → `specall`, `score_reset` → `scorereset`. The macro applies
/// it at compile time and cmdman at registration.
pub fn derive_name(function: &str) -> String {
    let lower = function.to_lowercase();
    let rest = lower.strip_prefix("cmd_").unwrap_or(&lower);
    rest.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether `c` may not appear in a line of text a player sends or is
/// shown: C0 and C1 control characters (tab included) and DEL, the Unicode
/// line and paragraph separators, and the bidirectional overrides and
/// isolates that reorder what other players see. Input lines with one are
/// refused; the operator's texts (the message of the day, help topics) may
/// not contain one.
pub fn is_forbidden_in_text(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The first character of `line` that [`is_forbidden_in_text`], with its
/// 1-based column in characters.
pub fn first_forbidden_in_text(line: &str) -> Option<(usize, char)> {
    // Printable ASCII is by far the common case: one pass over the bytes.
    if is_printable_ascii(line.as_bytes()) {
        return None;
    }
    line.chars().enumerate().find(|(_, c)| is_forbidden_in_text(*c)).map(|(at, c)| (at + 1, c))
}

/// Whether every byte of `bytes` is printable ASCII, a space to `~`.
/// Eight bytes at a time, in a word's arithmetic: on the lines of chat and
/// commands (tens of bytes) this costs a third of a vector search's set-up.
pub fn is_printable_ascii(bytes: &[u8]) -> bool {
    !any_byte(bytes, |word| has_below(word, b' ') || has_above(word, b'~'), |b| !(b' '..=b'~').contains(&b))
}

/// Whether `bytes` holds a byte below a space: a control character such
/// as CR or LF (see [`is_printable_ascii`] for the method).
pub fn has_control_byte(bytes: &[u8]) -> bool {
    any_byte(bytes, |word| has_below(word, b' '), |b| b < b' ')
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether a byte of `word` is below `n` (n ≤ 128; exact for "any").
fn has_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH_BITS != 0
}

/// Whether a byte of `word` is above `n` (n ≤ 127; exact for "any").
fn has_above(word: u64, n: u8) -> bool {
    (word.wrapping_add(ONES * u64::from(127 - n)) | word) & HIGH_BITS != 0
}

/// Whether a word of `bytes` has `in_word`, eight bytes at a time, the last
/// word overlapping the one before; shorter inputs a byte at a time.
fn any_byte(bytes: &[u8], in_word: impl Fn(u64) -> bool, in_byte: impl Fn(u8) -> bool) -> bool {
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| in_byte(b));
    }
    let word = |at: usize| {
        let mut eight = [0; 8];
        eight.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(eight)
    };
    (0..bytes.len() / 8).any(|i| in_word(word(i * 8))) || in_word(word(bytes.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_classes_agree_with_a_byte_at_a_time_at_every_length_and_place() {
        for len in 0..40 {
            for at in 0..len.max(1) {
                for odd in [0x00, 0x0a, 0x0d, 0x1f, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0xc3, 0xff] {
                    let mut bytes = vec![b'a'; len];
                    if len > 0 {
                        bytes[at] = odd;
                    }
                    let printable = bytes.iter().all(|b| (b' '..=b'~').contains(b));
                    let control = bytes.iter().any(|&b| b < b' ');
                    assert_eq!(is_printable_ascii(&bytes), printable, "{bytes:?}");
                    assert_eq!(has_control_byte(&bytes), control, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn cmd_chars_are_ascii_punctuation_but_pipe_and_colon() {
        for c in ['?', '*', '!', '.', '#', '~'] {
            assert!(is_cmd_char(c), "{c}");
        }
        for c in [':', '|', 'a', '1', ' ', '§', '¿'] {
            assert!(!is_cmd_char(c), "{c}");
        }
    }

    #[test]
    fn command_and_group_names() {
        assert!(is_command_name("usage") && is_command_name(&"x".repeat(32)));
        assert!(!is_command_name("") && !is_command_name(&"x".repeat(33)) && !is_command_name("Usage"));
        assert!(!is_command_name("set_freq") && !is_command_name("école"));
        assert!(is_command_name("a1"));
        assert!(is_group_name("smod") && is_group_name("tcp_duel-2"));
        assert!(!is_group_name("") && !is_group_name("Mod") && !is_group_name("a b"));
    }

    #[test]
    fn player_names() {
        assert!(check_player_name("Alice", 20).is_ok());
        assert!(check_player_name("Mr. T 2", 20).is_ok());
        for bad in ["", " Al", "Al ", "A:b", "Al:ice", "_x", "ab\u{e9}", "abcdefghijklmnopqrstu"] {
            assert!(check_player_name(bad, 20).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn realm_names_and_derived_names() {
        assert!(is_realm_name("duel_2-b", 15));
        assert!(
            !is_realm_name("bad!name", 15) && !is_realm_name("", 15) && !is_realm_name(&"x".repeat(16), 15)
        );
        assert_eq!(derive_name("cmd_specall"), "specall");
        assert_eq!(derive_name("score_reset"), "scorereset");
        assert_eq!(derive_name("CMD_Usage"), "usage");
        assert_eq!(derive_name("cmd_"), "");
        assert_eq!(derive_name("cmd_usage"), "usage");
        assert_eq!(derive_name("cmdusage"), "cmdusage");
        assert_eq!(derive_name("cmd_cmd_x"), "cmdx");
        assert_eq!(derive_name("set_freq_2"), "setfreq2");
    }
}
