//! Host fuzz target for the VM-list parser (`vm/list.rs`), which both the
//! build script and the hypervisor run: random lists, made of the words a
//! list has (names, paths, numbers, sizes, comments) and of junk, must give
//! either VMs that obey every rule of the format or an error that names a
//! line that is really there and really wrong.

mod common;

use ferrovisor::vm::list::{
    parse, parse_line, parse_number, ListError, MAX_NAME, MAX_RAM, MAX_VMS, RAM_GRANULE,
    USABLE_CPUS,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// The guest memory pool the targets parse against: as on the board.
const POOL: u64 = 704 << 20;

/// One word of a VM line.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9_-]{1,16}",
        1 => "[A-Za-z0-9_.#/-]{0,20}",
        2 => Just("target/images/echo.bin".to_string()),
        3 => prop_oneof![Just("0x80000"), Just("0"), Just("16M"), Just("2M"), Just("512M"),
                          Just("514M"), Just("3M"), Just("1G"), Just("0x"), Just("99999999999G")]
            .prop_map(str::to_string),
        2 => any::<u64>().prop_map(|n| format!("{n:#x}")),
        1 => (0..1024u64, prop_oneof![Just("K"), Just("M"), Just("G"), Just("k"), Just("")])
            .prop_map(|(n, unit)| format!("{n}{unit}")),
        1 => "\\PC{1,4}",
    ]
}

/// A line the format accepts, with names from a small set so that
/// duplicates happen.
fn good_line() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("echo".to_string()),
            Just("lrtos".to_string()),
            "[a-z][a-z0-9_-]{0,14}"
        ],
        prop_oneof![Just("0x80000"), Just("0"), Just("0x1000")],
        1..=64u64,
        prop_oneof![Just(""), Just("  # a comment")],
    )
        .prop_map(|(name, load, blocks, comment)| {
            format!(
                "{name} target/images/{name}.bin {load} {load} {}M 0{comment}",
                blocks * 2
            )
        })
}

/// A line: mostly a good one or six random words, sometimes more or fewer
/// words, blank or a comment.
fn line() -> impl Strategy<Value = String> {
    let separator = prop_oneof![Just(" "), Just("\t"), Just("   ")];
    prop_oneof![
        16 => good_line(),
        4 => (vec(word(), 6), separator.clone()).prop_map(|(w, s)| w.join(s)),
        2 => (vec(word(), 0..9), separator).prop_map(|(w, s)| w.join(s)),
        1 => "[ \t]*(#.*)?",
        1 => (vec(word(), 6), "#.*").prop_map(|(w, c)| format!("{} {c}", w.join(" "))),
    ]
}

/// The line number an error message starts with ("line N: ..." or
/// "line N, VM ...").
fn quoted_line(message: &str) -> Option<usize> {
    let rest = message.strip_prefix("line ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: list_target
    /// A list gives VMs that obey the rules, or an error naming a line.
    #[test]
    fn the_list_parser_returns_valid_vms_or_names_the_bad_line(
        lines in vec(line(), 0..12),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let mut seen = Vec::new();
        let result = parse(&text, POOL, |entry, offset| {
            seen.push((*entry, offset));
            Ok(())
        });
        let texts: Vec<&str> = text.lines().collect();
        match result {
            Ok(count) => {
                prop_assert_eq!(count, seen.len());
                prop_assert!((1..=MAX_VMS).contains(&count));
                let mut used = 0;
                for (i, (entry, offset)) in seen.iter().enumerate() {
                    prop_assert_eq!(*offset, used, "RAM follows the previous VM's");
                    used += entry.ram;
                    prop_assert!(entry.name.len() <= MAX_NAME && !entry.name.is_empty());
                    prop_assert!(entry.name.bytes().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit() || c == b'_' || c == b'-'));
                    prop_assert!(entry.ram > 0 && entry.ram % RAM_GRANULE == 0 && entry.ram <= MAX_RAM);
                    prop_assert!(entry.cpu < USABLE_CPUS);
                    prop_assert!(seen[..i].iter().all(|(e, _)| e.name != entry.name));
                    // The entry is what its own line says.
                    let again = parse_line(entry.line, texts[entry.line - 1]);
                    prop_assert_eq!(again, Ok(Some(*entry)));
                }
                prop_assert!(used <= POOL);
            }
            Err(ListError::Empty) => {
                for (i, t) in texts.iter().enumerate() {
                    prop_assert_eq!(parse_line(i + 1, t), Ok(None));
                }
            }
            Err(error) => {
                let message = error.to_string();
                let at = quoted_line(&message);
                prop_assert!(at.is_some(), "no line in '{}'", message);
                let at = at.unwrap();
                prop_assert!((1..=texts.len()).contains(&at), "line {} of {}", at, texts.len());
                // The lines before the bad one parse on their own, and the
                // bad one is not blank.
                for (i, t) in texts[..at - 1].iter().enumerate() {
                    prop_assert!(parse_line(i + 1, t).is_ok());
                }
                prop_assert_ne!(parse_line(at, texts[at - 1]), Ok(None));
            }
        }
    }
    // ANCHOR_END: list_target

    /// Whatever bytes the file holds (not UTF-8 is refused by the build
    /// before it gets here), the parser returns.
    #[test]
    fn the_list_parser_takes_any_text(text in "\\PC{0,400}") {
        let _ = parse(&text, POOL, |_, _| Ok(()));
    }

    /// Numbers written any way the format allows read back as written.
    #[test]
    fn numbers_read_back(n in any::<u64>(), unit in 0..4usize, hex in any::<bool>(), upper in any::<bool>()) {
        let (suffix, shift) = [("", 0), ("K", 10), ("M", 20), ("G", 30)][unit];
        let suffix = if upper { suffix.to_string() } else { suffix.to_lowercase() };
        let text = if hex { format!("{n:#x}{suffix}") } else { format!("{n}{suffix}") };
        let expected = n.checked_mul(1 << shift);
        prop_assert_eq!(parse_number(&text), expected, "{}", text);
    }
}
