//! `fuzz`: run the fuzzing guest next to echo, lrtos and Linux for a while
//! and check that the hypervisor and the other VMs survive it.
//! `scripts/fuzz.sh [minutes] [--seed S]` builds the images and runs it;
//! `./scripts/test.sh` runs it for about a minute.
//!
//! It boots `target/images/ferrovisor-fuzz.img` (`guests/fuzz.list`: VM 1
//! echo, VM 2 lrtos, VM 3 fuzz, VM 4 linux) and gives the fuzzing guest a
//! seed at its `fuzz: seed? ` prompt. Then, round after round until the
//! time is up, it types a fresh line into echo, which must come back byte
//! for byte (the hypervisor's own log lines may come in between, and are
//! set aside); every round it visits lrtos, which must still print both
//! tasks' lines, and every other round, once Linux is up, Linux's BusyBox
//! shell, which must work out a random sum. Every few seconds it checks,
//! at the `ferrovisor> ` prompt: `vml` lists every VM, echo, lrtos and
//! Linux run, `info` counts no console byte lost, QEMU's resident memory
//! (flat from the first sample after Linux booted), Linux's init line
//! (until it came, within Linux's boot timeout) and the fuzzing guest's
//! own output (`vmlog 3`): its heartbeat must advance, and it must not
//! report a failure. A run lasts at least until Linux's shell answered.
//!
//! When the hypervisor stops the fuzzing guest (halted with a report,
//! powered off, or reset), that is an expected outcome of some operations,
//! which the guest announces just before it runs them (`fuzz: op N:
//! expect a halt: ...`). The driver records the report line, checks the
//! stop was announced, restarts the guest with `vmreset 3` and gives it
//! the next seed. A stop nobody announced, a guest that stops making
//! progress, a guest that reports a failure, and anything that goes wrong
//! with the hypervisor, echo or lrtos are failures, charged to the seed
//! that was running.
//!
//! At the end it prints the operations done, the stops by reason, the seeds
//! that caused a failure (none, to pass), and exits non-zero on a failure.
//! `--seed S` makes the first run use seed S and the later ones seeds
//! derived from it, so a failing run can be replayed. The console log is
//! kept in `target/systest-logs/fuzz.log`.

#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrovisor_harness::linux::{INIT_LINE_START, LINUX_BOOT_TIMEOUT, SHELL_TIMEOUT};
use ferrovisor_harness::sampled::{bytes_lost, rss_kib, run_sampled};
use ferrovisor_harness::text::echoed;
use ferrovisor_harness::{log_path, scaled, workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

const USAGE: &str = "usage: fuzz [MINUTES] [--seed S]   (default 10 minutes; S decimal or 0x hex)";
/// How long a run lasts unless told.
const DEFAULT_MINUTES: f64 = 10.0;
/// The image with the fuzzing guest, relative to the workspace root.
const IMAGE: &str = "target/images/ferrovisor-fuzz.img";
/// The VMs of guests/fuzz.list.
const ECHO: u32 = 1;
const LRTOS: u32 = 2;
const FUZZ: u32 = 3;
const LINUX: u32 = 4;
const NAMES: [&str; 4] = ["echo", "lrtos", "fuzz", "linux"];
/// Every this many rounds Linux's shell is asked a question.
const LINUX_EVERY: u64 = 2;
/// How often the system is looked at from the prompt.
const SAMPLE_EVERY: Duration = Duration::from_secs(8);
/// Every this many rounds lrtos is visited.
const LRTOS_EVERY: u64 = 5;
/// How long the fuzzing guest may go without a new heartbeat (it prints
/// one every 4096 operations, a few seconds apart) before it counts as hung.
const STALL: Duration = Duration::from_secs(90);
/// The end of echo's banner.
const ECHO_READY: &str = "echo: ready, type something\r\n";
/// What the fuzzing guest prints.
const SEED_LINE: &str = "fuzz: seed 0x";
const ANNOUNCEMENT: &str = ": expect a ";
const GUEST_FAILURES: [&str; 2] = ["fuzz: FAILED", "fuzz: panic"];
/// QEMU's translation cache, bounded: by default (1 GiB) it fills for the
/// whole run as the guests' code is translated again and again, and QEMU's
/// resident memory with it, which hides whatever else might grow. At 32 MiB
/// QEMU flushes it when full, and the memory left to watch is the guests'
/// RAM and QEMU's own.
const TCG_CACHE: [&str; 2] = ["-accel", "tcg,tb-size=32"];
/// QEMU may grow this much from the first sample to the last, and no more.
const RSS_GROWTH_ALLOWED_KIB: u64 = 64 * 1024;
/// SplitMix64 (as in guests/fuzz/src/rng.rs): the seeds after the first
/// are derived with it.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
const MIX_1: u64 = 0xbf58_476d_1ce4_e5b9;
const MIX_2: u64 = 0x94d0_49bb_1331_11eb;

/// SplitMix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(MIX_1);
    z = (z ^ (z >> 27)).wrapping_mul(MIX_2);
    z ^ (z >> 31)
}

