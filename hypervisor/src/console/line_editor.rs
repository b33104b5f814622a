//! The line editor of the hypervisor shell: turns the bytes a terminal sends
//! into command lines, echoing what the user should see.
//!
//! It understands printable ASCII, Enter (CR, LF or CR LF), Backspace (DEL or
//! BS), Ctrl-U (erase the line), Ctrl-C (abandon the line) and the up/down
//! arrow keys (history). Every other byte is ignored, including the rest of
//! any escape sequence a terminal sends and bytes that are not ASCII, so no
//! input can confuse it. A line longer than [`MAX_LINE`] is not echoed past
//! the limit and is reported, not executed, when Enter comes.
//!
//! The editor writes its echo through [`Echo`], so the host unit tests can
//! see exactly what a terminal would receive.

/// Longest line the shell accepts, in bytes.
pub const MAX_LINE: usize = 255;
/// Lines kept for the arrow keys.
pub const HISTORY_LINES: usize = 16;

const CTRL_C: u8 = 0x03;
const BACKSPACE: u8 = 0x08;
const LINE_FEED: u8 = b'\n';
const CARRIAGE_RETURN: u8 = b'\r';
const CTRL_U: u8 = 0x15;
const ESCAPE: u8 = 0x1b;
const DELETE: u8 = 0x7f;

/// Where the editor sends its echo.
pub trait Echo {
    /// Send bytes to the terminal.
    fn echo(&mut self, bytes: &[u8]);
}

/// What a byte fed to the editor completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Enter was pressed; the line is in [`LineEditor::line`].
    Line,
    /// Enter was pressed after more than [`MAX_LINE`] bytes.
    TooLong,
    /// Ctrl-C abandoned the line.
    Cancelled,
}

/// Progress through an escape sequence (`ESC [ ... final`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// Saw ESC.
    Start,
    /// Saw ESC `[` or ESC `O`: parameters until a final byte 0x40..=0x7e.
    Sequence,
}

/// A fixed-size line.
#[derive(Clone, Copy)]
struct Line {
    bytes: [u8; MAX_LINE],
    len: usize,
}

impl Line {
    const EMPTY: Line = Line {
        bytes: [0; MAX_LINE],
        len: 0,
    };

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

// ANCHOR: editor
/// The editor's state: the line being typed and the history.
pub struct LineEditor {
    line: Line,
    /// More bytes arrived than fit; the line will be refused.
    overflowed: bool,
    escape: Escape,
    /// The last byte was CR, so an LF right after it is the same Enter.
    after_cr: bool,
    history: [Line; HISTORY_LINES],
    /// Lines ever stored; the newest is at `(stored - 1) % HISTORY_LINES`.
    stored: usize,
    /// How far back the arrow keys have gone (0 = the line being typed).
    recall: usize,
}

impl LineEditor {
    /// A fresh editor with an empty history.
    pub const fn new() -> Self {
        Self {
            line: Line::EMPTY,
            overflowed: false,
            escape: Escape::None,
            after_cr: false,
            history: [Line::EMPTY; HISTORY_LINES],
            stored: 0,
            recall: 0,
        }
    }

    /// Feed one byte from the terminal.
    pub fn feed(&mut self, byte: u8, out: &mut impl Echo) -> Option<Event> {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == CARRIAGE_RETURN);
        if byte < 0x20 {
            // As on a VT100, a control byte ends any escape sequence and is
            // then acted on, so Ctrl-C always gets the user out.
            self.escape = Escape::None;
        }
        match self.escape {
            Escape::Start => {
                self.escape = if byte == b'[' || byte == b'O' {
                    Escape::Sequence
                } else {
                    Escape::None
                };
                return None;
            }
            Escape::Sequence => {
                if (0x40..=0x7e).contains(&byte) {
                    self.escape = Escape::None;
                    match byte {
                        b'A' => self.recall_older(out),
                        b'B' => self.recall_newer(out),
                        _ => {}
                    }
                }
                return None;
            }
            Escape::None => {}
        }
        match byte {
            LINE_FEED if after_cr => None,
            CARRIAGE_RETURN | LINE_FEED => Some(self.enter(out)),
            CTRL_C => {
                out.echo(b"^C\r\n");
                self.reset();
                Some(Event::Cancelled)
            }
            CTRL_U => {
                self.erase_shown(out);
                self.line.len = 0;
                self.overflowed = false;
                None
            }
            BACKSPACE | DELETE => {
                if !self.overflowed && self.line.len > 0 {
                    self.line.len -= 1;
                    out.echo(b"\x08 \x08");
                }
                None
            }
            ESCAPE => {
                self.escape = Escape::Start;
                None
            }
            0x20..=0x7e => {
                if self.line.len < MAX_LINE && !self.overflowed {
                    self.line.bytes[self.line.len] = byte;
                    self.line.len += 1;
                    out.echo(&[byte]);
                } else {
                    self.overflowed = true;
                }
                None
            }
            _ => None,
        }
    }
    // ANCHOR_END: editor

