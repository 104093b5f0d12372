//! What a command is: the static declaration `#[command(...)]` emits into the
//! [`COMMANDS`](crate::COMMANDS) slice, its target forms, command groups and handler.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::context::Ctx;
use crate::error::CommandResult;
pub use zone_ladder::{Forms, TargetForm};

/// One command as declared with `#[command(...)]` (DESIGN §4.1).
///
/// The macro builds these as `static`s and registers them in
/// [`COMMANDS`](crate::COMMANDS); tests and runtime code may build them by hand
/// and hand them to [`Registry::new`](crate::Registry::new), which checks the same
/// rules the macro checks at compile time.
#[derive(Debug)]
pub struct CommandDef {
    /// The command's name, lower case (`"usage"`). Derived from the function name
    /// by the macro when not given ([`derive_name`]).
    pub name: &'static str,
    /// Other names the command answers to (`["help"]` for `man`).
    pub aliases: &'static [&'static str],
    /// The component the command belongs to; `None` means the last segment of
    /// [`module_path`](Self::module_path).
    pub component: Option<&'static str>,
    /// `module_path!()` at the declaration.
    pub module_path: &'static str,
    /// The cmd char the command is bound to (`Some('*')`), or `None` for every
    /// cmd char (the general table).
    pub cmd_char: Option<char>,
    /// The sender must be inside the attach scope (DESIGN §4.3). Default `true`.
    pub source_in_scope: bool,
    /// The target (player or team) must be inside the attach scope. Default `true`.
    pub target_in_scope: bool,
    /// The target forms the command accepts (DESIGN §4.2).
    pub forms: Forms,
    /// The command group of each form, indexed by [`TargetForm::index`]. A form
    /// with no command group is reachable only through an explicit grant or
    /// `all_access` (DESIGN §5.2, steps 2, 4 and 6).
    pub groups: [Option<&'static str>; TargetForm::COUNT],
    /// A denied stealth command answers exactly as an unknown one (DESIGN §4.4).
    pub stealth: bool,
    /// Whether this is its component's catch-all (for its cmd char, or for
    /// every cmd char): it runs for names no command answers to in its scope
    /// (DESIGN §4.4, step 3). Its `name` only names it in listings and rules.
    pub catch_all: bool,
    /// The argument part of the usage line as declared (`args = "<player>"`),
    /// which wins over the one generated from [`CommandDef::params`].
    pub args: Option<&'static str>,
    /// The typed parameters, in order, each with its [`Shape`](crate::Shape).
    pub params: &'static [crate::args::Param],
    /// The doc comment: the first line is the summary, the whole is the `?man` text.
    pub help: &'static str,
    /// Where the declaration is (`file!()`), for registration errors.
    pub file: &'static str,
    /// Where the declaration is (`line!()`), for registration errors.
    pub line: u32,
    /// The function that runs the command.
    pub handler: Handler,
}

impl CommandDef {
    /// The component name: [`component`](Self::component) or the last segment of
    /// [`module_path`](Self::module_path).
    pub fn component_name(&self) -> &'static str {
        match self.component {
            Some(component) => component,
            None => self.module_path.rsplit("::").next().unwrap_or(self.module_path),
        }
    }

    /// The argument part of the usage line: as declared, else generated from
    /// the typed parameters (`[-s] [times] <reason...>`).
    pub fn usage_args(&self) -> Option<String> {
        match self.args {
            Some(args) => Some(args.to_owned()),
            None => crate::args::usage_of(self.params),
        }
    }

    /// The first sentence of the help text's first paragraph, its lines
    /// joined (`?commands` shows it), or `""` when there is none.
    pub fn summary(&self) -> String {
        summary(self.help)
    }

    /// The command group of `form`, if the command has one for it.
    pub fn group(&self, form: TargetForm) -> Option<&'static str> {
        self.groups[form.index()]
    }
}

/// The first sentence of `help`'s first paragraph, its lines joined: a doc
/// comment wraps lines anywhere, so its first line may end mid-sentence.
fn summary(help: &str) -> String {
    let paragraph: Vec<&str> = help
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect();
    let text = paragraph.join(" ");
    // A sentence ends at a full stop (not "e.g. "), question or exclamation
    // mark followed by a space.
    let mut ends =
        text.char_indices().filter(|(at, c)| matches!(c, '.' | '?' | '!') && text[at + 1..].starts_with(' '));
    let end = ends.by_ref().map(|(at, _)| at + 1).find(|&at| {
        let before = &text[..at];
        !before.ends_with("e.g.") && !before.ends_with("i.e.")
    });
    match end {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

/// A boxed future returned by an async handler's generated wrapper.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The function behind a command. The macro picks the variant from the
/// function's `async`-ness; linkme statics cannot hold an `async fn`, so async
/// handlers are registered through a generated wrapper that boxes the future.
#[derive(Clone, Copy)]
pub enum Handler {
    /// A plain handler: runs to completion without allocating a future.
    Sync(fn(&mut Ctx<'_>) -> CommandResult),
    /// An async handler's wrapper.
    Async(for<'a, 'b> fn(&'a mut Ctx<'b>) -> BoxFuture<'a, CommandResult>),
    /// A command added at runtime: the handler is the
    /// [`DynamicHandler`](crate::registry::DynamicHandler) it was installed
    /// with ([`Registry::install`](crate::Registry::install)).
    Dynamic,
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Handler::Sync(_) => f.write_str("Handler::Sync"),
            Handler::Async(_) => f.write_str("Handler::Async"),
            Handler::Dynamic => f.write_str("Handler::Dynamic"),
        }
    }
}

/// Derives a command name from a function name (DESIGN §4.1); the macro
/// applies the same rule at compile time.
pub use zone_names::derive_name;

#[cfg(test)]
mod tests {
    #[test]
    fn a_summary_is_the_first_sentence_across_wrapped_lines() {
        let help = "Lists the commands you may run here, by command group, each with its\ntarget forms and summary.\n\nMore.";
        assert_eq!(
            super::summary(help),
            "Lists the commands you may run here, by command group, each with its target forms and summary."
        );
        assert_eq!(super::summary("One. Two.\nThree."), "One.");
        assert_eq!(super::summary("Uses e.g. this. Then."), "Uses e.g. this.");
        assert_eq!(super::summary("Who is there? Ask."), "Who is there?");
        assert_eq!(super::summary(""), "");
    }

    use super::*;

    #[test]
    fn seed_naming_examples() {
        assert_eq!(derive_name("cmd_specall"), "specall");
        assert_eq!(derive_name("score_reset"), "scorereset");
        assert_eq!(derive_name("CMD_Usage"), "usage");
        assert_eq!(derive_name("cmdusage"), "cmdusage");
    }

    #[test]
    fn forms_bits_follow_declaration_order() {
        let forms = Forms::new(true, false, false, true, false);
        assert_eq!(forms.iter().collect::<Vec<_>>(), [TargetForm::Pub, TargetForm::Player]);
        assert_eq!(forms.to_string(), "pub, player");
        assert!(Forms::EMPTY.is_empty());
        assert!(Forms::EMPTY.with(TargetForm::External).contains(TargetForm::External));
    }
}
