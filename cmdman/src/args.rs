//! Typed arguments (issue 3): a handler's parameters after the context are
//! parsed from the command's params, in order, through [`Arg`].
//!
//! ```ignore
//! #[command(target_pub)]
//! fn cmd_give(ctx: &mut Ctx<'_>, to: OnlinePlayer, amount: u32, note: Option<Rest<'_>>) -> CommandResult
//! ```
//!
//! Words are separated by spaces; a word may be quoted (`"two words"`).
//! `-x` flags ([`Flag`]) come before the other arguments, in any order. An
//! argument that does not parse fails the command with
//! [`CommandError::Usage`], which dispatch answers with the message and the
//! generated usage line.

use nom::branch::alt;
use nom::bytes::complete::{take_till, take_till1};
use nom::character::complete::{char, space0};
use nom::combinator::all_consuming;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser as _};

use crate::error::CommandError;
use crate::world::{OnlinePlayer, World};

/// The params of one command being turned into typed arguments.
pub struct Parser<'a> {
    rest: &'a str,
    flags: u64,
    world: &'a dyn World,
}

impl<'a> Parser<'a> {
    /// A parser over `params`. Leading `-x` words whose letter is one of
    /// `flags` are taken as flags; the first other word ends them.
    pub fn new(params: &'a str, flags: &[Option<char>], world: &'a dyn World) -> Parser<'a> {
        let mut parser = Parser { rest: trim_end(trim_start(params)), flags: 0, world };
        if flags.iter().all(Option::is_none) || !parser.rest.starts_with('-') {
            return parser;
        }
        while let Some((word, after)) = parser.peek_word() {
            let mut letters = word.strip_prefix('-').map(str::chars).into_iter().flatten().peekable();
            if letters.peek().is_none() {
                break;
            }
            let mut bits = 0;
            for letter in letters {
                match flag_bit(letter) {
                    Some(bit) if flags.contains(&Some(letter)) => bits |= bit,
                    _ => return parser,
                }
            }
            parser.flags |= bits;
            parser.rest = after;
        }
        parser
    }

    /// Whether `-flag` was given.
    pub fn flag(&self, flag: char) -> bool {
        flag_bit(flag).is_some_and(|bit| self.flags & bit != 0)
    }

    /// Whether every argument has been taken.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The unparsed rest, trimmed.
    pub fn rest(&self) -> &'a str {
        self.rest
    }

    /// The world, to resolve players.
    pub fn world(&self) -> &'a dyn World {
        self.world
    }

    /// The next word (quoted words lose their quotes), or `None` at the end.
    pub fn word(&mut self) -> Option<&'a str> {
        let (word, after) = self.peek_word()?;
        self.rest = after;
        Some(word)
    }

    /// Takes everything left.
    pub fn take_rest(&mut self) -> &'a str {
        std::mem::take(&mut self.rest)
    }

    /// Fails with "unexpected …" if anything is left.
    ///
    /// # Errors
    /// [`CommandError::Usage`] naming what is left.
    pub fn finish(&self) -> Result<(), CommandError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CommandError::usage(format!("Unexpected '{}'.", self.rest)))
        }
    }

    fn peek_word(&self) -> Option<(&'a str, &'a str)> {
        // The common case, an unquoted word, without the parser combinators.
        if !self.rest.starts_with('"') {
            let rest = trim_start(self.rest);
            let end = word_end(rest);
            return (end > 0).then(|| (&rest[..end], trim_start(&rest[end..])));
        }
        match word(self.rest) {
            Ok((after, word)) => Some((word, after.trim_start())),
            Err(_) => None,
        }
    }
}

/// Whether an ASCII byte is white space as [`char::is_whitespace`] has it.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// [`str::trim_start`], byte by byte over ASCII; what follows is trimmed by
/// `str::trim_start` only if it starts with a non-ASCII character.
fn trim_start(text: &str) -> &str {
    let at = text.bytes().position(|b| !is_space(b)).unwrap_or(text.len());
    // Only ASCII bytes were skipped: `at` is a character boundary.
    let rest = &text[at..];
    if rest.as_bytes().first().is_some_and(|b| !b.is_ascii()) { rest.trim_start() } else { rest }
}

