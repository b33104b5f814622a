//! Book transcripts: the scripts that produce them and the text they save.
//!
//! Every console transcript in the book comes from a real run. A *session*
//! (`book/transcripts/NAME.session`) is a small script of what a person would
//! do at the console: boot an image, type a line, wait for some text. Each
//! `save NAME` writes what the console showed since the previous save to
//! `target/transcripts/NAME.txt`; `scripts/check-transcripts.sh` compares
//! those fresh files with the copies in `book/src/transcripts/` that the
//! chapters include, so a transcript in the book cannot go stale.
//!
//! This module is the pure part: parsing a session and cleaning console
//! bytes into the text the book shows. The system test
//! `scripts/harness/tests/transcripts.rs` runs the sessions in QEMU.
//!
//! The session language, one step per line (`#` starts a comment line):
//!
//! | step | what it does |
//! | --- | --- |
//! | `card FOLDER` | before `boot`: put a card made by `scripts/mktestsd.sh` from FOLDER in QEMU's SD slot |
//! | `boot [IMAGE]` | start QEMU with IMAGE (default `target/images/kernel8.img`), wait for the prompt |
//! | `start IMAGE` | start QEMU with IMAGE, a bare guest with no prompt, and wait for nothing |
//! | `line TEXT` | type TEXT and Enter at the prompt, wait for the next prompt |
//! | `type TEXT` | type TEXT (escapes `\r`, `\n`, `\t`, `\\`, `\xHH`), wait for nothing |
//! | `expect TEXT` | wait until TEXT (same escapes) appears |
//! | `skip TEXT` | wait until TEXT appears; the book shows `...` for the lines before the one holding it |
//! | `timeout SECONDS` | how long each later `expect` and `skip` may wait (default: the harness's step timeout) |
//! | `mark` | forget what was shown so far; the next save starts at the current line |
//! | `save NAME` | write the text since the last save or mark to NAME.txt |

use std::fmt;

use crate::PROMPT;

/// One step of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Before the boot: put an SD card made from this folder (relative to
    /// the workspace root) in the slot.
    Card(String),
    /// Start QEMU with this image (relative to the workspace root), wait
    /// for the prompt.
    Boot(String),
    /// Start QEMU with this image and wait for nothing (a bare guest).
    Start(String),
    /// Type a line and Enter, wait for the prompt.
    Line(String),
    /// Type these bytes, wait for nothing.
    Type(Vec<u8>),
    /// Wait for these bytes.
    Expect(Vec<u8>),
    /// Wait for these bytes, eliding the lines before the one they end.
    Skip(Vec<u8>),
    /// How long each later `expect` and `skip` may wait, in seconds.
    Timeout(u64),
    /// Start the next saved text at the current line.
    Mark,
    /// Save the text since the last save or mark under this name.
    Save(String),
}

/// The image `boot` starts when the step names none.
pub const DEFAULT_SESSION_IMAGE: &str = "target/images/kernel8.img";

