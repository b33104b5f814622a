//! The figures of a benchmark run, the table printed at the end, and the
//! same figures as JSON (`--json FILE`).

use std::fmt::Write as _;

use crate::busy::{FairShare, Parallel};
use crate::figures::{self, median, percentile, Run};
use crate::linux::LinuxBoot;
use crate::scenarios::{Console, SideBySide};
use crate::sizes::Sizes;

/// Everything measured; `None` where a benchmark did not run or failed.
#[derive(Default)]
pub struct Results {
    /// Seconds from QEMU start to the prompt, one per boot.
    pub boot_s: Option<Vec<f64>>,
    /// Key latency and paste, into the echo VM.
    pub console: Option<Console>,
    /// The same, into echo running natively.
    pub console_native: Option<Console>,
    /// The benchmark guest natively and alone in a VM.
    pub guest: Option<SideBySide>,
    /// The same with QEMU's `-icount`, where ticks count instructions.
    pub guest_icount: Option<SideBySide>,
    /// Three busy benchmark VMs.
    pub fair: Option<FairShare>,
    /// The same three on one core and on a core each.
    pub parallel: Option<Parallel>,
    /// The hypervisor's sizes.
    pub sizes: Option<Sizes>,
    /// Linux's boot to its init line, natively and in the VM.
    pub linux: Option<LinuxBoot>,
    /// What went wrong, per benchmark.
    pub errors: Vec<(String, String)>,
}

/// Nanoseconds in a second.
const NANOS_PER_SECOND: f64 = 1e9;
/// The percentile a latency's tail is reported at.
const P99: f64 = 99.0;

/// One figure: its JSON key, and its value if it was measured.
struct Figure {
    key: &'static str,
    value: Option<f64>,
}

/// A figure called `key`.
fn fig(key: &'static str, value: Option<f64>) -> Figure {
    Figure { key, value }
}

/// The median over runs of the guest's field `name`.
fn over(runs: &[Run], name: &str) -> Option<f64> {
    figures::median_of(runs, name)
}

