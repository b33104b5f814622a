//! The seed prompt: the guest asks `fuzz: seed? ` and reads a line typed
//! at its console, a decimal or `0x` hexadecimal number, so a harness can
//! replay a run (`fuzz.sh --seed S`). Nothing typed within a few seconds,
//! or Enter alone, and the guest takes its seed from the system timer.

/// The prompt the harness waits for.
pub const PROMPT: &str = "fuzz: seed? ";
/// Longest seed text: `0x` and 16 hex digits.
const MAX_LEN: usize = 18;

/// Collects the typed seed, byte by byte.
pub struct SeedLine {
    text: [u8; MAX_LEN],
    len: usize,
    /// More was typed than a seed can be: refused at Enter.
    overflow: bool,
}

/// What a typed byte did.
#[derive(Debug, PartialEq, Eq)]
pub enum Typed {
    /// Keep reading.
    More,
    /// Enter: the seed, or `None` if nothing usable was typed.
    Done(Option<u64>),
}

impl SeedLine {
    /// Nothing typed yet.
    pub const fn new() -> Self {
        Self {
            text: [0; MAX_LEN],
            len: 0,
            overflow: false,
        }
    }

    /// Take one byte: digits and `x` are kept, anything else but Enter
    /// is ignored; more than the longest seed spoils the line.
    pub fn feed(&mut self, byte: u8) -> Typed {
        match byte {
            b'\r' | b'\n' if self.overflow => Typed::Done(None),
            b'\r' | b'\n' => Typed::Done(parse(&self.text[..self.len])),
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' => {
                match self.text.get_mut(self.len) {
                    Some(slot) => {
                        *slot = byte;
                        self.len += 1;
                    }
                    None => self.overflow = true,
                }
                Typed::More
            }
            _ => Typed::More,
        }
    }
}

impl Default for SeedLine {
    fn default() -> Self {
        Self::new()
    }
}

/// `1234` or `0x4d2`; `None` for anything else or a number past 64 bits.
pub fn parse(text: &[u8]) -> Option<u64> {
    let text = core::str::from_utf8(text).ok()?;
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &[u8]) -> Typed {
        let mut line = SeedLine::new();
        for &b in text {
            if let Typed::Done(seed) = line.feed(b) {
                return Typed::Done(seed);
            }
        }
        Typed::More
    }

    #[test]
    fn reads_decimal_and_hex_seeds() {
        assert_eq!(typed(b"1234\r"), Typed::Done(Some(1234)));
        assert_eq!(typed(b"0xdeadbeef\r"), Typed::Done(Some(0xdead_beef)));
        assert_eq!(typed(b"0xFFFFFFFFFFFFFFFF\n"), Typed::Done(Some(u64::MAX)));
        assert_eq!(typed(b"12"), Typed::More);
    }

    #[test]
    fn nonsense_gives_no_seed() {
        assert_eq!(typed(b"\r"), Typed::Done(None));
        assert_eq!(typed(b"12ab\r"), Typed::Done(None));
        assert_eq!(typed(b"0x\r"), Typed::Done(None));
        assert_eq!(typed(b"99999999999999999999\r"), Typed::Done(None));
        // Noise around the digits is dropped.
        assert_eq!(typed(b" 4 2 !\r"), Typed::Done(Some(42)));
    }
}
