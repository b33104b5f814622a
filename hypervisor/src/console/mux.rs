//! The console escape keys typed while a VM has the console: `@0` back to
//! the hypervisor, `@N` to VM N, `@@` a literal `@`, `@?` help. Everything
//! else goes to the VM untouched.

/// What one typed byte means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Nothing yet (an `@` waiting for its second key).
    Pending,
    /// Send this byte to the focused VM.
    Byte(u8),
    /// Send `@` and then this byte (an `@` followed by an ordinary key).
    AtThen(u8),
    /// Switch the console to VM `N` (0 = the hypervisor).
    Switch(u8),
    /// Print the escape keys.
    Help,
}

/// The escape-key parser.
#[derive(Debug, Default)]
pub struct Escape {
    after_at: bool,
}

/// The escape character.
pub const ESCAPE_CHAR: u8 = b'@';

// ANCHOR: feed
impl Escape {
    /// A parser in its initial state.
    pub const fn new() -> Self {
        Self { after_at: false }
    }

    /// Interpret one byte typed to a VM's console.
    pub fn feed(&mut self, byte: u8) -> Key {
        if !core::mem::take(&mut self.after_at) {
            if byte == ESCAPE_CHAR {
                self.after_at = true;
                return Key::Pending;
            }
            return Key::Byte(byte);
        }
        match byte {
            ESCAPE_CHAR => Key::Byte(ESCAPE_CHAR),
            b'0'..=b'9' => Key::Switch(byte - b'0'),
            b'?' => Key::Help,
            other => Key::AtThen(other),
        }
    }
}
// ANCHOR_END: feed

/// The help `@?` prints.
pub const HELP: &str =
    "console keys: @0 hypervisor prompt, @N switch to VM N, @@ a literal @, @? this help";

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn run(input: &[u8]) -> Vec<Key> {
        let mut e = Escape::new();
        input
            .iter()
            .map(|&b| e.feed(b))
            .filter(|k| *k != Key::Pending)
            .collect()
    }

    #[test]
    fn escapes() {
        assert_eq!(run(b"a@0"), [Key::Byte(b'a'), Key::Switch(0)]);
        assert_eq!(run(b"@2"), [Key::Switch(2)]);
        assert_eq!(run(b"@@x"), [Key::Byte(b'@'), Key::Byte(b'x')]);
        assert_eq!(run(b"@?"), [Key::Help]);
        assert_eq!(
            run(b"me@x"),
            [Key::Byte(b'm'), Key::Byte(b'e'), Key::AtThen(b'x')]
        );
    }

    proptest! {
        /// Without switches, what reaches the VM is exactly what was typed
        /// with each `@@` turned into `@`.
        #[test]
        fn passes_text_through(text in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut out = Vec::new();
            let mut e = Escape::new();
            for &b in &text {
                match e.feed(b) {
                    Key::Byte(b) => out.push(b),
                    Key::AtThen(b) => { out.push(b'@'); out.push(b) }
                    Key::Switch(_) | Key::Help | Key::Pending => {}
                }
            }
            let has_escape = text.windows(2).any(|w| w[0] == b'@' && (w[1].is_ascii_digit() || w[1] == b'?'));
            if !has_escape && !text.contains(&b'@') {
                prop_assert_eq!(out, text);
            }
        }

        /// Any bytes at all, typed with each `@` doubled, reach the VM
        /// unchanged; and `@N` between such chunks is always a switch, at
        /// its place: nothing typed is lost, added or reordered.
        #[test]
        fn doubled_at_signs_and_switches_are_exact(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..8),
            ids in proptest::collection::vec(0u8..10, 8),
        ) {
            let mut typed = Vec::new();
            let mut want = Vec::new();
            for (chunk, &id) in chunks.iter().zip(&ids) {
                for &b in chunk {
                    typed.push(b);
                    if b == ESCAPE_CHAR {
                        typed.push(b);
                    }
                    want.push(Key::Byte(b));
                }
                typed.extend([ESCAPE_CHAR, b'0' + id]);
                want.push(Key::Switch(id));
            }
            prop_assert_eq!(run(&typed), want);
        }
    }
}
