//! Fuzzes one inbound y-websocket frame down the hub's path; see
//! `../../tests/harness/mod.rs` and `../README.md`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

#[path = "../../tests/harness/mod.rs"]
mod harness;

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // libfuzzer-sys installs a hook that aborts on every panic, even one
        // that apply_update catches and reports. Remember the message instead,
        // and abort below only for a panic that escapes the harness.
        std::panic::set_hook(Box::new(|info| {
            LAST_PANIC.with(|last| *last.borrow_mut() = info.to_string());
        }));
    });
    let outcome = match catch_unwind(AssertUnwindSafe(|| harness::run(data))) {
        Ok(outcome) => outcome,
        Err(_) => {
            LAST_PANIC.with(|last| eprintln!("panic escaped the harness: {}", last.borrow()));
            std::process::abort();
        }
    };
    // ROCQET_FUZZ_STRICT=1 also stops on the contained or known outcomes: a
    // yrs panic caught inside apply_update or apply_patch, or a doc whose own
    // full state does not load again.
    use harness::Outcome::{Damaged, Panicked, Unloadable};
    if matches!(outcome, Panicked | Damaged | Unloadable)
        && std::env::var_os("ROCQET_FUZZ_STRICT").is_some()
    {
        LAST_PANIC.with(|last| eprintln!("{outcome:?}; last panic: {}", last.borrow()));
        std::process::abort();
    }
});