/// One row of `vml`.
#[derive(Debug, Clone)]
struct VmRow {
    id: u32,
    name: String,
    state: String,
    reason: String,
}

fn parse_vml(vml: &str) -> Vec<VmRow> {
    vml.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let id = words.first()?.parse().ok()?;
            let reason = line
                .trim_end()
                .split_once(" (")
                .map_or(String::new(), |(_, r)| {
                    r.strip_suffix(')').unwrap_or(r).to_string()
                });
            Some(VmRow {
                id,
                name: words.get(1)?.to_string(),
                state: words.get(2)?.to_string(),
                reason,
            })
        })
        .collect()
}

/// A number: decimal or 0x hexadecimal.
fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

// ANCHOR: strip_log
/// `text` without the hypervisor's log records (`[    1.234567] ...` up
/// to the end of their line), which the console prints whoever has the
/// focus: what remains is what the focused VM sent.
fn strip_log_records(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let stamp_end = from.find("] ").filter(|&end| {
            let stamp = from[1..end].trim_start();
            stamp.split_once('.').is_some_and(|(s, us)| {
                !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && us.len() == 6
                    && us.bytes().all(|b| b.is_ascii_digit())
            })
        });
        match (stamp_end, from.find('\n')) {
            (Some(end), Some(newline)) if end < newline => rest = &from[newline + 1..],
            _ => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
// ANCHOR_END: strip_log

/// The newest of `events` (the hypervisor's log lines about the fuzzing
/// guest) that contains one of `needles`, from the VM's name on.
fn last_event(events: &[String], needles: &[&str]) -> Option<String> {
    events
        .iter()
        .rev()
        .find(|l| needles.iter().any(|n| l.contains(n)))
        .map(|l| l.split("'fuzz' ").nth(1).unwrap_or(l).to_string())
}

/// What the fuzzing guest's scrollback says about its current run.
#[derive(Debug, Default, PartialEq, Eq)]
struct GuestView {
    /// The seed of the newest start or heartbeat line.
    seed: Option<u64>,
    /// Operations in the newest heartbeat (or announcement) of that seed.
    ops: u64,
    /// The newest two `fuzz:` lines include an announcement of a stop.
    announced: bool,
    /// The run before the newest one ended with an announcement.
    previous_announced: bool,
    /// A failure the guest reported, if any.
    failure: Option<String>,
}

/// Read `vmlog 3`: the newest run's seed, operations, failure, and
/// whether its last lines announce a stop (or, if it was followed by a
/// restart, whether the run before it announced one).
fn guest_view(log: &str) -> GuestView {
    let mut view = GuestView::default();
    // The lines that say something about a run (not the banner and the
    // prompt every start prints).
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("fuzz: ") && !l.contains("fuzz: a guest") && !l.contains("fuzz: seed? ")
        })
        .collect();
    let mut recent: Vec<&str> = Vec::new();
    for line in &lines {
        if let Some(at) = line.find(SEED_LINE) {
            let rest = &line[at + SEED_LINE.len() - 2..];
            let hex: String = rest
                .chars()
                .take_while(|c| c.is_ascii_hexdigit() || *c == 'x')
                .collect();
            let Some(seed) = parse_u64(&hex) else {
                continue;
            };
            if view.seed != Some(seed) {
                view.previous_announced = recent
                    .iter()
                    .rev()
                    .take(2)
                    .any(|l| l.contains(ANNOUNCEMENT));
                view.seed = Some(seed);
                view.ops = 0;
                view.failure = None;
                recent.clear();
            }
            if let Some(ops) = rest
                .split_once(": ")
                .and_then(|(_, r)| r.split_once(" ops"))
                .and_then(|(n, _)| n.trim().parse::<u64>().ok())
            {
                view.ops = view.ops.max(ops);
            }
        } else if let Some(at) = line.find("fuzz: op ") {
            if let Some(n) = line[at + 9..]
                .split_once(':')
                .and_then(|(n, _)| n.parse::<u64>().ok())
            {
                view.ops = view.ops.max(n);
            }
        }
        if let Some(failure) = GUEST_FAILURES.iter().find(|f| line.contains(**f)) {
            view.failure = Some(
                line[line.find(failure).unwrap_or(0)..]
                    .trim_end()
                    .to_string(),
            );
        }
        recent.push(line);
    }
    view.announced = recent
        .iter()
        .rev()
        .take(2)
        .any(|l| l.contains(ANNOUNCEMENT));
    view
}

