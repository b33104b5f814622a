//! `bench-driver`: ferrovisor's benchmark driver, run by `scripts/bench.sh`.
//!
//! It boots QEMU `raspi3b` several times, with ferrovisor (the default VM
//! list, and the benchmark lists `guests/bench-alone.list`,
//! `guests/bench-three.list` and `guests/bench-spread.list`) and with the benchmark guest natively, and
//! measures: time to the prompt, key latency and a 64 KiB paste into echo,
//! the benchmark guest's figures side by side natively and as the only VM
//! (with its output benchmark: 64 KiB printed as fast as it can),
//! how fairly three busy VMs share a core and how much faster they go on a
//! core each, and the hypervisor's size. It
//! prints a table and, with `--json FILE`, writes the figures as JSON.
//!
//! Every image must have been built (`scripts/bench.sh` does it). Timing on
//! a shared machine is noisy: the native and VM figures that are compared
//! are measured at the same time, and the report gives medians.

#![deny(missing_docs)]

mod busy;
mod elf;
mod figures;
mod linux;
mod report;
mod scenarios;
mod sizes;
mod trap_profile;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ferrovisor_harness::{workspace_root, QEMU_EXTRA_ARGS_VAR};
use report::Results;

/// The images, relative to the workspace root.
const DEFAULT_IMAGE: &str = "target/images/kernel8.img";
const DEFAULT_ELF: &str = "target/aarch64-unknown-none-softfloat/release/ferrovisor";
const DEFAULT_LIST: &str = "guests/vms.list";
const ECHO_NATIVE: &str = "target/images/echo.bin";
const BENCH_NATIVE: &str = "target/images/bench.bin";
const BENCH_ALONE: &str = "target/images/ferrovisor-bench-alone.img";
/// The ELF file of BENCH_ALONE, built by `list_image` in scripts/common.sh.
const BENCH_ALONE_ELF: &str =
    "target/lists/bench-alone/aarch64-unknown-none-softfloat/release/ferrovisor";
const BENCH_THREE: &str = "target/images/ferrovisor-bench-three.img";
/// BENCH_THREE's VMs on cores 1-3 instead of all on core 0.
const BENCH_SPREAD: &str = "target/images/ferrovisor-bench-spread.img";
/// Linux as the only VM, on core 1 (`guests/linux-alone.list`).
const LINUX_ALONE: &str = "target/images/ferrovisor-linux-alone.img";
/// BENCH_ALONE's list under the `trap-floor` measurement build
/// (`list_image bench-alone trap-floor`, scripts/bench.sh).
const BENCH_FLOOR: &str = "target/images/ferrovisor-bench-alone-trap-floor.img";

const USAGE: &str =
    "usage: bench-driver [--json FILE] [--quick] [--rounds N] [--icount] [--linux] | --trap-profile
  --json FILE   also write the figures as JSON to FILE
  --quick       fewer repetitions (to try it out; the figures are rough)
  --rounds N    how many times the benchmark guest's whole benchmark is
                repeated, natively and in the VM (default 1)
  --icount      run QEMU with -icount shift=0: the counter then counts
                instructions (16 per tick), not host time, so the guest's
                figures are exact and repeatable, but hide what the host
                spends outside the emulated instructions
  --linux       only the Linux guest's boot, natively, as VM 4 and alone
                on core 1
  --console [IMAGE]
                only the key latency and the paste, into echo natively and
                as VM 1 of IMAGE (default target/images/kernel8.img; any
                list with echo first), to study the console alone
  --trap-profile
                instead of the benchmarks: single-step one HVC and one MMIO
                read of the benchmark guest through ferrovisor with
                gdb-multiarch and show which code their instructions belong to";

/// QEMU's option that makes the guest's counter count instructions: with
/// shift 0 one instruction is one nanosecond of emulated time.
const ICOUNT: &str = "-icount shift=0";
/// CPU workload pairs with `-icount`, where every pair gives the same figure.
const ICOUNT_PAIRS: usize = 3;

/// Extra QEMU arguments for every boot while this lives (the harness reads
/// them from [`QEMU_EXTRA_ARGS_VAR`]); dropping it, even while a failed
/// benchmark unwinds, restores what was there before.
pub struct ExtraQemuArgs {
    saved: Option<std::ffi::OsString>,
}

