//! What the Linux guest's tests share: the line its `/init` prints when the
//! system is up, the files a native boot needs, and a way to run a BusyBox
//! shell command and take exactly its output.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::{parse_qemu_args, workspace_root, Qemu};

/// The kernel `scripts/fetch-linux.sh` installs, relative to the workspace root.
pub const LINUX_IMAGE: &str = "target/images/linux/Image";

/// The QEMU arguments of a native boot (`-dtb`, `-initrd`, `-append`), one per
/// line, relative to the workspace root.
pub const NATIVE_ARGS_FILE: &str = "guests/linux/native.args";

/// What `guests/linux/init` prints once proc, sys and dev are mounted:
/// `ferrovisor-linux: Linux <release> up, <n> CPU[s]`.
pub const INIT_LINE_START: &str = "ferrovisor-linux: Linux ";

/// The end of the shell's prompt (`PS1='\w # '` in `guests/linux/init`).
pub const SHELL_PROMPT_END: &str = " # ";

/// How long Linux may take from QEMU's start (or a reset) to [`INIT_LINE_START`]:
/// about 15 s natively on an idle machine, more as a VM and under load.
pub const LINUX_BOOT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long one shell command may take.
pub const SHELL_TIMEOUT: Duration = Duration::from_secs(60);

/// The kernel image, which must have been fetched.
///
/// # Panics
///
/// If `scripts/build.sh` has not installed it.
pub fn linux_image() -> PathBuf {
    let image = workspace_root().join(LINUX_IMAGE);
    assert!(
        image.is_file(),
        "the Linux kernel {} does not exist; fetch it with ./scripts/build.sh (scripts/fetch-linux.sh)",
        image.display()
    );
    image
}

/// The extra QEMU arguments of a native boot, with the paths made absolute.
///
/// # Panics
///
/// If [`NATIVE_ARGS_FILE`] cannot be read.
pub fn native_args() -> Vec<OsString> {
    let root = workspace_root();
    let file = root.join(NATIVE_ARGS_FILE);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
    parse_qemu_args(&text)
        .into_iter()
        .map(|arg| match arg.strip_prefix("target/") {
            Some(_) => root.join(&arg).into_os_string(),
            None => arg.into(),
        })
        .collect()
}

/// Waits for the init line and returns it (without the line end), for
/// example `ferrovisor-linux: Linux 6.1.0-50-arm64 up, 1 CPU`.
pub fn wait_for_init(qemu: &mut Qemu, timeout: Duration) -> String {
    qemu.expect(INIT_LINE_START, timeout);
    let rest = qemu.expect("\r\n", SHELL_TIMEOUT);
    format!("{INIT_LINE_START}{}", rest.trim_end())
}

/// A BusyBox shell on the console, driven one command at a time.
pub struct Shell {
    count: u32,
}

impl Default for Shell {
    fn default() -> Self {
        Self::new()
    }
}

impl Shell {
    /// A shell whose markers start at 1.
    pub fn new() -> Shell {
        Shell { count: 0 }
    }

    /// Waits for the prompt, types `command` followed by an `echo` of a marker
    /// that only the shell can produce (the typed line holds `$((N+0))`, the
    /// output `N`), and returns what the command printed: the text between the
    /// echoed line and the marker, with `\r\n` line ends turned into `\n`.
    ///
    /// The cursor must be where the next prompt will appear: after the init
    /// line, or after the previous command. (Typing before the prompt is
    /// there would be echoed twice: by the tty, and again by the shell's line
    /// editor.)
    pub fn run(&mut self, qemu: &mut Qemu, command: &str) -> String {
        qemu.expect(SHELL_PROMPT_END, SHELL_TIMEOUT);
        self.count += 1;
        let typed = format!("{command}; echo \"<done $(({}+0))>\"", self.count);
        let done = format!("<done {}>\r\n", self.count);
        qemu.send_line(&typed);
        let out = qemu.expect(&done, SHELL_TIMEOUT);
        let out = &out[..out.len() - done.len()];
        // After the echo of the typed line, which ends with the marker's
        // source text: the last one, as the line may be echoed twice (by the
        // tty, and by the line editor redrawing it behind its prompt).
        let echo_end = format!("{}+0))>\"\r\n", self.count);
        let out = out
            .rfind(&echo_end)
            .map_or(out, |at| &out[at + echo_end.len()..]);
        out.replace("\r\n", "\n")
    }
}