impl Results {
    // ANCHOR: keys
    /// Every figure, in the order of the JSON file.
    fn figures(&self) -> Vec<Figure> {
        let boot = self.boot_s.as_deref();
        let console = self.console.as_ref();
        let key_ms = console.map(|c| c.key_ms.as_slice());
        let console_native = self.console_native.as_ref();
        let key_ms_native = console_native.map(|c| c.key_ms.as_slice());
        let guest = self.guest.as_ref();
        let native = guest.map(|g| g.native.as_slice());
        let vm = guest.map(|g| g.vm.as_slice());
        let sizes = self.sizes.as_ref();
        let fair = self.fair.as_ref();
        let parallel = self.parallel.as_ref();
        let icount = self.guest_icount.as_ref();
        let linux = self.linux.as_ref();
        let linux_vm = linux.and_then(|l| median(&l.vm_s));
        let linux_native = linux.and_then(|l| median(&l.native_s));
        let linux_alone = linux.and_then(|l| median(&l.alone_s));
        // With -icount shift=0 an instruction takes 1 ns of emulated time.
        let per_tick = icount.map_or(0.0, |g| NANOS_PER_SECOND / g.freq.max(1) as f64);
        let ni = |name: &str| {
            icount
                .and_then(|g| over(&g.native, name))
                .map(|t| t * per_tick)
        };
        let vi = |name: &str| icount.and_then(|g| over(&g.vm, name)).map(|t| t * per_tick);
        let n = |name: &str| native.and_then(|r| over(r, name));
        let v = |name: &str| vm.and_then(|r| over(r, name));
        let output_rate =
            |o: Option<&crate::scenarios::Output>| o.map(|o| o.bytes as f64 / o.seconds);
        let output_vm = guest.and_then(|g| g.output_vm.as_ref());
        let output_native = guest.and_then(|g| g.output_native.as_ref());
        let output_floor = guest.and_then(|g| g.output_floor.as_ref());
        let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
        let paste_rate = |c: Option<&Console>| c.map(|c| c.paste_bytes as f64 / c.paste_seconds);
        vec![
            fig("boot_to_prompt_s", boot.and_then(median)),
            fig("key_latency_ms_median", key_ms.and_then(median)),
            fig(
                "key_latency_ms_p99",
                key_ms.and_then(|k| percentile(k, P99)),
            ),
            fig("paste_bytes", console.map(|c| c.paste_bytes as f64)),
            fig("paste_lost_bytes", console.map(|c| c.paste_lost as f64)),
            fig(
                "paste_bytes_per_s",
                console.map(|c| c.paste_bytes as f64 / c.paste_seconds),
            ),
            fig(
                "key_latency_ms_median_native",
                key_ms_native.and_then(median),
            ),
            fig(
                "key_latency_ms_p99_native",
                key_ms_native.and_then(|k| percentile(k, P99)),
            ),
            fig(
                "paste_lost_bytes_native",
                console_native.map(|c| c.paste_lost as f64),
            ),
            fig(
                "paste_bytes_per_s_native",
                console_native.map(|c| c.paste_bytes as f64 / c.paste_seconds),
            ),
            fig(
                "key_latency_ratio",
                ratio(key_ms.and_then(median), key_ms_native.and_then(median)),
            ),
            fig(
                "paste_ratio",
                ratio(paste_rate(console), paste_rate(console_native)),
            ),
            fig("output_bytes", output_vm.map(|o| o.bytes as f64)),
            fig("output_lost_bytes", output_vm.map(|o| o.lost as f64)),
            fig(
                "output_lost_bytes_native",
                output_native.map(|o| o.lost as f64),
            ),
            fig("output_bytes_per_s", output_rate(output_vm)),
            fig("output_bytes_per_s_native", output_rate(output_native)),
            fig(
                "output_ratio",
                ratio(output_rate(output_vm), output_rate(output_native)),
            ),
            fig(
                "output_lost_bytes_floor",
                output_floor.map(|o| o.lost as f64),
            ),
            fig("output_bytes_per_s_floor", output_rate(output_floor)),
            fig(
                "output_ratio_floor",
                ratio(output_rate(output_floor), output_rate(output_native)),
            ),
            fig(
                "output_share_of_floor",
                ratio(output_rate(output_vm), output_rate(output_floor)),
            ),
            fig(
                "cpu_ratio_alone",
                guest.and_then(|g| median(&g.work_ratios)),
            ),
            fig("fair_share_max_dev", fair.map(|f| f.vml_max_dev)),
            fig(
                "fair_share_max_dev_progress",
                fair.map(|f| f.progress_max_dev),
            ),
            fig(
                "parallel_speedup",
                parallel.and_then(|p| median(&p.speedups)),
            ),
            fig(
                "parallel_speedup_target",
                parallel.map(|p| figures::speedup_target(p.host_cores)),
            ),
            fig("host_cores", parallel.map(|p| p.host_cores as f64)),
            fig(
                "parallel_speedup_per_host_core",
                parallel.and_then(|p| median(&p.per_host_core())),
            ),
            fig(
                "host_cores_used_one_core",
                parallel.and_then(|p| median(&p.host_used_together)),
            ),
            fig(
                "host_cores_used_spread",
                parallel.and_then(|p| median(&p.host_used_spread)),
            ),
            fig(
                "parallel_speedup_rounds",
                parallel.map(|p| p.speedups.len() as f64),
            ),
            fig("hvc_round_trip_ticks", v("hvc_ticks_median")),
            fig("hvc_round_trip_ticks_p99", v("hvc_ticks_p99")),
            fig("hvc_round_trip_ticks_native", n("hvc_ticks_median")),
            fig("hvc_round_trip_ticks_native_p99", n("hvc_ticks_p99")),
            fig("mmio_round_trip_ticks", v("mmio_ticks_median")),
            fig("mmio_round_trip_ticks_p99", v("mmio_ticks_p99")),
            fig("mmio_round_trip_ticks_native", n("mmio_ticks_median")),
            fig("mmio_round_trip_ticks_native_p99", n("mmio_ticks_p99")),
            fig("timer_irq_latency_ticks", v("timer_latency_ticks_median")),
            fig("timer_irq_latency_ticks_p99", v("timer_latency_ticks_p99")),
            fig(
                "timer_irq_latency_ticks_native",
                n("timer_latency_ticks_median"),
            ),
            fig(
                "timer_irq_latency_ticks_native_p99",
                n("timer_latency_ticks_p99"),
            ),
            fig(
                "wfi_timer_irq_latency_ticks",
                v("wfi_timer_latency_ticks_median"),
            ),
            fig(
                "wfi_timer_irq_latency_ticks_p99",
                v("wfi_timer_latency_ticks_p99"),
            ),
            fig(
                "wfi_timer_irq_latency_ticks_native",
                n("wfi_timer_latency_ticks_median"),
            ),
            fig(
                "wfi_timer_irq_latency_ticks_native_p99",
                n("wfi_timer_latency_ticks_p99"),
            ),
            fig("counter_read_ticks", v("counter_ticks_median")),
            fig("hvc_round_trip_instructions", vi("hvc_ticks_median")),
            fig("hvc_round_trip_instructions_native", ni("hvc_ticks_median")),
            fig("mmio_round_trip_instructions", vi("mmio_ticks_median")),
            fig(
                "mmio_round_trip_instructions_native",
                ni("mmio_ticks_median"),
            ),
            fig(
                "timer_irq_latency_instructions",
                vi("timer_latency_ticks_median"),
            ),
            fig(
                "timer_irq_latency_instructions_native",
                ni("timer_latency_ticks_median"),
            ),
            fig(
                "cpu_ratio_alone_icount",
                icount.and_then(|g| median(&g.work_ratios)),
            ),
            fig(
                "cpu_ticks_native",
                guest.and_then(|g| median(&g.work_native)),
            ),
            fig("cpu_ticks_vm", guest.and_then(|g| median(&g.work_vm))),
            fig("cpu_ratio_pairs", guest.map(|g| g.work_ratios.len() as f64)),
            fig(
                "cpu_ratio_alone_host_cpu",
                guest.and_then(|g| median(&g.host_cpu_ratios)),
            ),
            fig("guest_runs", vm.map(|r| r.len() as f64)),
            fig("counter_freq_hz", guest.map(|g| g.freq as f64)),
            fig("image_bytes", sizes.map(|s| s.image as f64)),
            fig(
                "image_bytes_without_guests",
                sizes.map(|s| s.image_without_guests as f64),
            ),
            fig("linux_boot_s", linux_vm),
            fig("linux_boot_s_native", linux_native),
            fig("linux_boot_s_alone", linux_alone),
            fig(
                "linux_boot_ratio",
                linux_vm.zip(linux_native).map(|(v, n)| v / n),
            ),
            fig("hypervisor_ram_bytes", sizes.map(|s| s.ram as f64)),
            fig(
                "hypervisor_ram_bytes_with_guest_images",
                sizes.map(|s| s.ram_with_guests as f64),
            ),
        ]
    }
    // ANCHOR_END: keys

