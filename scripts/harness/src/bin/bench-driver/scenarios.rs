//! The benchmarks themselves. Each boots QEMU (the hypervisor with some VM
//! list, or the benchmark guest natively), drives the console as a person
//! would and returns raw figures; `report` turns them into the table.
//! Host time is `std::time::Instant`; guest figures are in the guest's
//! counter ticks, read from its output.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use ferrovisor_harness::text::{echoed, mixed_text};
use ferrovisor_harness::{scaled, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

use crate::figures::{self, Run};

/// The last line of echo's banner.
const ECHO_READY: &str = "echo: ready, type something\r\n";
/// What the benchmark guest prints when it waits at its menu.
pub const BENCH_READY: &str = "bench: ready";
/// What it prints when a benchmark is complete.
const BENCH_DONE: &str = "bench: done";
/// What it prints when it starts the endless CPU workload.
pub const BENCH_FOREVER: &str = "bench: cpu forever";
/// Keys typed for the key latency: anything but the console's escape `@`.
const KEYS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// The longest pause between two typed keys; the pauses vary so that keys
/// arrive at every point of the scheduler's time slices.
const MAX_KEY_GAP_MS: u64 = 20;
/// Bytes pasted into echo.
const PASTE_BYTES: usize = 64 * 1024;
/// Milliseconds in a second.
const MS_PER_SECOND: f64 = 1e3;
/// The end of the pasted text, to know when its echo is complete.
const PASTE_END: &[u8] = b" END OF THE BENCHMARK PASTE\r";
/// The console's escape character, which a paste must double.
const ESCAPE: u8 = b'@';
/// How often the paste's echo is checked, and how long it may stall.
const PASTE_POLL: Duration = Duration::from_millis(2);
const PASTE_STALL: Duration = Duration::from_secs(10);
/// Longest a whole benchmark of the guest may take.
const BENCH_TIMEOUT: Duration = Duration::from_secs(600);

// ANCHOR: boot
/// Seconds from starting QEMU to the `ferrovisor> ` prompt, `times` times.
pub fn boot_to_prompt(image: &Path, times: usize) -> Vec<f64> {
    (0..times)
        .map(|i| {
            let start = Instant::now();
            let mut qemu = Qemu::boot(image, &format!("bench_boot_{i}"));
            qemu.wait_for_prompt(BOOT_TIMEOUT);
            start.elapsed().as_secs_f64()
        })
        .collect()
}
// ANCHOR_END: boot

/// What the console benchmark measured.
pub struct Console {
    /// Milliseconds from sending each key to its echo arriving.
    pub key_ms: Vec<f64>,
    /// Bytes pasted.
    pub paste_bytes: usize,
    /// Bytes of the paste that did not come back.
    pub paste_lost: usize,
    /// Seconds from the start of the paste to the end of its echo.
    pub paste_seconds: f64,
}

/// A small deterministic pseudo-random sequence (xorshift32).
struct Jitter(u32);

impl Jitter {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        u64::from(self.0) % (max + 1)
    }
}

