//! Turning console text into numbers: the `bench:` lines of the benchmark
//! guest, the rows of `vml`, and the summaries (median, 99th percentile)
//! the report gives. Pure functions, unit-tested on the host.

use std::collections::BTreeMap;

use ferrovisor_harness::text::echoed as echo;

/// What every line of the benchmark guest starts with.
pub const GUEST_PREFIX: &str = "bench: ";

/// The `key=value` fields of a benchmark guest's line, if it is one whose
/// first word is `first` or `first=...` (`run`, `progress`, `start`, ...).
pub fn fields<'a>(line: &'a str, first: &str) -> Option<BTreeMap<&'a str, &'a str>> {
    let rest = line.trim_end().split(GUEST_PREFIX).nth(1)?;
    let map: BTreeMap<&str, &str> = rest
        .split_whitespace()
        .filter_map(|word| word.split_once('='))
        .collect();
    let word = rest.split_whitespace().next()?;
    (word == first || word.split_once('=').is_some_and(|(k, _)| k == first)).then_some(map)
}

/// One run of the benchmark guest's `b` (or `q`) command.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// Every numeric field of the line, by name.
    pub values: BTreeMap<String, u64>,
    /// Whether the guest's own checks passed (`check=ok`).
    pub ok: bool,
}

impl Run {
    /// The field `name`, or 0 if the line did not have it.
    pub fn get(&self, name: &str) -> u64 {
        self.values.get(name).copied().unwrap_or(0)
    }
}

/// Every `bench: run=...` line in `output`.
pub fn runs(output: &str) -> Vec<Run> {
    output
        .lines()
        .filter_map(|line| fields(line, "run"))
        .map(|map| Run {
            ok: map.get("check") == Some(&"ok"),
            values: map
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
                .collect(),
        })
        .collect()
}

/// A point of the `c` mode's progress: units done, and the guest's counter
/// ticks since the mode started, from a `bench: progress` line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// Workload units done.
    pub units: u64,
    /// Counter ticks since the mode started.
    pub ticks: u64,
}

/// The last `bench: progress` line in `output`.
pub fn last_progress_point(output: &str) -> Option<Progress> {
    output
        .lines()
        .filter_map(|line| fields(line, "progress"))
        .filter_map(|map| {
            Some(Progress {
                units: map.get("units")?.parse().ok()?,
                ticks: map.get("ticks")?.parse().ok()?,
            })
        })
        .next_back()
}

/// Units per counter tick between two progress points of one guest; `None`
/// if no tick passed between them. The counter runs on while the guest
/// waits for its core, so this is its speed in the host's time.
pub fn progress_rate(before: Progress, after: Progress) -> Option<f64> {
    let ticks = after.ticks.checked_sub(before.ticks).filter(|&t| t > 0)?;
    Some(after.units.saturating_sub(before.units) as f64 / ticks as f64)
}

// ANCHOR: speedup
/// How many times more work the same guests did per unit of time in
/// `spread` (one core each) than in `together` (sharing one core): the
/// ratio of the sums of their rates. `None` if `together` did nothing.
pub fn speedup(spread: &[f64], together: &[f64]) -> Option<f64> {
    let together: f64 = together.iter().sum();
    (together > 0.0).then(|| spread.iter().sum::<f64>() / together)
}

/// The speedup per host core QEMU got: `speedup` with the host cores QEMU's
/// threads ran on in each case (`used_together`, `used_spread`) taken out.
/// 1 means the same work for each host CPU second on a core each as on
/// one core: what spreading cost or saved beyond the host's cores.
pub fn speedup_per_host_core(speedup: f64, used_together: f64, used_spread: f64) -> Option<f64> {
    (used_spread > 0.0).then(|| speedup * used_together / used_spread)
}

/// The busy VMs of the parallel-speedup figure.
pub const PARALLEL_VMS: usize = 3;
/// The share of a perfect speedup the target asks for.
pub const PARALLEL_EFFICIENCY: f64 = 0.75;

/// The target for [`speedup`]: three busy vCPUs can go at most as many
/// times faster as the host has cores for QEMU's threads to run on.
pub fn speedup_target(host_cores: usize) -> f64 {
    PARALLEL_EFFICIENCY * host_cores.clamp(1, PARALLEL_VMS) as f64
}
// ANCHOR_END: speedup

/// The nearest-rank `percent` percentile of `values` (the smallest value
/// with at least `percent`% of the values at or below it); `None` if empty.
pub fn percentile(values: &[f64], percent: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The median of `values` (nearest rank, so always one of them).
pub fn median(values: &[f64]) -> Option<f64> {
    percentile(values, 50.0)
}

/// The median over `runs` of field `name`.
pub fn median_of(runs: &[Run], name: &str) -> Option<f64> {
    median(&runs.iter().map(|r| r.get(name) as f64).collect::<Vec<_>>())
}

/// `(id, Time(s))` for every row of `vml` output.
pub fn vml_times(vml: &str) -> Vec<(u32, f64)> {
    vml.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            // Id Name State CPU Mem(MiB) Time(s) ...
            Some((words.first()?.parse().ok()?, words.get(5)?.parse().ok()?))
        })
        .collect()
}

