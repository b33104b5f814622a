//! `soak`: run the full demo for a long time under load and check that
//! nothing wears out. `scripts/soak.sh [minutes]` builds the images and
//! runs it; `./scripts/test.sh` runs it for a minute.
//!
//! It boots the demo image (`target/images/kernel8.img`: the VMs of
//! `guests/vms.list`) in its own QEMU and, round after round until the
//! time is up, visits every VM's console by its escape keys and gives it
//! input: a fresh line to echo (and every tenth round a 4 KiB paste, which
//! must come back byte for byte), a U-Boot command to answer, a key to
//! lrtos (which never reads, so its input queue holds it) while checking
//! that it still prints. Every few seconds it samples `vml`, `info` and
//! QEMU's resident memory.
//!
//! At the end every VM must still answer, none may have been halted, no
//! console byte may have been lost, every scrollback must be within its
//! bound, every VM must have kept running in the second half, and QEMU
//! must not have kept growing. It prints the figures: exit rates per VM
//! in each half of the run, CPU time, memory.
//!
//! A failure prints the reason and exits with status 1; the console log
//! is kept in `target/systest-logs/soak.log`.

#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ferrovisor_harness::sampled::{bytes_lost, rss_kib, run_sampled};
use ferrovisor_harness::text::{echoed, first_difference, mixed_text};
use ferrovisor_harness::{image_path, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

const USAGE: &str = "usage: soak [MINUTES]   (default 10; fractions allowed, e.g. 0.5)";
/// How long a run lasts unless told.
const DEFAULT_MINUTES: f64 = 10.0;
/// How often `vml`, `info` and QEMU's memory are sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Every this many rounds echo gets a paste instead of one line.
const PASTE_EVERY: u64 = 10;
/// Bytes of each paste.
const PASTE_BYTES: usize = 4 * 1024;
/// How long U-Boot may take to reach its prompt the first time (its
/// autoboot countdown, and the boot attempts if that ran out).
const UBOOT_FIRST_PROMPT: Duration = Duration::from_secs(180);
/// U-Boot's prompt.
const UBOOT_PROMPT: &str = "U-Boot> ";
/// A VM's scrollback (hypervisor/src/vm/machine.rs), and what `vmlog`
/// adds around it (two frame lines and line-ending conversions).
const SCROLLBACK_BYTES: usize = 16 * 1024;
const VMLOG_FRAME_SLACK: usize = 256;
/// QEMU may grow this much in the second half of the run (its translation
/// cache fills up for a while), and no more.
const RSS_GROWTH_ALLOWED_KIB: u64 = 64 * 1024;

/// One row of `vml`.
#[derive(Debug, Clone)]
struct VmRow {
    id: u32,
    name: String,
    state: String,
    seconds: f64,
    /// WFx, HVC, SysReg, MMIO, IRQ.
    exits: [u64; 5],
}

impl VmRow {
    fn total_exits(&self) -> u64 {
        self.exits.iter().sum()
    }
}

/// One look at the system.
#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    vms: Vec<VmRow>,
    lost: u64,
    rss_kib: u64,
}

fn parse_vml(vml: &str) -> Vec<VmRow> {
    vml.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let id = words.first()?.parse().ok()?;
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
            Some(VmRow {
                id,
                name: words.get(1)?.to_string(),
                state: words.get(2)?.to_string(),
                seconds: words.get(5)?.parse().ok()?,
                exits: [number(6)?, number(7)?, number(8)?, number(9)?, number(10)?],
            })
        })
        .collect()
}

/// "N bytes lost" from `info`.
fn lost_bytes(info: &str) -> u64 {
    bytes_lost(info).unwrap_or_else(|| panic!("info does not say how many bytes were lost: {info}"))
}

/// The soak run.
struct Soak {
    qemu: Qemu,
    started: Instant,
    vms: Vec<VmRow>,
    samples: Vec<Sample>,
    rounds: u64,
    echo_lines: u64,
    pasted_bytes: u64,
    uboot_commands: u64,
    lrtos_lines: u64,
    keys_to_lrtos: u64,
    uboot_ready: bool,
}

impl Soak {
    fn boot() -> Soak {
        let mut qemu = Qemu::boot(&image_path(), "soak");
        qemu.wait_for_prompt(BOOT_TIMEOUT);
        let vml = qemu.run_command("vml");
        let vms = parse_vml(&vml);
        assert!(!vms.is_empty(), "vml lists no VM: {vml}");
        Soak {
            qemu,
            started: Instant::now(),
            vms,
            samples: Vec::new(),
            rounds: 0,
            echo_lines: 0,
            pasted_bytes: 0,
            uboot_commands: 0,
            lrtos_lines: 0,
            keys_to_lrtos: 0,
            uboot_ready: false,
        }
    }