// ANCHOR: console
/// Key latency and a 64 KiB paste into echo: natively (`image` is
/// `echo.bin`) or as VM 1 of the default list while the other VMs run.
pub fn console(image: &Path, keys: usize, native: bool) -> Console {
    let mut qemu = Qemu::boot(
        image,
        if native {
            "bench_echo_native"
        } else {
            "bench_echo_vm"
        },
    );
    if !native {
        qemu.wait_for_prompt(BOOT_TIMEOUT);
        qemu.send_line("vmc 1");
        qemu.expect("VM 1 'echo'", STEP_TIMEOUT);
    }
    qemu.expect(ECHO_READY, BOOT_TIMEOUT);

    let mut jitter = Jitter(0x9e37_79b9);
    let mut key_ms = Vec::with_capacity(keys);
    for &key in KEYS.iter().cycle().take(keys) {
        thread::sleep(Duration::from_millis(jitter.next_ms(MAX_KEY_GAP_MS)));
        let sent = Instant::now();
        qemu.send(&[key]);
        qemu.expect(&char::from(key).to_string(), STEP_TIMEOUT);
        key_ms.push(sent.elapsed().as_secs_f64() * MS_PER_SECOND);
    }
    qemu.send(b"\r");
    qemu.expect("\r\n", STEP_TIMEOUT);

    let text = mixed_text(PASTE_BYTES, PASTE_END);
    // ferrovisor's console takes `@` as its escape: a literal one is `@@`.
    let typed: Vec<u8> = text
        .iter()
        .flat_map(|&b| match b {
            ESCAPE if !native => vec![b, b],
            _ => vec![b],
        })
        .collect();
    let from = qemu.raw_output().len();
    let end = echoed(PASTE_END);
    let start = Instant::now();
    qemu.send(&typed);
    let (got, finished) = wait_for_echo(&qemu, from, &end);
    Console {
        key_ms,
        paste_bytes: text.len(),
        paste_lost: figures::lost_bytes(&text, &got),
        paste_seconds: (finished - start).as_secs_f64(),
    }
}
// ANCHOR_END: console

/// The console output after byte `from` up to the end of `end`, and when
/// `end` appeared; or everything, if the output stalls before `end`.
fn wait_for_echo(qemu: &Qemu, from: usize, end: &[u8]) -> (Vec<u8>, Instant) {
    let mut seen = from;
    let mut last_change = Instant::now();
    loop {
        let out = qemu.raw_output();
        let now = Instant::now();
        let new = &out[from..];
        if let Some(at) = new.windows(end.len()).position(|w| w == end) {
            return (new[..at + end.len()].to_vec(), now);
        }
        if out.len() != seen {
            seen = out.len();
            last_change = now;
        } else if now - last_change > scaled(PASTE_STALL) {
            return (new.to_vec(), last_change);
        }
        thread::sleep(PASTE_POLL);
    }
}

/// The benchmark guest's figures natively and as a VM.
pub struct SideBySide {
    /// The native runs of the benchmark.
    pub native: Vec<Run>,
    /// The runs in the VM.
    pub vm: Vec<Run>,
    /// The CPU workload's ticks natively, one per pair.
    pub work_native: Vec<f64>,
    /// The CPU workload's ticks in the VM, one per pair.
    pub work_vm: Vec<f64>,
    /// Native divided by VM, pair by pair.
    pub work_ratios: Vec<f64>,
    /// The same for the host CPU time QEMU used, pair by pair.
    pub host_cpu_ratios: Vec<f64>,
    /// The guest's counter frequency (Hz).
    pub freq: u64,
    /// The output benchmark natively.
    pub output_native: Option<Output>,
    /// The output benchmark in the VM (which has the console's focus).
    pub output_vm: Option<Output>,
    /// The output benchmark in the VM under the `trap-floor` measurement
    /// build, whose trap of a write to AUX_MU_IO costs the least a trap
    /// can (`__trap_floor` in vectors.s).
    pub output_floor: Option<Output>,
}

/// One run of the benchmark guest's output benchmark (`o`).
pub struct Output {
    /// Bytes the guest said it would print.
    pub bytes: usize,
    /// Bytes that did not arrive as printed (missing or wrong).
    pub lost: usize,
    /// Seconds from the start marker to the end marker, on the host.
    pub seconds: f64,
}

/// The start and end markers of the output benchmark.
const OUTPUT_START: &str = "bench: output start bytes=";
const OUTPUT_DONE: &str = "bench: output done";

