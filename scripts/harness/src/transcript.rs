//! The console transcript: every byte the emulated machine has printed, plus
//! the read cursor that [`crate::Qemu::expect`] advances.
//!
//! This module is pure data manipulation (no processes, no threads, no
//! clocks) so that the matching rules the system tests rely on can be unit
//! tested on the host.

/// Everything read from the console so far, and how much of it the test has
/// already consumed.
///
/// Invariant: `cursor <= bytes.len()`.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    /// Every byte received, in order. Never shrinks.
    bytes: Vec<u8>,
    /// Index of the first byte that no `expect` has consumed yet.
    cursor: usize,
}

impl Transcript {
    /// Appends freshly received bytes.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    /// Every byte received since the machine started.
    pub(crate) fn all(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes after the cursor, not yet consumed by any `expect`.
    pub(crate) fn unread(&self) -> &[u8] {
        &self.bytes[self.cursor..]
    }

    /// Index of the first unconsumed byte.
    pub(crate) fn cursor(&self) -> usize {
        self.cursor
    }

    /// Looks for `needle` starting at byte index `from` (never before the
    /// cursor) and returns the index just past the end of the first match.
    ///
    /// An empty needle matches immediately, at `from`.
    pub(crate) fn find(&self, needle: &[u8], from: usize) -> Option<usize> {
        let start = from.clamp(self.cursor, self.bytes.len());
        find_subslice(&self.bytes[start..], needle).map(|at| start + at + needle.len())
    }

    /// After a search for a needle of `needle_len` bytes failed, the index
    /// from which the next search (once more bytes arrived) has to resume.
    ///
    /// A match that would start earlier would have been entirely inside the
    /// bytes already searched, so only the last `needle_len - 1` bytes can
    /// still be the beginning of a match. This keeps repeated searches over a
    /// growing transcript linear instead of quadratic.
    pub(crate) fn resume_point(&self, needle_len: usize) -> usize {
        let overlap = needle_len.saturating_sub(1);
        self.bytes.len().saturating_sub(overlap).max(self.cursor)
    }

    /// Consumes the bytes from the cursor up to (not including) index `end`,
    /// returning them and moving the cursor to `end`.
    ///
    /// `end` is clamped to the valid range, so the cursor never moves
    /// backwards or past the end of the transcript.
    pub(crate) fn consume_to(&mut self, end: usize) -> Vec<u8> {
        let end = end.clamp(self.cursor, self.bytes.len());
        let taken = self.bytes[self.cursor..end].to_vec();
        self.cursor = end;
        taken
    }

    /// Finds `needle` after the cursor and, if present, consumes everything
    /// up to and including it.
    #[cfg(test)]
    pub(crate) fn take_through(&mut self, needle: &[u8]) -> Option<Vec<u8>> {
        let end = self.find(needle, self.cursor)?;
        Some(self.consume_to(end))
    }
}

/// Returns the index of the first occurrence of `needle` in `haystack`.
/// An empty needle is found at index 0.
pub(crate) fn find_subslice(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > haystack.len() {
        return None;
    }
    let first = needle[0];
    let last_start = haystack.len() - needle.len();
    let mut at = 0;
    while at <= last_start {
        // Skip quickly to the next byte that could begin a match.
        match haystack[at..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(skip) => at += skip,
        }
        if haystack[at..at + needle.len()] == *needle {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Renders console bytes for a human reading a test failure: at most the last
/// `max_chars` characters, with `\r\n` shown as a plain line break and every
/// other control character escaped so the report cannot garble a terminal.
pub(crate) fn printable_tail(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let total = text.chars().count();
    let skip = total.saturating_sub(max_chars);
    let mut out = String::new();
    if skip > 0 {
        out.push_str("[...] ");
    }
    let mut chars = text.chars().skip(skip).peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(text: &str) -> Transcript {
        let mut t = Transcript::default();
        t.push(text.as_bytes());
        t
    }

    #[test]
    fn find_subslice_basics() {
        assert_eq!(find_subslice(b"hello world", b"world"), Some(6));
        assert_eq!(find_subslice(b"hello world", b"hello"), Some(0));
        assert_eq!(find_subslice(b"hello world", b"d"), Some(10));
        assert_eq!(find_subslice(b"hello world", b"worlds"), None);
        assert_eq!(find_subslice(b"abc", b"abcd"), None);
        assert_eq!(find_subslice(b"", b"a"), None);
        assert_eq!(find_subslice(b"abc", b""), Some(0));
        assert_eq!(find_subslice(b"", b""), Some(0));
        // Partial match followed by the real one.
        assert_eq!(find_subslice(b"aaab", b"aab"), Some(1));
        // Raw bytes, including NUL and high bytes.
        assert_eq!(find_subslice(&[0, 0xff, 0, 0xfe], &[0, 0xfe]), Some(2));
    }

    #[test]
    fn take_through_returns_text_up_to_and_including_needle() {
        let mut t = transcript("boot...\r\nferrovisor> ");
        let got = t.take_through(b"ferrovisor> ").unwrap();
        assert_eq!(got, b"boot...\r\nferrovisor> ");
        assert_eq!(t.cursor(), t.all().len());
        assert!(t.unread().is_empty());
    }

    #[test]
    fn cursor_skips_already_consumed_matches() {
        let mut t = transcript("> one > two > ");
        assert_eq!(t.take_through(b"> ").unwrap(), b"> ");
        assert_eq!(t.take_through(b"> ").unwrap(), b"one > ");
        assert_eq!(t.take_through(b"> ").unwrap(), b"two > ");
        assert_eq!(t.take_through(b"> "), None);
        // A miss does not move the cursor.
        assert_eq!(t.cursor(), t.all().len());
    }

    #[test]
    fn miss_leaves_cursor_and_later_data_can_match() {
        let mut t = transcript("abc");
        assert_eq!(t.take_through(b"cd"), None);
        assert_eq!(t.cursor(), 0);
        t.push(b"de");
        assert_eq!(t.take_through(b"cd").unwrap(), b"abcd");
        assert_eq!(t.unread(), b"e");
    }

    #[test]
    fn find_never_looks_before_cursor() {
        let mut t = transcript("needle needle");
        t.consume_to(3);
        // The first "needle" starts before the cursor, so the second is found.
        assert_eq!(t.find(b"needle", 0), Some(13));
    }

    #[test]
    fn resume_point_keeps_a_needle_split_across_reads() {
        let mut t = transcript("xxxxferro");
        let needle = b"ferrovisor> ";
        assert_eq!(t.find(needle, t.cursor()), None);
        let from = t.resume_point(needle.len());
        // Only the last needle.len() - 1 bytes need searching again.
        assert_eq!(from, 0);
        t.push(b"visor> ");
        let from_after = t.resume_point(needle.len());
        assert_eq!(t.find(needle, from), Some(t.all().len()));
        assert_eq!(from_after, t.all().len() - (needle.len() - 1));

        let mut long = transcript(&"z".repeat(100));
        long.push(b"fer");
        let from = long.resume_point(needle.len());
        assert_eq!(from, 103 - 11);
        long.push(b"rovisor> tail");
        assert_eq!(long.find(needle, from), Some(103 + 9));
    }

    #[test]
    fn resume_point_never_precedes_cursor() {
        let mut t = transcript("abcdef");
        t.consume_to(5);
        assert_eq!(t.resume_point(100), 5);
        assert_eq!(t.resume_point(0), 6);
    }

    #[test]
    fn consume_to_is_clamped() {
        let mut t = transcript("abcdef");
        assert_eq!(t.consume_to(100), b"abcdef");
        assert_eq!(t.consume_to(2), b"");
        assert_eq!(t.cursor(), 6);
    }

    #[test]
    fn empty_needle_matches_at_cursor() {
        let mut t = transcript("abc");
        t.consume_to(1);
        assert_eq!(t.take_through(b"").unwrap(), b"");
        assert_eq!(t.cursor(), 1);
    }

    #[test]
    fn printable_tail_escapes_controls_and_truncates() {
        assert_eq!(printable_tail(b"a\r\nb\tc", 100), "a\nb\tc");
        assert_eq!(
            printable_tail(b"x\ry\x1b[A\x00", 100),
            "x\\ry\\u{1b}[A\\u{0}"
        );
        assert_eq!(printable_tail(b"0123456789", 4), "[...] 6789");
        // Invalid UTF-8 does not panic.
        assert_eq!(printable_tail(&[b'o', 0xff, b'k'], 10), "o\u{fffd}k");
    }
}