/// A session line that is not a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a session script. The first step must be `boot` (after a `card`,
/// if any); a save name is a
/// plain file name (letters, digits, `-`, `_`) and appears once.
pub fn parse_session(text: &str) -> Result<Vec<Step>, SessionError> {
    let mut steps = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| SessionError { line, message };
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (word, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        let step = match word {
            "boot" => Step::Boot(match rest.trim() {
                "" => DEFAULT_SESSION_IMAGE.to_string(),
                image => image.to_string(),
            }),
            "card" if rest.trim().is_empty() => return Err(err("card needs a folder".into())),
            "card" => Step::Card(rest.trim().to_string()),
            "start" if rest.trim().is_empty() => return Err(err("start needs an image".into())),
            "start" => Step::Start(rest.trim().to_string()),
            "line" => Step::Line(rest.to_string()),
            "type" => Step::Type(unescape(rest).map_err(err)?),
            "expect" if rest.is_empty() => return Err(err("expect needs some text".into())),
            "expect" => Step::Expect(unescape(rest).map_err(err)?),
            "skip" if rest.is_empty() => return Err(err("skip needs some text".into())),
            "skip" => Step::Skip(unescape(rest).map_err(err)?),
            "mark" if rest.trim().is_empty() => Step::Mark,
            "timeout" => match rest.trim().parse::<u64>() {
                Ok(seconds) if seconds > 0 => Step::Timeout(seconds),
                _ => {
                    return Err(err(format!(
                        "'{}' is not a timeout (whole seconds, at least 1)",
                        rest.trim()
                    )))
                }
            },
            "save" => {
                let name = rest.trim();
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !plain {
                    return Err(err(format!(
                        "'{name}' is not a transcript name (letters, digits, - and _)"
                    )));
                }
                if names.iter().any(|n| n == name) {
                    return Err(err(format!("transcript '{name}' is saved twice")));
                }
                names.push(name.to_string());
                Step::Save(name.to_string())
            }
            other => {
                return Err(err(format!(
                    "unknown step '{other}' (card, boot, start, line, type, expect, skip, timeout, mark, save)"
                )))
            }
        };
        let boots = matches!(step, Step::Boot(_) | Step::Start(_));
        let before_boot = steps.iter().all(|s| matches!(s, Step::Card(_)));
        if matches!(step, Step::Card(_)) && !(before_boot && steps.is_empty()) {
            return Err(err("one 'card', before the boot".into()));
        }
        if before_boot && !boots && !matches!(step, Step::Card(_)) {
            return Err(err("a session starts with 'boot' or 'start'".into()));
        }
        if boots && !before_boot {
            return Err(err("a session boots once".into()));
        }
        steps.push(step);
    }
    if steps.is_empty() {
        return Err(SessionError {
            line: 0,
            message: "empty session".into(),
        });
    }
    if !steps
        .iter()
        .any(|s| matches!(s, Step::Boot(_) | Step::Start(_)))
    {
        return Err(SessionError {
            line: 0,
            message: "a card but no boot".into(),
        });
    }
    Ok(steps)
}

