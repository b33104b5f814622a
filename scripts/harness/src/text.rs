//! Test text: pseudo-random printable input for paste tests, what an echo
//! program sends back for it, and a readable description of a mismatch.

/// What echo must send back for `input`: every byte as it is, except that
/// `"\r"` becomes `"\r\n"`.
pub fn echoed(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for &byte in input {
        out.push(byte);
        if byte == b'\r' {
            out.push(b'\n');
        }
    }
    out
}

/// `len` bytes of printable ASCII of every kind (letters, digits,
/// punctuation, spaces) in lines of varying length ending in `"\r"`, from a
/// fixed pseudo-random sequence, ending with `end`.
pub fn mixed_text(len: usize, end: &[u8]) -> Vec<u8> {
    const PRINTABLE: std::ops::RangeInclusive<u8> = b' '..=b'~';
    let printable: Vec<u8> = PRINTABLE.collect();
    let mut state: u32 = 0x2545_f491;
    let mut next = move || {
        // xorshift32: deterministic, so a failure can be reproduced.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let body = len - end.len();
    let mut text = Vec::with_capacity(len);
    let mut line_left = 20 + next() % 100;
    while text.len() < body {
        if line_left == 0 {
            text.push(b'\r');
            line_left = 20 + next() % 100;
        } else {
            text.push(printable[next() as usize % printable.len()]);
            line_left -= 1;
        }
    }
    text.extend_from_slice(end);
    text
}

/// Describes where `got` first differs from `want`, for a failure message.
pub fn first_difference(got: &[u8], want: &[u8]) -> String {
    let at = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let around = |bytes: &[u8]| {
        let start = at.saturating_sub(20);
        let end = (at + 20).min(bytes.len());
        String::from_utf8_lossy(&bytes[start..end]).into_owned()
    };
    format!(
        "{} bytes echoed, {} expected; first difference at byte {at}: got {:?}, expected {:?}",
        got.len(),
        want.len(),
        around(got),
        around(want)
    )
}
