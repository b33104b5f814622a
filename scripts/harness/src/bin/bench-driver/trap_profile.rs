//! `bench-driver --trap-profile`: what one trap costs, instruction by instruction.
//!
//! ferrovisor runs the benchmark guest as its only VM in QEMU with a GDB
//! server; `trap-profile.py`, run by `gdb-multiarch`, stops at the guest's
//! `hvc #0` and single-steps until the guest is back at the instruction
//! after it, naming the function of every instruction run at EL2; then the
//! same for the guest's timed store to AUX_MU_LSR (an emulated MMIO access).
//! This module sorts those instructions into the parts of the round trip.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// Where the kernel8.img of the guest is loaded (boards/raspi3b/link.ld).
const LOAD_ADDRESS: u64 = 0x8_0000;
/// The encoding of `hvc #0`.
const HVC_0: u32 = 0xd400_0002;
/// `mrs xN, cntvct_el0`, N in the low five bits: the guest's start stamp.
const MRS_CNTVCT: u32 = 0xd53b_e040;
const MRS_RT_MASK: u32 = !0x1f;
/// `str wT, [xN, #imm]` (STR immediate, unsigned offset), imm12, N and T
/// in the low 22 bits: the timed device access right after the start stamp.
const STR_W_UNSIGNED_OFFSET: u32 = 0xb900_0000;
const STR_OPERANDS_MASK: u32 = !0x3f_ffff;
/// The GDB script, relative to the workspace root.
const SCRIPT: &str = "scripts/harness/src/bin/bench-driver/trap-profile.py";
/// The debugger (installed by scripts/common.sh).
const GDB: &str = "gdb-multiarch";
/// Bytes in an instruction.
const INSTRUCTION_BYTES: usize = 4;

/// One instruction of the round trip.
pub struct Step {
    /// The exception level it ran at.
    pub el: u8,
    /// Its function, and the functions it was inlined into (`a <- b`).
    pub functions: String,
}

/// The address of the first `hvc #0` in a raw guest image.
pub fn hvc_address(image: &[u8]) -> Option<u64> {
    image
        .chunks_exact(INSTRUCTION_BYTES)
        .position(|word| word == HVC_0.to_le_bytes())
        .map(|i| LOAD_ADDRESS + (i * INSTRUCTION_BYTES) as u64)
}

/// The address of the benchmark guest's timed MMIO access in a raw guest
/// image: the first `str wT, [xN, #imm]` straight after an `mrs xM, cntvct_el0`
/// (`measure::mmio_round_trips`, whose start stamp comes just before).
pub fn mmio_address(image: &[u8]) -> Option<u64> {
    let words: Vec<u32> = image
        .chunks_exact(INSTRUCTION_BYTES)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    words
        .windows(2)
        .position(|pair| {
            pair[0] & MRS_RT_MASK == MRS_CNTVCT
                && pair[1] & STR_OPERANDS_MASK == STR_W_UNSIGNED_OFFSET
        })
        .map(|i| LOAD_ADDRESS + ((i + 1) * INSTRUCTION_BYTES) as u64)
}

/// The two round trips traced.
pub struct Profile {
    /// One HVC.
    pub hvc: Vec<Step>,
    /// One MMIO write to AUX_MU_LSR.
    pub mmio: Vec<Step>,
}

// ANCHOR: categories
/// The part of the round trip an instruction belongs to, from the
/// functions it is part of.
pub fn part(el: u8, functions: &str) -> &'static str {
    let has = |s: &str| functions.contains(s);
    if el != 2 {
        "the guest: the trapping instruction, and the one after it"
    } else if has("__guest_") || has("__exception_vectors") {
        "world switch (vectors.s, world_switch.s)"
    } else if has("emu::") || has("compiler_builtins") {
        "virtual board: devices, interrupt lines, deadlines (emu/)"
    } else if has("vm::exits") || has("esr::") || has("vm::decode") {
        "decoding the exit, answering it (vm/exits.rs)"
    } else if has("console::") {
        "console: polling the UART for input"
    } else {
        "main loop: scheduling, timers, HCR (vm/machine.rs)"
    }
}
// ANCHOR_END: categories

