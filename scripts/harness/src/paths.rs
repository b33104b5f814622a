//! Where things live: the workspace root, the hypervisor image under test and
//! the logs kept for failed system tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable naming the image to boot instead of the default
/// `target/images/kernel8.img`. A relative path is taken relative to the
/// workspace root (cargo runs test binaries from the package directory, so
/// the current directory would be surprising).
pub const IMAGE_VAR: &str = "FERROVISOR_IMAGE";

/// The image `scripts/build.sh` produces, relative to the workspace root.
pub const DEFAULT_IMAGE: &str = "target/images/kernel8.img";

/// Directory, relative to the workspace root, that receives the console logs
/// of failed system tests.
pub const LOG_DIR: &str = "target/systest-logs";

/// The root of the Cargo workspace (the directory holding the top-level
/// `Cargo.toml`), derived from this crate's location in `scripts/harness/`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("the harness crate lives two levels below the workspace root")
        .to_path_buf()
}

/// The hypervisor image to boot: the value of [`IMAGE_VAR`] if set, otherwise
/// [`DEFAULT_IMAGE`] in the workspace.
///
/// # Panics
///
/// If the image does not exist, with a message saying how to build it.
pub fn image_path() -> PathBuf {
    let image = resolve_image(std::env::var_os(IMAGE_VAR), &workspace_root());
    if !image.is_file() {
        panic!(
            "the hypervisor image {} does not exist; build it first with ./scripts/build.sh \
             (or point {IMAGE_VAR} at an image)",
            image.display()
        );
    }
    image
}

/// Where the console log of the failed test `test_name` is written.
pub fn log_path(test_name: &str) -> PathBuf {
    log_path_in(&workspace_root(), test_name)
}

/// Chooses the image path from the (possibly unset) environment value.
pub(crate) fn resolve_image(from_env: Option<OsString>, root: &Path) -> PathBuf {
    match from_env.filter(|value| !value.is_empty()) {
        Some(value) => root.join(value),
        None => root.join(DEFAULT_IMAGE),
    }
}

/// [`log_path`] for an explicit workspace root. The test name is reduced to
/// characters that are safe in a file name on every host, so names such as
/// `module::test` still produce a single file directly in [`LOG_DIR`].
pub(crate) fn log_path_in(root: &Path, test_name: &str) -> PathBuf {
    let mut file: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Never produce a hidden file, "." or "..", or an empty name.
    if file.is_empty() || file.starts_with('.') {
        file.insert(0, '_');
    }
    file.push_str(".log");
    root.join(LOG_DIR).join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("scripts/harness/Cargo.toml").is_file());
    }

    #[test]
    fn image_defaults_to_build_output() {
        let root = Path::new("/ws");
        assert_eq!(
            resolve_image(None, root),
            Path::new("/ws/target/images/kernel8.img")
        );
        assert_eq!(
            resolve_image(Some(OsString::new()), root),
            Path::new("/ws/target/images/kernel8.img")
        );
    }

    #[test]
    fn image_from_environment() {
        let root = Path::new("/ws");
        assert_eq!(
            resolve_image(Some("/tmp/other.img".into()), root),
            Path::new("/tmp/other.img")
        );
        assert_eq!(
            resolve_image(Some("build/k.img".into()), root),
            Path::new("/ws/build/k.img")
        );
    }

    #[test]
    fn log_paths() {
        let root = Path::new("/ws");
        assert_eq!(
            log_path_in(root, "help_lists_every_command"),
            Path::new("/ws/target/systest-logs/help_lists_every_command.log")
        );
        assert_eq!(
            log_path_in(root, "shell::ctrl-u erases/line"),
            Path::new("/ws/target/systest-logs/shell__ctrl-u_erases_line.log")
        );
        assert_eq!(
            log_path_in(root, ".."),
            Path::new("/ws/target/systest-logs/_...log")
        );
        assert_eq!(
            log_path_in(root, ""),
            Path::new("/ws/target/systest-logs/_.log")
        );
        assert_eq!(
            log_path_in(root, "é"),
            Path::new("/ws/target/systest-logs/_.log")
        );
    }
}
