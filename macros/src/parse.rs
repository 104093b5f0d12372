//! Parsing the arguments of `#[command(...)]` into [`Args`]: a `lookahead1` loop
//! over the known keywords. A malformed or repeated argument is recorded and
//! parsing carries on at the next comma, so one build reports every mistake.

use std::fmt::Display;

use proc_macro2::{Punct, Spacing, Span, TokenStream, TokenTree};
use syn::buffer::Cursor;
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::{Ident, LitBool, LitChar, LitStr, Token, bracketed};

/// Every argument `#[command(...)]` knows, in the order the unknown-argument
/// error lists them: the one table of them.
const KEYS: [(&str, Key); 20] = [
    ("name", Key::Name),
    ("aliases", Key::Aliases),
    ("component", Key::Component),
    ("char", Key::Char),
    ("source_in_scope", Key::SourceInScope),
    ("target_in_scope", Key::TargetInScope),
    ("target_pub", Key::Form(0)),
    ("target_team", Key::Form(1)),
    ("target_remote_team", Key::Form(2)),
    ("target_player", Key::Form(3)),
    ("target_external", Key::Form(4)),
    ("group", Key::Group),
    ("group_pub", Key::FormGroup(0)),
    ("group_team", Key::FormGroup(1)),
    ("group_remote_team", Key::FormGroup(2)),
    ("group_player", Key::FormGroup(3)),
    ("group_external", Key::FormGroup(4)),
    ("stealth", Key::Stealth),
    ("args", Key::Args),
    ("catch_all", Key::CatchAll),
];

/// The arguments there are, as the unknown-argument error lists them.
fn known() -> String {
    KEYS.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

/// The target forms' names in `cmdman::TargetForm` order; `forms` and
/// `form_groups` of [`Args`] are indexed the same way.
pub(crate) const FORMS: [&str; 5] = ["pub", "team", "remote_team", "player", "external"];

/// One argument as written: its key, for spans and messages, and its value.
pub(crate) struct Arg<T> {
    /// The argument's key (`target_pub`, `name`).
    pub(crate) key: Ident,
    /// The value, or `true` for a bare flag.
    pub(crate) value: T,
    /// The span of the argument's last token, so an error can cover all of it.
    pub(crate) end: Span,
    /// The argument's place in the list, from 0.
    pub(crate) position: usize,
}

impl<T> Arg<T> {
    /// An error covering the whole argument, from its key to its value.
    pub(crate) fn error(&self, message: impl Display) -> syn::Error {
        error_between(self.key.span(), self.end, message)
    }
}

/// An error covering the source from `start` to `end` (both token spans).
pub(crate) fn error_between(start: Span, end: Span, message: impl Display) -> syn::Error {
    // `new_spanned` keeps the first and the last token's spans; two stand-in
    // tokens carry them.
    let mut first = Punct::new('=', Spacing::Alone);
    first.set_span(start);
    let mut last = Punct::new('=', Spacing::Alone);
    last.set_span(end);
    let tokens: TokenStream = [TokenTree::Punct(first), TokenTree::Punct(last)].into_iter().collect();
    syn::Error::new_spanned(tokens, message)
}

/// The arguments of one `#[command(...)]`, each as written, or `None` when absent.
#[derive(Default)]
pub(crate) struct Args {
    /// `name = "..."`.
    pub(crate) name: Option<Arg<LitStr>>,
    /// `aliases = ["...", ...]`.
    pub(crate) aliases: Option<Arg<Vec<LitStr>>>,
    /// `component = "..."`.
    pub(crate) component: Option<Arg<LitStr>>,
    /// `char = '*'`.
    pub(crate) cmd_char: Option<Arg<LitChar>>,
    /// `source_in_scope` or `source_in_scope = bool`.
    pub(crate) source_in_scope: Option<Arg<bool>>,
    /// `target_in_scope` or `target_in_scope = bool`.
    pub(crate) target_in_scope: Option<Arg<bool>>,
    /// `target_pub` … `target_external`, indexed as [`FORMS`].
    pub(crate) forms: [Option<Arg<bool>>; 5],
    /// `group = "..."`, the command group of every form.
    pub(crate) group: Option<Arg<LitStr>>,
    /// `group_pub = "..."` … `group_external = "..."`, indexed as [`FORMS`].
    pub(crate) form_groups: [Option<Arg<LitStr>>; 5],
    /// `stealth` or `stealth = bool`.
    pub(crate) stealth: Option<Arg<bool>>,
    /// `args = "..."`.
    pub(crate) args: Option<Arg<LitStr>>,
    /// `catch_all` or `catch_all = bool`.
    pub(crate) catch_all: Option<Arg<bool>>,
    /// How many arguments were seen, well formed or not.
    count: usize,
}

/// Which argument a key names.
#[derive(Clone, Copy)]
enum Key {
    Name,
    Aliases,
    Component,
    Char,
    SourceInScope,
    TargetInScope,
    Form(usize),
    Group,
    FormGroup(usize),
    Stealth,
    Args,
    CatchAll,
}

/// Parses the attribute's arguments. Returns what parsed, and every problem found
/// (empty when the arguments are well formed).
pub(crate) fn parse(tokens: TokenStream) -> (Args, Vec<syn::Error>) {
    let mut args = Args::default();
    let mut errors = Vec::new();
    let parser = |input: ParseStream<'_>| {
        parse_all(input, &mut args, &mut errors);
        Ok(())
    };
    // `parse_all` consumes every token and records its errors itself.
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    (args, errors)
}

