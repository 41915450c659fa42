#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pacekeeper_fuzz::pacer(data));