/// One run of the fuzzing guest, from a seed to its end.
#[derive(Debug, Clone)]
struct Run {
    seed: u64,
    ops: u64,
    last_progress: Instant,
}

/// The whole session.
struct Fuzz {
    qemu: Qemu,
    started: Instant,
    first_seed: u64,
    seeds_used: u64,
    run: Run,
    finished_ops: u64,
    runs: u64,
    stops: BTreeMap<String, u64>,
    failures: Vec<(u64, String)>,
    seen_log: BTreeSet<String>,
    /// A reset the hypervisor logged whose restart is not seen yet.
    pending_reset: Option<String>,
    rounds: u64,
    echo_bytes: u64,
    lrtos_visits: u64,
    rss: Vec<u64>,
    /// When each of `rss` was taken, from the start.
    rss_at: Vec<Duration>,
    /// The Linux VM.
    linux: Linux,
}

/// What the driver knows of the Linux VM.
struct Linux {
    /// When it was started (with the hypervisor).
    started: Instant,
    /// How long it took to print its init line, once it has.
    booted_in: Option<Duration>,
    /// The index in `rss` of the first sample after it booted: its RAM
    /// fills while it boots, so memory must stay flat from there.
    rss_from: usize,
    /// Commands its shell answered.
    answers: u64,
}