/// A function's name without generic arguments and closures' noise.
fn short(function: &str) -> String {
    let innermost = function.split(" <- ").next().unwrap_or(function);
    let mut out = String::new();
    let mut depth = 0;
    for c in innermost.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Trace one HVC and one MMIO write of the benchmark guest through the
/// hypervisor `image`, whose ELF file is `elf`; `guest` is the guest's raw
/// image.
pub fn trace(image: &Path, elf: &Path, guest: &Path) -> Result<Profile, String> {
    let guest = std::fs::read(guest).map_err(|e| format!("{}: {e}", guest.display()))?;
    let hvc = hvc_address(&guest).ok_or("the guest has no `hvc #0`")?;
    let mmio = mmio_address(&guest).ok_or("the guest has no timed MMIO write")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for the GDB server: {e}"))?
        .port();
    let gdb_server = crate::ExtraQemuArgs::add(&format!("-gdb tcp:127.0.0.1:{port}"));
    let mut qemu = Qemu::boot(image, "bench_trap_profile");
    drop(gdb_server);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu.send_line("vmc 1");
    qemu.expect("bench: ready", BOOT_TIMEOUT);

    let mut gdb = Command::new(GDB)
        .args(["-q", "-nx", "-batch"])
        .arg("-ex")
        .arg(format!("file {}", elf.display()))
        .arg("-ex")
        .arg(format!("target remote 127.0.0.1:{port}"))
        .arg("-ex")
        .arg(format!("set $hvc_address = {hvc:#x}"))
        .arg("-ex")
        .arg(format!("set $mmio_address = {mmio:#x}"))
        .arg("-x")
        .arg(workspace_root().join(SCRIPT))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {GDB}: {e}"))?;
    let lines = BufReader::new(gdb.stdout.take().expect("piped")).lines();
    let mut profile = Profile {
        hvc: Vec::new(),
        mmio: Vec::new(),
    };
    let mut in_mmio = false;
    for line in lines.map_while(Result::ok) {
        if line == "armed" {
            // The debugger holds the machine: type the quick benchmark's key.
            qemu.send(b"q");
        } else if line == "begin mmio" {
            in_mmio = true;
        } else if let Some(step) = line.strip_prefix("step ") {
            let mut words = step.splitn(3, ' ');
            let (Some(el), Some(_pc), Some(functions)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let steps = if in_mmio {
                &mut profile.mmio
            } else {
                &mut profile.hvc
            };
            steps.push(Step {
                el: el.parse().unwrap_or(0),
                functions: functions.to_string(),
            });
        }
    }
    let _ = gdb.wait();
    if profile.hvc.is_empty() || profile.mmio.is_empty() {
        return Err(format!("{GDB} traced nothing (or only the HVC)"));
    }
    // The guest carries on after the debugger detached.
    qemu.expect("bench: done", STEP_TIMEOUT);
    Ok(profile)
}

// ANCHOR: report
/// Both round trips' reports.
pub fn report(profile: &Profile) -> String {
    format!(
        "{}\n{}",
        report_one("one HVC round trip", &profile.hvc),
        report_one("one MMIO write round trip (AUX_MU_LSR)", &profile.mmio)
    )
}

/// The instructions of one round trip by part, and the functions that ran
/// the most instructions.
fn report_one(what: &str, steps: &[Step]) -> String {
    let total = steps.len();
    let mut parts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut functions: BTreeMap<String, usize> = BTreeMap::new();
    for step in steps {
        *parts.entry(part(step.el, &step.functions)).or_default() += 1;
        if step.el == 2 {
            *functions.entry(short(&step.functions)).or_default() += 1;
        }
    }
    let mut out = format!("{what}: {total} instructions\n");
    let mut parts: Vec<_> = parts.into_iter().collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    for (part, n) in parts {
        out += &format!("{n:6} {:5.1}%  {part}\n", 100.0 * n as f64 / total as f64);
    }
    out += "functions with the most instructions (inlined code counts where it was written):\n";
    let mut functions: Vec<_> = functions.into_iter().collect();
    functions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (function, n) in functions.iter().take(TOP_FUNCTIONS) {
        out += &format!("{n:6}  {function}\n");
    }
    out
}
// ANCHOR_END: report

/// How many functions the report lists.
const TOP_FUNCTIONS: usize = 15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hvc() {
        let mut image = vec![0u8; 16];
        image[8..12].copy_from_slice(&HVC_0.to_le_bytes());
        assert_eq!(hvc_address(&image), Some(LOAD_ADDRESS + 8));
        assert_eq!(hvc_address(&[0; 8]), None);
    }

    #[test]
    fn finds_the_timed_mmio_write() {
        // isb; mrs x9, cntvct_el0; str wzr, [x11, #84]; ldr w0, [x0]
        let words: [u32; 4] = [0xd503_3fdf, 0xd53b_e049, 0xb900_557f, 0xb940_0000];
        let image: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(mmio_address(&image), Some(LOAD_ADDRESS + 8));
        assert_eq!(mmio_address(&image[8..]), None);
    }

    #[test]
    fn sorts_instructions_into_parts() {
        assert_eq!(
            part(1, "guest"),
            "the guest: the trapping instruction, and the one after it"
        );
        assert!(part(2, "__guest_exit").starts_with("world switch"));
        assert!(part(2, "ferrovisor::emu::aux::Aux::read <- x").starts_with("virtual board"));
        assert!(part(2, "ferrovisor::vm::exits::smccc").starts_with("decoding"));
        assert!(part(2, "ferrovisor::vm::machine::run").starts_with("main loop"));
        assert_eq!(short("a::b<c::d<e>>::f <- g"), "a::b::f");
    }
}
