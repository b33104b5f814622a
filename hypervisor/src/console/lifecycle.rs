//! The rules of `vmstop`, `vmstart` and `vmreset`: what each does to a VM,
//! and what it refuses, and why. The shell prints the refusal; the rules
//! need only the VM table, so they are tested on the host.

use crate::log;
use crate::vm::cpu::Cpu;
use crate::vm::id::VmId;
use crate::vm::machine::Hypervisor;
use crate::vm::state::{VmState, Why};

/// What `vmstop`, `vmstart` and `vmreset` ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// `vmstop`: stop it where it is.
    Stop,
    /// `vmstart`: resume it where it stopped.
    Start,
    /// `vmreset`: restart it from its image.
    Reset,
}

// ANCHOR: lifecycle
/// Why `action` makes no sense for a VM in `state`, if it does not.
pub fn refusal(action: Lifecycle, state: VmState) -> Option<&'static str> {
    match (action, state) {
        (Lifecycle::Stop, VmState::Off(_)) => Some("it is not running"),
        (Lifecycle::Start, VmState::Runnable | VmState::Sleeping) => Some("it is already running"),
        (_, VmState::Off(Why::NeverStarted)) => {
            Some("it never started: its RAM is beyond the end of the board's memory")
        }
        (Lifecycle::Start, VmState::Off(Why::Faulted(_))) => {
            Some("it was halted by a fault; 'vmreset' restarts it from its image")
        }
        (Lifecycle::Start, VmState::Off(Why::PoweredOff)) => {
            Some("it powered itself off, and a board that is off stays off; 'vmreset' restarts it")
        }
        _ => None,
    }
}

/// Change VM `id`'s state from the shell, or say why not.
pub fn apply(
    hyp: &mut Hypervisor,
    cpu: &mut impl Cpu,
    id: VmId,
    action: Lifecycle,
) -> Result<(), &'static str> {
    let index = id.index();
    let name = hyp.vms[index].name();
    if let Some(why) = refusal(action, hyp.vms[index].state) {
        return Err(why);
    }
    match action {
        Lifecycle::Stop => {
            hyp.stop_vm(index, Why::StoppedByUser);
            log!("VM {} '{}' stopped", id, name);
        }
        Lifecycle::Start => {
            hyp.vms[index].state = VmState::Runnable;
            log!("VM {} '{}' started", id, name);
        }
        Lifecycle::Reset => {
            hyp.reset_vm(cpu, index);
            log!("VM {} '{}' reset: restarted from its image", id, name);
        }
    }
    Ok(())
}
// ANCHOR_END: lifecycle

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::vm::config::VmConfig;
    use crate::vm::fake_cpu::FakeCpu;
    use crate::vm::guest::Consoles;
    use crate::vm::state::Fault;
    use std::boxed::Box;

    const RAM: u64 = 1 << 20;

    /// Two VMs; the second one's RAM is not on the board.
    fn machine() -> (Hypervisor, FakeCpu) {
        let config = |i: u64| VmConfig {
            name: "vm",
            image: &[0; 4],
            load: 0,
            entry: 0,
            ram: RAM,
            cpu: 0,
            host_base: 0x1000_0000 + i * RAM,
            blobs: &[],
            boot_x0: 0,
            weight: 1,
        };
        let consoles: &'static Consoles = Box::leak(Box::new(Consoles::new()));
        let configs: &'static [VmConfig] = Box::leak(Box::new([config(0), config(1)]));
        let mut hyp = Hypervisor::new(consoles);
        let mut cpu = FakeCpu::at(0);
        hyp.create_vms(&mut cpu, configs, 0x1000_0000 + RAM);
        (hyp, cpu)
    }

    const ID: VmId = VmId::of_index(0);
    const FAULT: Why = Why::Faulted(Fault {
        what: "instruction fetch outside the VM's RAM",
        address: 0x4000_0000,
        pc: 0,
        ec: 0x20,
    });

    #[test]
    fn stop_then_start_resumes_where_it_was() {
        let (mut hyp, mut cpu) = machine();
        hyp.vms[0].frame.pc = 0x1234;
        assert_eq!(apply(&mut hyp, &mut cpu, ID, Lifecycle::Stop), Ok(()));
        assert_eq!(hyp.vms[0].state, VmState::Off(Why::StoppedByUser));
        assert_eq!(
            apply(&mut hyp, &mut cpu, ID, Lifecycle::Stop),
            Err("it is not running")
        );
        assert_eq!(apply(&mut hyp, &mut cpu, ID, Lifecycle::Start), Ok(()));
        assert_eq!(hyp.vms[0].state, VmState::Runnable);
        assert_eq!(hyp.vms[0].frame.pc, 0x1234, "resumed, not restarted");
        assert_eq!(
            apply(&mut hyp, &mut cpu, ID, Lifecycle::Start),
            Err("it is already running")
        );
    }

    #[test]
    fn a_sleeping_vm_is_running_for_the_shell() {
        let (mut hyp, mut cpu) = machine();
        hyp.vms[0].state = VmState::Sleeping;
        assert_eq!(
            apply(&mut hyp, &mut cpu, ID, Lifecycle::Start),
            Err("it is already running")
        );
        assert_eq!(apply(&mut hyp, &mut cpu, ID, Lifecycle::Stop), Ok(()));
    }

    #[test]
    fn a_faulted_or_powered_off_vm_only_resets() {
        for why in [FAULT, Why::PoweredOff] {
            let (mut hyp, mut cpu) = machine();
            hyp.vms[0].frame.pc = 0x1234;
            hyp.stop_vm(0, why);
            let refused = apply(&mut hyp, &mut cpu, ID, Lifecycle::Start).unwrap_err();
            assert!(refused.contains("'vmreset' restarts it"), "{refused}");
            assert_eq!(
                hyp.vms[0].state,
                VmState::Off(why),
                "refusing changes nothing"
            );
            assert_eq!(
                apply(&mut hyp, &mut cpu, ID, Lifecycle::Stop),
                Err("it is not running")
            );
            assert_eq!(apply(&mut hyp, &mut cpu, ID, Lifecycle::Reset), Ok(()));
            assert_eq!(hyp.vms[0].state, VmState::Runnable);
            assert_eq!(hyp.vms[0].frame.pc, 0, "restarted at its entry");
        }
    }

    #[test]
    fn a_vm_that_never_started_refuses_everything_but_stop() {
        let (mut hyp, mut cpu) = machine();
        let id = VmId::of_index(1);
        assert_eq!(hyp.vms[1].state, VmState::Off(Why::NeverStarted));
        let never = "it never started: its RAM is beyond the end of the board's memory";
        for action in [Lifecycle::Start, Lifecycle::Reset] {
            assert_eq!(apply(&mut hyp, &mut cpu, id, action), Err(never));
        }
        assert_eq!(
            apply(&mut hyp, &mut cpu, id, Lifecycle::Stop),
            Err("it is not running")
        );
        assert_eq!(hyp.vms[1].state, VmState::Off(Why::NeverStarted));
    }

    #[test]
    fn a_running_vm_resets_from_its_image() {
        let (mut hyp, mut cpu) = machine();
        hyp.vms[0].frame.pc = 0x1234;
        assert_eq!(apply(&mut hyp, &mut cpu, ID, Lifecycle::Reset), Ok(()));
        assert_eq!(hyp.vms[0].frame.pc, 0);
        assert_eq!(hyp.vms[0].state, VmState::Runnable);
    }
}