    /// The value of figure `key`.
    fn get(&self, key: &str) -> Option<f64> {
        self.figures().into_iter().find(|f| f.key == key)?.value
    }

    /// Whether the guests' own checks (prime counts, HVC answers) passed.
    fn guest_checks_ok(&self) -> Option<bool> {
        let g = self.guest.as_ref()?;
        Some(g.native.iter().chain(&g.vm).all(|r| r.ok))
    }

    /// The figures as a JSON object, one key per line.
    pub fn json(&self) -> String {
        let mut out = String::from("{\n");
        for f in self.figures() {
            let value = match f.value {
                Some(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 => {
                    format!("{}", v as i64)
                }
                Some(v) if v.is_finite() => format!("{v:.6}"),
                _ => "null".into(),
            };
            let _ = writeln!(out, "  \"{}\": {value},", f.key);
        }
        let list = |shares: Option<&Vec<f64>>| match shares {
            Some(s) => format!(
                "[{}]",
                s.iter()
                    .map(|x| format!("{x:.4}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "null".into(),
        };
        let ticks = |t: Option<&Vec<f64>>| match t {
            Some(t) => format!(
                "[{}]",
                t.iter()
                    .map(|x| format!("{x:.0}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "null".into(),
        };
        let guest = self.guest.as_ref();
        let _ = writeln!(
            out,
            "  \"cpu_ticks_native_all\": {},",
            ticks(guest.map(|g| &g.work_native))
        );
        let _ = writeln!(
            out,
            "  \"cpu_ticks_vm_all\": {},",
            ticks(guest.map(|g| &g.work_vm))
        );
        let _ = writeln!(
            out,
            "  \"cpu_ratios\": {},",
            list(self.guest.as_ref().map(|g| &g.work_ratios))
        );
        let fair = self.fair.as_ref();
        let _ = writeln!(
            out,
            "  \"fair_shares_vml\": {},",
            list(fair.map(|f| &f.vml_shares))
        );
        let _ = writeln!(
            out,
            "  \"fair_shares_progress\": {},",
            list(fair.map(|f| &f.progress_shares))
        );
        let _ = writeln!(
            out,
            "  \"parallel_speedups\": {},",
            list(self.parallel.as_ref().map(|p| &p.speedups))
        );
        let checks = match self.guest_checks_ok() {
            Some(ok) => ok.to_string(),
            None => "null".into(),
        };
        let _ = writeln!(out, "  \"guest_checks_ok\": {checks},");
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(what, why)| format!("{:?}", format!("{what}: {why}")))
            .collect();
        let _ = writeln!(out, "  \"errors\": [{}]", errors.join(", "));
        out.push_str("}\n");
        out
    }

    // ANCHOR: table
    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{:<36} {:>12} {:>12}   {:<8} met",
            "figure", "ferrovisor", "native", "target"
        );
        for row in ROWS {
            let value = self.get(row.key);
            let native = row.native.and_then(|k| self.get(k));
            let floor = row.at_least.and_then(|k| self.get(k));
            let met = match (row.target, floor, value) {
                (Some((_, ok)), _, Some(v)) if ok(v) => "yes",
                (_, Some(floor), Some(v)) if v >= floor => "yes",
                (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => "NO",
                _ => "",
            };
            let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.*}", row.decimals));
            let target = match (row.target, floor) {
                (Some((text, _)), _) => text.to_string(),
                (None, Some(floor)) => format!(">= {floor:.2}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                t,
                "{:<36} {:>12} {:>12}   {target:<8} {met}",
                row.label,
                num(value),
                num(native)
            );
        }
        if let Some(s) = &self.sizes {
            let parts: Vec<String> = s.sections.iter().map(|(n, b)| format!("{n} {b}")).collect();
            let _ = writeln!(
                t,
                "  hypervisor RAM = {}; the image also carries {} bytes of guest images",
                parts.join(", "),
                s.guests
            );
        }
        if let Some(f) = &self.fair {
            let shares = |s: &[f64]| {
                s.iter()
                    .map(|x| format!("{x:.3}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(
                t,
                "  CPU shares of the three VMs by vml: {}; by progress: {}",
                shares(&f.vml_shares),
                shares(&f.progress_shares)
            );
        }
        if let Some(p) = &self.parallel {
            let rounds: Vec<String> = p.speedups.iter().map(|x| format!("{x:.2}")).collect();
            let _ = writeln!(
                t,
                "  parallel speedup: the median of {} rounds ({}); target {} x min({}, {} host cores)",
                rounds.len(),
                rounds.join(" "),
                figures::PARALLEL_EFFICIENCY,
                figures::PARALLEL_VMS,
                p.host_cores
            );
        }
        if let Some(g) = &self.guest {
            let _ = writeln!(
                t,
                "  1 tick = {:.1} ns (counter at {} Hz); guest figures are medians over {} runs, \
                 p99 the median of the runs' p99; CPU ratio the median of {} simultaneous pairs",
                NANOS_PER_SECOND / g.freq.max(1) as f64,
                g.freq,
                g.vm.len(),
                g.work_ratios.len()
            );
        }
        if self.guest_checks_ok() == Some(false) {
            t.push_str("  WARNING: a benchmark guest reported check=bad\n");
        }
        for (what, why) in &self.errors {
            let _ = writeln!(t, "  FAILED {what}: {why}");
        }
        t
    }
    // ANCHOR_END: table
}

/// A row of the table: the figure's label and JSON key, the key of its
/// native counterpart, the decimals shown, and the target with its check,
/// or the key of a figure measured in the run that the value must reach.
struct Row {
    label: &'static str,
    key: &'static str,
    native: Option<&'static str>,
    decimals: usize,
    target: Option<Target>,
    at_least: Option<&'static str>,
}

/// A target as the table shows it, and the check of a value against it.
type Target = (&'static str, fn(f64) -> bool);

/// A row without a native figure or a target.
const fn plain(label: &'static str, key: &'static str, decimals: usize) -> Row {
    Row {
        label,
        key,
        native: None,
        decimals,
        target: None,
        at_least: None,
    }
}

/// A row with a native figure and no target.
const fn both(
    label: &'static str,
    key: &'static str,
    native: &'static str,
    decimals: usize,
) -> Row {
    Row {
        label,
        key,
        native: Some(native),
        decimals,
        target: None,
        at_least: None,
    }
}

/// The rows of the table, in order.
const ROWS: &[Row] = &[
    both(
        "Linux boot to init line (s)",
        "linux_boot_s",
        "linux_boot_s_native",
        1,
    ),
    both(
        "Linux boot, alone on core 1 (s)",
        "linux_boot_s_alone",
        "linux_boot_s_native",
        1,
    ),
    Row {
        target: Some(("<= 2", |v| v <= 2.0)),
        ..plain("Linux boot, VM/native", "linux_boot_ratio", 2)
    },
    Row {
        target: Some(("< 1", |v| v < 1.0)),
        ..plain("boot to prompt (s)", "boot_to_prompt_s", 3)
    },
    Row {
        target: Some(("< 10", |v| v < 10.0)),
        ..both(
            "key latency, median (ms)",
            "key_latency_ms_median",
            "key_latency_ms_median_native",
            2,
        )
    },
    both(
        "key latency, p99 (ms)",
        "key_latency_ms_p99",
        "key_latency_ms_p99_native",
        2,
    ),
    plain("paste (bytes)", "paste_bytes", 0),
    Row {
        target: Some(("0", |v| v == 0.0)),
        ..both(
            "paste, bytes lost",
            "paste_lost_bytes",
            "paste_lost_bytes_native",
            0,
        )
    },
    both(
        "paste, bytes/s",
        "paste_bytes_per_s",
        "paste_bytes_per_s_native",
        0,
    ),
    Row {
        target: Some((">= 0.8", |v| v >= 0.8)),
        ..plain("paste ratio (VM/native)", "paste_ratio", 2)
    },
    Row {
        target: Some(("<= 2", |v| v <= 2.0)),
        ..plain("key latency ratio (VM/native)", "key_latency_ratio", 2)
    },
    plain("output (bytes)", "output_bytes", 0),
    Row {
        target: Some(("0", |v| v == 0.0)),
        ..both(
            "output, bytes lost",
            "output_lost_bytes",
            "output_lost_bytes_native",
            0,
        )
    },
    both(
        "output, bytes/s",
        "output_bytes_per_s",
        "output_bytes_per_s_native",
        0,
    ),
    Row {
        target: Some((">= 0.5", |v| v >= 0.5)),
        ..plain("output ratio (VM/native)", "output_ratio", 2)
    },
    Row {
        target: Some(("0", |v| v == 0.0)),
        ..plain(
            "output, least trap, bytes lost",
            "output_lost_bytes_floor",
            0,
        )
    },
    plain("output, least trap, bytes/s", "output_bytes_per_s_floor", 0),
    plain("output ratio, least trap/native", "output_ratio_floor", 2),
    plain("output, VM/least trap", "output_share_of_floor", 2),
    both(
        "CPU workload (ticks)",
        "cpu_ticks_vm",
        "cpu_ticks_native",
        0,
    ),
    Row {
        target: Some((">= 0.97", |v| v >= 0.97)),
        ..plain("CPU ratio alone (native/VM)", "cpu_ratio_alone", 3)
    },
    plain(
        "CPU ratio alone, host CPU time",
        "cpu_ratio_alone_host_cpu",
        3,
    ),
    Row {
        target: Some(("<= 0.05", |v| v <= 0.05)),
        ..plain("fair share, max deviation (vml)", "fair_share_max_dev", 3)
    },
    Row {
        target: Some(("<= 0.05", |v| v <= 0.05)),
        ..plain(
            "fair share, max dev. (progress)",
            "fair_share_max_dev_progress",
            3,
        )
    },
    plain("host cores QEMU can use", "host_cores", 0),
    both(
        "host cores QEMU got, cores 1-3/one",
        "host_cores_used_spread",
        "host_cores_used_one_core",
        2,
    ),
    Row {
        at_least: Some("parallel_speedup_target"),
        ..plain("parallel speedup, cores 1-3/one", "parallel_speedup", 2)
    },
    plain(
        "parallel speedup per host core QEMU got",
        "parallel_speedup_per_host_core",
        2,
    ),
    both(
        "HVC round trip, median (ticks)",
        "hvc_round_trip_ticks",
        "hvc_round_trip_ticks_native",
        0,
    ),
    both(
        "HVC round trip, p99 (ticks)",
        "hvc_round_trip_ticks_p99",
        "hvc_round_trip_ticks_native_p99",
        0,
    ),
    both(
        "MMIO round trip, median",
        "mmio_round_trip_ticks",
        "mmio_round_trip_ticks_native",
        0,
    ),
    both(
        "MMIO round trip, p99",
        "mmio_round_trip_ticks_p99",
        "mmio_round_trip_ticks_native_p99",
        0,
    ),
    both(
        "timer IRQ latency, median",
        "timer_irq_latency_ticks",
        "timer_irq_latency_ticks_native",
        0,
    ),
    both(
        "timer IRQ latency, p99",
        "timer_irq_latency_ticks_p99",
        "timer_irq_latency_ticks_native_p99",
        0,
    ),
    both(
        "timer IRQ latency from WFI, median",
        "wfi_timer_irq_latency_ticks",
        "wfi_timer_irq_latency_ticks_native",
        0,
    ),
    both(
        "timer IRQ latency from WFI, p99",
        "wfi_timer_irq_latency_ticks_p99",
        "wfi_timer_irq_latency_ticks_native_p99",
        0,
    ),
    Row {
        target: Some(("<= 150", |v| v <= 150.0)),
        ..both(
            "HVC round trip (instructions)",
            "hvc_round_trip_instructions",
            "hvc_round_trip_instructions_native",
            0,
        )
    },
    Row {
        target: Some(("<= 300", |v| v <= 300.0)),
        ..both(
            "MMIO round trip (instructions)",
            "mmio_round_trip_instructions",
            "mmio_round_trip_instructions_native",
            0,
        )
    },
    both(
        "timer IRQ latency (instructions)",
        "timer_irq_latency_instructions",
        "timer_irq_latency_instructions_native",
        0,
    ),
    plain(
        "CPU ratio alone (instructions)",
        "cpu_ratio_alone_icount",
        4,
    ),
    plain(
        "image without guests (bytes)",
        "image_bytes_without_guests",
        0,
    ),
    plain("hypervisor RAM (bytes)", "hypervisor_ram_bytes", 0),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's row of figure `label`.
    fn row<'a>(table: &'a str, label: &str) -> &'a str {
        table
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row {label} in:\n{table}"))
    }

    fn with_speedups(speedups: &[f64], host_cores: usize) -> Results {
        Results {
            parallel: Some(Parallel {
                speedups: speedups.to_vec(),
                host_used_together: vec![1.0; speedups.len()],
                host_used_spread: vec![2.0; speedups.len()],
                host_cores,
            }),
            ..Results::default()
        }
    }

    #[test]
    fn the_parallel_speedup_is_held_to_the_hosts_cores() {
        let two = with_speedups(&[1.2, 1.9, 1.8], 2);
        assert_eq!(two.get("parallel_speedup"), Some(1.8));
        assert_eq!(two.get("parallel_speedup_target"), Some(1.5));
        let table = two.table();
        let speedup = row(&table, "parallel speedup");
        assert!(
            speedup.contains(">= 1.50") && speedup.ends_with("yes"),
            "{speedup}"
        );
        assert!(row(&table, "host cores").contains(" 2 "), "{table}");
        let eight = with_speedups(&[1.2, 1.9, 1.8], 8);
        let table = eight.table();
        let speedup = row(&table, "parallel speedup");
        assert!(
            speedup.contains(">= 2.25") && speedup.ends_with("NO"),
            "{speedup}"
        );
        assert!(eight
            .json()
            .contains("\"parallel_speedups\": [1.2000, 1.9000, 1.8000],"));
    }

    #[test]
    fn a_row_without_a_figure_has_no_verdict() {
        let table = Results::default().table();
        assert!(
            row(&table, "parallel speedup").trim_end().ends_with("-"),
            "{table}"
        );
    }
}
