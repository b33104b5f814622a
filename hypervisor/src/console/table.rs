//! Fixed-width table cells for `vml`, which ufmt cannot pad by itself.

use ufmt::uWrite;

/// Digits of a u64 in decimal, without allocation.
fn decimal(mut value: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    core::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// Write `text` left-aligned in `width` columns, then one space.
pub fn left<W: uWrite>(out: &mut W, text: &str, width: usize) -> Result<(), W::Error> {
    out.write_str(text)?;
    for _ in text.len()..width + 1 {
        out.write_char(' ')?;
    }
    Ok(())
}

/// Write `text` right-aligned in `width` columns, then one space.
pub fn right<W: uWrite>(out: &mut W, text: &str, width: usize) -> Result<(), W::Error> {
    for _ in text.len()..width {
        out.write_char(' ')?;
    }
    out.write_str(text)?;
    out.write_char(' ')
}

/// Write a number right-aligned in `width` columns, then one space.
pub fn number<W: uWrite>(out: &mut W, value: u64, width: usize) -> Result<(), W::Error> {
    let mut buf = [0; 20];
    right(out, decimal(value, &mut buf), width)
}

/// Write tenths as `12.3`, right-aligned in `width` columns, then one space.
pub fn tenths<W: uWrite>(out: &mut W, tenths: u64, width: usize) -> Result<(), W::Error> {
    let mut buf = [0; 20];
    let mut text = [0u8; 24];
    let whole = decimal(tenths / 10, &mut buf).as_bytes();
    text[..whole.len()].copy_from_slice(whole);
    text[whole.len()] = b'.';
    text[whole.len() + 1] = b'0' + (tenths % 10) as u8;
    let s = core::str::from_utf8(&text[..whole.len() + 2]).unwrap_or("");
    right(out, s, width)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    #[test]
    fn pads_cells() {
        let mut s = String::new();
        left(&mut s, "echo", 6).unwrap();
        number(&mut s, 42, 5).unwrap();
        number(&mut s, 0, 2).unwrap();
        tenths(&mut s, 1234, 7).unwrap();
        number(&mut s, u64::MAX, 3).unwrap();
        assert_eq!(s, "echo      42  0   123.4 18446744073709551615 ");
    }
}