/// The `lookahead1` loop: one argument, then a comma, until the input ends.
fn parse_all(input: ParseStream<'_>, args: &mut Args, errors: &mut Vec<syn::Error>) {
    while !input.is_empty() {
        if let Err(error) = parse_one(input, args) {
            errors.push(error);
            skip_to_comma(input);
        }
        if input.is_empty() {
            break;
        }
        if input.parse::<Token![,]>().is_err() {
            errors.push(input.error("expected `,` between arguments"));
            skip_to_comma(input);
            // At a comma or at the end now; either is fine.
            let _ = input.parse::<Option<Token![,]>>();
        }
    }
}

/// Skips tokens up to (not including) the next top-level comma, to resume after
/// a malformed argument.
fn skip_to_comma(input: ParseStream<'_>) {
    let _ = input.step(|cursor| Ok(((), to_comma(*cursor).1)));
}

/// The token trees from `cursor` up to (not including) the next top-level comma,
/// and the cursor there. Brackets and parentheses are single token trees, so a
/// comma inside them does not stop it.
fn to_comma(cursor: Cursor<'_>) -> (Vec<TokenTree>, Cursor<'_>) {
    let mut trees = Vec::new();
    let mut rest = cursor;
    while let Some((tree, next)) = rest.token_tree() {
        if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
            break;
        }
        trees.push(tree);
        rest = next;
    }
    (trees, rest)
}

/// Parses one argument into its slot of `args`.
fn parse_one(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    let position = args.count;
    args.count += 1;
    let key = peek_key(input)?;
    let ident = input.call(Ident::parse_any)?;
    let at = At { key: &ident, position };
    match key {
        Key::Name => set(&mut args.name, at.arg(string(input, &ident, "name = \"usage\"")?)),
        Key::Aliases => set(&mut args.aliases, at.arg(list(input, &ident)?)),
        Key::Component => set(&mut args.component, at.arg(string(input, &ident, "component = \"core\"")?)),
        Key::Char => set(&mut args.cmd_char, at.arg(character(input, &ident)?)),
        Key::SourceInScope => set(&mut args.source_in_scope, at.arg(flag(input, &ident)?)),
        Key::TargetInScope => set(&mut args.target_in_scope, at.arg(flag(input, &ident)?)),
        Key::Form(index) => set(&mut args.forms[index], at.arg(flag(input, &ident)?)),
        Key::Group => set(&mut args.group, at.arg(string(input, &ident, "group = \"default\"")?)),
        Key::FormGroup(index) => {
            let example = format!("group_{} = \"mod\"", FORMS[index]);
            set(&mut args.form_groups[index], at.arg(string(input, &ident, &example)?))
        }
        Key::Stealth => set(&mut args.stealth, at.arg(flag(input, &ident)?)),
        Key::Args => set(&mut args.args, at.arg(string(input, &ident, "args = \"<player> [reason]\"")?)),
        Key::CatchAll => set(&mut args.catch_all, at.arg(flag(input, &ident)?)),
    }
}

/// Where an argument is, for building its [`Arg`] once its value is parsed.
struct At<'a> {
    key: &'a Ident,
    position: usize,
}

