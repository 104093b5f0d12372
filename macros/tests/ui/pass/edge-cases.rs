//! Declarations at the edges: a raw identifier, a local function, other
//! attributes around `#[command]`, a named lifetime, no doc comment, the
//! attribute by path, and a scope that shadows `Option`, `Some` and `None`.
#![forbid(unsafe_code)]
#![deny(warnings)]

use cmdman::{COMMANDS, CommandDef, CommandResult, Ctx, Handler, Registry, Settings};

pub mod zone {
    pub mod realm_admin {
        use cmdman::{CommandResult, Ctx};

        #[allow(dead_code)]
        struct Option;
        #[allow(dead_code)]
        struct Some;
        #[allow(dead_code)]
        struct None;

        /// Matches players.
        #[inline]
        #[cmdman::command(target_pub, char = '?')]
        #[allow(clippy::needless_pass_by_ref_mut)]
        pub fn r#match(_ctx: &mut Ctx<'_>) -> CommandResult {
            Ok(())
        }

        #[cmdman::command(target_team, group = "default")]
        pub async fn cmd_lifetimes<'a>(_ctx: &mut Ctx<'a>) -> CommandResult {
            Ok(())
        }
    }
}

fn find(name: &str) -> &'static CommandDef {
    COMMANDS.iter().find(|def| def.name == name).unwrap_or_else(|| panic!("`{name}` is not registered"))
}

fn main() {
    /// A command declared inside a function.
    #[cmdman::command(target_player, group_player = "mod")]
    fn cmd_local(_ctx: &mut Ctx<'_>) -> CommandResult {
        Ok(())
    }

    // The functions stay ordinary functions.
    let _: fn(&mut Ctx<'_>) -> CommandResult = zone::realm_admin::r#match;
    let _: fn(&mut Ctx<'_>) -> CommandResult = cmd_local;

    let mut names: Vec<&str> = COMMANDS.iter().map(|def| def.name).collect();
    names.sort_unstable();
    assert_eq!(names, ["lifetimes", "local", "match"]);

    let matched = find("match");
    assert_eq!(matched.component_name(), "realm_admin");
    assert_eq!(matched.cmd_char, Some('?'));
    assert_eq!(matched.help, "Matches players.");
    assert!(matches!(matched.handler, Handler::Sync(_)));

    let lifetimes = find("lifetimes");
    assert_eq!(lifetimes.help, "");
    assert_eq!(lifetimes.summary(), "");
    assert_eq!(lifetimes.groups, [None, Some("default"), None, None, None]);
    assert!(matches!(lifetimes.handler, Handler::Async(_)));

    let local = find("local");
    // At the crate root: the component is the crate's name.
    assert_eq!(local.component_name(), local.module_path);
    assert!(!local.module_path.contains("::"));
    assert_eq!(local.groups, [None, None, None, Some("mod"), None]);
    assert_eq!(local.help, "A command declared inside a function.");

    Registry::new(COMMANDS.iter(), Settings::default()).unwrap();
}
