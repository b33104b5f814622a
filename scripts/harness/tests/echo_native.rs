//! System tests of the echo guest running natively: `target/images/echo.bin`
//! booted directly by QEMU `raspi3b` as `kernel8.img`, without ferrovisor.
//!
//! They pin down the behaviour the guest must also show inside a VM: the
//! banner, every typed byte written back, and Enter (`"\r"`) turned into a
//! new line (`"\r\n"`), with nothing lost in a 4 KiB paste.

use std::path::PathBuf;

use ferrovisor_harness::text::{echoed, first_difference, mixed_text};
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
    let text = mixed_text(PASTE_BYTES, PASTE_END);
    assert_eq!(text.len(), PASTE_BYTES);
    qemu.send(&text);
    let want = echoed(&text);
    let got = qemu.expect_bytes(&echoed(PASTE_END), STEP_TIMEOUT);
    assert!(got == want, "{}", first_difference(&got, &want));
}