    /// Give the focused VM its input for this round and check its answer.
    fn exercise(&mut self, vm: &VmRow) {
        match vm.name.as_str() {
            "echo" => {
                // Not in the first round: echo's banner may still be on
                // its way, and a paste is compared byte for byte.
                if self.rounds % PASTE_EVERY == PASTE_EVERY - 1 {
                    let end = format!(" END OF PASTE {}\r", self.rounds);
                    let text = mixed_text(PASTE_BYTES, end.as_bytes());
                    // '@' is the console's escape key: typed as '@@'.
                    let typed: Vec<u8> = text
                        .iter()
                        .flat_map(|&b| if b == b'@' { vec![b, b] } else { vec![b] })
                        .collect();
                    self.qemu.send(&typed);
                    let want = echoed(&text);
                    let got = self
                        .qemu
                        .expect_bytes(&echoed(end.as_bytes()), STEP_TIMEOUT);
                    assert!(got == want, "echo: {}", first_difference(&got, &want));
                    self.pasted_bytes += text.len() as u64;
                } else {
                    let line = format!("soak round {} says hello", self.rounds);
                    self.qemu.send(format!("{line}\r").as_bytes());
                    self.qemu.expect(&format!("{line}\r\n"), STEP_TIMEOUT);
                    self.echo_lines += 1;
                }
            }
            "lrtos" => {
                // lrtos never reads its UART: the key waits in its queue.
                self.qemu.send(b".");
                self.keys_to_lrtos += 1;
                let deadline = Instant::now() + STEP_TIMEOUT;
                loop {
                    let line = self.qemu.expect("\r\n", STEP_TIMEOUT);
                    if line.contains("12345") || line.contains("abcde") {
                        break;
                    }
                    assert!(Instant::now() < deadline, "lrtos printed no task line");
                }
                self.lrtos_lines += 1;
            }
            "uboot" => {
                if !self.uboot_ready {
                    // Stops the autoboot countdown, or waits for the boot
                    // attempts to give up.
                    self.qemu.send(b"\r");
                    self.qemu.expect(UBOOT_PROMPT, UBOOT_FIRST_PROMPT);
                    self.uboot_ready = true;
                }
                let word = format!("soak{}", self.rounds);
                self.qemu.send(format!("echo {word}\r").as_bytes());
                self.qemu
                    .expect(&format!("\r\n{word}\r\n{UBOOT_PROMPT}"), STEP_TIMEOUT);
                self.uboot_commands += 1;
            }
            // Other guests: being switched to and back is their exercise.
            _ => {}
        }
    }

    /// One round: every VM's console in turn, then back to the prompt.
    fn round(&mut self) {
        let vms = self.vms.clone();
        for (n, vm) in vms.iter().enumerate() {
            self.qemu.switch_console(vm.id, n == 0);
            self.exercise(vm);
        }
        self.qemu.back_to_prompt();
        self.rounds += 1;
    }

    /// `vml`, `info` and QEMU's memory now; every VM must be alive.
    fn sample(&mut self) -> Sample {
        let vms = parse_vml(&self.qemu.run_command("vml"));
        for vm in &vms {
            assert!(
                ["running", "sleeping"].contains(&vm.state.as_str()),
                "VM {} '{}' is {} after {:?}",
                vm.id,
                vm.name,
                vm.state,
                self.started.elapsed()
            );
        }
        let lost = lost_bytes(&self.qemu.run_command("info"));
        let sample = Sample {
            at: self.started.elapsed(),
            vms,
            lost,
            rss_kib: rss_kib(self.qemu.pid()),
        };
        self.samples.push(sample.clone());
        sample
    }