impl ExtraQemuArgs {
    /// Add `args` to the command line of the QEMUs started from now on.
    pub fn add(args: &str) -> Self {
        let saved = std::env::var_os(QEMU_EXTRA_ARGS_VAR);
        let mut value = saved.clone().unwrap_or_default();
        value.push(" ");
        value.push(args);
        std::env::set_var(QEMU_EXTRA_ARGS_VAR, value);
        Self { saved }
    }
}

impl Drop for ExtraQemuArgs {
    fn drop(&mut self) {
        match self.saved.take() {
            Some(value) => std::env::set_var(QEMU_EXTRA_ARGS_VAR, value),
            None => std::env::remove_var(QEMU_EXTRA_ARGS_VAR),
        }
    }
}

/// How much a run repeats.
struct Plan {
    /// Boots timed to the prompt.
    boots: usize,
    /// Keys typed to echo, for the key latency.
    keys: usize,
    /// The benchmark guest's key for its benchmark: `b` or `q`.
    guest_key: u8,
    /// Times that benchmark is run natively and in the VM.
    rounds: usize,
    /// Simultaneous pairs of CPU workload measurements.
    pairs: usize,
    /// How long the three busy VMs are watched.
    fair_window: Duration,
    /// Rounds of the three busy VMs on one core and on a core each.
    parallel_rounds: usize,
    /// Linux boots, natively and in the VM each.
    linux_pairs: usize,
}

/// The full run.
const FULL: Plan = Plan {
    boots: 5,
    keys: 200,
    guest_key: b'b',
    rounds: 1,
    pairs: 41,
    fair_window: Duration::from_secs(15),
    parallel_rounds: 5,
    linux_pairs: 3,
};

/// `--quick`.
const QUICK: Plan = Plan {
    boots: 2,
    keys: 40,
    guest_key: b'q',
    rounds: 1,
    pairs: 3,
    fair_window: Duration::from_secs(4),
    parallel_rounds: 3,
    linux_pairs: 1,
};

/// What the Linux boot benchmark is called while it runs.
const LINUX_WHAT: &str = "Linux boot, natively, as VM 4 and alone on core 1";

/// The command line.
struct Options {
    /// Where to write the JSON file, if anywhere.
    json: Option<PathBuf>,
    /// How much to repeat.
    plan: Plan,
    /// Whether every QEMU counts instructions.
    icount: bool,
    /// Whether to profile one trap instead of benchmarking.
    trap_profile: bool,
    linux_only: bool,
    /// Only the console figures, with this hypervisor image.
    console_only: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        json: None,
        plan: FULL,
        icount: false,
        trap_profile: false,
        linux_only: false,
        console_only: None,
    };
    let mut rounds = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = Some(args.next().ok_or("--json needs a file")?.into()),
            "--quick" => options.plan = QUICK,
            "--icount" => options.icount = true,
            "--trap-profile" => options.trap_profile = true,
            "--linux" => options.linux_only = true,
            "--console" => options.console_only = Some(DEFAULT_IMAGE.into()),
            image if options.console_only.is_some() && !image.starts_with('-') => {
                options.console_only = Some(image.into());
            }
            "--rounds" => {
                let n = args.next().ok_or("--rounds needs a number")?;
                rounds = Some(
                    n.parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or("--rounds needs a positive number")?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if let Some(rounds) = rounds {
        options.plan.rounds = rounds;
    }
    Ok(options)
}

/// Run one benchmark, turning a failure (a panic from the harness, such as
/// a timeout) into an entry of `results.errors`.
fn attempt<T>(results: &mut Results, what: &str, f: impl FnOnce() -> T) -> Option<T> {
    eprintln!("bench: {what}...");
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(panic) => {
            let why = panic_text(&*panic);
            results.errors.push((what.to_string(), why));
            None
        }
    }
}

