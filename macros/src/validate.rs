//! Checking a parsed declaration against the rules of DESIGN §4.1 and turning
//! it into a [`Command`] ready to expand: names, cmd char, scopes, target forms,
//! command groups, the handler's signature and the help text from its doc comment.

use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::{Expr, ExprLit, FnArg, GenericParam, Ident, ItemFn, Lit, LitStr, Meta, Pat, Type};

use crate::parse::{Arg, Args, FORMS, error_between};

/// A declaration that passed every check, in the shape of `cmdman::CommandDef`.
pub(crate) struct Command {
    /// The name, given or derived.
    pub(crate) name: String,
    /// Other names.
    pub(crate) aliases: Vec<String>,
    /// The component, if given.
    pub(crate) component: Option<String>,
    /// The cmd char the command is bound to, if any.
    pub(crate) cmd_char: Option<char>,
    /// Whether the sender must be inside the attach scope.
    pub(crate) source_in_scope: bool,
    /// Whether the target must be inside the attach scope.
    pub(crate) target_in_scope: bool,
    /// The accepted target forms, indexed as [`FORMS`].
    pub(crate) forms: [bool; 5],
    /// The command group of each form, indexed as [`FORMS`].
    pub(crate) groups: [Option<String>; 5],
    /// Whether a denied use answers as an unknown command.
    pub(crate) stealth: bool,
    /// The argument part of the usage line.
    pub(crate) args: Option<String>,
    /// The help text, from the doc comment.
    pub(crate) help: String,
    /// Whether this is the component's catch-all.
    pub(crate) catch_all: bool,
    /// The typed arguments after `ctx`, parsed from the params
    /// (`cmdman::Arg`): name and type.
    pub(crate) params: Vec<(Ident, Type)>,
    /// Parameters marked `#[from_ctx]`, taken from the context
    /// (`cmdman::FromCtx`): name and type.
    pub(crate) extractors: Vec<(Ident, Type)>,
    /// Every parameter after `ctx`, in declaration order.
    pub(crate) order: Vec<Ident>,
    /// Whether the handler is an `async fn`.
    pub(crate) is_async: bool,
}

/// Checks `args` and `func`. `errors` holds the problems parsing found; when
/// there are any, the rules that look at the declaration as a whole (scopes,
/// forms, groups per form) are skipped, since a malformed argument would make
/// them report mistakes that are not there.
///
/// # Errors
/// Every problem found, parsing's included, combined into one error whose
/// messages are each attached to the token at fault.
pub(crate) fn validate(
    args: &Args,
    mut errors: Vec<syn::Error>,
    func: &ItemFn,
) -> Result<Command, syn::Error> {
    let args_parsed = errors.is_empty();
    let all = check_signature(func, &mut errors);
    let order: Vec<Ident> = all.iter().map(|(name, _, _)| name.clone()).collect();
    let extractors: Vec<(Ident, Type)> = all
        .iter()
        .filter(|(_, _, from_ctx)| *from_ctx)
        .map(|(name, ty, _)| (name.clone(), ty.clone()))
        .collect();
    let params: Vec<(Ident, Type)> =
        all.into_iter().filter(|(_, _, from_ctx)| !from_ctx).map(|(name, ty, _)| (name, ty)).collect();

    let name = match &args.name {
        Some(name) => checked_name(name.value.clone(), "command name", &mut errors),
        None => {
            let ident = &func.sig.ident;
            let derived = zone_names::derive_name(&ident.unraw().to_string());
            if !zone_names::is_command_name(&derived) {
                let gives = if derived.is_empty() {
                    "nothing is left once `cmd_` and non-alphanumerics are removed".to_owned()
                } else {
                    format!("it gives `{derived}`, but {}", zone_names::COMMAND_NAME_RULE)
                };
                errors.push(syn::Error::new(
                    ident.span(),
                    format!(
                        "cannot derive a command name from `{ident}`: {gives}; give one with `name = \"...\"`"
                    ),
                ));
            }
            derived
        }
    };

    let mut aliases: Vec<String> = Vec::new();
    for alias in args.aliases.iter().flat_map(|arg| &arg.value) {
        let text = checked_name(alias.clone(), "alias", &mut errors);
        if text == name || aliases.contains(&text) {
            errors.push(syn::Error::new(alias.span(), format!("`{text}` is already a name of this command")));
        }
        aliases.push(text);
    }

    let component =
        args.component.as_ref().map(|arg| checked_group(&arg.value, "component name", &mut errors));

    let cmd_char = args.cmd_char.as_ref().map(|arg| {
        let c = arg.value.value();
        if !zone_names::is_cmd_char(c) {
            errors.push(syn::Error::new(
                arg.value.span(),
                format!("{c:?} cannot be a cmd char: {}, such as '?' or '*'", zone_names::CMD_CHAR_RULE),
            ));
        }
        c
    });

    let source_in_scope = flag(&args.source_in_scope, true);
    let target_in_scope = flag(&args.target_in_scope, true);
    let forms = args.forms.each_ref().map(|form| flag(form, false));

    let group = args.group.as_ref().map(|arg| checked_group(&arg.value, "command group", &mut errors));
    let mut groups: [Option<String>; 5] = Default::default();
    for (index, slot) in groups.iter_mut().enumerate() {
        let own = &args.form_groups[index];
        if let Some(arg) = own {
            let text = checked_group(&arg.value, "command group", &mut errors);
            if args_parsed && !forms[index] {
                errors.push(arg.error(format!(
                    "`{}` is for the {} form, which this command does not accept; \
                     add `target_{}` or remove this group",
                    arg.key, FORMS[index], FORMS[index]
                )));
            }
            *slot = Some(text);
        } else if forms[index] {
            slot.clone_from(&group);
        }
    }

    if args_parsed {
        check_scopes_and_forms(args, &forms, &mut errors);
    }

    let stealth = flag(&args.stealth, false);
    let usage = args.args.as_ref().map(|arg| {
        let text = arg.value.value();
        if text.trim().is_empty() {
            errors.push(arg.error(
                "`args` is the argument part of the usage line and cannot be empty; \
                 leave it out for a command without arguments",
            ));
        }
        text
    });

    let catch_all = flag(&args.catch_all, false);
    if let Some(arg) = args.catch_all.as_ref().filter(|arg| arg.value) {
        if let Some(aliases) = &args.aliases {
            errors.push(aliases.error("a catch-all answers to every unknown name: it takes no `aliases`"));
        }
        if !flag(&args.source_in_scope, true) {
            errors.push(arg.error(
                "a catch-all is found through the sender's scopes: it cannot have `source_in_scope = false`",
            ));
        }
    }
    // The usage line of typed arguments, and where each may stand, come from
    // the argument types themselves (`cmdman::Arg::SHAPE`), at compile time.

    let help = help_text(func, &mut errors);

    if let Some(error) = combine(errors) {
        return Err(error);
    }
    Ok(Command {
        name,
        aliases,
        component,
        cmd_char,
        source_in_scope,
        target_in_scope,
        forms,
        groups,
        stealth,
        args: usage,
        help,
        catch_all,
        params,
        extractors,
        order,
        is_async: func.sig.asyncness.is_some(),
    })
}

