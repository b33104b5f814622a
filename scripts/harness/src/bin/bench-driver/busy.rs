//! Three busy benchmark VMs: how fairly they share one core
//! (`guests/bench-three.list`), and how much faster they go on three cores
//! of their own (`guests/bench-spread.list`), both read from what `vml`
//! counts and from the guests' own progress lines.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

use crate::figures::{self, Progress, PARALLEL_VMS};
use crate::scenarios::{host_cpu_ns, BENCH_FOREVER, BENCH_READY};

/// Time the busy VMs run before the window opens.
const WARMUP: Duration = Duration::from_secs(2);

/// What the busy VMs did in the window, one entry per VM.
pub struct Window {
    /// CPU seconds `vml` counted.
    pub cpu_s: Vec<f64>,
    /// Workload units done, between the last progress lines before and
    /// after the window.
    pub units: Vec<f64>,
    /// Units per counter tick between those two lines.
    pub rates: Vec<f64>,
    /// The host CPU time all of QEMU's threads got in the window, over the
    /// window's length: how many of the host's cores QEMU had.
    pub host_cores_used: f64,
}

/// How three busy VMs shared the CPU.
pub struct FairShare {
    /// Each VM's share of the CPU time `vml` counted in the window.
    pub vml_shares: Vec<f64>,
    /// The largest distance of a `vml` share from one third.
    pub vml_max_dev: f64,
    /// Each VM's share of the workload units the guests completed.
    pub progress_shares: Vec<f64>,
    /// The largest distance of a progress share from one third.
    pub progress_max_dev: f64,
}

/// The same busy VMs sharing one core and on a core each, in rounds.
pub struct Parallel {
    /// Each round's speedup: the VMs' summed rate on a core each over
    /// their summed rate on one core.
    pub speedups: Vec<f64>,
    /// Each round's host cores used (see [`Window`]), on one core.
    pub host_used_together: Vec<f64>,
    /// The same on a core each.
    pub host_used_spread: Vec<f64>,
    /// How many host threads QEMU can run at once (what `nproc` says).
    pub host_cores: usize,
}

impl Parallel {
    /// Each round's speedup per host core QEMU got.
    pub fn per_host_core(&self) -> Vec<f64> {
        let used = self.host_used_together.iter().zip(&self.host_used_spread);
        self.speedups
            .iter()
            .zip(used)
            .filter_map(|(&s, (&t, &e))| figures::speedup_per_host_core(s, t, e))
            .collect()
    }
}

/// `vml`'s Time(s) and each guest's last progress point, for VMs 1 to `vms`.
fn snapshot(qemu: &mut Qemu, vms: usize) -> (Vec<f64>, Vec<Progress>) {
    let vml = qemu.run_command("vml");
    let times = figures::vml_times(&vml);
    let ids = 1..=vms as u32;
    let cpu = ids
        .clone()
        .map(|id| times.iter().find(|t| t.0 == id).map_or(0.0, |t| t.1))
        .collect();
    let progress = ids
        .map(|id| {
            let log = qemu.run_command(&format!("vmlog {id}"));
            figures::last_progress_point(&log).unwrap_or_default()
        })
        .collect();
    (cpu, progress)
}

// ANCHOR: busy
/// Start the endless CPU workload in each of the benchmark VMs of `image`,
/// let them run, and watch them for `window`.
pub fn busy_window(image: &Path, window: Duration, name: &str) -> Window {
    let mut qemu = Qemu::boot(image, name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    for id in 1..=PARALLEL_VMS {
        if id == 1 {
            qemu.send_line("vmc 1");
        } else {
            qemu.send(format!("@{id}").as_bytes());
        }
        qemu.expect(&format!("[console: VM {id} "), STEP_TIMEOUT);
        qemu.expect(BENCH_READY, BOOT_TIMEOUT);
        qemu.send(b"c");
        qemu.expect(BENCH_FOREVER, STEP_TIMEOUT);
    }
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
    thread::sleep(WARMUP);
    let (start, host0) = (Instant::now(), host_cpu_ns(qemu.pid()));
    let (cpu0, progress0) = snapshot(&mut qemu, PARALLEL_VMS);
    thread::sleep(window);
    let host = host_cpu_ns(qemu.pid()).saturating_sub(host0) as f64;
    let host_cores_used = host / start.elapsed().as_nanos() as f64;
    let (cpu1, progress1) = snapshot(&mut qemu, PARALLEL_VMS);
    let pairs = progress0.iter().zip(&progress1);
    Window {
        cpu_s: cpu0.iter().zip(&cpu1).map(|(a, b)| b - a).collect(),
        units: pairs
            .clone()
            .map(|(a, b)| b.units.saturating_sub(a.units) as f64)
            .collect(),
        rates: pairs
            .map(|(&a, &b)| {
                figures::progress_rate(a, b).expect("a busy VM reported no progress in the window")
            })
            .collect(),
        host_cores_used,
    }
}
// ANCHOR_END: busy

/// How fairly the VMs of `window` shared their core.
pub fn fair_share(window: &Window) -> FairShare {
    let (vml_shares, vml_max_dev) =
        figures::shares(&window.cpu_s).expect("vml counted no CPU time in the window");
    let (progress_shares, progress_max_dev) =
        figures::shares(&window.units).expect("the guests reported no progress in the window");
    FairShare {
        vml_shares,
        vml_max_dev,
        progress_shares,
        progress_max_dev,
    }
}

// ANCHOR: parallel
/// `rounds` times, the busy VMs on one core (`together`) and then on a
/// core each (`spread`), each for `window`; the first round on one core
/// may be a window measured already (`first`, the fair share's).
pub fn parallel_speedup(
    together: &Path,
    spread: &Path,
    window: Duration,
    rounds: usize,
    mut first: Option<Window>,
) -> Parallel {
    let mut result = Parallel {
        speedups: Vec::new(),
        host_used_together: Vec::new(),
        host_used_spread: Vec::new(),
        host_cores: thread::available_parallelism().map_or(1, |n| n.get()),
    };
    for round in 0..rounds {
        let one = first
            .take()
            .unwrap_or_else(|| busy_window(together, window, &format!("bench_together_{round}")));
        let each = busy_window(spread, window, &format!("bench_spread_{round}"));
        let speedup = figures::speedup(&each.rates, &one.rates).expect("no progress on one core");
        result.speedups.push(speedup);
        result.host_used_together.push(one.host_cores_used);
        result.host_used_spread.push(each.host_cores_used);
    }
    result
}
// ANCHOR_END: parallel
