//! Choosing which VM runs next: round robin over the runnable VMs, with
//! the VM that has the console's focus served first when it has input to
//! handle, so typing feels instant however busy the others are.

use super::state::VmState;

// ANCHOR: pick
/// Pick the VM to run. `current` is the VM that ran last, `slice_over`
/// whether its time slice has ended, `urgent` a VM that must run now (the
/// focused VM when input for it arrived).
pub fn pick(
    states: &[VmState],
    current: Option<usize>,
    slice_over: bool,
    urgent: Option<usize>,
) -> Option<usize> {
    let runnable = |i: usize| states.get(i) == Some(&VmState::Runnable);
    if let Some(u) = urgent.filter(|&u| runnable(u)) {
        return Some(u);
    }
    if let Some(c) = current.filter(|&c| runnable(c) && !slice_over) {
        return Some(c);
    }
    // Round robin: the first runnable VM after the current one, wrapping
    // around (and back to the current one if it is the only one).
    let n = states.len();
    let start = current.map_or(0, |c| c + 1);
    (0..n).map(|k| (start + k) % n).find(|&i| runnable(i))
}
// ANCHOR_END: pick

#[cfg(test)]
#[allow(non_upper_case_globals)]
mod tests {
    use super::*;
    use crate::vm::state::Why;
    use proptest::prelude::*;
    use VmState::*;
    extern crate std;

    const Stopped: VmState = Off(Why::StoppedByUser);
    const Halted: VmState = Off(Why::NeverStarted);

    #[test]
    fn keeps_the_current_vm_until_its_slice_ends() {
        let s = [Runnable, Runnable, Runnable];
        assert_eq!(pick(&s, Some(1), false, None), Some(1));
        assert_eq!(pick(&s, Some(1), true, None), Some(2));
        assert_eq!(pick(&s, Some(2), true, None), Some(0));
    }

    #[test]
    fn skips_vms_that_cannot_run() {
        let s = [Sleeping, Halted, Runnable, Stopped];
        assert_eq!(
            pick(&s, Some(2), true, None),
            Some(2),
            "alone, it runs again"
        );
        assert_eq!(pick(&s, None, false, None), Some(2));
        assert_eq!(pick(&[Sleeping, Stopped], Some(0), true, None), None);
        assert_eq!(pick(&[], None, true, None), None);
    }

    #[test]
    fn urgent_vm_goes_first_only_if_it_can_run() {
        let s = [Runnable, Runnable, Sleeping];
        assert_eq!(pick(&s, Some(0), false, Some(1)), Some(1));
        assert_eq!(pick(&s, Some(0), false, Some(2)), Some(0));
    }

    proptest! {
        #[test]
        fn always_picks_a_runnable_vm_and_is_fair(states in proptest::collection::vec(0u8..4, 0..8)) {
            let states: std::vec::Vec<VmState> = states.iter().map(|s| [Runnable, Sleeping, Stopped, Halted][*s as usize]).collect();
            let runnable = states.iter().filter(|s| **s == Runnable).count();
            let mut current = None;
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..states.len().max(1) {
                current = pick(&states, current, true, None);
                if let Some(c) = current {
                    prop_assert_eq!(states[c], Runnable);
                    seen.insert(c);
                } else {
                    prop_assert_eq!(runnable, 0);
                }
            }
            prop_assert_eq!(seen.len(), runnable, "every runnable VM gets a turn");
        }
    }
}