/// All of `errors` as one error, or `None` when there are none.
fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    })
}

/// A flag's value, or `default` when it is absent.
fn flag(arg: &Option<Arg<bool>>, default: bool) -> bool {
    arg.as_ref().map_or(default, |arg| arg.value)
}

/// The seed's rules on scopes and target forms (DESIGN §4.1).
fn check_scopes_and_forms(args: &Args, forms: &[bool; 5], errors: &mut Vec<syn::Error>) {
    if let (Some(source), Some(target)) = (&args.source_in_scope, &args.target_in_scope)
        && !source.value
        && !target.value
    {
        let (first, last) =
            if source.position < target.position { (source, target) } else { (target, source) };
        errors.push(error_between(
            first.key.span(),
            last.end,
            "`source_in_scope = false` with `target_in_scope = false` is illegal: \
             either the sender or the target must be inside the attach scope",
        ));
    }

    if !forms.iter().any(|&accepted| accepted) {
        let message = "a command needs at least one target form: add `target_pub`, `target_team`, \
                       `target_remote_team`, `target_player` or `target_external`";
        // Point at the forms turned off, if any; otherwise at the attribute.
        let off: Vec<&Arg<bool>> = args.forms.iter().flatten().collect();
        match (off.first(), off.last()) {
            (Some(first), Some(last)) => errors.push(error_between(first.key.span(), last.end, message)),
            _ => errors.push(syn::Error::new(Span::call_site(), message)),
        }
    }

    if let Some(external) = &args.forms[4]
        && external.value
        && flag(&args.target_in_scope, true)
    {
        let message = match &args.target_in_scope {
            Some(_) => {
                "`target_external` needs `target_in_scope = false`: an external target is a name \
                        outside the zone, in no scope"
            }
            None => {
                "`target_external` needs `target_in_scope = false` (`target_in_scope` defaults to \
                     true): an external target is a name outside the zone, in no scope"
            }
        };
        errors.push(external.error(message));
    }
}