impl At<'_> {
    fn arg<T>(&self, (value, end): (T, Span)) -> Arg<T> {
        Arg { key: self.key.clone(), value, end, position: self.position }
    }
}

/// Which argument comes next, without consuming it.
fn peek_key(input: ParseStream<'_>) -> syn::Result<Key> {
    let Ok(ident) = input.fork().call(Ident::parse_any) else {
        return Err(input.error(format!("expected an argument: one of {}", known())));
    };
    let name = ident.unraw().to_string();
    KEYS.iter().find(|(key, _)| *key == name).map(|(_, key)| *key).ok_or_else(|| {
        syn::Error::new(ident.span(), format!("unknown argument `{ident}`; the arguments are {}", known()))
    })
}

/// Stores `arg` in `slot`, or reports "`x` specified more than once" at the
/// second occurrence.
fn set<T>(slot: &mut Option<Arg<T>>, arg: Arg<T>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(arg.key.span(), format!("`{}` specified more than once", arg.key)));
    }
    *slot = Some(arg);
    Ok(())
}

/// The `=` after a key that takes a value; `example` shows the whole argument.
fn equals(input: ParseStream<'_>, key: &Ident, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(syn::Error::new(key.span(), format!("`{key}` needs a value, like `{example}`")))
    }
}

/// An error on the value at the cursor, which has the wrong type: it covers the
/// tokens up to the next comma, or reports a missing value.
fn wrong_value(input: ParseStream<'_>, message: impl Display) -> syn::Error {
    let (value, _) = to_comma(input.cursor());
    if value.is_empty() {
        input.error(format!("missing value: {message}"))
    } else {
        syn::Error::new_spanned(value.into_iter().collect::<TokenStream>(), message)
    }
}

/// `key = "text"`.
fn string(input: ParseStream<'_>, key: &Ident, example: &str) -> syn::Result<(LitStr, Span)> {
    equals(input, key, example)?;
    if !input.peek(LitStr) {
        return Err(wrong_value(input, format!("`{key}` takes a string literal, like `{example}`")));
    }
    let value: LitStr = input.parse()?;
    let end = value.span();
    Ok((value, end))
}

/// `aliases = ["a", "b"]`.
fn list(input: ParseStream<'_>, key: &Ident) -> syn::Result<(Vec<LitStr>, Span)> {
    let example = "aliases = [\"help\", \"h\"]";
    equals(input, key, example)?;
    if input.peek(LitStr) {
        let single: LitStr = input.fork().parse()?;
        let message =
            format!("`aliases` takes a list of string literals, like `aliases = [\"{}\"]`", single.value());
        return Err(wrong_value(input, message));
    }
    if !input.peek(syn::token::Bracket) {
        return Err(wrong_value(
            input,
            format!("`aliases` takes a list of string literals, like `{example}`"),
        ));
    }
    let content;
    let bracket = bracketed!(content in input);
    let mut value = Vec::new();
    while !content.is_empty() {
        if !content.peek(LitStr) {
            return Err(wrong_value(
                &content,
                format!("`aliases` takes a list of string literals, like `{example}`"),
            ));
        }
        value.push(content.parse::<LitStr>()?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok((value, bracket.span.close()))
}

/// `char = '*'`.
fn character(input: ParseStream<'_>, key: &Ident) -> syn::Result<(LitChar, Span)> {
    equals(input, key, "char = '*'")?;
    if !input.peek(LitChar) {
        let mut message = "`char` takes a char literal, like `char = '*'`".to_owned();
        if let Ok(text) = input.fork().parse::<LitStr>()
            && text.value().chars().count() == 1
        {
            message = format!("`char` takes a char literal in single quotes: `char = '{}'`", text.value());
        }
        return Err(wrong_value(input, message));
    }
    let value: LitChar = input.parse()?;
    let end = value.span();
    Ok((value, end))
}

/// A bare `flag` (true) or `flag = true` / `flag = false`.
fn flag(input: ParseStream<'_>, key: &Ident) -> syn::Result<(bool, Span)> {
    if !input.peek(Token![=]) {
        return Ok((true, key.span()));
    }
    input.parse::<Token![=]>()?;
    if !input.peek(LitBool) {
        return Err(wrong_value(
            input,
            format!("`{key}` takes `true` or `false`, or write `{key}` alone for true"),
        ));
    }
    let value: LitBool = input.parse()?;
    Ok((value.value, value.span))
}
