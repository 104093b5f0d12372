//! Generating code: the user's function unchanged, then a `cmdman::CommandDef`
//! static registered into `cmdman::COMMANDS` through the linkme that `cmdman`
//! re-exports, with a boxing wrapper for an `async fn`. On error, the function
//! followed by the `compile_error!`s.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::{Ident, ItemFn};

use crate::validate::Command;

/// The function, then its registration in a `const _: () = { ... };` block, so
/// two commands in one module never clash over the generated names.
pub(crate) fn expand(func: &ItemFn, command: &Command) -> TokenStream {
    let ident = &func.sig.ident;
    let Command {
        name,
        aliases,
        component,
        cmd_char,
        source_in_scope,
        target_in_scope,
        forms,
        groups,
        stealth,
        args,
        help,
        catch_all,
        params,
        extractors,
        order,
        is_async,
    } = command;
    let component = option(component.as_deref());
    let cmd_char = option(*cmd_char);
    let [form_pub, form_team, form_remote_team, form_player, form_external] = *forms;
    let groups = groups.iter().map(|group| option(group.as_deref()));
    let args = option(args.as_deref());
    // `line!()` with the function name's span reports the line of the `fn`.
    let line = quote_spanned!(ident.span()=> ::core::line!());

    // Context parameters are taken first, then the typed arguments parsed.
    let names: Vec<&Ident> = params.iter().map(|(name, _)| name).collect();
    let taken: Vec<&Ident> = extractors.iter().map(|(name, _)| name).collect();
    let taken_types: Vec<TokenStream> =
        extractors.iter().map(|(_, ty)| anonymous_lifetimes(ty.to_token_stream())).collect();
    // Typed arguments are parsed in the wrapper. Named lifetimes in their
    // types become `'_`: the wrapper has none of the function's.
    let types: Vec<TokenStream> =
        params.iter().map(|(_, ty)| anonymous_lifetimes(ty.to_token_stream())).collect();
    let labels: Vec<String> = names.iter().map(|name| name.unraw().to_string()).collect();
    let extract = quote! {
        #(let #taken: #taken_types = <#taken_types as ::cmdman::FromCtx<'_>>::from_ctx(&*ctx)?;)*
    };
    // Each argument type says how it reads and where it may stand.
    let static_types: Vec<TokenStream> =
        params.iter().map(|(_, ty)| static_lifetimes(ty.to_token_stream())).collect();
    let shapes = quote!(#(<#static_types as ::cmdman::Arg<'static>>::SHAPE),*);
    let param_list = quote!(&[#(::cmdman::Param { name: #labels, shape: <#static_types as ::cmdman::Arg<'static>>::SHAPE }),*]);
    let parse = if params.is_empty() {
        extract
    } else {
        quote! {
            #extract
            let mut __cmdman_args = ctx.args(&[#(<#types as ::cmdman::Arg<'_>>::SHAPE.flag()),*]);
            #(let #names: #types = <#types as ::cmdman::Arg<'_>>::parse(&mut __cmdman_args, #labels)?;)*
            __cmdman_args.finish()?;
        }
    };
    let params = order;

    // A type mismatch between the handler and `Handler`'s fn pointer, or an async
    // handler whose future is not `Send`, is reported at the function's name.
    let (wrapper, handler) = if *is_async {
        let body = if params.is_empty() {
            quote_spanned!(ident.span()=> ::std::boxed::Box::pin(#ident(ctx)))
        } else {
            let call = quote_spanned!(ident.span()=> #ident(ctx, #(#params),*).await);
            quote!(::std::boxed::Box::pin(async move {
                #parse
                #call
            }))
        };
        let wrapper = quote! {
            fn __cmdman_async_handler<'a, 'b>(
                ctx: &'a mut ::cmdman::Ctx<'b>,
            ) -> ::cmdman::BoxFuture<'a, ::cmdman::CommandResult> {
                #body
            }
        };
        (wrapper, quote!(::cmdman::Handler::Async(__cmdman_async_handler)))
    } else if params.is_empty() {
        (TokenStream::new(), quote!(::cmdman::Handler::Sync(#ident)))
    } else {
        let call = quote_spanned!(ident.span()=> #ident(ctx, #(#params),*));
        let wrapper = quote! {
            fn __cmdman_handler(ctx: &mut ::cmdman::Ctx<'_>) -> ::cmdman::CommandResult {
                #parse
                #call
            }
        };
        (wrapper, quote!(::cmdman::Handler::Sync(__cmdman_handler)))
    };

    quote! {
        #func

        const _: () = {
            #wrapper

            // Rest last, no optional flag: a mistake is a compile error here.
            const _: () = ::cmdman::args::check_shapes(&[#shapes]);

            #[::cmdman::__private::linkme::distributed_slice(::cmdman::COMMANDS)]
            #[linkme(crate = ::cmdman::__private::linkme)]
            static __CMDMAN_COMMAND: ::cmdman::CommandDef = ::cmdman::CommandDef {
                name: #name,
                aliases: &[#(#aliases),*],
                component: #component,
                module_path: ::core::module_path!(),
                cmd_char: #cmd_char,
                source_in_scope: #source_in_scope,
                target_in_scope: #target_in_scope,
                forms: ::cmdman::Forms::new(
                    #form_pub,
                    #form_team,
                    #form_remote_team,
                    #form_player,
                    #form_external,
                ),
                groups: [#(#groups),*],
                stealth: #stealth,
                catch_all: #catch_all,
                args: #args,
                params: #param_list,
                help: #help,
                file: ::core::file!(),
                line: #line,
                handler: #handler,
            };
        };
    }
}

/// `func` as emitted: `#[from_ctx]` is the macro's own attribute, so it is
/// taken off the parameters (with or without errors to report, so they are
/// the only errors the user sees).
pub(crate) fn without_from_ctx(func: &ItemFn) -> ItemFn {
    let mut func = func.clone();
    for input in &mut func.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident("from_ctx"));
        }
    }
    func
}

/// The item unchanged (so rustc reports nothing about it that is not really
/// wrong, such as a missing function where it is called), then one
/// `compile_error!` per problem in `error`.
pub(crate) fn with_errors(item: impl ToTokens, error: &syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        #item
        #errors
    }
}

/// `Some(value)` or `None`, spelled out in full so the user's scope can't
/// shadow them.
fn option(value: Option<impl ToTokens>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// `tokens` with every lifetime, named or `'_`, replaced by `'static`, and a
/// reference without one given `'static`: argument types as a `static` names
/// them.
fn static_lifetimes(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut after_quote = false;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        let tree = match tree {
            TokenTree::Ident(ident) if after_quote => TokenTree::Ident(Ident::new("static", ident.span())),
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), static_lifetimes(group.stream()));
                new.set_span(group.span());
                TokenTree::Group(new)
            }
            other => other.clone(),
        };
        after_quote = matches!(&tree, TokenTree::Punct(p) if p.as_char() == '\'');
        let is_ref = matches!(&tree, TokenTree::Punct(p) if p.as_char() == '&');
        out.push(tree);
        // `&T` (no lifetime follows): `&'static T`.
        let lifetime_follows =
            matches!(trees.get(index + 1), Some(TokenTree::Punct(p)) if p.as_char() == '\'');
        if is_ref && !lifetime_follows {
            out.extend(quote!('static));
        }
    }
    out.into_iter().collect()
}

/// `tokens` with every named lifetime but `'static` replaced by `'_`.
fn anonymous_lifetimes(tokens: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut after_quote = false;
    for tree in tokens {
        let tree = match tree {
            TokenTree::Ident(ident) if after_quote && ident != "static" => {
                TokenTree::Ident(Ident::new("_", ident.span()))
            }
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), anonymous_lifetimes(group.stream()));
                new.set_span(group.span());
                TokenTree::Group(new)
            }
            other => other,
        };
        after_quote = matches!(&tree, TokenTree::Punct(p) if p.as_char() == '\'');
        out.push(tree);
    }
    out.into_iter().collect()
}
