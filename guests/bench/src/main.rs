//! bench: ferrovisor's benchmark guest, a bare-metal AArch64 program for
//! the Raspberry Pi 3 that measures, in ticks of its own generic-timer
//! counter, what virtualization costs it.
//!
//! Like echo, it is an ordinary BCM2837 program: the same `bench.bin` boots
//! natively as `kernel8.img` (at EL2, and drops to EL1, leaving a one-entry
//! HVC responder behind at EL2) and inside ferrovisor (at EL1). Comparing
//! its figures in the two places is what `scripts/bench.sh` does.
//!
//! At its menu it sleeps in WFI until a key arrives:
//!
//! * `b` runs the benchmark ([`measure::FULL`]) and `q` a quick one
//!   ([`measure::QUICK`]): per run, one line of `key=value` figures;
//! * `w` times the CPU workload once ([`measure::WORK_UNITS`] units), so
//!   that a driver can alternate native and VM measurements;
//! * `c` runs the CPU workload forever, printing a progress line now and
//!   then, until any key is typed (for the fair-share benchmark);
//! * `o` prints [`output::OUTPUT_BYTES`] bytes as fast as it can (the
//!   output benchmark).
//!
//! Built for the host, only the stub `main` and the unit tests of the
//! workload and the statistics are compiled.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(missing_docs)]

#[cfg(target_os = "none")]
mod el2_stub;
#[cfg(target_os = "none")]
mod irq;
#[cfg(target_os = "none")]
mod measure;
#[cfg(target_os = "none")]
mod output;
#[cfg(any(target_os = "none", test))]
mod stats;
#[cfg(target_os = "none")]
mod timer;
#[cfg(any(target_os = "none", test))]
mod workload;

#[cfg(target_os = "none")]
use {
    measure::Plan,
    rt::board::{console, UART},
    rt::boot::start_el,
    ufmt::uwriteln,
};

// The guest runtime boots bench; natively it installs the HVC responder
// before it drops to EL1.
#[cfg(target_os = "none")]
rt::entry!("bench", start, at_el2 = el2_stub::install);
#[cfg(target_os = "none")]
rt::exception_handler!(irq = irq::handle);

/// Workload units between two progress lines of the `c` mode.
#[cfg(target_os = "none")]
const PROGRESS_UNITS: u32 = 16;

/// The start-up sequence at EL1, on core 0, with every exception masked.
/// Never returns: it ends at the menu.
#[cfg(target_os = "none")]
fn start() -> ! {
    rt::exception::install_vectors();
    rt::board::init_console();
    irq::route_interrupts();
    rt::cpu::enable_irqs();
    let mut out = console();
    let _ = uwriteln!(
        out,
        "\nbench: ferrovisor's benchmark guest, started at EL{}, counter at {} Hz",
        start_el(),
        timer::frequency()
    );
    let _ = uwriteln!(
        out,
        "bench: keys: b = benchmark ({} runs), q = quick check ({} runs), w = time the CPU workload once, c = CPU workload until a key, o = print {} bytes",
        measure::FULL.runs,
        measure::QUICK.runs,
        output::OUTPUT_BYTES
    );
    menu()
}

// ANCHOR: menu
/// Wait for a key and do what it says, forever.
#[cfg(target_os = "none")]
fn menu() -> ! {
    let mut out = console();
    loop {
        let _ = uwriteln!(out, "bench: ready");
        irq::wait_for_key();
        while let Some(key) = UART.read_byte() {
            match key {
                b'b' => benchmark(&measure::FULL),
                b'q' => benchmark(&measure::QUICK),
                b'w' => work_once(),
                b'c' => cpu_forever(),
                b'o' => output::run(),
                b'\r' | b'\n' | b' ' => {}
                _ => {
                    let _ = uwriteln!(out, "bench: unknown key; b, q, w, c or o");
                }
            }
        }
    }
}
// ANCHOR_END: menu

