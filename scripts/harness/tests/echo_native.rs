//! System tests of the echo guest running natively: `target/images/echo.bin`
//! booted directly by QEMU `raspi3b` as `kernel8.img`, without ferrovisor.
//!
//! They pin down the behaviour the guest must also show inside a VM: the
//! banner, every typed byte written back, and Enter (`"\r"`) turned into a
//! new line (`"\r\n"`), with nothing lost in a 4 KiB paste.

use std::path::PathBuf;

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// The echo image `scripts/build.sh` produces, relative to the workspace root.
const ECHO_IMAGE: &str = "target/images/echo.bin";

/// The last line of echo's banner: after it, echo is listening.
const READY: &str = "echo: ready, type something\r\n";

/// Everything echo prints at boot, ending with [`READY`].
const BANNER: &str =
    "\r\necho: a bare-metal echo program for the Raspberry Pi 3\r\necho: ready, type something\r\n";

/// The size of the pasted text.
const PASTE_BYTES: usize = 4096;

/// The end of the pasted text, so the test knows when the echo is complete.
const PASTE_END: &[u8] = b" END OF PASTE\r";

/// The echo image, which must have been built.
fn echo_image() -> PathBuf {
    let image = workspace_root().join(ECHO_IMAGE);
    assert!(
        image.is_file(),
        "the echo image {} does not exist; build it with ./scripts/build.sh",
        image.display()
    );
    image
}

/// Boots echo natively and waits for its banner; returns the machine and
/// the banner.
fn boot(test_name: &str) -> (Qemu, String) {
    let mut qemu = Qemu::boot(&echo_image(), test_name);
    let banner = qemu.expect(READY, BOOT_TIMEOUT);
    (qemu, banner)
}

/// What echo must send back for `input`: every byte as it is, except that
/// `"\r"` becomes `"\r\n"`.
fn echoed(input: &[u8]) -> Vec<u8> {
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
/// fixed pseudo-random sequence, ending with [`PASTE_END`].
fn mixed_text(len: usize) -> Vec<u8> {
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
    let body = len - PASTE_END.len();
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
    text.extend_from_slice(PASTE_END);
    text
}

/// Describes where `got` first differs from `want`, for a failure message.
fn first_difference(got: &[u8], want: &[u8]) -> String {
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

#[test]
fn echo_native_prints_its_banner() {
    let (_qemu, banner) = boot("echo_native_prints_its_banner");
    assert!(BANNER.ends_with(READY));
    assert_eq!(banner, BANNER, "echo's banner, and nothing before it");
}

#[test]
fn echo_native_echoes_a_typed_line() {
    let (mut qemu, _) = boot("echo_native_echoes_a_typed_line");
    qemu.send_line("hello, echo");
    let seen = qemu.expect("hello, echo\r\n", STEP_TIMEOUT);
    assert_eq!(
        seen, "hello, echo\r\n",
        "echo must write back exactly what was typed, Enter as a new line"
    );
    // Bytes without Enter come back too, one by one as typed.
    qemu.send(b"abc");
    assert_eq!(qemu.expect("abc", STEP_TIMEOUT), "abc");
}

#[test]
fn echo_native_echoes_a_4k_paste_exactly() {
    let (mut qemu, _) = boot("echo_native_echoes_a_4k_paste_exactly");
    let text = mixed_text(PASTE_BYTES);
    assert_eq!(text.len(), PASTE_BYTES);
    qemu.send(&text);
    let want = echoed(&text);
    let got = qemu.expect_bytes(&echoed(PASTE_END), STEP_TIMEOUT);
    assert!(got == want, "{}", first_difference(&got, &want));
}