impl Fuzz {
    fn boot(first_seed: u64) -> Fuzz {
        let extra: Vec<OsString> = TCG_CACHE.iter().map(OsString::from).collect();
        let mut qemu = Qemu::boot_with(&workspace_root().join(IMAGE), &extra, "fuzz");
        qemu.wait_for_prompt(BOOT_TIMEOUT);
        let mut fuzz = Fuzz {
            qemu,
            started: Instant::now(),
            first_seed,
            seeds_used: 0,
            run: Run {
                seed: first_seed,
                ops: 0,
                last_progress: Instant::now(),
            },
            finished_ops: 0,
            runs: 0,
            stops: BTreeMap::new(),
            failures: Vec::new(),
            seen_log: BTreeSet::new(),
            pending_reset: None,
            rounds: 0,
            echo_bytes: 0,
            lrtos_visits: 0,
            rss: Vec::new(),
            rss_at: Vec::new(),
            linux: Linux {
                started: Instant::now(),
                booted_in: None,
                rss_from: 0,
                answers: 0,
            },
        };
        let vms = parse_vml(&fuzz.qemu.run_command("vml"));
        let names: Vec<&str> = vms.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, NAMES, "the fuzz list's VMs");
        // echo's banner must be out, to its last byte, before its output is
        // compared: its whole last line in the scrollback, and echo asleep
        // waiting for input (it prints nothing more until it gets some).
        let deadline = Instant::now() + scaled(BOOT_TIMEOUT);
        loop {
            let banner_out = fuzz
                .qemu
                .run_command(&format!("vmlog {ECHO}"))
                .contains(ECHO_READY);
            let echo_waits = parse_vml(&fuzz.qemu.run_command("vml"))
                .iter()
                .any(|vm| vm.id == ECHO && vm.state == "sleeping");
            if banner_out && echo_waits {
                break;
            }
            assert!(Instant::now() < deadline, "echo never said it was ready");
        }
        // Start the guest afresh, so its seed prompt comes while we look.
        fuzz.start_run();
        fuzz
    }

    /// The next seed: the first one given, then SplitMix64's outputs for
    /// it (not its states: the guest's stream is SplitMix64 too, and the
    /// stream of `seed + GAMMA` is the stream of `seed` one step on).
    fn next_seed(&mut self) -> u64 {
        let n = self.seeds_used;
        self.seeds_used += 1;
        if n == 0 {
            return self.first_seed;
        }
        mix(self.first_seed.wrapping_add(n.wrapping_mul(GAMMA)))
    }

    // ANCHOR: start_run
    /// From the prompt: restart the fuzzing guest and type its seed.
    fn start_run(&mut self) {
        let seed = self.next_seed();
        self.qemu.run_command(&format!("vmreset {FUZZ}"));
        self.qemu.switch_console(FUZZ, true);
        self.qemu.send(format!("{seed:#x}\r").as_bytes());
        self.qemu.expect(SEED_LINE, STEP_TIMEOUT);
        let rest = self.qemu.expect(")", STEP_TIMEOUT);
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        let printed = u64::from_str_radix(&hex, 16)
            .unwrap_or_else(|_| panic!("the fuzzing guest printed no seed: {rest:?}"));
        if printed != seed {
            println!("fuzz: the guest did not take seed {seed:#x} in time, it runs {printed:#x}");
        }
        self.qemu.back_to_prompt();
        self.run = Run {
            seed: printed,
            ops: 0,
            last_progress: Instant::now(),
        };
        self.runs += 1;
    }
    // ANCHOR_END: start_run

    /// Type a line into echo; it must come back exactly.
    fn echo_round(&mut self) {
        let line = format!("fuzz round {} echo check {:x}", self.rounds, self.run.seed);
        let typed = format!("{line}\r");
        let want = String::from_utf8(echoed(typed.as_bytes())).expect("ASCII");
        self.qemu.send(typed.as_bytes());
        let mut got = String::new();
        let deadline = Instant::now() + scaled(STEP_TIMEOUT);
        loop {
            got.push_str(&self.qemu.expect("\n", STEP_TIMEOUT));
            let echoed = strip_log_records(&got);
            if echoed.ends_with("\r\n") && !echoed.trim_end().is_empty() {
                assert_eq!(echoed, want, "echo lost or changed bytes");
                break;
            }
            assert!(Instant::now() < deadline, "echo did not answer: {got:?}");
        }
        self.echo_bytes += typed.len() as u64;
    }

    /// lrtos must still print both tasks' lines.
    fn lrtos_visit(&mut self) {
        self.qemu.switch_console(LRTOS, false);
        let mut seen = [false; 2];
        let deadline = Instant::now() + scaled(STEP_TIMEOUT);
        while seen != [true; 2] {
            let line = self.qemu.expect("\r\n", STEP_TIMEOUT);
            seen[0] |= line.contains("12345");
            seen[1] |= line.contains("abcde");
            assert!(
                Instant::now() < deadline,
                "lrtos stopped printing its tasks: {seen:?}"
            );
        }
        self.lrtos_visits += 1;
        self.qemu.switch_console(ECHO, false);
    }

    // ANCHOR: linux_visit
    /// Linux's shell must answer a command whose answer only the shell
    /// can give (the sum of a random number and 1: the echo of the typed
    /// line holds the sum's source, not its result).
    fn linux_visit(&mut self) {
        let question =
            u64::from(mix(self.first_seed ^ self.linux.answers.wrapping_mul(GAMMA)) as u32);
        self.qemu.switch_console(LINUX, false);
        self.qemu
            .send_line(&format!("echo \"linux answers $(({question:#x}+1))\""));
        // The hypervisor's log records may come in the middle of a line.
        let answer = format!("\nlinux answers {}\r\n", question + 1);
        let mut got = String::new();
        let deadline = Instant::now() + scaled(SHELL_TIMEOUT);
        while !strip_log_records(&got).contains(&answer) {
            got.push_str(&self.qemu.expect("\n", SHELL_TIMEOUT));
            assert!(
                Instant::now() < deadline,
                "Linux's shell did not answer {question:#x}+1: {got:?}"
            );
        }
        self.linux.answers += 1;
    }
    // ANCHOR_END: linux_visit

    /// One round of typing: echo, now and then lrtos and Linux.
    fn round(&mut self) {
        self.qemu.switch_console(ECHO, true);
        for _ in 0..LRTOS_EVERY {
            self.echo_round();
            self.rounds += 1;
        }
        self.lrtos_visit();
        if self.linux.booted_in.is_some() && (self.rounds / LRTOS_EVERY).is_multiple_of(LINUX_EVERY)
        {
            self.linux_visit();
        }
        self.qemu.back_to_prompt();
    }

    /// From the prompt: has Linux booted? It has a while to do so.
    fn look_at_linux(&mut self) {
        if self.linux.booted_in.is_some() {
            return;
        }
        let started = self.linux.started;
        let log = self.qemu.run_command(&format!("vmlog {LINUX}"));
        if log.contains(INIT_LINE_START) {
            self.linux.booted_in = Some(started.elapsed());
            self.linux.rss_from = self.rss.len();
            println!(
                "fuzz: Linux is up after {:.0} s",
                started.elapsed().as_secs_f64()
            );
        } else {
            assert!(
                started.elapsed() < scaled(LINUX_BOOT_TIMEOUT),
                "Linux did not reach its shell in {:?}",
                scaled(LINUX_BOOT_TIMEOUT)
            );
        }
    }

    /// The hypervisor's new log lines about the fuzzing guest.
    fn new_fuzz_log_lines(&mut self) -> Vec<String> {
        let dmesg = self.qemu.run_command("dmesg");
        let mut new = Vec::new();
        for line in dmesg.lines().filter(|l| l.contains("VM 3 'fuzz'")) {
            if self.seen_log.insert(line.to_string()) {
                new.push(line.trim_end().to_string());
            }
        }
        new
    }

    fn fail(&mut self, what: String) {
        println!("fuzz: FAILURE with seed {:#x}: {what}", self.run.seed);
        self.failures.push((self.run.seed, what));
    }

    // ANCHOR: sample
    /// Look at everything from the prompt; restart the fuzzing guest if it
    /// was stopped.
    fn sample(&mut self) {
        let vms = parse_vml(&self.qemu.run_command("vml"));
        let names: Vec<&str> = vms.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, NAMES, "vml lists every VM");
        for vm in vms.iter().filter(|v| v.id != FUZZ) {
            assert!(
                ["running", "sleeping"].contains(&vm.state.as_str()),
                "VM {} '{}' is {} ({})",
                vm.id,
                vm.name,
                vm.state,
                vm.reason
            );
        }
        let info = self.qemu.run_command("info");
        let lost = bytes_lost(&info).unwrap_or_else(|| panic!("info names no lost bytes: {info}"));
        assert_eq!(lost, 0, "the console lost bytes");
        self.look_at_linux();
        self.rss.push(rss_kib(self.qemu.pid()));
        self.rss_at.push(self.started.elapsed());

        let log = self.qemu.run_command(&format!("vmlog {FUZZ}"));
        let view = guest_view(&log);
        let events = self.new_fuzz_log_lines();
        if let Some(failure) = view.failure.clone() {
            self.fail(failure);
            self.restart(view.ops);
            return;
        }
        let fuzz = vms
            .iter()
            .find(|v| v.id == FUZZ)
            .expect("checked above")
            .clone();
        // The guest started again by itself (a reset): the run we gave a
        // seed ended, and the newest lines are a run with a seed of its own.
        let restarted = view.seed.is_some_and(|s| s != self.run.seed);
        let stopped = !["running", "sleeping"].contains(&fuzz.state.as_str());
        // A reset is logged at once, the guest's new seed line only after
        // its seed prompt gave up: the two may be seen in different samples.
        if let Some(reset) = last_event(&events, &["reset itself"]) {
            self.pending_reset = Some(reset);
        }
        if restarted {
            let reason = self
                .pending_reset
                .take()
                .unwrap_or_else(|| "reset".to_string());
            let seed = self.run.seed;
            self.record_stop(seed, self.run.ops, reason, view.previous_announced);
        }
        if stopped {
            let reason = last_event(&events, &[" halted: ", "powered itself off", " off ("])
                .unwrap_or_else(|| format!("{} ({})", fuzz.state, fuzz.reason));
            let seed = view.seed.unwrap_or(self.run.seed);
            let ops = if restarted {
                view.ops
            } else {
                view.ops.max(self.run.ops)
            };
            self.record_stop(seed, ops, reason, view.announced);
        } else if restarted {
            self.finished_ops += view.ops;
        }
        if stopped || restarted {
            self.start_run();
            return;
        }
        if view.ops > self.run.ops {
            self.run.ops = view.ops;
            self.run.last_progress = Instant::now();
        } else if self.run.last_progress.elapsed() > scaled(STALL) {
            self.fail(format!(
                "no progress for {:?} at {} ops ({})",
                self.run.last_progress.elapsed(),
                self.run.ops,
                fuzz.state
            ));
            self.restart(self.run.ops);
        }
    }
    // ANCHOR_END: sample

    /// End the current run after `ops` operations and start the next.
    fn restart(&mut self, ops: u64) {
        self.finished_ops += ops;
        self.start_run();
    }

    /// A run of `seed` ended after `ops` operations for `reason` (the
    /// hypervisor's report); it must have been announced.
    fn record_stop(&mut self, seed: u64, ops: u64, reason: String, announced: bool) {
        println!("fuzz: seed {seed:#x} stopped after {ops} ops: {reason}");
        self.finished_ops += ops;
        let key = reason
            .split(" (EC")
            .next()
            .unwrap_or(&reason)
            .split(" at address")
            .next()
            .unwrap_or(&reason)
            .to_string();
        *self.stops.entry(key).or_insert(0) += 1;
        if !announced {
            let what = format!("the VM stopped without announcing it: {reason}");
            println!("fuzz: FAILURE with seed {seed:#x}: {what}");
            self.failures.push((seed, what));
        }
    }

    fn report(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let ops = self.finished_ops + self.run.ops;
        lines.push(format!(
            "fuzz: {:.1} min, first seed {:#x}, {} runs, {} operations; echo: {} lines ({} bytes) echoed, 0 lost; lrtos visited {} times",
            self.started.elapsed().as_secs_f64() / 60.0,
            self.first_seed,
            self.runs,
            ops,
            self.rounds,
            self.echo_bytes,
            self.lrtos_visits
        ));
        if self.stops.is_empty() {
            lines.push("fuzz: stops: none".to_string());
        }
        for (reason, count) in &self.stops {
            lines.push(format!("fuzz: stops: {count} x {reason}"));
        }
        lines.push(format!(
            "fuzz: linux: {}, its shell answered {} commands",
            self.linux
                .booted_in
                .map_or("never booted".to_string(), |t| format!(
                    "up after {:.0} s",
                    t.as_secs_f64()
                )),
            self.linux.answers
        ));
        let (first, last) = self.rss_span();
        let peak = self.rss.iter().max().copied().unwrap_or(0);
        lines.push(format!(
            "fuzz: QEMU resident memory {} MiB at the first sample after Linux booted, {} MiB at the last, {} MiB at most",
            first / 1024,
            last / 1024,
            peak / 1024
        ));
        lines.push(format!(
            "fuzz: QEMU resident memory by minute (MiB): {}",
            self.rss_by_minute()
        ));
        if self.failures.is_empty() {
            lines.push("fuzz: seeds that caused a failure: none".to_string());
        }
        for (seed, what) in &self.failures {
            lines.push(format!("fuzz: seed {seed:#x} caused a failure: {what}"));
        }
        lines
    }

    /// The first sample of every minute, as `minute:MiB`.
    fn rss_by_minute(&self) -> String {
        let mut out = Vec::new();
        let mut minute = 0;
        for (at, kib) in self.rss_at.iter().zip(&self.rss) {
            if at.as_secs() >= minute * 60 {
                out.push(format!("{}:{}", at.as_secs() / 60, kib / 1024));
                minute = at.as_secs() / 60 + 1;
            }
        }
        out.join(" ")
    }

    /// QEMU's memory at the first sample that counts and at the last.
    fn rss_span(&self) -> (u64, u64) {
        (
            self.rss.get(self.linux.rss_from).copied().unwrap_or(0),
            self.rss.last().copied().unwrap_or(0),
        )
    }

    fn check_memory(&self) {
        let (first, last) = self.rss_span();
        assert!(
            last <= first + RSS_GROWTH_ALLOWED_KIB.max(first / 4),
            "QEMU kept growing: {first} KiB at the first sample, {last} KiB at the last"
        );
    }
}