    /// The line completed by the last [`Event::Line`].
    pub fn line(&self) -> &str {
        // Only printable ASCII is ever stored, so this cannot fail.
        core::str::from_utf8(self.line.as_bytes()).unwrap_or("")
    }

    /// Forget the current line (call after handling an event).
    pub fn reset(&mut self) {
        self.line.len = 0;
        self.overflowed = false;
        self.escape = Escape::None;
        self.recall = 0;
    }

    fn enter(&mut self, out: &mut impl Echo) -> Event {
        out.echo(b"\r\n");
        self.recall = 0;
        if self.overflowed {
            self.line.len = 0;
            self.overflowed = false;
            return Event::TooLong;
        }
        let blank = self.line.as_bytes().iter().all(|&b| b == b' ');
        let repeat = self.stored > 0 && self.newest(1).as_bytes() == self.line.as_bytes();
        if !blank && !repeat {
            self.history[self.stored % HISTORY_LINES] = self.line;
            self.stored += 1;
        }
        Event::Line
    }

    /// The `n`-th newest stored line (1 = newest).
    fn newest(&self, n: usize) -> &Line {
        &self.history[(self.stored - n) % HISTORY_LINES]
    }

    fn recall_older(&mut self, out: &mut impl Echo) {
        if self.recall < self.stored.min(HISTORY_LINES) {
            self.recall += 1;
            self.show(*self.newest(self.recall), out);
        }
    }

    fn recall_newer(&mut self, out: &mut impl Echo) {
        if self.recall > 1 {
            self.recall -= 1;
            self.show(*self.newest(self.recall), out);
        } else if self.recall == 1 {
            self.recall = 0;
            self.show(Line::EMPTY, out);
        }
    }

    /// Replace what is on screen with `line`.
    fn show(&mut self, line: Line, out: &mut impl Echo) {
        self.erase_shown(out);
        self.line = line;
        self.overflowed = false;
        out.echo(self.line.as_bytes());
    }

    /// Rub out the shown characters with backspace-space-backspace, which
    /// every terminal understands.
    fn erase_shown(&self, out: &mut impl Echo) {
        for _ in 0..self.line.len {
            out.echo(b"\x08 \x08");
        }
    }
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    impl Echo for Vec<u8> {
        fn echo(&mut self, bytes: &[u8]) {
            self.extend_from_slice(bytes);
        }
    }

    /// Feed `input`, returning the events and the echo.
    fn run(ed: &mut LineEditor, input: &[u8]) -> (Vec<Event>, Vec<u8>) {
        let mut echo = Vec::new();
        let events = input
            .iter()
            .filter_map(|&b| ed.feed(b, &mut echo))
            .collect();
        (events, echo)
    }

    #[test]
    fn typed_line_is_echoed_and_completed() {
        let mut ed = LineEditor::new();
        let (ev, echo) = run(&mut ed, b"help\r");
        assert_eq!(ev, [Event::Line]);
        assert_eq!(ed.line(), "help");
        assert_eq!(echo, b"help\r\n");
    }

    #[test]
    fn crlf_is_one_enter_but_lf_alone_is_enter() {
        let mut ed = LineEditor::new();
        let (ev, _) = run(&mut ed, b"a\r\n");
        assert_eq!(ev, [Event::Line]);
        ed.reset();
        let (ev, _) = run(&mut ed, b"b\n\n");
        assert_eq!(ev, [Event::Line, Event::Line]);
    }