/// A handler is a free function taking `ctx: &mut Ctx<'_>` and then typed
/// arguments with plain names, with no type or const parameters; its return
/// type is left to rustc. Returns every parameter after `ctx`: name, type,
/// and whether it is marked `#[from_ctx]`.
fn check_signature(func: &ItemFn, errors: &mut Vec<syn::Error>) -> Vec<(Ident, Type, bool)> {
    let sig = &func.sig;
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            errors.push(syn::Error::new_spanned(
                param,
                "a command handler cannot be generic: `cmdman` calls it as `fn(&mut Ctx<'_>)`",
            ));
        }
    }
    if let Some(clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(clause, "a command handler cannot have a `where` clause"));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            "a command handler takes one parameter: `ctx: &mut Ctx<'_>`",
        )),
        Some(FnArg::Receiver(receiver)) => {
            errors.push(syn::Error::new_spanned(
                receiver,
                "a command handler is a free function and cannot take `self`; take `ctx: &mut Ctx<'_>`",
            ));
            // What follows `self` is likely the `ctx` parameter: not worth an error.
            return Vec::new();
        }
        Some(FnArg::Typed(_)) => {}
    }
    let mut params = Vec::new();
    for input in inputs {
        match input {
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    let from_ctx = typed.attrs.iter().any(|attr| attr.path().is_ident("from_ctx"));
                    params.push((pat.ident.clone(), (*typed.ty).clone(), from_ctx));
                }
                other => errors.push(syn::Error::new_spanned(
                    other,
                    "a typed argument needs a plain name, such as `player: OnlinePlayer`: \
                     the name is shown in the usage line",
                )),
            },
            FnArg::Receiver(receiver) => {
                errors.push(syn::Error::new_spanned(receiver, "a command handler cannot take `self`"));
            }
        }
    }
    params
}

/// The text of a given name or alias, with an error on the literal if it is not
/// legal. `what` is "command name" or "alias".
fn checked_name(lit: LitStr, what: &str, errors: &mut Vec<syn::Error>) -> String {
    let text = lit.value();
    // The registry checks the same at start-up.
    if !zone_names::is_command_name(&text) {
        errors.push(syn::Error::new(
            lit.span(),
            format!("invalid {what} {text:?}: {}", zone_names::COMMAND_NAME_RULE),
        ));
    }
    text
}

/// The text of a command group or component name, with an error on the literal
/// if it is not legal: non-empty, lower-case ASCII letters, digits, `_` and `-`.
fn checked_group(lit: &LitStr, what: &str, errors: &mut Vec<syn::Error>) -> String {
    let text = lit.value();
    if !zone_names::is_group_name(&text) {
        errors.push(syn::Error::new(
            lit.span(),
            format!("invalid {what} {text:?}: {}", zone_names::GROUP_NAME_RULE),
        ));
    }
    text
}

/// The help text: the function's `#[doc = "..."]` attributes (its `///` lines)
/// joined by [`join_doc`]. A doc attribute whose value is not a string literal
/// (`#[doc = include_str!(..)]`) cannot be read here and is an error.
fn help_text(func: &ItemFn, errors: &mut Vec<syn::Error>) -> String {
    let mut docs = Vec::new();
    for attr in &func.attrs {
        let Meta::NameValue(meta) = &attr.meta else {
            continue;
        };
        if !meta.path.is_ident("doc") {
            continue;
        }
        match &meta.value {
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => docs.push(text.value()),
            other => errors.push(syn::Error::new_spanned(
                other,
                "the help text comes from the doc comment and must be a string literal; \
                 `#[command]` cannot read a computed `#[doc = ...]`",
            )),
        }
    }
    join_doc(docs.iter().map(String::as_str))
}

/// Joins doc-comment lines into help text: each attribute is split into lines,
/// one leading space is stripped from each line (`/// text` gives `" text"`),
/// lines are joined with `\n`, and leading and trailing blank lines are dropped.
/// No doc comment gives `""`.
pub(crate) fn join_doc<'a>(docs: impl IntoIterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = docs
        .into_iter()
        .flat_map(|doc| doc.split('\n'))
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    let is_text = |line: &&str| !line.trim().is_empty();
    match (lines.iter().position(is_text), lines.iter().rposition(is_text)) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_lines_lose_one_leading_space_and_outer_blank_lines() {
        let docs = [
            "",
            " Shows your session time.",
            "",
            " With a player target, shows theirs.",
            "   - indented stays indented",
            "",
            " ",
        ];
        assert_eq!(
            join_doc(docs),
            "Shows your session time.\n\nWith a player target, shows theirs.\n  - indented stays indented"
        );
    }

    #[test]
    fn doc_attributes_with_several_lines_are_split() {
        // `/** ... */` and `#[doc = "..."]` can hold several lines in one attribute.
        let docs = ["\n One.\n Two.\r\n", " Three."];
        assert_eq!(join_doc(docs), "One.\nTwo.\n\nThree.");
    }

    #[test]
    fn no_doc_is_empty_help() {
        assert_eq!(join_doc([]), "");
        assert_eq!(join_doc(["", "  ", " "]), "");
        assert_eq!(join_doc(["no space"]), "no space");
    }

    #[test]
    fn help_comes_from_doc_attributes_only() {
        let func: ItemFn = syn::parse_quote! {
            /// Summary.
            ///
            #[doc = " More."]
            #[doc(alias = "x")]
            #[inline]
            fn cmd_x(ctx: &mut Ctx<'_>) -> CommandResult { Ok(()) }
        };
        let mut errors = Vec::new();
        assert_eq!(help_text(&func, &mut errors), "Summary.\n\nMore.");
        assert!(errors.is_empty());
    }
}