/// The session; returns the report and whether it passed.
fn fuzz(minutes: f64, seed: u64) -> (Vec<String>, bool) {
    let mut fuzz = Fuzz::boot(seed);
    let result = catch_unwind(AssertUnwindSafe(|| {
        // A run lasts until Linux's shell has answered at least once,
        // however short it was asked to be.
        run_sampled(
            &mut fuzz,
            Duration::from_secs_f64(minutes * 60.0),
            SAMPLE_EVERY,
            Fuzz::round,
            Fuzz::sample,
            |fuzz| fuzz.linux.answers == 0,
        );
        fuzz.check_memory();
    }));
    if let Err(payload) = result {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        fuzz.fail(format!("the hypervisor or a VM failed: {message}"));
    }
    let passed = fuzz.failures.is_empty();
    let log = log_path("fuzz");
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&log, fuzz.qemu.raw_output());
    let mut report = fuzz.report();
    report.push(format!("fuzz: console log in {}", log.display()));
    (report, passed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut minutes = DEFAULT_MINUTES;
    let mut seed = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = args.get(i + 1).and_then(|s| parse_u64(s));
                if seed.is_none() {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
                i += 1;
            }
            m if m.parse::<f64>().is_ok_and(|m| m > 0.0) => minutes = m.parse().unwrap_or(minutes),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let seed = seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    println!("fuzz: running the fuzzing guest beside echo, lrtos and Linux for {minutes} min, first seed {seed:#x} (replay with --seed {seed:#x})");
    let (report, passed) = fuzz(minutes, seed);
    for line in report {
        println!("{line}");
    }
    if passed {
        println!("fuzz: OK");
        ExitCode::SUCCESS
    } else {
        println!("fuzz: FAILED");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_are_set_aside() {
        let text = "fuzz round\r\n[    5.884311] VM 3 'fuzz' halted: x\r\n 1 echo\r\n";
        assert_eq!(strip_log_records(text), "fuzz round\r\n 1 echo\r\n");
        // In the middle of a line, too; a bracket that is no stamp stays.
        let text = "fuz[   12.000001] VM 3 'fuzz' reset itself\r\nz [a] 1\r\n";
        assert_eq!(strip_log_records(text), "fuzz [a] 1\r\n");
    }

    #[test]
    fn reads_the_guest_view() {
        let log = "--- recent output of VM 3 'fuzz' ---\r\n\
                   fuzz: seed 0x2a (typed)\r\n\
                   fuzz: seed 0x2a: 4096 ops, 1 exceptions, 2 interrupts\r\n\
                   fuzz: burst abc\r\n\
                   fuzz: op 5000: expect a halt: load at 0x100000000\r\n\
                   --- end of VM 3 output ---\r\n";
        let view = guest_view(log);
        assert_eq!(view.seed, Some(0x2a));
        assert_eq!(view.ops, 5000);
        assert!(view.announced);
        assert_eq!(view.failure, None);
        let log = "fuzz: seed 0x2a: 4096 ops, 1 exceptions, 2 interrupts\r\n\
                   fuzz: seed 0x7 (from the system timer)\r\n\
                   fuzz: FAILED: the watchdog did not reset this VM\r\n";
        let view = guest_view(log);
        assert_eq!(view.seed, Some(7));
        assert_eq!(view.ops, 0);
        assert!(!view.announced);
        assert_eq!(
            view.failure.as_deref(),
            Some("fuzz: FAILED: the watchdog did not reset this VM")
        );
    }

    #[test]
    fn reads_vml_rows_with_reasons() {
        let vml = " 3 fuzz            halted     0       16     0.2        5        7        3     7213       23  (load outside the VM's RAM and devices)\r\n";
        let rows = parse_vml(vml);
        assert_eq!(rows[0].state, "halted");
        assert_eq!(rows[0].reason, "load outside the VM's RAM and devices");
    }
}