/// Each part's share of the total, and the largest distance of any share
/// from an equal split. `None` if there is nothing to share.
pub fn shares(parts: &[f64]) -> Option<(Vec<f64>, f64)> {
    let total: f64 = parts.iter().sum();
    if parts.is_empty() || total <= 0.0 {
        return None;
    }
    let fair = 1.0 / parts.len() as f64;
    let shares: Vec<f64> = parts.iter().map(|p| p / total).collect();
    let worst = shares.iter().map(|s| (s - fair).abs()).fold(0.0, f64::max);
    Some((shares, worst))
}

/// How far ahead [`lost_bytes`] looks for the echo of a byte after a
/// mismatch, in bytes of echo.
const RESYNC_WINDOW: usize = 4096;
/// How many bytes of echo must match for [`lost_bytes`] to resynchronize.
const RESYNC_BYTES: usize = 16;

/// How many bytes of `sent` did not come back in `echoed`, where an echo
/// program writes back every byte in order (`"\r"` as `"\r\n"`). At a
/// mismatch, either the byte was lost or something else was printed in
/// between: if the echo of the next few bytes appears a little further on,
/// that is where the walk continues; otherwise the byte counts as lost.
pub fn lost_bytes(sent: &[u8], echoed: &[u8]) -> usize {
    let mut at = 0;
    let mut lost = 0;
    for (i, &byte) in sent.iter().enumerate() {
        let expected = echo(&[byte]);
        if echoed[at..].starts_with(&expected) {
            at += expected.len();
            continue;
        }
        let next = echo(&sent[i..(i + RESYNC_BYTES).min(sent.len())]);
        let ahead = &echoed[at..(at + RESYNC_WINDOW).min(echoed.len())];
        match ahead.windows(next.len()).position(|w| w == next) {
            Some(skip) => at += skip + expected.len(),
            None => lost += 1,
        }
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "bench: run=3 cpu_ticks=1000 hvc_ticks_median=64 check=ok\r";

    #[test]
    fn parses_guest_lines() {
        let map = fields(RUN, "run").unwrap();
        assert_eq!(map["cpu_ticks"], "1000");
        assert!(fields(RUN, "progress").is_none());
        assert!(fields("ferrovisor> vml", "run").is_none());
        let runs = runs(&format!(
            "noise\r\n{RUN}\nbench: run=4 cpu_ticks=7 check=bad\n"
        ));
        assert_eq!(runs.len(), 2);
        assert!(runs[0].ok && !runs[1].ok);
        assert_eq!(runs[0].get("hvc_ticks_median"), 64);
        assert_eq!(runs[1].get("missing"), 0);
        assert_eq!(median_of(&runs, "cpu_ticks"), Some(7.0));
    }

    #[test]
    fn progress_points_and_rates() {
        let out = "bench: progress units=16 ticks=5\r\nbench: progress units=32 ticks=9\r\n";
        let last = last_progress_point(out).unwrap();
        assert_eq!(
            last,
            Progress {
                units: 32,
                ticks: 9
            }
        );
        assert_eq!(last_progress_point("bench: progress units=16\r\n"), None);
        let first = Progress {
            units: 16,
            ticks: 5,
        };
        assert_eq!(progress_rate(first, last), Some(4.0));
        assert_eq!(progress_rate(last, last), None);
        assert_eq!(progress_rate(last, first), None);
    }

    #[test]
    fn speedup_and_its_target() {
        assert_eq!(speedup(&[2.0, 2.0, 2.0], &[1.0, 1.0, 1.0]), Some(2.0));
        assert_eq!(speedup(&[1.0], &[0.0, 0.0]), None);
        assert_eq!(speedup_per_host_core(2.0, 1.0, 2.0), Some(1.0));
        assert_eq!(speedup_per_host_core(0.8, 0.5, 0.4), Some(1.0));
        assert_eq!(speedup_per_host_core(1.0, 1.0, 0.0), None);
        assert_eq!(speedup_target(1), 0.75);
        assert_eq!(speedup_target(2), 1.5);
        assert_eq!(speedup_target(3), 2.25);
        assert_eq!(speedup_target(64), 2.25);
        assert_eq!(speedup_target(0), 0.75);
    }

    #[test]
    fn percentiles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.0));
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
        assert_eq!(percentile(&hundred, 100.0), Some(100.0));
    }

    #[test]
    fn vml_rows_and_shares() {
        let vml = "Id Name            State    CPU Mem(MiB) Time(s)      WFx\r\n \
                   1 bench1          running    0       16     3.4        0\r\n \
                   2 bench2          running    0       16     3.2        0\r\n";
        assert_eq!(vml_times(vml), [(1, 3.4), (2, 3.2)]);
        let (s, worst) = shares(&[1.0, 1.0, 2.0]).unwrap();
        assert_eq!(s, [0.25, 0.25, 0.5]);
        assert!((worst - (0.5 - 1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(shares(&[0.0, 0.0]), None);
    }

    #[test]
    fn counts_lost_bytes() {
        assert_eq!(lost_bytes(b"abc\r", b"abc\r\n"), 0);
        assert_eq!(lost_bytes(b"abcdef", b"abef"), 2);
        assert_eq!(lost_bytes(b"abc", b""), 3);
        // Something printed in the middle is not a loss.
        assert_eq!(lost_bytes(b"abcdef", b"abc[note]def"), 0);
        assert_eq!(lost_bytes(b"a\rb", b"a\r\nb"), 0);
    }
}