/// Turns `\r`, `\n`, `\t`, `\\` and `\xHH` into the bytes they name.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| format!("'\\x{hex}' is not \\x and two hex digits"))?;
                out.push(byte);
            }
            other => return Err(format!("unknown escape '\\{}'", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

/// Where the next saved text starts when the console has shown `shown`:
/// at the beginning of its last line, so a transcript that follows a prompt
/// starts with that prompt.
pub fn segment_start(shown: &[u8]) -> usize {
    shown
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1)
}

/// What the book shows for `consumed` when a `skip` waited for it: the end
/// of the line that was current (if the skip began inside a line), `...`,
/// and the line the awaited text is on.
pub fn elide(consumed: &[u8], at_line_start: bool) -> Vec<u8> {
    let last = segment_start(consumed);
    let keep = if at_line_start {
        0
    } else {
        match consumed.iter().position(|&b| b == b'\n') {
            Some(first) => first + 1,
            None => return consumed.to_vec(),
        }
    };
    let mut out = consumed[..keep.min(last)].to_vec();
    if last > keep {
        out.extend_from_slice(b"...\r\n");
    }
    out.extend_from_slice(&consumed[last..]);
    out
}

/// Console bytes as the book shows them: `\r\n` becomes a line break, an
/// escape sequence (`ESC [` ... final byte, such as the cursor position query
/// `ESC [6n` BusyBox's shell sends with every prompt) is dropped as a terminal
/// would not show it, other control characters (except tab) are dropped, trailing spaces are trimmed,
/// a last line that is only the prompt is left out (the next transcript
/// starts with it, so two can be shown one after the other) and the text
/// ends with exactly one line break.
pub fn book_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&without_escape_sequences(bytes)).into_owned();
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let clean: String = line
            .chars()
            .filter(|&c| c == '\t' || !c.is_control())
            .collect();
        lines.push(clean.trim_end().to_string());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.len() > 1 && lines.last().is_some_and(|l| l == PROMPT.trim_end()) {
        lines.pop();
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The escape character that starts a control sequence.
const ESC: u8 = 0x1b;

/// `bytes` without its control sequences: `ESC [`, parameter and
/// intermediate bytes (0x20-0x3f), and a final byte (0x40-0x7e). An escape
/// not followed by `[` is left to the control-character filter.
fn without_escape_sequences(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == ESC && bytes.get(i + 1) == Some(&b'[') {
            let mut end = i + 2;
            while end < bytes.len() && (0x20..=0x3f).contains(&bytes[end]) {
                end += 1;
            }
            if end < bytes.len() && (0x40..=0x7e).contains(&bytes[end]) {
                i = end + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step() {
        let steps = parse_session(
            "# a comment\n\nboot\nline help\ntype @0\\r\nexpect ferrovisor> \ntimeout 600\nmark\nsave quick-help\n",
        )
        .unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Boot(DEFAULT_SESSION_IMAGE.into()),
                Step::Line("help".into()),
                Step::Type(b"@0\r".to_vec()),
                Step::Expect(b"ferrovisor> ".to_vec()),
                Step::Timeout(600),
                Step::Mark,
                Step::Save("quick-help".into()),
            ]
        );
        assert_eq!(
            parse_session("card book/transcripts/card\nboot\nline ls").unwrap(),
            vec![
                Step::Card("book/transcripts/card".into()),
                Step::Boot(DEFAULT_SESSION_IMAGE.into()),
                Step::Line("ls".into()),
            ]
        );
        assert_eq!(
            parse_session("boot target/images/ferrovisor-hostile.img").unwrap(),
            vec![Step::Boot("target/images/ferrovisor-hostile.img".into())]
        );
    }

    #[test]
    fn refuses_bad_sessions_naming_the_line() {
        let cases = [
            ("line help", 1, "starts with 'boot'"),
            ("start", 1, "needs an image"),
            ("start a.bin\nboot", 2, "boots once"),
            ("boot\nboot", 2, "boots once"),
            ("boot\nsave a/b", 2, "not a transcript name"),
            ("boot\nsave a\nsave a", 3, "saved twice"),
            ("boot\nfrobnicate", 2, "unknown step"),
            ("boot\nexpect", 2, "needs some text"),
            ("boot\nskip", 2, "needs some text"),
            ("boot\ntimeout", 2, "not a timeout"),
            ("boot\ntimeout 0", 2, "not a timeout"),
            ("boot\ntimeout 1.5", 2, "not a timeout"),
            ("boot\ntype \\q", 2, "unknown escape"),
            ("boot\ntype \\x4", 2, "two hex digits"),
            ("", 0, "empty"),
            ("card", 1, "needs a folder"),
            (
                "card a
card b
boot",
                2,
                "one 'card'",
            ),
            (
                "boot
card a",
                2,
                "one 'card'",
            ),
            (
                "card a
line ls",
                2,
                "starts with 'boot'",
            ),
            ("card a", 0, "no boot"),
        ];
        for (text, line, words) in cases {
            let err = parse_session(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.message.contains(words), "{text:?}: {err}");
        }
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape("a\\r\\n\\t\\\\\\x03").unwrap(), b"a\r\n\t\\\x03");
    }

    #[test]
    fn segments_start_at_the_current_line() {
        assert_eq!(segment_start(b"boot\r\nferrovisor> "), 6);
        assert_eq!(segment_start(b"ferrovisor> "), 0);
        assert_eq!(segment_start(b"a\n"), 2);
    }

    #[test]
    fn elides_whole_lines() {
        assert_eq!(elide(b"a\r\nb\r\nc\r\nd> ", false), b"a\r\n...\r\nd> ");
        assert_eq!(elide(b"a\r\nb\r\nc\r\nd> ", true), b"...\r\nd> ");
        assert_eq!(elide(b"a\r\nd> ", false), b"a\r\nd> ");
        assert_eq!(elide(b"d> ", true), b"d> ");
        assert_eq!(elide(b"no line break", false), b"no line break");
    }

    #[test]
    fn book_text_renders_a_terminal() {
        assert_eq!(
            book_text(b"\r\nferrovisor> help\r\nCommands:  \r\n\x1b[Kx\tend\r\n\r\nferrovisor> "),
            "ferrovisor> help\nCommands:\nx\tend\n"
        );
        assert_eq!(
            book_text(b"/root # \x1b[6nuname\r\n\x1b[1;31mred\x1b"),
            "/root # uname\nred\n"
        );
        assert_eq!(book_text(b"ferrovisor> "), "ferrovisor>\n");
        assert_eq!(book_text(b""), "\n");
    }
}