/// The length in bytes of the unquoted word at the start of `text`: up to
/// its first white space as [`char::is_whitespace`] has it (as for a quoted
/// word and the trims). Printable ASCII, never white space, is passed a
/// byte at a time with one compare; from anything else on, by characters.
fn word_end(text: &str) -> usize {
    let Some(at) = text.bytes().position(|b| !(0x21..0x80).contains(&b)) else {
        return text.len();
    };
    if is_space(text.as_bytes()[at]) {
        return at;
    }
    // Only ASCII bytes were passed: `at` is a character boundary.
    text[at..].find(char::is_whitespace).map_or(text.len(), |end| at + end)
}

/// [`str::trim_end`], byte by byte over ASCII, as [`trim_start`].
fn trim_end(text: &str) -> &str {
    let end = text.bytes().rposition(|b| !is_space(b)).map_or(0, |at| at + 1);
    // Only ASCII bytes were dropped: `end` is a character boundary.
    let kept = &text[..end];
    if kept.as_bytes().last().is_some_and(|b| !b.is_ascii()) { kept.trim_end() } else { kept }
}

/// One word: `"quoted words"` or a run of non-space characters.
fn word(input: &str) -> IResult<&str, &str> {
    preceded(
        space0,
        alt((delimited(char('"'), take_till(|c| c == '"'), char('"')), take_till1(char::is_whitespace))),
    )
    .parse(input)
}

fn flag_bit(flag: char) -> Option<u64> {
    match flag {
        'a'..='z' => Some(1 << (flag as u32 - 'a' as u32)),
        'A'..='Z' => Some(1 << (26 + flag as u32 - 'A' as u32)),
        _ => None,
    }
}

fn missing(name: &str) -> CommandError {
    CommandError::usage(format!("Missing <{name}>."))
}

/// How an argument reads in a usage line, and where it may stand: each
/// argument type declares its own (the macro never guesses from type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value: `<name>`.
    Word,
    /// One value or none: `[name]`.
    Optional,
    /// The rest of the line: `<name...>`; it comes last.
    Rest,
    /// The rest of the line or nothing: `[name...]`; it comes last.
    OptionalRest,
    /// The flag `-c`: `[-c]`; flags come first.
    Flag(char),
    /// An optional flag: meaningless (a flag is optional already), refused.
    OptionalFlag,
}

impl Shape {
    /// `Some('v')` for the flag `-v`: the parser takes `-v` as a flag
    /// exactly when the usage line shows `[-v]`.
    pub const fn flag(self) -> Option<char> {
        match self {
            Shape::Flag(c) => Some(c),
            _ => None,
        }
    }

    /// The shape of an `Option` of this.
    pub const fn optional(self) -> Shape {
        match self {
            Shape::Word | Shape::Optional => Shape::Optional,
            Shape::Rest | Shape::OptionalRest => Shape::OptionalRest,
            Shape::Flag(_) | Shape::OptionalFlag => Shape::OptionalFlag,
        }
    }
}

/// One typed parameter of a command, as [`CommandDef::params`](crate::CommandDef::params) lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name, shown in the usage line.
    pub name: &'static str,
    /// How it reads.
    pub shape: Shape,
}

/// The usage line's argument part for `params`: flags first, then the others
/// in order; `None` without parameters.
pub fn usage_of(params: &[Param]) -> Option<String> {
    let flags = params.iter().filter_map(|param| match param.shape {
        Shape::Flag(c) => Some(format!("[-{c}]")),
        _ => None,
    });
    let words = params.iter().filter_map(|param| {
        let name = param.name;
        match param.shape {
            Shape::Word => Some(format!("<{name}>")),
            Shape::Optional => Some(format!("[{name}]")),
            Shape::Rest => Some(format!("<{name}...>")),
            Shape::OptionalRest => Some(format!("[{name}...]")),
            Shape::Flag(_) | Shape::OptionalFlag => None,
        }
    });
    let all: Vec<String> = flags.chain(words).collect();
    (!all.is_empty()).then(|| all.join(" "))
}

