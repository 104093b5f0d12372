//! Integration tests (`tests/`) and benchmarks (`benches/`) for zone-server live beside this crate.
