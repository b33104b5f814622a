//! The CPU-bound workload: a fixed amount of integer work that touches
//! only the CPU and RAM, never a device or a system register, so that a
//! hypervisor can only slow it down by taking the CPU away.
//!
//! One *unit* is a sieve of Eratosthenes over the numbers below
//! [`SIEVE_LIMIT`] in a bitmap of 8 KiB: loads, stores, shifts, adds and
//! branches, about a million instructions. Its result, the number of
//! primes found, is checked, so the work cannot be skipped.

// ANCHOR: sieve
/// The sieve covers the numbers below this.
pub const SIEVE_LIMIT: u32 = 1 << 16;
/// How many primes there are below [`SIEVE_LIMIT`].
pub const PRIMES_BELOW_LIMIT: u32 = 6542;
/// Bits in a bitmap word.
const WORD_BITS: u32 = u32::BITS;
/// Words of bitmap a sieve up to [`SIEVE_LIMIT`] needs.
pub const BITMAP_WORDS: usize = (SIEVE_LIMIT / WORD_BITS) as usize;

/// Count the primes below `limit` with a sieve of Eratosthenes, using
/// `composite` as the bitmap (one bit per number, set when it is known to
/// be composite).
///
/// # Panics
///
/// If `composite` has fewer than `limit` bits.
pub fn count_primes(limit: u32, composite: &mut [u32]) -> u32 {
    let words = limit.div_ceil(WORD_BITS) as usize;
    let composite = &mut composite[..words];
    composite.fill(0);
    let mut count = 0;
    for n in 2..limit {
        let (word, bit) = ((n / WORD_BITS) as usize, 1 << (n % WORD_BITS));
        if composite[word] & bit != 0 {
            continue;
        }
        count += 1;
        // Multiples below n * n were crossed out by smaller primes.
        if n > (limit - 1) / n {
            continue;
        }
        let mut multiple = n * n;
        while multiple < limit {
            composite[(multiple / WORD_BITS) as usize] |= 1 << (multiple % WORD_BITS);
            multiple += n;
        }
    }
    count
}
// ANCHOR_END: sieve

/// Run `units` sieves; true if every one found [`PRIMES_BELOW_LIMIT`].
pub fn run(units: u32) -> bool {
    let mut bitmap = [0u32; BITMAP_WORDS];
    let mut ok = true;
    for _ in 0..units {
        // black_box: the compiler must not see that every unit is the same.
        let limit = core::hint::black_box(SIEVE_LIMIT);
        ok &= count_primes(limit, &mut bitmap) == PRIMES_BELOW_LIMIT;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Primality by trial division, for checking the sieve.
    fn is_prime(n: u32) -> bool {
        n >= 2
            && (2..)
                .take_while(|d| d * d <= n)
                .all(|d| !n.is_multiple_of(d))
    }

    #[test]
    fn counts_the_primes_below_the_limit() {
        let mut bitmap = [0u32; BITMAP_WORDS];
        assert_eq!(count_primes(SIEVE_LIMIT, &mut bitmap), PRIMES_BELOW_LIMIT);
        assert_eq!(
            (0..SIEVE_LIMIT).filter(|&n| is_prime(n)).count() as u32,
            PRIMES_BELOW_LIMIT
        );
        assert!(run(3));
    }

    #[test]
    fn small_limits() {
        let mut bitmap = [u32::MAX; BITMAP_WORDS];
        for limit in 0..300 {
            let want = (0..limit).filter(|&n| is_prime(n)).count() as u32;
            assert_eq!(count_primes(limit, &mut bitmap), want, "limit {limit}");
        }
    }
}