/// Checks, when a command is compiled, that its arguments can be parsed: the
/// rest of the line comes last, and no flag is in an `Option`. `#[command]`
/// calls it in a constant, so a mistake is a compile error.
///
/// # Panics
/// At compile time, saying what is wrong.
pub const fn check_shapes(shapes: &[Shape]) {
    let mut i = 0;
    while i < shapes.len() {
        match shapes[i] {
            Shape::Rest | Shape::OptionalRest if i + 1 < shapes.len() => panic!("{}", REST_NOT_LAST),
            Shape::OptionalFlag => panic!("{}", OPTIONAL_FLAG),
            _ => {}
        }
        i += 1;
    }
}

const REST_NOT_LAST: &str = "a `Rest` argument takes the rest of the line, so it must be the last argument";
const OPTIONAL_FLAG: &str =
    "a flag is optional already: write `Flag<'x'>`, which is false when the flag is not given";

/// A type a handler parameter can have. `name` is the parameter's name, for
/// error messages.
pub trait Arg<'a>: Sized {
    /// How it reads in the usage line, and where it may stand.
    const SHAPE: Shape = Shape::Word;

    /// Takes this argument from `parser`.
    ///
    /// # Errors
    /// [`CommandError::Usage`] saying what was wrong.
    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError>;
}

/// The value of 1 to 19 ASCII digits (which always fit a `u64`), read in
/// one pass; `None` for anything else.
fn plain_digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    text.bytes().try_fold(0u64, |value, b| b.is_ascii_digit().then(|| value * 10 + u64::from(b - b'0')))
}

macro_rules! integer_args {
    ($($t:ident),*) => {$(
        impl<'a> Arg<'a> for $t {
            fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
                let text = parser.word().ok_or_else(|| missing(name))?;
                // Plain digits, the common case, without the combinators
                // (the same numbers: digits only, overflow refused).
                let parsed: Result<$t, ()> = match plain_digits(text) {
                    Some(value) => $t::try_from(value).map_err(drop),
                    None => {
                        let parsed: IResult<&str, $t> = all_consuming(nom::character::complete::$t).parse(text);
                        parsed.map(|(_, value)| value).map_err(drop)
                    }
                };
                parsed.map_err(|()| {
                    CommandError::usage(format!(
                        "<{name}> is a whole number from {} to {}, not '{text}'.",
                        $t::MIN,
                        $t::MAX
                    ))
                })
            }
        }
    )*};
}

integer_args!(u8, u16, u32, u64, i8, i16, i32, i64);

/// One word.
impl<'a> Arg<'a> for &'a str {
    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
        parser.word().ok_or_else(|| missing(name))
    }
}

/// One word, owned.
impl<'a> Arg<'a> for String {
    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
        parser.word().map(str::to_owned).ok_or_else(|| missing(name))
    }
}

/// The argument if anything is left, else `None`.
impl<'a, T: Arg<'a>> Arg<'a> for Option<T> {
    const SHAPE: Shape = T::SHAPE.optional();

    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
        if parser.is_empty() { Ok(None) } else { T::parse(parser, name).map(Some) }
    }
}

/// The rest of the line, spaces and all; at least one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rest<'a>(pub &'a str);

impl<'a> Arg<'a> for Rest<'a> {
    const SHAPE: Shape = Shape::Rest;

    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
        match parser.take_rest() {
            "" => Err(missing(name)),
            rest => Ok(Rest(rest)),
        }
    }
}

/// The flag `-C`: true when given. Flags come before other arguments and may
/// be combined (`-sv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag<const C: char>(pub bool);

impl<'a, const C: char> Arg<'a> for Flag<C> {
    const SHAPE: Shape = Shape::Flag(C);

