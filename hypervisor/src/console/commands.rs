//! The hypervisor shell's commands: their table, the parser and the output
//! of the commands that need no hardware.
//!
//! Parsing is separate from running so it can be tested on the host: the
//! shell turns a [`Command`] into action in `console::shell`.

use crate::board::Revision;
use crate::log::{Seconds, Timestamp};
use ufmt::{uWrite, uwrite, uwriteln};

/// The prompt, exactly as scripts and graders expect it.
pub const PROMPT: &str = "ferrovisor> ";

/// One entry of the command table: what `help` prints.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The word typed to run it.
    pub name: &'static str,
    /// Its arguments, in usage notation.
    pub args: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
}

// ANCHOR: commands
/// Every shell command, in the order `help` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        args: "[command]",
        summary: "list the commands, or show how to use one",
    },
    CommandSpec {
        name: "info",
        args: "",
        summary: "version, board, memory, cores and uptime (like `xl info`)",
    },
    CommandSpec {
        name: "dmesg",
        args: "",
        summary: "print the hypervisor's own log (like `xl dmesg`)",
    },
    CommandSpec {
        name: "vml",
        args: "",
        summary: "list the VMs: id, name, state, cpu, memory, time and exits (like `xl list`)",
    },
    CommandSpec {
        name: "vmc",
        args: "<id>",
        summary: "give the console to VM <id>; type @0 to come back, @? for the keys",
    },
    CommandSpec {
        name: "vmlog",
        args: "<id>",
        summary: "print what VM <id> wrote recently (its scrollback)",
    },
    CommandSpec {
        name: "vmstop",
        args: "<id>",
        summary: "stop VM <id>; 'vmstart' resumes it where it was",
    },
    CommandSpec {
        name: "vmstart",
        args: "<id>",
        summary: "resume a stopped VM",
    },
    CommandSpec {
        name: "vmreset",
        args: "<id>",
        summary: "restart VM <id> from its image, as after power-on",
    },
    CommandSpec {
        name: "vmtrace",
        args: "<id> <on|off>",
        summary: "log each MMIO access of VM <id> (device, register, value) to its console",
    },
    // LAB 1: BEGIN SOLUTION
    CommandSpec {
        name: "vmregs",
        args: "<id>",
        summary: "print VM <id>'s saved registers: x0-x30, pc and pstate",
    },
    // LAB 1: END SOLUTION
    // LAB 2: BEGIN SOLUTION
    CommandSpec {
        name: "vmstat",
        args: "<id>",
        summary: "count VM <id>'s MMIO accesses by device",
    },
    // LAB 2: END SOLUTION
    CommandSpec {
        name: "ls",
        args: "[dir]",
        summary: "list a folder of the SD card: sizes and names (read-only)",
    },
    CommandSpec {
        name: "fault",
        args: "",
        summary: "make the hypervisor take a data abort at EL2, to see the crash report (halts)",
    },
];