    /// The closing checks; returns the report's lines.
    fn finish(&mut self) -> Vec<String> {
        // Every VM answers once more.
        self.round();
        let last = self.sample();
        assert_eq!(last.lost, 0, "the console lost bytes");
        let mut report = Vec::new();

        let dmesg = self.qemu.run_command("dmesg");
        assert!(!dmesg.contains(" halted: "), "a VM was halted: {dmesg}");

        let mut scrollbacks = Vec::new();
        for vm in self.vms.clone() {
            let log = self.qemu.run_command(&format!("vmlog {}", vm.id));
            assert!(
                log.len() <= SCROLLBACK_BYTES + VMLOG_FRAME_SLACK,
                "VM {}'s scrollback printed {} bytes",
                vm.id,
                log.len()
            );
            scrollbacks.push(format!("{} {} B", vm.name, log.len()));
        }

        let first = self.samples.first().expect("sampled at the start").clone();
        let middle = self.samples[self.samples.len() / 2].clone();
        report.push(format!(
            "soak: {:.1} min, {} rounds: {} lines and {} pasted bytes echoed, {} U-Boot commands, \
             {} lrtos task lines seen, {} keys queued for lrtos, {} samples",
            last.at.as_secs_f64() / 60.0,
            self.rounds,
            self.echo_lines,
            self.pasted_bytes,
            self.uboot_commands,
            self.lrtos_lines,
            self.keys_to_lrtos,
            self.samples.len()
        ));
        report.push(format!(
            "{:<3} {:<10} {:<9} {:>9} {:>16} {:>16}",
            "id", "name", "state", "cpu (s)", "exits/s 1st half", "exits/s 2nd half"
        ));
        let by_id = |sample: &Sample| -> BTreeMap<u32, VmRow> {
            sample.vms.iter().map(|v| (v.id, v.clone())).collect()
        };
        let (a, b, c) = (by_id(&first), by_id(&middle), by_id(&last));
        let rate = |from: &VmRow, to: &VmRow, secs: f64| {
            (to.total_exits().saturating_sub(from.total_exits())) as f64 / secs.max(1e-3)
        };
        for (id, end) in &c {
            let (start, mid) = (&a[id], &b[id]);
            let first_half = rate(start, mid, (middle.at - first.at).as_secs_f64());
            let second_half = rate(mid, end, (last.at - middle.at).as_secs_f64());
            report.push(format!(
                "{:<3} {:<10} {:<9} {:>9.1} {:>16.0} {:>16.0}",
                id, end.name, end.state, end.seconds, first_half, second_half
            ));
            assert!(
                end.total_exits() > mid.total_exits(),
                "VM {id} '{}' did not run in the second half: {mid:?} then {end:?}",
                end.name
            );
        }
        report.push(format!(
            "console: {} bytes lost; scrollbacks (vmlog): {}",
            last.lost,
            scrollbacks.join(", ")
        ));
        let peak = self.samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        report.push(format!(
            "QEMU resident memory: {} MiB at the start, {} MiB half way, {} MiB at the end, {} MiB at most",
            first.rss_kib / 1024,
            middle.rss_kib / 1024,
            last.rss_kib / 1024,
            peak / 1024
        ));
        let allowed = middle.rss_kib + RSS_GROWTH_ALLOWED_KIB.max(middle.rss_kib / 4);
        assert!(
            last.rss_kib <= allowed,
            "QEMU kept growing: {} KiB half way, {} KiB at the end",
            middle.rss_kib,
            last.rss_kib
        );
        report
    }
}

/// Runs the soak for `minutes`; the report, or the reason it failed.
fn soak(minutes: f64) -> Vec<String> {
    let mut soak = Soak::boot();
    run_sampled(
        &mut soak,
        Duration::from_secs_f64(minutes * 60.0),
        SAMPLE_EVERY,
        Soak::round,
        |soak| {
            soak.sample();
        },
        |_| false,
    );
    soak.finish()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes = match args.as_slice() {
        [] => DEFAULT_MINUTES,
        [m] if m.parse::<f64>().is_ok_and(|m| m > 0.0) => m.parse().unwrap_or(DEFAULT_MINUTES),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("soak: running the demo for {minutes} min under load");
    match catch_unwind(AssertUnwindSafe(|| soak(minutes))) {
        Ok(report) => {
            for line in report {
                println!("{line}");
            }
            println!("soak: OK");
            ExitCode::SUCCESS
        }
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            eprintln!("soak: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vml_rows() {
        let vml = "Id Name            State    CPU Mem(MiB) Time(s)      WFx      HVC   SysReg     MMIO      IRQ\r\n \
                   1 echo            sleeping   0       16     0.0        1        0        0      191        3 \r\n \
                   3 hostile         halted     0       16     0.2        5        7        3     7213       23  (load outside the VM's RAM and devices)\r\n";
        let rows = parse_vml(vml);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].id, rows[0].name.as_str()), (1, "echo"));
        assert_eq!(rows[0].exits, [1, 0, 0, 191, 3]);
        assert_eq!(rows[1].state, "halted");
        assert_eq!(rows[1].total_exits(), 5 + 7 + 3 + 7213 + 23);
    }
}
