//! What the long runs (`soak`, `fuzz`) share: rounds of input until the
//! time is up, with a look at the whole system every few seconds, and the
//! figures those looks read (QEMU's resident memory, the console's lost
//! bytes).

use std::time::{Duration, Instant};

/// Runs `round` on `state` again and again for `length` (and then for as
/// long as `more` says), calling `sample` before the first round, after a
/// round whenever `every` has passed since the last sample, and once at
/// the end.
pub fn run_sampled<T>(
    state: &mut T,
    length: Duration,
    every: Duration,
    mut round: impl FnMut(&mut T),
    mut sample: impl FnMut(&mut T),
    more: impl Fn(&T) -> bool,
) {
    let started = Instant::now();
    sample(state);
    let mut next_sample = Instant::now() + every;
    while started.elapsed() < length || more(state) {
        round(state);
        if Instant::now() >= next_sample {
            sample(state);
            next_sample = Instant::now() + every;
        }
    }
    sample(state);
}

/// A process's resident memory in KiB, from /proc (0 where there is none).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

/// "N bytes lost" from the hypervisor's `info`.
pub fn bytes_lost(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|line| line.trim_end().strip_suffix(" bytes lost"))
        .and_then(|start| start.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (rounds, samples) of a run of `length` whose rounds each sleep
    /// `round`, sampling `every`; and how long it took. Sleeps last at
    /// least what they ask, so nothing here depends on the machine's speed.
    fn counted(length: Duration, every: Duration, round: Duration) -> ((u32, u32), Duration) {
        let mut counts = (0u32, 0u32);
        let started = Instant::now();
        run_sampled(
            &mut counts,
            length,
            every,
            |c| {
                c.0 += 1;
                std::thread::sleep(round);
            },
            |c| c.1 += 1,
            |_| false,
        );
        (counts, started.elapsed())
    }

    #[test]
    fn runs_for_the_whole_length() {
        let length = Duration::from_millis(30);
        let ((rounds, _), took) =
            counted(length, Duration::from_secs(3600), Duration::from_millis(1));
        assert!(took >= length, "{took:?}");
        assert!(rounds >= 1);
    }

    #[test]
    fn samples_at_the_start_and_at_the_end() {
        // No sample is due in between.
        let (counts, _) = counted(
            Duration::from_millis(20),
            Duration::from_secs(3600),
            Duration::from_millis(1),
        );
        assert_eq!(counts.1, 2, "{counts:?}");
    }

    #[test]
    fn samples_after_every_round_that_outlasts_the_interval() {
        let every = Duration::from_millis(5);
        let ((rounds, samples), _) = counted(Duration::from_millis(20), every, every);
        assert_eq!(samples, rounds + 2, "start, one per round, end");
    }

    #[test]
    fn goes_on_while_more_is_wanted() {
        let mut rounds = 0u32;
        run_sampled(
            &mut rounds,
            Duration::ZERO,
            Duration::from_secs(60),
            |r| *r += 1,
            |_| {},
            |r| *r < 7,
        );
        assert_eq!(rounds, 7);
    }

    #[test]
    fn reads_the_lost_bytes_from_info() {
        let info = "version         : 0.1.0\r\nconsole         : mini UART, 115200 8N1, 12 bytes lost\r\nuptime          : 3.5 s\r\n";
        assert_eq!(bytes_lost(info), Some(12));
        assert_eq!(bytes_lost("uptime : 3.5 s\r\n"), None);
    }
}
