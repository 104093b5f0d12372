//! Dispatching a known command with a pub target allocates nothing (issue 5):
//! split, lookup through the scope tables, form and scope checks, the access
//! ladder, typed-argument parsing and the handler call all run on the stack.
//! dhat's counting allocator shows it; the handler here writes no reply.
#![allow(clippy::unwrap_used)]

use cmdman::{Outcome, Request};
use zone_benches::{NullSink, fixture, poll_once};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Heap blocks allocated so far in this process.
fn allocations() -> u64 {
    dhat::HeapStats::get().total_blocks
}

#[test]
fn dispatching_a_known_command_in_public_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let fixture = fixture();
    let request = fixture.request();
    // Warm up: the first run may touch lazily built state.
    assert_eq!(poll_once(cmdman::dispatch(&fixture.registry, request, &mut NullSink)), Outcome::Ran);

    let before = allocations();
    let mut ran = 0;
    for _ in 0..100 {
        if poll_once(cmdman::dispatch(&fixture.registry, request, &mut NullSink)) == Outcome::Ran {
            ran += 1;
        }
    }
    let during = allocations() - before;
    assert_eq!(ran, 100);
    assert_eq!(during, 0, "heap blocks allocated in 100 dispatches");

    // The counter does count: an unknown name builds its reply.
    let before = allocations();
    let unknown = Request { line: "?nosuchcommand", ..request };
    assert_eq!(poll_once(cmdman::dispatch(&fixture.registry, unknown, &mut NullSink)), Outcome::Unknown);
    assert!(allocations() > before);
}