/// The message of a panic.
fn panic_text(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into());
    text.lines().next().unwrap_or("").to_string()
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("bench: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let _icount = options.icount.then(|| ExtraQemuArgs::add(ICOUNT));
    let root = workspace_root();
    if options.trap_profile {
        let elf = root.join(BENCH_ALONE_ELF);
        return match trap_profile::trace(&root.join(BENCH_ALONE), &elf, &root.join(BENCH_NATIVE)) {
            Ok(profile) => {
                print!("{}", trap_profile::report(&profile));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let plan = &options.plan;
    let default_image = root.join(DEFAULT_IMAGE);
    let mut results = Results::default();
    let linux_alone = Some(root.join(LINUX_ALONE)).filter(|p| p.is_file());
    if linux_alone.is_none() {
        eprintln!(
            "bench-driver: no {LINUX_ALONE} (scripts/bench.sh builds it): no linux_boot_s_alone"
        );
    }

    if options.linux_only {
        results.linux = attempt(&mut results, LINUX_WHAT, || {
            linux::linux_boot(&default_image, linux_alone.as_deref(), plan.linux_pairs)
        });
        return finish(&results, &options);
    }
    if let Some(image) = &options.console_only {
        results.console = attempt(&mut results, "key latency and paste into echo", || {
            scenarios::console(&root.join(image), plan.keys, false)
        });
        results.console_native = attempt(&mut results, "the same into echo natively", || {
            scenarios::console(&root.join(ECHO_NATIVE), plan.keys, true)
        });
        return finish(&results, &options);
    }
    results.sizes = attempt(&mut results, "sizes", || {
        let list_name = std::env::var("FERROVISOR_VMS").unwrap_or(DEFAULT_LIST.into());
        let list = std::fs::read_to_string(root.join(&list_name)).expect("read the VM list");
        let guests = sizes::list_images(&list, &root);
        sizes::measure(
            &default_image,
            &root.join(DEFAULT_ELF),
            &guests,
            sizes::list_dtbs(&list),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    });
    results.boot_s = attempt(&mut results, "boot to prompt", || {
        scenarios::boot_to_prompt(&default_image, plan.boots)
    });
    results.console = attempt(&mut results, "key latency and paste into echo", || {
        scenarios::console(&default_image, plan.keys, false)
    });
    results.console_native = attempt(&mut results, "the same into echo natively", || {
        scenarios::console(&root.join(ECHO_NATIVE), plan.keys, true)
    });
    results.guest = attempt(
        &mut results,
        "benchmark guest, native and alone in a VM",
        || {
            let floor = root.join(BENCH_FLOOR);
            let floor = floor.is_file().then_some(floor.as_path());
            if floor.is_none() {
                eprintln!(
                    "bench-driver: no {BENCH_FLOOR} (scripts/bench.sh builds it): no output_ratio_floor"
                );
            }
            scenarios::side_by_side(
                &root.join(BENCH_NATIVE),
                &root.join(BENCH_ALONE),
                floor,
                plan.guest_key,
                plan.rounds,
                plan.pairs,
            )
        },
    );
    if !options.icount {
        results.guest_icount = attempt(
            &mut results,
            "the same again, counting instructions (QEMU -icount)",
            || {
                let _icount = ExtraQemuArgs::add(ICOUNT);
                scenarios::side_by_side(
                    &root.join(BENCH_NATIVE),
                    &root.join(BENCH_ALONE),
                    None,
                    b'q',
                    1,
                    ICOUNT_PAIRS,
                )
            },
        );
    }
    let together = root.join(BENCH_THREE);
    let window = attempt(&mut results, "fair share of three busy VMs", || {
        busy::busy_window(&together, plan.fair_window, "bench_fair_share")
    });
    results.fair = window.as_ref().map(busy::fair_share);
    results.parallel = attempt(
        &mut results,
        "the same three on one core and on cores 1-3, in rounds",
        || {
            busy::parallel_speedup(
                &together,
                &root.join(BENCH_SPREAD),
                plan.fair_window,
                plan.parallel_rounds,
                window,
            )
        },
    );
    results.linux = attempt(&mut results, LINUX_WHAT, || {
        linux::linux_boot(&default_image, linux_alone.as_deref(), plan.linux_pairs)
    });

    finish(&results, &options)
}

/// Print the table, write the JSON file if asked, and say whether every
/// benchmark ran.
fn finish(results: &Results, options: &Options) -> ExitCode {
    if options.icount {
        println!("(QEMU ran with -icount shift=0: one counter tick is 16 instructions)");
    }
    println!("{}", results.table());
    if let Some(path) = &options.json {
        if let Err(e) = std::fs::write(path, results.json()) {
            eprintln!("bench: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("figures written to {}", path.display());
    }
    if results.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
