//! `?cmdstats`: how often each command ran, failed, and how long it took
//! (seed `000`: per-plugin statistics).

use std::time::Duration;

use cmdman::{Command, CommandError, CommandResult, Ctx, command};

/// Shows calls, errors and time spent per command, busiest first.
///
/// With a command named, shows that command's figures. Time is the handler's
/// own, summed over every call, with the mean per call.
#[command(target_pub, group = "mod")]
fn cmd_cmdstats(ctx: &mut Ctx<'_>, command: Option<&str>) -> CommandResult {
    let tables = ctx.tables();
    let c = ctx.cmd_char();
    let mut rows: Vec<&Command> = match command {
        Some(name) => {
            let found: Vec<&Command> = tables.find_all(name).collect();
            if found.is_empty() {
                return Err(CommandError::failed(format!("No command '{name}'.")));
            }
            found
        }
        None => tables.commands().iter().filter(|command| command.stats().calls > 0).collect(),
    };
    rows.sort_by(|a, b| b.stats().calls.cmp(&a.stats().calls).then(a.name().cmp(b.name())));
    let mut reply = ctx.reply();
    if rows.is_empty() {
        reply.line("No command has run yet.");
        return Ok(());
    }
    reply.line("command (component): calls, errors, total time, mean");
    for command in rows {
        let stats = command.stats();
        let mean = match stats.calls {
            0 => Duration::ZERO,
            calls => Duration::from_nanos(
                u64::try_from(stats.time.as_nanos() / u128::from(calls)).unwrap_or(u64::MAX),
            ),
        };
        reply.line(&format!(
            "  {} ({}): {}, {}, {}, {}",
            command.display_name(c),
            command.component(),
            stats.calls,
            stats.errors,
            micros(stats.time),
            micros(mean)
        ));
    }
    Ok(())
}

/// A duration in microseconds, `12.3 µs` style, or milliseconds past 10 ms.
fn micros(time: Duration) -> String {
    let micros = time.as_secs_f64() * 1e6;
    if micros >= 10_000.0 { format!("{:.1} ms", micros / 1000.0) } else { format!("{micros:.1} µs") }
}
