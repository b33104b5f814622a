//! Summaries of a benchmark's samples: the median and the 99th percentile,
//! by the nearest-rank method (always one of the samples, no averaging).

/// What bench reports of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The 50th percentile.
    pub median: u64,
    /// The 99th percentile.
    pub p99: u64,
}

/// Percent of samples at or below the median.
const MEDIAN: u64 = 50;
/// Percent of samples at or below the 99th percentile.
const P99: u64 = 99;
/// Percent in a whole.
const HUNDRED: u64 = 100;

/// The nearest-rank `percent` percentile of `sorted` (ascending, not empty):
/// the smallest sample with at least `percent`% of the samples at or below it.
pub fn percentile(sorted: &[u64], percent: u64) -> u64 {
    let rank = (percent * sorted.len() as u64).div_ceil(HUNDRED).max(1);
    sorted[rank as usize - 1]
}

/// Sort `samples` and summarize them; `None` if there are none.
pub fn summarize(samples: &mut [u64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    Some(Summary {
        median: percentile(samples, MEDIAN),
        p99: percentile(samples, P99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_sets() {
        assert_eq!(summarize(&mut []), None);
        assert_eq!(summarize(&mut [7]), Some(Summary { median: 7, p99: 7 }));
        assert_eq!(
            summarize(&mut [3, 1, 2]),
            Some(Summary { median: 2, p99: 3 })
        );
        // Even count: the lower of the two middle samples.
        assert_eq!(
            summarize(&mut [4, 1, 3, 2]),
            Some(Summary { median: 2, p99: 4 })
        );
    }

    #[test]
    fn p99_of_a_hundred_and_more() {
        let mut samples: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(
            summarize(&mut samples),
            Some(Summary {
                median: 50,
                p99: 99
            })
        );
        let mut samples: Vec<u64> = (1..=256).collect();
        assert_eq!(
            summarize(&mut samples),
            Some(Summary {
                median: 128,
                p99: 254
            })
        );
    }

    proptest! {
        #[test]
        fn percentiles_are_samples_with_enough_below(samples in proptest::collection::vec(any::<u64>(), 1..300)) {
            let mut sorted = samples.clone();
            let summary = summarize(&mut sorted).unwrap();
            for (value, percent) in [(summary.median, MEDIAN), (summary.p99, P99)] {
                prop_assert!(samples.contains(&value));
                let at_or_below = samples.iter().filter(|&&s| s <= value).count() as u64;
                let below = samples.iter().filter(|&&s| s < value).count() as u64;
                prop_assert!(at_or_below * HUNDRED >= percent * samples.len() as u64);
                prop_assert!(below * HUNDRED < percent * samples.len() as u64);
            }
            prop_assert!(summary.median <= summary.p99);
        }
    }
}