/// A parsed command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// `help` or `help <command>`.
    Help(Option<&'a str>),
    /// `info`.
    Info,
    /// `dmesg`.
    Dmesg,
    /// `vml`.
    Vml,
    /// `vmc <id>`.
    Vmc(&'a str),
    /// `vmlog <id>`.
    VmLog(&'a str),
    /// `vmstop <id>`.
    VmStop(&'a str),
    /// `vmstart <id>`.
    VmStart(&'a str),
    /// `vmreset <id>`.
    VmReset(&'a str),
    /// `vmtrace <id> on|off`: the id, and whether to trace.
    VmTrace(&'a str, bool),
    // LAB 1: BEGIN SOLUTION
    /// `vmregs <id>`.
    VmRegs(&'a str),
    // LAB 1: END SOLUTION
    // LAB 2: BEGIN SOLUTION
    /// `vmstat <id>`.
    VmStat(&'a str),
    // LAB 2: END SOLUTION
    /// `ls [dir]`.
    Ls(Option<&'a str>),
    /// `fault`.
    Fault,
}
// ANCHOR_END: commands

/// Why a line is not a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError<'a> {
    /// The first word names no command.
    Unknown(&'a str),
    /// The command got more words than it takes.
    TooManyArguments(&'static CommandSpec),
    /// The command needs an argument that is not there.
    MissingArgument(&'static CommandSpec),
    /// An argument is not one of the words the command takes.
    BadArgument(&'static CommandSpec, &'a str),
}

// ANCHOR: parse
/// Parse one line. A blank line gives `Ok(None)`.
pub fn parse(line: &str) -> Result<Option<Command<'_>>, ParseError<'_>> {
    let mut words = line.split_ascii_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    let spec = find(name).ok_or(ParseError::Unknown(name))?;
    let first_arg = words.next();
    let second_arg = words.next();
    let given = usize::from(first_arg.is_some()) + usize::from(second_arg.is_some());
    let max_args = spec.args.split_ascii_whitespace().count();
    let required = spec
        .args
        .split_ascii_whitespace()
        .filter(|a| a.starts_with('<'))
        .count();
    if words.next().is_some() || given > max_args {
        return Err(ParseError::TooManyArguments(spec));
    }
    if given < required {
        return Err(ParseError::MissingArgument(spec));
    }
    Ok(Some(match (spec.name, first_arg) {
        ("help", topic) => Command::Help(topic),
        ("info", _) => Command::Info,
        ("dmesg", _) => Command::Dmesg,
        ("vml", _) => Command::Vml,
        ("vmc", Some(id)) => Command::Vmc(id),
        ("vmlog", Some(id)) => Command::VmLog(id),
        ("vmstop", Some(id)) => Command::VmStop(id),
        ("vmstart", Some(id)) => Command::VmStart(id),
        ("vmreset", Some(id)) => Command::VmReset(id),
        ("vmtrace", Some(id)) => Command::VmTrace(id, on_off(spec, second_arg)?),
        // LAB 1: BEGIN SOLUTION
        ("vmregs", Some(id)) => Command::VmRegs(id),
        // LAB 1: END SOLUTION
        // LAB 2: BEGIN SOLUTION
        ("vmstat", Some(id)) => Command::VmStat(id),
        // LAB 2: END SOLUTION
        ("ls", dir) => Command::Ls(dir),
        ("fault", _) => Command::Fault,
        // A table entry without a case here is a bug; refuse it safely.
        _ => return Err(ParseError::Unknown(name)),
    }))
}
// ANCHOR_END: parse

/// `on` or `off`, the switch of `vmtrace`.
fn on_off<'a>(spec: &'static CommandSpec, word: Option<&'a str>) -> Result<bool, ParseError<'a>> {
    match word {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(ParseError::BadArgument(spec, other)),
        None => Err(ParseError::MissingArgument(spec)),
    }
}

/// The table entry for `name`.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Print a parse error the way the shell shows it.
pub fn write_error<W: uWrite>(out: &mut W, err: &ParseError<'_>) -> Result<(), W::Error> {
    match err {
        ParseError::Unknown(name) => uwriteln!(
            out,
            "ferrovisor: unknown command '{}'; type 'help' for the list of commands",
            name
        ),
        ParseError::TooManyArguments(spec) => {
            uwrite!(out, "ferrovisor: too many arguments; usage: ")?;
            write_usage(out, spec)?;
            uwriteln!(out, "")
        }
        ParseError::MissingArgument(spec) => {
            uwrite!(out, "ferrovisor: {} needs an argument; usage: ", spec.name)?;
            write_usage(out, spec)?;
            uwriteln!(out, "")
        }
        ParseError::BadArgument(spec, word) => {
            uwrite!(
                out,
                "ferrovisor: {}: unexpected argument '{}'; usage: ",
                spec.name,
                word
            )?;
            write_usage(out, spec)?;
            uwriteln!(out, "")
        }
    }
}

fn write_usage<W: uWrite>(out: &mut W, spec: &CommandSpec) -> Result<(), W::Error> {
    uwrite!(out, "{}", spec.name)?;
    if !spec.args.is_empty() {
        uwrite!(out, " {}", spec.args)?;
    }
    Ok(())
}

/// `help`: every command with its summary, or one command's usage.
pub fn write_help<W: uWrite>(out: &mut W, topic: Option<&str>) -> Result<(), W::Error> {
    match topic {
        None => {
            uwriteln!(out, "Commands:")?;
            for spec in COMMANDS {
                uwrite!(out, "  {}", spec.name)?;
                for _ in spec.name.len()..8 {
                    out.write_char(' ')?;
                }
                uwriteln!(out, "{}", spec.summary)?;
            }
            uwriteln!(
                out,
                "Keys: Backspace, Ctrl-U erase line, Ctrl-C cancel, Up/Down history."
            )
        }
        Some(name) => match find(name) {
            Some(spec) => {
                uwrite!(out, "usage: ")?;
                write_usage(out, spec)?;
                uwriteln!(out, "\n  {}", spec.summary)
            }
            None => write_error(out, &ParseError::Unknown(name)),
        },
    }
}

/// The facts `info` prints.
pub struct SystemInfo {
    /// ferrovisor's version.
    pub version: &'static str,
    /// The board revision code from the firmware.
    pub revision: Revision,
    /// Cores on the board.
    pub cores: usize,
    /// RAM the ARM owns, in bytes.
    pub arm_memory_bytes: u32,
    /// The core clock driving the mini UART.
    pub core_clock_hz: u32,
    /// The Exception Level ferrovisor runs at.
    pub exception_level: u8,
    /// The generic timer now.
    pub now: Timestamp,
    /// The console's line speed.
    pub baud: u32,
    /// Console bytes lost to a full receive ring or a receive overrun.
    pub rx_dropped: usize,
    /// Cores running the hypervisor.
    pub cores_online: usize,
}

// ANCHOR: info
/// `info`: one `key : value` line per fact, as `xl info` prints them.
pub fn write_info<W: uWrite>(out: &mut W, info: &SystemInfo) -> Result<(), W::Error> {
    let key = |out: &mut W, name: &str| -> Result<(), W::Error> {
        uwrite!(out, "{}", name)?;
        for _ in name.len()..16 {
            out.write_char(' ')?;
        }
        out.write_str(": ")
    };
    key(out, "version")?;
    uwriteln!(out, "{}", info.version)?;
    key(out, "board")?;
    uwriteln!(
        out,
        "{} rev 1.{} (revision code {:#x})",
        info.revision.model(),
        info.revision.pcb_revision(),
        info.revision.0
    )?;
    key(out, "cores")?;
    uwriteln!(
        out,
        "{}, {} online (the shell on core 0; one line each below)",
        info.cores,
        info.cores_online
    )?;
    key(out, "ram")?;
    uwriteln!(out, "{} MiB", info.arm_memory_bytes >> 20)?;
    key(out, "exception_level")?;
    uwriteln!(out, "EL{}", info.exception_level)?;
    key(out, "timer_freq")?;
    uwriteln!(out, "{} Hz", info.now.freq)?;
    key(out, "core_clock")?;
    uwriteln!(out, "{} MHz", info.core_clock_hz / 1_000_000)?;
    key(out, "console")?;
    uwriteln!(
        out,
        "mini UART, {} 8N1, {} bytes lost",
        info.baud,
        info.rx_dropped
    )?;
    key(out, "uptime")?;
    uwriteln!(out, "{} s", Seconds(info.now))
}
// ANCHOR_END: info

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::string::String;

    #[test]
    fn parses_each_command() {
        assert_eq!(parse("help"), Ok(Some(Command::Help(None))));
        assert_eq!(
            parse("  help  info "),
            Ok(Some(Command::Help(Some("info"))))
        );
        assert_eq!(parse("info"), Ok(Some(Command::Info)));
        assert_eq!(parse("dmesg"), Ok(Some(Command::Dmesg)));
        assert_eq!(parse("fault"), Ok(Some(Command::Fault)));
        assert_eq!(parse("ls"), Ok(Some(Command::Ls(None))));
        assert_eq!(parse("ls guests/"), Ok(Some(Command::Ls(Some("guests/")))));
        assert!(matches!(parse("ls a b"), Err(ParseError::TooManyArguments(s)) if s.name == "ls"));
        assert_eq!(parse("vml"), Ok(Some(Command::Vml)));
        assert_eq!(parse("vmc 2"), Ok(Some(Command::Vmc("2"))));
        assert_eq!(parse("vmlog 1"), Ok(Some(Command::VmLog("1"))));
        assert_eq!(parse("vmstop 1"), Ok(Some(Command::VmStop("1"))));
        assert_eq!(parse("vmstart 1"), Ok(Some(Command::VmStart("1"))));
        assert_eq!(parse("vmreset 1"), Ok(Some(Command::VmReset("1"))));
        assert!(matches!(parse("vmc"), Err(ParseError::MissingArgument(s)) if s.name == "vmc"));
        assert_eq!(parse("vmtrace 3 on"), Ok(Some(Command::VmTrace("3", true))));
        assert_eq!(
            parse(" vmtrace 1  off "),
            Ok(Some(Command::VmTrace("1", false)))
        );
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse(""), Ok(None));
    }

    /// A sample for each of `spec`'s required arguments: the first choice
    /// of `<a|b>`, else an id.
    fn sample_args(spec: &CommandSpec) -> std::vec::Vec<&'static str> {
        spec.args
            .split_ascii_whitespace()
            .filter(|a| a.starts_with('<'))
            .map(|a| match a.trim_matches(['<', '>']).split_once('|') {
                Some((first, _)) => first,
                None => "1",
            })
            .collect()
    }

    #[test]
    fn every_table_entry_parses() {
        for spec in COMMANDS {
            let args = sample_args(spec);
            let line = std::format!("{} {}", spec.name, args.join(" "));
            assert!(parse(&line).is_ok_and(|c| c.is_some()), "{line}");
        }
    }

    #[test]
    fn refuses_unknown_and_extra_words() {
        assert_eq!(parse("frob x"), Err(ParseError::Unknown("frob")));
        assert!(
            matches!(parse("info now"), Err(ParseError::TooManyArguments(s)) if s.name == "info")
        );
        assert!(
            matches!(parse("help a b"), Err(ParseError::TooManyArguments(s)) if s.name == "help")
        );
    }

    #[test]
    fn vmtrace_takes_an_id_and_on_or_off() {
        assert!(
            matches!(parse("vmtrace 3"), Err(ParseError::MissingArgument(s)) if s.name == "vmtrace")
        );
        assert!(
            matches!(parse("vmtrace"), Err(ParseError::MissingArgument(s)) if s.name == "vmtrace")
        );
        assert!(matches!(
            parse("vmtrace 3 maybe"),
            Err(ParseError::BadArgument(s, "maybe")) if s.name == "vmtrace"
        ));
        assert!(matches!(
            parse("vmtrace 3 on now"),
            Err(ParseError::TooManyArguments(s)) if s.name == "vmtrace"
        ));
        // The id is checked against the VM table when the command runs.
        assert_eq!(parse("vmtrace x on"), Ok(Some(Command::VmTrace("x", true))));
        assert!(
            matches!(parse("vmc 1 2"), Err(ParseError::TooManyArguments(s)) if s.name == "vmc")
        );
        let mut s = String::new();
        write_error(&mut s, &parse("vmtrace 3 maybe").unwrap_err()).unwrap();
        assert_eq!(
            s,
            "ferrovisor: vmtrace: unexpected argument 'maybe'; usage: vmtrace <id> <on|off>\n"
        );
    }

    #[test]
    fn error_messages_name_the_problem() {
        let mut s = String::new();
        write_error(&mut s, &parse("frob").unwrap_err()).unwrap();
        assert_eq!(
            s,
            "ferrovisor: unknown command 'frob'; type 'help' for the list of commands\n"
        );
        s.clear();
        write_error(&mut s, &parse("info x").unwrap_err()).unwrap();
        assert_eq!(s, "ferrovisor: too many arguments; usage: info\n");
        s.clear();
        write_error(&mut s, &parse("vmc").unwrap_err()).unwrap();
        assert_eq!(s, "ferrovisor: vmc needs an argument; usage: vmc <id>\n");
    }

    #[test]
    fn help_lists_every_command_once() {
        let mut s = String::new();
        write_help(&mut s, None).unwrap();
        for spec in COMMANDS {
            let line = std::format!("  {:8}{}", spec.name, spec.summary);
            assert_eq!(s.lines().filter(|l| *l == line).count(), 1, "{line}");
        }
        s.clear();
        write_help(&mut s, Some("info")).unwrap();
        assert!(s.starts_with("usage: info\n"));
        s.clear();
        write_help(&mut s, Some("nope")).unwrap();
        assert!(s.contains("unknown command 'nope'"));
    }

    #[test]
    fn info_lists_the_facts() {
        let info = SystemInfo {
            version: "9.9.9",
            revision: Revision(0xa0_2082),
            cores: 4,
            arm_memory_bytes: 960 << 20,
            core_clock_hz: 250_000_000,
            exception_level: 2,
            now: Timestamp {
                ticks: 62_500_000 * 3 + 31_250_000,
                freq: 62_500_000,
            },
            baud: 115_200,
            rx_dropped: 0,
            cores_online: 3,
        };
        let mut s = String::new();
        write_info(&mut s, &info).unwrap();
        assert!(s.contains("cores           : 4, 3 online"), "{s}");
        assert!(s.contains("version         : 9.9.9\n"), "{s}");
        assert!(s.contains(
            "board           : Raspberry Pi 3 Model B rev 1.2 (revision code 0xa02082)\n"
        ));
        assert!(s.contains("ram             : 960 MiB\n"));
        assert!(s.contains("exception_level : EL2\n"));
        assert!(s.ends_with("uptime          : 3.500000 s\n"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in "\\PC{0,64}") {
            let _ = parse(&line);
        }

        /// Whatever is typed, a refusal is one line that starts with the
        /// shell's name: never a crash, never a screenful.
        #[test]
        fn every_refusal_is_one_line(line in "\\PC{0,64}") {
            if let Err(err) = parse(&line) {
                let mut s = String::new();
                write_error(&mut s, &err).unwrap();
                prop_assert!(s.starts_with("ferrovisor: "), "{}", s);
                prop_assert!(s.ends_with('\n') && s.matches('\n').count() == 1, "{}", s);
            }
        }

        /// Spaces and tabs around and between the words change nothing.
        #[test]
        fn extra_whitespace_changes_nothing(
            which in 0..COMMANDS.len(),
            pads in proptest::collection::vec("[ \t]{1,3}", 3),
        ) {
            let spec = &COMMANDS[which];
            let args = sample_args(spec);
            let plain = std::format!("{} {}", spec.name, args.join(" "));
            let padded = std::format!("{}{}{}{}{}", pads[0], spec.name, pads[1], args.join(&pads[1]), pads[2]);
            prop_assert_eq!(parse(&plain), parse(&padded));
            prop_assert!(parse(&padded).is_ok_and(|c| c.is_some()));
        }
    }
}
