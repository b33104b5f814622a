//! Lab 4's graded host test: the `uptime` system call in the ABI.

use lrtos::syscall::{decode, Syscall, SYS_UPTIME};

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
}

#[test]
fn uptime_is_call_5() {
    assert_eq!(SYS_UPTIME, 5, "the lab gives uptime number 5");
    let junk = seed();
    let args = [junk, junk ^ 1, junk ^ 2, 0, 0, 0];
    assert_eq!(
        decode(5, args),
        Syscall::Uptime,
        "x8 = 5 decodes as uptime, whatever x0..x5 hold"
    );
    let other = 6 + seed() % 1000;
    assert_eq!(
        decode(other, args),
        Syscall::Unknown(other),
        "other numbers stay unknown"
    );
}