/// The word a check is reported as.
#[cfg(target_os = "none")]
fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "bad"
    }
}

// ANCHOR: benchmark
/// Do `plan.runs` runs of every measurement, one line of figures each.
#[cfg(target_os = "none")]
fn benchmark(plan: &Plan) {
    let mut out = console();
    let _ = uwriteln!(
        out,
        "bench: start runs={} cpu_units={} samples={} timer_samples={} freq={} start_el={}",
        plan.runs,
        plan.cpu_units,
        plan.samples,
        plan.timer_samples,
        timer::frequency(),
        start_el()
    );
    let mut buffer = [0u64; measure::MAX_SAMPLES];
    let samples = &mut buffer[..plan.samples];
    for run in 1..=plan.runs {
        let (cpu_ticks, cpu_ok) = measure::cpu_work(plan.cpu_units);
        let hvc_ok = measure::hvc_round_trips(samples);
        let hvc = stats::summarize(samples).unwrap_or(ZERO);
        measure::mmio_round_trips(samples);
        let mmio = stats::summarize(samples).unwrap_or(ZERO);
        measure::counter_overhead(samples);
        let counter = stats::summarize(samples).unwrap_or(ZERO);
        let timer_samples = &mut samples[..plan.timer_samples];
        measure::timer_latencies(timer_samples, measure::Wait::Spin);
        let spin = stats::summarize(timer_samples).unwrap_or(ZERO);
        measure::timer_latencies(timer_samples, measure::Wait::Sleep);
        let sleep = stats::summarize(timer_samples).unwrap_or(ZERO);
        let _ = uwriteln!(
            out,
            "bench: run={} cpu_ticks={} hvc_ticks_median={} hvc_ticks_p99={} mmio_ticks_median={} mmio_ticks_p99={} timer_latency_ticks_median={} timer_latency_ticks_p99={} wfi_timer_latency_ticks_median={} wfi_timer_latency_ticks_p99={} counter_ticks_median={} check={}",
            run,
            cpu_ticks,
            hvc.median,
            hvc.p99,
            mmio.median,
            mmio.p99,
            spin.median,
            spin.p99,
            sleep.median,
            sleep.p99,
            counter.median,
            verdict(cpu_ok && hvc_ok)
        );
    }
    let _ = uwriteln!(out, "bench: done runs={}", plan.runs);
}
// ANCHOR_END: benchmark

/// What a measurement with no samples reports.
#[cfg(target_os = "none")]
const ZERO: stats::Summary = stats::Summary { median: 0, p99: 0 };

/// Time the CPU workload once.
#[cfg(target_os = "none")]
fn work_once() {
    let (ticks, ok) = measure::cpu_work(measure::WORK_UNITS);
    let mut out = console();
    let _ = uwriteln!(
        out,
        "bench: work cpu_ticks={} units={} check={}",
        ticks,
        measure::WORK_UNITS,
        verdict(ok)
    );
}

// ANCHOR: forever
/// Run the workload until a key is typed, printing how many units are done
/// every [`PROGRESS_UNITS`] units.
#[cfg(target_os = "none")]
fn cpu_forever() {
    let mut out = console();
    let _ = uwriteln!(
        out,
        "bench: cpu forever: a progress line every {} units; any key stops",
        PROGRESS_UNITS
    );
    let mut units: u64 = 0;
    let start = timer::start_stamp();
    loop {
        let ok = workload::run(PROGRESS_UNITS);
        units += u64::from(PROGRESS_UNITS);
        let _ = uwriteln!(
            out,
            "bench: progress units={} ticks={} check={}",
            units,
            timer::end_stamp() - start,
            verdict(ok)
        );
        if UART.read_byte().is_some() {
            let _ = uwriteln!(out, "bench: stopped after {} units", units);
            return;
        }
    }
}
// ANCHOR_END: forever

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bench is a bare-metal AArch64 program for the Raspberry Pi 3: build it for aarch64-unknown-none-softfloat");
    std::process::exit(1);
}