    fn parse(parser: &mut Parser<'a>, _name: &'static str) -> Result<Self, CommandError> {
        Ok(Flag(parser.flag(C)))
    }
}

/// An online player, by name: a quoted name, the longest run of words that is
/// an online player's whole name (names may hold spaces), or else a unique
/// prefix of one. Case is ignored.
impl<'a> Arg<'a> for OnlinePlayer {
    fn parse(parser: &mut Parser<'a>, name: &'static str) -> Result<Self, CommandError> {
        let rest = parser.rest();
        if rest.is_empty() {
            return Err(missing(name));
        }
        let world = parser.world();
        if rest.starts_with('"') {
            let text = parser.word().ok_or_else(|| missing(name))?;
            return world
                .find_player(text)
                .ok_or_else(|| CommandError::failed(format!("Nobody called '{text}' is online.")));
        }
        // Word ends, longest first: "Mr Bob 5" tries "Mr Bob 5", "Mr Bob", "Mr".
        let ends: Vec<usize> = rest
            .char_indices()
            .filter(|&(at, c)| {
                !c.is_whitespace() && rest[at + c.len_utf8()..].chars().next().is_none_or(char::is_whitespace)
            })
            .map(|(at, c)| at + c.len_utf8())
            .take(8)
            .collect();
        for &end in ends.iter().rev() {
            if let Some(player) = world.find_player(&rest[..end]) {
                parser.rest = rest[end..].trim_start();
                return Ok(player);
            }
        }
        let first = parser.word().ok_or_else(|| missing(name))?;
        let mut found = world.players_with_prefix(first, 2);
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(CommandError::failed(format!("Nobody called '{first}' is online."))),
            _ => Err(CommandError::failed(format!(
                "More than one player's name starts with '{first}'; type more of it."
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Location, PlayerId};

    struct Online(Vec<&'static str>);

    impl World for Online {
        fn find_player(&self, name: &str) -> Option<OnlinePlayer> {
            self.0.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| player(i, self.0[i]))
        }

        fn players_with_prefix(&self, prefix: &str, max: usize) -> Vec<OnlinePlayer> {
            let prefix = prefix.to_ascii_lowercase();
            (0..self.0.len())
                .filter(|&i| self.0[i].to_ascii_lowercase().starts_with(&prefix))
                .take(max)
                .map(|i| player(i, self.0[i]))
                .collect()
        }
    }

    fn player(i: usize, name: &str) -> OnlinePlayer {
        OnlinePlayer {
            id: PlayerId(i as u32),
            name: name.to_owned(),
            location: Location::default(),
            freq: None,
        }
    }

    fn err<T: std::fmt::Debug>(result: Result<T, CommandError>) -> String {
        match result.unwrap_err() {
            CommandError::Usage(message) | CommandError::Failed(message) => message,
        }
    }

    #[test]
    fn words_numbers_and_rest() {
        let mut p = Parser::new("bob  42 \"two words\" and the rest ", &[], &());
        assert_eq!(<&str>::parse(&mut p, "who").unwrap(), "bob");
        assert_eq!(u32::parse(&mut p, "n").unwrap(), 42);
        assert_eq!(String::parse(&mut p, "w").unwrap(), "two words");
        assert_eq!(Rest::parse(&mut p, "r").unwrap(), Rest("and the rest"));
        assert_eq!(Option::<u8>::parse(&mut p, "o").unwrap(), None);
        p.finish().unwrap();
    }

    #[test]
    fn number_errors_name_the_argument_and_range() {
        let mut p = Parser::new("300", &[], &());
        assert_eq!(err(u8::parse(&mut p, "count")), "<count> is a whole number from 0 to 255, not '300'.");
        let mut p = Parser::new("-5x", &[], &());
        assert_eq!(
            err(i32::parse(&mut p, "n")),
            "<n> is a whole number from -2147483648 to 2147483647, not '-5x'."
        );
        let mut p = Parser::new("", &[], &());
        assert_eq!(err(i32::parse(&mut p, "n")), "Missing <n>.");
        let p = Parser::new("left over", &[], &());
        assert_eq!(err(p.finish()), "Unexpected 'left over'.");
    }

    #[test]
    fn flags_lead_and_combine() {
        let flags = [Some('s'), Some('v')];
        let mut p = Parser::new("-sv -5 rest", &flags, &());
        assert!(p.flag('s') && p.flag('v'));
        assert_eq!(i64::parse(&mut p, "n").unwrap(), -5);
        let p = Parser::new("-x -s", &flags, &());
        assert!(!p.flag('s'), "an undeclared flag ends the flags");
        assert_eq!(p.rest(), "-x -s");
        let p = Parser::new("word -s", &flags, &());
        assert!(!p.flag('s'), "flags come first");
    }

    #[test]
    fn players_by_whole_name_with_spaces_or_unique_prefix() {
        let world = Online(vec!["Mr Bob", "Mr", "Alice", "Alfred"]);
        let mut p = Parser::new("mr bob 5", &[], &world);
        assert_eq!(OnlinePlayer::parse(&mut p, "who").unwrap().name, "Mr Bob");
        assert_eq!(u32::parse(&mut p, "n").unwrap(), 5);
        let mut p = Parser::new("Mr 5", &[], &world);
        assert_eq!(OnlinePlayer::parse(&mut p, "who").unwrap().name, "Mr");
        let mut p = Parser::new("alf", &[], &world);
        assert_eq!(OnlinePlayer::parse(&mut p, "who").unwrap().name, "Alfred");
        let mut p = Parser::new("al", &[], &world);
        assert_eq!(
            err(OnlinePlayer::parse(&mut p, "who")),
            "More than one player's name starts with 'al'; type more of it."
        );
        let mut p = Parser::new("zed", &[], &world);
        assert_eq!(err(OnlinePlayer::parse(&mut p, "who")), "Nobody called 'zed' is online.");
        let mut p = Parser::new("\"mr bob\"", &[], &world);
        assert_eq!(OnlinePlayer::parse(&mut p, "who").unwrap().name, "Mr Bob");
    }

    proptest::proptest! {
        /// The byte-wise trims are std's, on any text (white space of both
        /// kinds, ASCII and Unicode, mixed with words).
        #[test]
        fn trims_are_std_trims(text in "[ \t\n\u{b}\u{c}\r\u{85}\u{a0}\u{3000}é a1\"-]{0,12}") {
            proptest::prop_assert_eq!(trim_start(&text), text.trim_start());
            proptest::prop_assert_eq!(trim_end(&text), text.trim_end());
        }

        /// Unquoted words are what std's split at white space gives, ASCII
        /// and Unicode alike (`?give Bob\u{3000}5` is two words, as it is
        /// when quoted: `?give "Bob"\u{3000}5`).
        #[test]
        fn unquoted_words_split_at_any_white_space(text in "[ \t\u{b}\u{85}\u{a0}\u{3000}é a1-]{0,12}") {
            let mut parser = Parser::new(&text, &[], &());
            let words: Vec<&str> = std::iter::from_fn(|| parser.word()).collect();
            let std: Vec<&str> = text.split(char::is_whitespace).filter(|word| !word.is_empty()).collect();
            proptest::prop_assert_eq!(words, std);
        }

        /// An integer argument reads what std reads, and refuses what it refuses
        /// (a sign aside, which std takes and the parser does not).
        #[test]
        fn integers_read_as_std_reads_them(text in "[0-9]{0,21}|[0-9a ]{1,4}") {
            let mut parser = Parser::new(&text, &[], &());
            let parsed = u64::parse(&mut parser, "n").ok();
            let mut parser = Parser::new(&text, &[], &());
            let small = u8::parse(&mut parser, "n").ok();
            let word = text.trim().split_ascii_whitespace().next().unwrap_or("");
            proptest::prop_assert_eq!(parsed, word.parse::<u64>().ok());
            proptest::prop_assert_eq!(small, word.parse::<u8>().ok());
        }
    }
}
