//! UI tests for `#[command]`: declarations that must compile and register what
//! they say (`ui/pass`), and one file per mistake that must fail with a clear
//! message at the right token (`ui/fail`, snapshots in the `.stderr` files;
//! regenerate with `TRYBUILD=overwrite` and read the diff).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
