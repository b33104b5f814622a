//! Lab 5's graded host tests: the VM list's `weight=` field and the slice it
//! gives, through the parser's public interface (`vm::list::parse_line`)
//! and `vm::scheduler::slice_ticks`. Errors are checked by their message
//! (line, VM name, the word "weight"), not by a variant name, so any
//! implementation that follows the lab text passes. Values are randomised
//! from `FERROVISOR_LAB_SEED`.

use ferrovisor::vm::list::{parse_line, Entry};
use ferrovisor::vm::scheduler::slice_ticks;

/// A line of the default list, without a weight.
const OLD_LINE: &str = "lrtos    target/images/lrtos.bin    0x80000   0x80000   32M    0";

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11)
}

fn entry(line: &str) -> Entry<'_> {
    match parse_line(4, line) {
        Ok(Some(entry)) => entry,
        Ok(None) => panic!("{line:?} is a VM line, not a comment"),
        Err(e) => panic!("{line:?} must parse, but: {e}"),
    }
}

#[test]
fn old_lines_parse_as_before_with_weight_1() {
    let e = entry(OLD_LINE);
    assert_eq!(
        (e.line, e.name, e.image, e.load, e.entry, e.ram, e.cpu, e.weight),
        (
            4,
            "lrtos",
            "target/images/lrtos.bin",
            0x80000,
            0x80000,
            32 << 20,
            0,
            1
        )
    );
}

#[test]
fn the_weight_field_sets_the_weight() {
    let weight = 1 + seed() % 8;
    let line = format!("{OLD_LINE}  weight={weight}");
    let e = entry(&line);
    assert_eq!(e.weight, weight, "{line:?}");
    assert_eq!(
        (e.name, e.ram, e.cpu),
        ("lrtos", 32 << 20, 0),
        "the other columns stay"
    );
    assert_eq!(
        entry(&format!("{OLD_LINE} weight=8 # heavy")).weight,
        8,
        "a comment may follow"
    );
    assert_eq!(
        entry(&format!("{OLD_LINE} weight=0x2")).weight,
        2,
        "numbers as in the other columns"
    );
}

#[test]
fn bad_weights_are_refused_naming_line_and_vm() {
    let big = 9 + seed() % 1000;
    for bad in ["0", "9", &big.to_string(), "x", "-1", "2M"] {
        let line = format!("{OLD_LINE} weight={bad}");
        match parse_line(4, &line) {
            Err(e) => {
                let message = e.to_string();
                for part in ["line 4", "lrtos", "weight", bad] {
                    assert!(
                        message.contains(part),
                        "the message for weight {bad:?} must name {part:?}: {message}"
                    );
                }
            }
            Ok(got) => panic!("weight {bad:?} must be refused, got {got:?}"),
        }
    }
}

#[test]
fn a_repeated_weight_or_a_seventh_column_is_refused() {
    let line = format!("{OLD_LINE} weight=2 weight=3");
    let e = parse_line(4, &line).expect_err("two weights");
    assert!(e.to_string().contains("weight"), "{e}");
    let line = format!("{OLD_LINE} 2");
    let e = parse_line(4, &line).expect_err("a plain seventh word");
    assert!(e.to_string().contains("found 7"), "{e}");
}

#[test]
fn the_slice_is_weight_base_slices() {
    let freq = 19_200_000 + (seed() % 4) * 14_433_333;
    for weight in 1..=8 {
        assert_eq!(
            slice_ticks(weight, 10_000, freq),
            weight * freq / 100,
            "weight {weight} at {freq} Hz: {weight} slices of 10 ms"
        );
    }
}
