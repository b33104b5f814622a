//! How long the harness waits for the emulated machine.
//!
//! QEMU emulates the Cortex-A53 in software (TCG), and the system tests run
//! several emulators at once on machines with as few as two cores, so the
//! defaults are deliberately generous: a correct hypervisor answers in well
//! under a second, and a timeout only ever fires when something is broken.
//! Slow machines (or runs under a debugger) can stretch every timeout with
//! the [`TIMEOUT_SCALE_VAR`] environment variable.

use std::sync::OnceLock;
use std::time::Duration;

/// Default time allowed for one step of a test: from sending some input to
/// the expected response being complete.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Time allowed from starting QEMU to the first shell prompt.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variable holding a positive decimal factor (for example `2.5`)
/// that multiplies every timeout the harness applies.
pub const TIMEOUT_SCALE_VAR: &str = "FERROVISOR_TIMEOUT_SCALE";

/// The factor from [`TIMEOUT_SCALE_VAR`], or `1.0` when it is unset or empty.
///
/// # Panics
///
/// If the variable is set to something that is not a positive, finite number:
/// silently ignoring a typo would make a slow run fail for no visible reason.
pub fn timeout_scale() -> f64 {
    static SCALE: OnceLock<Result<f64, String>> = OnceLock::new();
    let parsed = SCALE.get_or_init(|| match std::env::var(TIMEOUT_SCALE_VAR) {
        Ok(value) => parse_scale(Some(&value)),
        Err(std::env::VarError::NotPresent) => parse_scale(None),
        Err(std::env::VarError::NotUnicode(raw)) => Err(format!(
            "{TIMEOUT_SCALE_VAR}={raw:?} is not valid UTF-8; expected a positive number such as 2.5"
        )),
    });
    match parsed {
        Ok(scale) => *scale,
        Err(message) => panic!("{message}"),
    }
}

/// `timeout` multiplied by [`timeout_scale`].
pub fn scaled(timeout: Duration) -> Duration {
    scale_duration(timeout, timeout_scale())
}

/// Parses the value of [`TIMEOUT_SCALE_VAR`]; `None` or an empty (or blank)
/// value means "no scaling".
pub(crate) fn parse_scale(raw: Option<&str>) -> Result<f64, String> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(1.0);
    };
    match raw.parse::<f64>() {
        Ok(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
        _ => Err(format!(
            "{TIMEOUT_SCALE_VAR}={raw:?} is not a positive number; expected something like 2.5"
        )),
    }
}

/// Multiplies a duration by a positive factor, saturating instead of
/// overflowing for absurdly large factors.
pub(crate) fn scale_duration(timeout: Duration, scale: f64) -> Duration {
    Duration::try_from_secs_f64(timeout.as_secs_f64() * scale).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_or_empty_means_one() {
        assert_eq!(parse_scale(None), Ok(1.0));
        assert_eq!(parse_scale(Some("")), Ok(1.0));
        assert_eq!(parse_scale(Some("  ")), Ok(1.0));
    }

    #[test]
    fn accepts_positive_numbers() {
        assert_eq!(parse_scale(Some("2")), Ok(2.0));
        assert_eq!(parse_scale(Some(" 2.5 ")), Ok(2.5));
        assert_eq!(parse_scale(Some("0.5")), Ok(0.5));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["0", "-1", "abc", "inf", "NaN", "2x"] {
            let err = parse_scale(Some(bad)).unwrap_err();
            assert!(err.contains(TIMEOUT_SCALE_VAR), "{err}");
        }
    }

    #[test]
    fn scaling_durations() {
        assert_eq!(
            scale_duration(Duration::from_secs(30), 2.0),
            Duration::from_secs(60)
        );
        assert_eq!(
            scale_duration(Duration::from_secs(2), 0.5),
            Duration::from_secs(1)
        );
        assert_eq!(scale_duration(Duration::from_secs(1), 1e300), Duration::MAX);
    }
}