    #[test]
    fn backspace_and_ctrl_u_edit() {
        let mut ed = LineEditor::new();
        let (_, echo) = run(&mut ed, b"infoo\x7f");
        assert!(echo.ends_with(b"\x08 \x08"));
        run(&mut ed, b"\x08\r");
        assert_eq!(ed.line(), "inf");
        ed.reset();
        run(&mut ed, b"garbage\x15info\r");
        assert_eq!(ed.line(), "info");
    }

    #[test]
    fn backspace_on_empty_line_echoes_nothing() {
        let mut ed = LineEditor::new();
        let (_, echo) = run(&mut ed, b"\x7f\x7f");
        assert!(echo.is_empty());
    }

    #[test]
    fn ctrl_c_cancels() {
        let mut ed = LineEditor::new();
        let (ev, echo) = run(&mut ed, b"abc\x03");
        assert_eq!(ev, [Event::Cancelled]);
        assert!(echo.ends_with(b"^C\r\n"));
        run(&mut ed, b"\r");
        assert_eq!(ed.line(), "");
    }

    #[test]
    fn overlong_line_is_refused_and_editor_recovers() {
        let mut ed = LineEditor::new();
        let long = [b'x'; MAX_LINE + 100];
        let (ev, echo) = run(&mut ed, &long);
        assert!(ev.is_empty());
        assert_eq!(echo.len(), MAX_LINE, "nothing echoed past the limit");
        let (ev, _) = run(&mut ed, b"\r");
        assert_eq!(ev, [Event::TooLong]);
        ed.reset();
        run(&mut ed, b"info\r");
        assert_eq!(ed.line(), "info");
    }

    #[test]
    fn arrows_walk_the_history() {
        let typed = |ed: &mut LineEditor| {
            for cmd in [&b"one\r"[..], b"two\r", b"two\r", b"three\r"] {
                run(ed, cmd);
                ed.reset();
            }
        };
        let mut ed = LineEditor::new();
        typed(&mut ed);
        run(&mut ed, b"\x1b[A\x1b[A\r");
        assert_eq!(ed.line(), "two", "the repeated 'two' is stored once");

        let mut ed = LineEditor::new();
        typed(&mut ed);
        run(&mut ed, b"\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A\x1b[B\r");
        assert_eq!(
            ed.line(),
            "two",
            "up stops at 'one', down goes back to 'two'"
        );

        let mut ed = LineEditor::new();
        typed(&mut ed);
        run(&mut ed, b"\x1b[A\x1b[B\r");
        assert_eq!(ed.line(), "", "down past the newest gives an empty line");
    }

    #[test]
    fn other_escape_sequences_are_swallowed() {
        let mut ed = LineEditor::new();
        let (_, echo) = run(&mut ed, b"\x1b[1;5C\x1bOPok\r");
        assert_eq!(ed.line(), "ok");
        assert_eq!(echo, b"ok\r\n");
    }

    #[test]
    fn history_keeps_the_last_lines() {
        let mut ed = LineEditor::new();
        for i in 0..(HISTORY_LINES + 5) {
            run(&mut ed, std::format!("cmd{i}\r").as_bytes());
            ed.reset();
        }
        let ups: Vec<u8> = b"\x1b[A".repeat(HISTORY_LINES + 3);
        run(&mut ed, &ups);
        run(&mut ed, b"\r");
        assert_eq!(ed.line(), std::format!("cmd{}", 5));
    }

    proptest! {
        #[test]
        fn any_bytes_keep_the_line_printable_and_bounded(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let mut ed = LineEditor::new();
            let mut echo = Vec::new();
            for b in input {
                if ed.feed(b, &mut echo).is_some() {
                    prop_assert!(ed.line().len() <= MAX_LINE);
                    prop_assert!(ed.line().bytes().all(|c| (0x20..=0x7e).contains(&c)));
                    ed.reset();
                }
            }
            // Whatever came before, Ctrl-C and a command work.
            prop_assert_eq!(ed.feed(CTRL_C, &mut echo), Some(Event::Cancelled));
            let events: Vec<Event> = b"help\r".iter().filter_map(|&b| ed.feed(b, &mut echo)).collect();
            prop_assert_eq!(events, [Event::Line]);
            prop_assert_eq!(ed.line(), "help");
        }
    }
}
