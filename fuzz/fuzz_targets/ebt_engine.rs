//! The body is `ssb_fuzz_harness::ebt_engine` (fuzz/harness), which `cargo test` also runs on the
//! checked-in regression inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ssb_fuzz_harness::ebt_engine(data));
