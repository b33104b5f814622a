//! Host fuzz target for the shell's line editor (`console/line_editor.rs`):
//! random keystrokes, from printable text and editing keys to escape
//! sequences cut short and bytes no terminal sends. The editor's line must
//! stay within its capacity and printable, and what a terminal shows after
//! the editor's echo must be exactly the line the editor holds, so the user
//! never runs a command that differs from what is on the screen.

mod common;

use ferrovisor::console::line_editor::{Echo, Event, LineEditor, MAX_LINE};
use proptest::collection::vec;
use proptest::prelude::*;

/// A terminal line as a user sees it: the cells of the current row and the
/// cursor, driven by the bytes the editor echoes.
#[derive(Default)]
struct Terminal {
    row: Vec<u8>,
    cursor: usize,
    /// A byte the editor should never echo (a control byte other than
    /// BS, CR, LF, or anything not ASCII).
    stray: Option<u8>,
}

impl Echo for Terminal {
    fn echo(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\r' => self.cursor = 0,
                b'\n' => {
                    self.row.clear();
                    self.cursor = 0;
                }
                0x08 => self.cursor = self.cursor.saturating_sub(1),
                0x20..=0x7e => {
                    if self.cursor == self.row.len() {
                        self.row.push(byte);
                    } else {
                        self.row[self.cursor] = byte;
                    }
                    self.cursor += 1;
                }
                other => self.stray = Some(other),
            }
        }
    }
}

impl Terminal {
    /// The text before the cursor; what follows it must be blank.
    fn shown(&self) -> Option<&[u8]> {
        let (text, rest) = self.row.split_at(self.cursor);
        rest.iter().all(|&b| b == b' ').then_some(text)
    }
}

/// A keystroke: text, editing keys, arrows, escape sequences, anything.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => "[ -~]{1,8}".prop_map(String::into_bytes),
        2 => prop_oneof![Just(b"\x7f".to_vec()), Just(b"\x08".to_vec())],
        1 => Just(b"\x15".to_vec()),
        1 => Just(b"\x03".to_vec()),
        2 => prop_oneof![Just(b"\r".to_vec()), Just(b"\n".to_vec()), Just(b"\r\n".to_vec())],
        2 => prop_oneof![Just(b"\x1b[A".to_vec()), Just(b"\x1b[B".to_vec()), Just(b"\x1bOA".to_vec())],
        1 => prop_oneof![Just(b"\x1b[1;5C".to_vec()), Just(b"\x1b[".to_vec()), Just(b"\x1b".to_vec())],
        1 => vec(any::<u8>(), 1..4),
        1 => (1..300usize).prop_map(|n| vec![b'x'; n]),
    ]
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: editor_target
    /// After every byte: the line fits, is printable, and is what the
    /// terminal shows; Enter gives that line or says it was too long.
    #[test]
    fn the_editor_line_is_what_the_terminal_shows(keys in vec(key(), 0..60)) {
        let mut editor = LineEditor::new();
        let mut terminal = Terminal::default();
        for byte in keys.concat() {
            let before = editor.line().to_string();
            let event = editor.feed(byte, &mut terminal);
            prop_assert_eq!(terminal.stray, None);
            let line = editor.line();
            prop_assert!(line.len() <= MAX_LINE);
            prop_assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            match event {
                None => {
                    let shown = terminal.shown();
                    prop_assert_eq!(shown, Some(line.as_bytes()), "after {:#x}", byte);
                }
                Some(Event::Line) => {
                    prop_assert_eq!(line, before.as_str(), "Enter keeps the line it ends");
                    prop_assert!(terminal.row.is_empty(), "Enter moves to a new row");
                    editor.reset();
                }
                Some(Event::TooLong) => {
                    // Only a full line overflows, and nothing shortens it
                    // until Enter refuses it.
                    prop_assert_eq!(before.len(), MAX_LINE);
                    editor.reset();
                }
                Some(Event::Cancelled) => {
                    prop_assert!(terminal.row.is_empty());
                    prop_assert_eq!(editor.line(), "");
                }
            }
        }
    }
    // ANCHOR_END: editor_target
}
