//! The `#[command(...)]` attribute (DESIGN §4.1): it checks a command
//! declaration at compile time and registers it in `cmdman::COMMANDS`. Use it
//! through its re-export, `cmdman::command`.
//!
//! # Layout
//! - [`command`]: the attribute; parse → validate → expand.
//! - `parse`: the attribute's arguments, as written.
//! - `validate`: the rules of DESIGN §4.1, name derivation, help from doc comments.
//! - `expand`: the function, its `CommandDef` static and the async wrapper.

use proc_macro::TokenStream;
use proc_macro2::Span;
use syn::ItemFn;

mod expand;
mod parse;
mod validate;

/// Declares a command: registers the function it is on in `cmdman::COMMANDS`
/// as a `cmdman::CommandDef`, leaving the function itself unchanged.
///
/// ```ignore
/// use cmdman::{command, CommandResult, Ctx};
///
/// /// Shows your session time.
/// ///
/// /// With a player target, shows theirs.
/// #[command(target_pub, target_player, group = "default", args = "[player]")]
/// async fn cmd_usage(ctx: &mut Ctx<'_>) -> CommandResult {
///     ctx.reply().line("0 minutes");
///     Ok(())
/// }
/// ```
///
/// The function is a free `fn` or `async fn` taking `ctx: &mut Ctx<'_>`, then
/// any typed arguments, and returning `CommandResult`; its doc comment is the
/// help text (the first line is the summary). Typed arguments are parsed from
/// the params in order through `cmdman::Arg` (integers, `&str` and `String`
/// words, `Rest` for the rest of the line, `Option<T>`, `OnlinePlayer`,
/// `Flag<'x'>` for `-x`); a parse error answers with the usage line, which is
/// generated from them unless `args` is given:
///
/// ```ignore
/// /// Gives points.
/// #[command(target_pub, group = "default")]    // usage: ?give [-l] <to> <amount> [note...]
/// fn cmd_give(ctx: &mut Ctx<'_>, loud: Flag<'l'>, to: OnlinePlayer, amount: u32, note: Option<Rest<'_>>)
///     -> CommandResult { Ok(()) }
/// ```
///
/// A parameter marked `#[from_ctx]` is not parsed from the line but taken
/// from the context through `cmdman::FromCtx` (a component's shared state,
/// say), before the typed arguments are parsed; its error is the command's:
///
/// ```ignore
/// #[command(target_pub, group = "mod", args = "<group>")]
/// fn cmd_grants(ctx: &mut Ctx<'_>, #[from_ctx] zone: &Zone, group: &str) -> CommandResult { Ok(()) }
/// ```
///
/// Arguments, all optional, in any order, each at most once:
///
/// | argument | meaning | default |
/// |---|---|---|
/// | `name = "usage"` | the name: 1–32 lower-case ASCII letters and digits | from the function: `cmd_usage` → `usage`, `score_reset` → `scorereset` |
/// | `aliases = ["help", "h"]` | other names, same rule | none |
/// | `component = "core"` | the component (lower-case ASCII letters, digits, `_`, `-`) | the enclosing module's name |
/// | `char = '*'` | bind to one cmd char (punctuation, not `\|`) | every cmd char |
/// | `source_in_scope`, `source_in_scope = bool` | the sender must be in the attach scope | `true` |
/// | `target_in_scope`, `target_in_scope = bool` | the target must be in the attach scope | `true` |
/// | `target_pub`, `target_team`, `target_remote_team`, `target_player`, `target_external` (each also `= bool`) | the accepted target forms | none |
/// | `group = "default"` | the command group of every form | none |
/// | `group_pub = "..."`, `group_team`, `group_remote_team`, `group_player`, `group_external` | the command group of one form, overriding `group` | `group` |
/// | `stealth`, `stealth = bool` | a denied use answers as an unknown command | `false` |
/// | `args = "<player> [reason]"` | the argument part of the usage line | from the typed arguments, else none |
/// | `catch_all`, `catch_all = bool` | the component's catch-all (for `char`, or every cmd char): runs for names nothing else answers to in its scope | `false` |
///
/// Compile errors, each pointing at the argument at fault: both scopes `false`;
/// no target form; `target_external` without `target_in_scope = false`; a group
/// for a form the command does not accept; a bad name, alias, group, component or
/// cmd char; a catch-all with `aliases` or `source_in_scope = false`; an
/// unknown, repeated or mistyped argument; a generic function, a `self`
/// receiver, or a typed argument without a plain name.
#[proc_macro_attribute]
pub fn command(args: TokenStream, item: TokenStream) -> TokenStream {
    command_impl(args.into(), item.into()).into()
}

/// [`command`] on `proc_macro2` tokens: every problem is collected and reported
/// together, after the unchanged item.
fn command_impl(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[command]` goes on a function: `fn name(ctx: &mut Ctx<'_>) -> CommandResult`",
            );
            return expand::with_errors(item, &error);
        }
    };
    let (args, parse_errors) = parse::parse(args);
    let validated = validate::validate(&args, parse_errors, &func);
    let func = expand::without_from_ctx(&func);
    match validated {
        Ok(command) => expand::expand(&func, &command),
        Err(error) => expand::with_errors(&func, &error),
    }
}