// ANCHOR: output
/// Type `o` and time the guest's output on this side of the wire, from
/// the end of its start line to the start of its end line; count what
/// arrived in between.
fn output(qemu: &mut Qemu) -> Output {
    qemu.send(b"o");
    qemu.expect(OUTPUT_START, STEP_TIMEOUT);
    let line = qemu.expect("\n", STEP_TIMEOUT);
    let start = Instant::now();
    let body = qemu.expect(OUTPUT_DONE, BENCH_TIMEOUT);
    let seconds = start.elapsed().as_secs_f64();
    qemu.expect(BENCH_READY, STEP_TIMEOUT);
    let bytes: usize = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no byte count in: {line}"));
    let got = &body.as_bytes()[..body.len() - OUTPUT_DONE.len()];
    Output {
        bytes,
        lost: wrong_bytes(&expected_output(bytes), got),
        seconds,
    }
}

/// Bytes of a printed line of the output benchmark, its `\r\n` included,
/// and the characters the lines cycle through (guests/bench/src/output.rs).
const OUTPUT_LINE_BYTES: usize = 64;
const OUTPUT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// What the output benchmark prints between its markers: line `l` holds
/// the alphabet from its `l`-th character on, cyclically, then `\r\n`.
fn expected_output(bytes: usize) -> Vec<u8> {
    (0..bytes / OUTPUT_LINE_BYTES)
        .flat_map(|line| {
            (0..OUTPUT_LINE_BYTES - 2)
                .map(move |column| OUTPUT_ALPHABET[(line + column) % OUTPUT_ALPHABET.len()])
                .chain(*b"\r\n")
        })
        .collect()
}

/// How many bytes of `expected` `got` does not have at the same place:
/// missing ones and wrong ones.
fn wrong_bytes(expected: &[u8], got: &[u8]) -> usize {
    let differ = expected.iter().zip(got).filter(|(e, g)| e != g).count();
    differ + expected.len().saturating_sub(got.len())
}
// ANCHOR_END: output

/// What the guest prints when it has timed its workload once.
const BENCH_WORK: &str = "bench: work";

// ANCHOR: side_by_side
/// Boot the benchmark guest natively and ferrovisor with the guest as its
/// only VM, both at once. Then run the guest's benchmark (`key`) `rounds`
/// times on each, one machine at a time while the other sleeps at bench's
/// menu, then the output benchmark on each, and time the CPU workload
/// `pairs` times on both machines at once,
/// so that whatever else the host is doing slows both alike. With `floor`
/// (the same list under the `trap-floor` measurement build), the output
/// benchmark runs there too, right after the VM's.
pub fn side_by_side(
    native: &Path,
    hypervisor: &Path,
    floor: Option<&Path>,
    key: u8,
    rounds: usize,
    pairs: usize,
) -> SideBySide {
    let native = {
        let image = native.to_owned();
        thread::spawn(move || {
            let mut qemu = Qemu::boot(&image, "bench_native");
            qemu.expect(BENCH_READY, BOOT_TIMEOUT);
            qemu
        })
    };
    let boot_vm = |image: &Path, name: &'static str| {
        let image = image.to_owned();
        thread::spawn(move || {
            let mut qemu = Qemu::boot(&image, name);
            qemu.wait_for_prompt(BOOT_TIMEOUT);
            qemu.send_line("vmc 1");
            qemu.expect(BENCH_READY, BOOT_TIMEOUT);
            qemu
        })
    };
    let vm = boot_vm(hypervisor, "bench_vm");
    let floor = floor.map(|image| boot_vm(image, "bench_floor"));
    let mut native = native
        .join()
        .expect("the native benchmark guest did not boot");
    let mut vm = vm.join().expect("the benchmark VM did not boot");
    let floor = floor.map(|f| f.join().expect("the trap-floor build did not boot"));

    let mut result = SideBySide {
        native: Vec::new(),
        vm: Vec::new(),
        work_native: Vec::new(),
        work_vm: Vec::new(),
        work_ratios: Vec::new(),
        host_cpu_ratios: Vec::new(),
        freq: 0,
        output_native: None,
        output_vm: None,
        output_floor: None,
    };
    for _ in 0..rounds {
        let (runs, freq) = benchmark(&mut native, key);
        result.native.extend(runs);
        result.freq = freq;
        result.vm.extend(benchmark(&mut vm, key).0);
    }
    // The output benchmark, one machine at a time like the benchmark.
    result.output_native = Some(output(&mut native));
    result.output_vm = Some(output(&mut vm));
    result.output_floor = floor.map(|mut f| output(&mut f));
    // ANCHOR: pairs
    for _ in 0..pairs {
        // Both start at the same moment, so both see the same host load.
        let (n, v) = thread::scope(|s| {
            let n = s.spawn(|| work(&mut native));
            let v = s.spawn(|| work(&mut vm));
            let failed = "timing the CPU workload failed";
            (n.join().expect(failed), v.join().expect(failed))
        });
        result.work_native.push(n.ticks);
        result.work_vm.push(v.ticks);
        result.work_ratios.push(n.ticks / v.ticks);
        result.host_cpu_ratios.push(n.host_cpu_ns / v.host_cpu_ns);
    }
    // ANCHOR_END: pairs
    result
}

