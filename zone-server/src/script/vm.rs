//! One script component's Luau VM: the sandbox, its memory limit and the
//! step budget of each call.
//!
//! Luau is run through `mlua` with only the safe libraries (`string`,
//! `table`, `math`, `utf8`, `bit32`, `buffer`, `coroutine`): no `os`, `io`,
//! `debug`, `require` or `loadstring`, so a script reaches nothing outside
//! the VM but what the zone gives it. After the zone's functions are set,
//! the VM is sandboxed (`luaL_sandbox`): the globals and libraries are
//! read-only, and each script's own globals live in a table of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mlua::{Lua, LuaOptions, StdLib, VmState};

/// The longest one call may run, however few steps it takes: a step may
/// be one large string or table operation.
pub const CALL_TIME: Duration = Duration::from_millis(250);

/// What one call may still spend, and whether it ran out.
#[derive(Debug)]
pub struct Budget {
    left: AtomicU64,
    exhausted: AtomicBool,
    /// When the call must end, in nanoseconds after `base`.
    deadline: AtomicU64,
    base: Instant,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            left: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
            deadline: AtomicU64::new(0),
            base: Instant::now(),
        }
    }
}

impl Budget {
    /// Gives the next call `steps`, and [`CALL_TIME`] from now.
    pub fn reset(&self, steps: u64) {
        self.left.store(steps, Ordering::Relaxed);
        self.exhausted.store(false, Ordering::Relaxed);
        let deadline = self.base.elapsed() + CALL_TIME;
        self.deadline.store(u64::try_from(deadline.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Whether the last call was cut off.
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }

    /// Takes one step; `false` once none are left or the time is up (and
    /// every step after). The clock is read every 64th step.
    fn step(&self) -> bool {
        let left = self.left.load(Ordering::Relaxed);
        let out_of_time = left.is_multiple_of(64)
            && u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
                > self.deadline.load(Ordering::Relaxed);
        if left == 0 || out_of_time {
            self.left.store(0, Ordering::Relaxed);
            self.exhausted.store(true, Ordering::Relaxed);
            return false;
        }
        self.left.store(left - 1, Ordering::Relaxed);
        true
    }
}

/// The message a call that ran out of steps fails with.
pub const OUT_OF_STEPS: &str = "the script used up its step budget";

/// A sandboxed VM with at most `memory` bytes and a step budget (and
/// [`CALL_TIME`]) its calls share. Luau calls the interrupt at every loop back-edge and call; once
/// the budget is spent each of them raises an error, so even a loop that
/// catches errors with `pcall` cannot go on (its own back-edge raises
/// outside the `pcall`).
///
/// # Errors
/// When Luau cannot start or take the limit.
pub fn new(memory: usize) -> mlua::Result<(Lua, Arc<Budget>)> {
    let libs = StdLib::COROUTINE
        | StdLib::TABLE
        | StdLib::STRING
        | StdLib::UTF8
        | StdLib::BIT
        | StdLib::MATH
        | StdLib::BUFFER;
    let lua = Lua::new_with(libs, LuaOptions::new())?;
    let budget = Arc::new(Budget::default());
    let steps = budget.clone();
    lua.set_interrupt(move |_| {
        if steps.step() { Ok(VmState::Continue) } else { Err(mlua::Error::runtime(OUT_OF_STEPS)) }
    });
    let globals = lua.globals();
    // Compiling code at run time would escape the declaration checks; the
    // rest would reach the file system or the VM's internals.
    for name in [
        "loadstring",
        "load",
        "dofile",
        "loadfile",
        "require",
        "collectgarbage",
        "getfenv",
        "setfenv",
        "newproxy",
    ] {
        globals.set(name, mlua::Value::Nil)?;
    }
    lua.set_memory_limit(memory)?;
    Ok((lua, budget))
}

/// Whether `error` (or what caused it) is Luau running out of memory.
pub fn is_out_of_memory(error: &mlua::Error) -> bool {
    match error {
        mlua::Error::MemoryError(_) => true,
        mlua::Error::CallbackError { cause, .. } => is_out_of_memory(cause),
        mlua::Error::WithContext { cause, .. } => is_out_of_memory(cause),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_catches_its_cut_off_still_ends() {
        let (lua, budget) = new(1 << 20).unwrap();
        budget.reset(10_000);
        let result = lua.load("while true do pcall(function() while true do end end) end").exec();
        assert!(result.is_err());
        assert!(budget.exhausted());
        // The next call gets a new budget.
        budget.reset(10_000);
        assert_eq!(
            lua.load("local n = 0 for i = 1, 100 do n += i end return n").eval::<f64>().unwrap(),
            5050.0
        );
        assert!(!budget.exhausted());
    }

    #[test]
    fn memory_past_the_limit_fails_the_call_and_the_vm_goes_on() {
        let (lua, budget) = new(1 << 20).unwrap();
        budget.reset(1_000_000);
        let error = lua.load("local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end").exec();
        assert!(is_out_of_memory(&error.unwrap_err()));
        // What the call left is garbage; collected, the VM has room again
        // (each call into a component ends so).
        lua.gc_collect().unwrap();
        budget.reset(1_000_000);
        assert_eq!(lua.load("return 1 + 1").eval::<f64>().unwrap(), 2.0);
    }

    #[test]
    fn the_file_system_and_code_loading_are_not_there() {
        let (lua, budget) = new(1 << 20).unwrap();
        lua.sandbox(true).unwrap();
        budget.reset(1_000_000);
        for name in
            ["os", "io", "debug", "require", "loadstring", "load", "dofile", "package", "getfenv", "newproxy"]
        {
            let found: mlua::Value = lua.load(format!("return {name}")).eval().unwrap();
            assert!(found.is_nil(), "{name} is reachable");
        }
        // The libraries are read-only.
        assert!(lua.load("string.rep = nil").exec().is_err());
    }
}
