//! Building the QEMU command line.
//!
//! The board-specific arguments live in `boards/raspi3b/qemu.args` so that
//! the run script and the tests boot exactly the same machine; this module
//! reads that file and adds the per-run parts (the image and the console).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::paths::workspace_root;

/// The emulator binary, looked up on `PATH`.
pub const QEMU_BINARY: &str = "qemu-system-aarch64";

/// The board arguments file, relative to the workspace root.
pub const QEMU_ARGS_FILE: &str = "boards/raspi3b/qemu.args";

/// Environment variable holding extra QEMU arguments, separated by spaces,
/// added to every command line: for example `-icount shift=0`, which makes
/// the guests' counter count instructions, or `-d int -D /tmp/qemu.log`.
pub const QEMU_EXTRA_ARGS_VAR: &str = "FERROVISOR_QEMU_ARGS";

/// Parses the contents of a `qemu.args` file: one argument per line, lines
/// whose first non-blank character is `#` are comments, blank lines are
/// ignored, and surrounding whitespace is trimmed. Everything else on a line
/// (including inner spaces and `#`) is part of the argument.
pub fn parse_qemu_args(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The full argument list (without the binary) for booting `image`: the board
/// arguments from [`QEMU_ARGS_FILE`] followed by `-kernel <image> -serial
/// stdio -monitor none` and the words of [`QEMU_EXTRA_ARGS_VAR`], if set.
///
/// The board file already routes the first serial port (the PL011) to
/// `null`, so `-serial stdio` attaches the second one, the mini UART that
/// ferrovisor uses as its console, to QEMU's stdin and stdout.
///
/// # Panics
///
/// If the board arguments file cannot be read.
pub fn qemu_command_line(image: &Path) -> Vec<OsString> {
    qemu_command_line_with(image, &[])
}

/// [`qemu_command_line`] with `extra` arguments after `-kernel <image>` (a
/// native Linux boot's `-dtb`, `-initrd` and `-append`).
///
/// # Panics
///
/// If the board arguments file cannot be read.
pub fn qemu_command_line_with(image: &Path, extra: &[OsString]) -> Vec<OsString> {
    let file = workspace_root().join(QEMU_ARGS_FILE);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|err| {
        panic!(
            "cannot read the QEMU board arguments {}: {err}",
            file.display()
        )
    });
    let mut args = with_console_args(parse_qemu_args(&text), image);
    args.extend(extra.iter().cloned());
    args.extend(extra_args(std::env::var_os(QEMU_EXTRA_ARGS_VAR)));
    args
}

/// The words of a [`QEMU_EXTRA_ARGS_VAR`] value (none if it is unset).
pub(crate) fn extra_args(value: Option<OsString>) -> Vec<OsString> {
    value
        .unwrap_or_default()
        .to_string_lossy()
        .split_whitespace()
        .map(OsString::from)
        .collect()
}

/// Appends the per-run arguments to the board arguments.
pub(crate) fn with_console_args(board: Vec<String>, image: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = board.into_iter().map(OsString::from).collect();
    args.push("-kernel".into());
    args.push(image.as_os_str().to_owned());
    for arg in ["-serial", "stdio", "-monitor", "none"] {
        args.push(arg.into());
    }
    args
}

/// The path of [`QEMU_BINARY`] on `PATH`.
///
/// # Panics
///
/// If it is not installed, saying how to get it.
pub fn find_qemu() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_in_path(QEMU_BINARY, &path).unwrap_or_else(|| {
        panic!(
            "{QEMU_BINARY} is not on PATH; run the system tests with ./scripts/test.sh, \
             which installs it"
        )
    })
}

/// Searches the directories of a `PATH`-style list for a file called `name`.
pub(crate) fn find_in_path(name: &str, path_list: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path_list)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Renders an argument list as a shell-like string, for logs and messages.
pub(crate) fn display_command(binary: &Path, args: &[OsString]) -> String {
    let mut line = binary.display().to_string();
    for arg in args {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_argument_per_line() {
        let text = "# comment\n-M\nraspi3b\n\n   \n  # indented comment\n  -display  \nnone\r\n";
        assert_eq!(parse_qemu_args(text), ["-M", "raspi3b", "-display", "none"]);
    }

    #[test]
    fn keeps_inner_spaces_and_hashes() {
        let text = "-append\nconsole=ttyS0 quiet # not a comment\n";
        assert_eq!(
            parse_qemu_args(text),
            ["-append", "console=ttyS0 quiet # not a comment"]
        );
    }

    #[test]
    fn empty_file_has_no_arguments() {
        assert!(parse_qemu_args("").is_empty());
        assert!(parse_qemu_args("# only a comment\n\n").is_empty());
    }

    #[test]
    fn the_board_file_parses() {
        let text = std::fs::read_to_string(workspace_root().join(QEMU_ARGS_FILE)).unwrap();
        let args = parse_qemu_args(&text);
        assert!(args.windows(2).any(|w| w == ["-M", "raspi3b"]), "{args:?}");
        assert!(args.iter().all(|a| !a.starts_with('#')));
    }

    #[test]
    fn console_arguments_are_appended() {
        let args = with_console_args(vec!["-M".into(), "raspi3b".into()], Path::new("/k.img"));
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            ["-M", "raspi3b", "-kernel", "/k.img", "-serial", "stdio", "-monitor", "none"]
        );
    }

    #[test]
    fn extra_arguments_are_words() {
        assert!(extra_args(None).is_empty());
        assert_eq!(
            extra_args(Some(" -icount  shift=0 ".into())),
            ["-icount", "shift=0"]
        );
    }

    #[test]
    fn finds_binaries_on_a_path_list() {
        let dir =
            std::env::temp_dir().join(format!("ferrovisor-harness-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("fake-qemu"), b"").unwrap();
        let list = std::env::join_paths(["/nonexistent-dir", "", dir.to_str().unwrap()]).unwrap();
        assert_eq!(
            find_in_path("fake-qemu", &list),
            Some(dir.join("fake-qemu"))
        );
        assert_eq!(find_in_path("missing-binary", &list), None);
        // A directory with the right name is not a binary.
        assert_eq!(
            find_in_path(
                dir.file_name().unwrap().to_str().unwrap(),
                &std::env::temp_dir().into_os_string()
            ),
            None
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn command_display() {
        let args = vec![OsString::from("-M"), OsString::from("raspi3b")];
        assert_eq!(
            display_command(Path::new("/usr/bin/qemu"), &args),
            "/usr/bin/qemu -M raspi3b"
        );
    }
}