/// Type `key` and parse the runs of the benchmark it starts; also the
/// counter frequency the guest reports.
fn benchmark(qemu: &mut Qemu, key: u8) -> (Vec<Run>, u64) {
    qemu.send(&[key]);
    let out = qemu.expect(BENCH_DONE, BENCH_TIMEOUT);
    qemu.expect(BENCH_READY, STEP_TIMEOUT);
    let freq = out
        .lines()
        .filter_map(|l| figures::fields(l, "start")?.get("freq")?.parse().ok())
        .next()
        .unwrap_or(0);
    (figures::runs(&out), freq)
}

/// One timing of the CPU workload.
struct Work {
    /// How long it took, in the guest's counter ticks.
    ticks: f64,
    /// How much CPU time the host gave QEMU meanwhile, in nanoseconds.
    host_cpu_ns: f64,
}

/// Type `w` and read what the guest's CPU workload took: in its own ticks,
/// and in CPU time of the host, which (unlike the counter) does not grow
/// while the host runs someone else.
fn work(qemu: &mut Qemu) -> Work {
    let before = host_cpu_ns(qemu.pid());
    qemu.send(b"w");
    qemu.expect(BENCH_WORK, BENCH_TIMEOUT);
    let host_cpu_ns = host_cpu_ns(qemu.pid()).saturating_sub(before) as f64;
    let line = qemu.expect("\n", STEP_TIMEOUT);
    qemu.expect(BENCH_READY, STEP_TIMEOUT);
    let text = format!("{BENCH_WORK}{line}");
    let fields = figures::fields(&text, "work");
    let ticks = fields
        .as_ref()
        .and_then(|f| f.get("cpu_ticks")?.parse().ok());
    assert!(
        fields.is_some_and(|f| f.get("check") == Some(&"ok")),
        "the workload went wrong: {line}"
    );
    Work {
        ticks: ticks.unwrap_or_else(|| panic!("no cpu_ticks in: {line}")),
        host_cpu_ns,
    }
}

/// Nanoseconds all threads of process `pid` have run on a CPU so far (the
/// first field of each thread's `/proc/PID/task/TID/schedstat`); 0 if that
/// cannot be read.
pub fn host_cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
// ANCHOR_END: side_by_side

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_output_is_the_guests_lines() {
        let text = expected_output(2 * OUTPUT_LINE_BYTES);
        assert_eq!(text.len(), 128);
        assert!(
            text.starts_with(b"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n")
        );
        assert!(text[64..].starts_with(b"bcdefghij"));
        assert!(text.ends_with(b"3456789abcdefghijklmnopqrstuvwxyz0\r\n"));
    }

    #[test]
    fn wrong_bytes_counts_the_missing_and_the_changed() {
        let expected = expected_output(OUTPUT_LINE_BYTES);
        assert_eq!(wrong_bytes(&expected, &expected), 0);
        assert_eq!(wrong_bytes(&expected, &expected[..60]), 4);
        let mut changed = expected.clone();
        changed[3] = b'!';
        assert_eq!(wrong_bytes(&expected, &changed), 1);
    }
}
