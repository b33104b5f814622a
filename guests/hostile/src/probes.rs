//! The probes: one function per way of misbehaving. Each says what it is
//! about to do, does it with the exact instruction named (inline assembly,
//! so the compiler cannot change the access), and, if it comes back,
//! reports what happened.
//!
//! The book chapter `book/src/isolation.md` explains, probe by probe, which
//! exception each one raises, whether that exception reaches the hypervisor
//! at EL2 or stays with this guest at EL1, and what ferrovisor does about it.

use crate::exception;
use crate::targets::{
    ABSENT_DEVICES, AUX_MU_SCRATCH, KERNEL_LOAD_ADDRESS, PERIPHERAL_BASE, SYSTEM_TIMER_C1,
    SYSTEM_TIMER_CLO,
};
use core::arch::asm;
use raspi3b::irq::AUX;
use rt::board::{BOOT_CORE, INTERRUPT_CONTROLLER, LOCAL_INTC, UART};
use rt::cpu;

// ANCHOR: outside_ram
/// `r`: load from the first address past the end of RAM. Stage 2 maps
/// nothing there: the load is a stage-2 data abort (EC 0x24) at EL2.
pub fn load_past_ram(ram_end: u64) {
    say!(
        "r: ldr from {:#x}, the first address past the end of RAM",
        ram_end
    );
    let value: u64;
    // SAFETY: deliberately not safe: there is no memory at `ram_end`; under
    // ferrovisor this VM stops here.
    unsafe { asm!("ldr {v}, [{a}]", a = in(reg) ram_end, v = out(reg) value, options(nostack)) };
    say!("r: read {:#x} past the end of RAM: NOT STOPPED", value);
}

/// What the stores write: recognisable, should it ever land somewhere.
const STORE_MARKER: u64 = 0x0bad_0bad_0bad_0bad;

/// `w`: store to the first address past the end of RAM.
pub fn store_past_ram(ram_end: u64) {
    say!(
        "w: str to {:#x}, the first address past the end of RAM",
        ram_end
    );
    let value: u64 = STORE_MARKER;
    // SAFETY: as in `load_past_ram`.
    unsafe { asm!("str {v}, [{a}]", a = in(reg) ram_end, v = in(reg) value, options(nostack)) };
    say!("w: stored past the end of RAM: NOT STOPPED");
}
// ANCHOR_END: outside_ram

/// The first instruction of `boot.s`, `mrs x0, mpidr_el1`.
const MRS_X0_MPIDR_EL1: u32 = 0xd538_00a0;

// ANCHOR: hypervisor_image
/// `h`: look for the hypervisor. Its image is at host physical 0x80000,
/// but this guest's 0x80000 is its own image; then store to RAM end +
/// 0x80000, where a guest that thought the host's memory continued after
/// its RAM would look for it.
pub fn store_to_hypervisor(ram_end: u64) {
    // SAFETY: KERNEL_LOAD_ADDRESS is this guest's own image, in its RAM.
    let word = unsafe { core::ptr::read_volatile(KERNEL_LOAD_ADDRESS as *const u32) };
    let whose = if word == MRS_X0_MPIDR_EL1 {
        "this guest's own first instruction, not ferrovisor's"
    } else {
        "not this guest's first instruction"
    };
    say!(
        "h: IPA {:#x} holds {:#x}: {}",
        KERNEL_LOAD_ADDRESS,
        word,
        whose
    );
    let target = ram_end + KERNEL_LOAD_ADDRESS as u64;
    say!(
        "h: str to {:#x}: ferrovisor's image if host memory followed this RAM",
        target
    );
    // SAFETY: deliberately not safe, as in `load_past_ram`.
    unsafe { asm!("str xzr, [{a}]", a = in(reg) target, options(nostack)) };
    say!("h: stored at {:#x}: NOT STOPPED", target);
}
// ANCHOR_END: hypervisor_image

// ANCHOR: absent
/// `a`: read (and write) devices the virtual board does not have. They
/// must read as 0, never fault or hang.
pub fn absent_devices() {
    for (name, address) in ABSENT_DEVICES {
        let value: u32;
        // SAFETY: an MMIO read of a device register; on a real Pi 3 these
        // registers exist and reading them has no side effect.
        unsafe {
            asm!("ldr {v:w}, [{a}]", a = in(reg) address, v = out(reg) value, options(nostack))
        };
        say!("a: ldr from {:#x} ({}): {:#x}", address, name, value);
    }
    let (name, address) = ABSENT_DEVICES[2];
    // SAFETY: writing all ones to the PWM's control register would start
    // both channels on a real Pi 3, with no pin routed to them.
    unsafe {
        asm!("str {v:w}, [{a}]", a = in(reg) address, v = in(reg) u32::MAX, options(nostack))
    };
    say!(
        "a: str {:#x} to {:#x} ({}): ignored",
        u32::MAX,
        address,
        name
    );
    say!("a: still running");
}
// ANCHOR_END: absent

// ANCHOR: no_syndrome
/// `p`: a load pair from device registers. ESR_EL2 describes single
/// loads and stores only (ISV = 1); for `ldp` ISV is 0, and ferrovisor
/// reads the instruction to learn which two registers to fill. A plain
/// `ldr` of CLO after it must read no less than the pair did.
pub fn load_pair_from_device() {
    say!(
        "p: ldp (load pair) from {:#x} (system timer CLO, CHI)",
        SYSTEM_TIMER_CLO
    );
    let (low, high, again): (u32, u32, u32);
    // SAFETY: reading the system timer's counter (CLO, then CHI) has no
    // side effect.
    unsafe {
        asm!(
            "ldp {a:w}, {b:w}, [{p}]",
            "ldr {c:w}, [{p}]",
            p = in(reg) SYSTEM_TIMER_CLO,
            a = out(reg) low,
            b = out(reg) high,
            c = out(reg) again,
            options(nostack)
        )
    };
    say!(
        "p: ldp read CLO {:#x} CHI {:#x}; ldr CLO then {:#x}",
        low,
        high,
        again
    );
}

/// `x`: a store with writeback (pre-indexed) to a device register: ISV is
/// 0 for these too, since the base register changes as well. A plain
/// `ldr` reads back what the store left in the register.
pub fn writeback_store_to_device() {
    say!(
        "x: str with writeback, [xN, #4]!, to {:#x} (AUX_MU_SCRATCH)",
        AUX_MU_SCRATCH
    );
    let mut base = AUX_MU_SCRATCH - 4;
    let back: u32;
    // SAFETY: the scratch register is the mini UART's spare byte.
    unsafe {
        asm!(
            "str {v:w}, [{p}, #4]!",
            "ldr {r:w}, [{p}]",
            p = inout(reg) base,
            v = in(reg) STORE_MARKER as u32,
            r = out(reg) back,
            options(nostack)
        )
    };
    say!(
        "x: stored, base now {:#x}; AUX_MU_SCRATCH reads {:#x}",
        base,
        back
    );
}

/// `q`: SIMD&FP registers to and from device registers (ISV = 0): `str q0`
/// as two 64-bit halves to the system timer's compare registers C1-C3
/// (the fourth word is past them), then an `ldp` of two S registers from
/// C1 and C2, and a plain `ldr` of C3.
pub fn simd_to_device() {
    say!(
        "q: str q0 to {:#x} (system timer C1-C3), ldp s1, s2 and ldr back",
        SYSTEM_TIMER_C1
    );
    let (s1, s2, c3): (u32, u32, u32);
    // SAFETY: the compare registers only raise an interrupt if the
    // interrupt controller enables it, which this guest does not. The
    // assembler is told the core has FP and SIMD (the A53 does; the
    // softfloat target only keeps the compiler from using them).
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            "fmov d0, {low}",
            "mov v0.d[1], {high}",
            "str q0, [{p}]",
            "ldp s1, s2, [{p}]",
            "fmov {a:w}, s1",
            "fmov {b:w}, s2",
            "ldr {c:w}, [{p}, #8]",
            p = in(reg) SYSTEM_TIMER_C1,
            low = in(reg) Q_MARKER_LOW,
            high = in(reg) Q_MARKER_HIGH,
            a = out(reg) s1,
            b = out(reg) s2,
            c = out(reg) c3,
            out("v0") _,
            out("v1") _,
            out("v2") _,
            options(nostack)
        )
    };
    say!(
        "q: ldp s1, s2 read {:#x} {:#x}; ldr C3 reads {:#x}",
        s1,
        s2,
        c3
    );
}

/// What `q` stores: C1 = 0x11111111, C2 = 0x22222222, C3 = 0x33333333.
const Q_MARKER_LOW: u64 = 0x2222_2222_1111_1111;
const Q_MARKER_HIGH: u64 = 0x0000_0000_3333_3333;
// ANCHOR_END: no_syndrome

// ANCHOR: fetch
/// `j`: jump into the peripheral window: an instruction fetch from MMIO.
/// Stage 2 maps the window as nothing at all (every access traps), so the
/// fetch is a stage-2 instruction abort (EC 0x20).
pub fn jump_into_devices() {
    say!(
        "j: br {:#x}: execute the peripheral window",
        PERIPHERAL_BASE
    );
    // SAFETY: deliberately not safe: there is no code there.
    unsafe { asm!("br {t}", t = in(reg) PERIPHERAL_BASE, options(noreturn, nostack)) }
}

/// TCR_EL1 for the page-table probe: 4 GiB of VA through TTBR0 (T0SZ =
/// 32), 4 KiB granule, non-cacheable walks, no TTBR1 walks (EPD1).
const TCR_EL1_T0SZ_4GIB: u64 = 32;
const TCR_EL1_EPD1: u64 = 1 << 23;
/// SCTLR_EL1.M: the stage-1 MMU.
const SCTLR_EL1_M: u64 = 1 << 0;

/// `t`: put the stage-1 translation tables in the peripheral window and
/// turn the MMU on. The next instruction fetch makes the CPU walk the
/// tables, and the walk itself hits stage 2: an abort with S1PTW set.
pub fn page_tables_in_devices() {
    say!(
        "t: TTBR0_EL1 = {:#x} (tables in the peripheral window), MMU on",
        PERIPHERAL_BASE
    );
    // SAFETY: deliberately not safe: there are no tables there.
    unsafe {
        asm!(
            "msr ttbr0_el1, {table}",
            "msr tcr_el1, {tcr}",
            "isb",
            "mrs {tmp}, sctlr_el1",
            "orr {tmp}, {tmp}, {m}",
            "msr sctlr_el1, {tmp}",
            "isb",
            table = in(reg) PERIPHERAL_BASE,
            tcr = in(reg) TCR_EL1_T0SZ_4GIB | TCR_EL1_EPD1,
            m = in(reg) SCTLR_EL1_M,
            tmp = out(reg) _,
            options(nostack),
        )
    };
    say!("t: MMU on with tables in MMIO: NOT STOPPED");
}
// ANCHOR_END: fetch

// ANCHOR: undefined
/// `u`: an undefined instruction. The CPU takes it to this guest's own EL1
/// vector (HCR_EL2 does not route it anywhere else): the handler in
/// `exception.rs` reports it and steps over it.
pub fn undefined_instruction() {
    say!("u: udf #0");
    // SAFETY: the EL1 handler steps over it.
    unsafe { asm!("udf #0", options(nostack)) };
    exception::take_undefined();
    say!("u: still running");
}

/// Bytes of the vector table's first half (current EL, SP_EL0 and SP_EL1).
const VECTOR_TABLE_BYTES: u64 = 0x800;

/// `v`: an undefined instruction with VBAR_EL1 = 0 and zeros there (0 is
/// `udf #0`): each exception's handler is itself undefined, for ever. All
/// of it happens at EL1; ferrovisor only sees a busy VM.
pub fn undefined_without_vectors() -> ! {
    say!("v: zero 0x0-0x800, VBAR_EL1 = 0, udf #0: faults for ever at EL1");
    // SAFETY: deliberately not safe: this guest's exception handling is
    // gone for good; IPA 0-0x800 is its own (unused) RAM.
    unsafe {
        asm!(
            // {p} starts at 0; it may change: this never returns.
            "2:",
            "stp xzr, xzr, [{p}], #16",
            "cmp {p}, {end}",
            "b.lo 2b",
            "msr vbar_el1, xzr",
            "isb",
            "udf #0",
            p = in(reg) 0u64,
            end = in(reg) VECTOR_TABLE_BYTES,
            options(noreturn, nostack),
        )
    }
}
// ANCHOR_END: undefined

/// Print one system register probe's outcome: its value, or that it was
/// undefined at EL1 (the handler has printed that already).
fn sysreg_result(what: &str, value: u64) {
    if !exception::take_undefined() {
        say!("s: {} = {:#x}", what, value);
    }
}

// ANCHOR: sysregs
/// `s`: system registers. Which of these reach EL2 depends on the trap
/// bits ferrovisor sets (HCR_EL2, CNTHCTL_EL2); see the book.
pub fn system_registers() {
    exception::take_undefined();
    let value: u64;
    // SAFETY: reading the counter has no side effect.
    unsafe { asm!("mrs {v}, cntpct_el0", v = out(reg) value, options(nostack)) };
    sysreg_result("mrs cntpct_el0 (trapped: CNTHCTL_EL2.EL1PCTEN = 0)", value);

    let value: u64;
    // SAFETY: ACTLR_EL1 is trapped (HCR_EL2.TACR): writes are ignored.
    unsafe {
        asm!("msr actlr_el1, {all}", "mrs {v}, actlr_el1", all = in(reg) u64::MAX, v = out(reg) value, options(nostack))
    };
    sysreg_result(
        "msr actlr_el1, all ones; mrs actlr_el1 (trapped: HCR_EL2.TACR)",
        value,
    );

    let value: u64;
    // SAFETY: reading CPUECTLR_EL1 has no side effect.
    unsafe { asm!("mrs {v}, s3_1_c15_c2_1", v = out(reg) value, options(nostack)) };
    sysreg_result(
        "mrs CPUECTLR_EL1 (implementation defined: HCR_EL2.TIDCP)",
        value,
    );

    let value: u64;
    say!("s: mrs hcr_el2: an EL2 register, UNDEFINED at EL1");
    // SAFETY: undefined at EL1: the handler steps over it.
    unsafe { asm!("mrs {v}, hcr_el2", v = out(reg) value, options(nostack)) };
    sysreg_result("mrs hcr_el2", value);

    say!("s: sys #0, c15, c0, #0: an implementation defined instruction no Cortex-A53 has");
    // SAFETY: trapped to EL2 (HCR_EL2.TIDCP) where the CPU implements the
    // trap, undefined at EL1 otherwise (the handler steps over it).
    unsafe { asm!("sys #0, c15, c0, #0, xzr", options(nostack)) };
    if !exception::take_undefined() {
        say!("s: sys #0, c15, c0, #0: executed");
    }
    say!("s: still running");
}
// ANCHOR_END: sysregs

// ANCHOR: debug_pmu
/// `d`: debug and OS-lock registers. MDCR_EL2.TDA/TDOSA trap every one of
/// them to EL2, where ferrovisor keeps them per VM: the OS lock is set out
/// of reset and OSLAR clears it, MDSCR_EL1 keeps what is written, and a
/// breakpoint control register takes the write but never reaches the CPU.
pub fn debug_registers() {
    exception::take_undefined();
    let (locked, unlocked, mdscr, bcr0): (u64, u64, u64, u64);
    // SAFETY: the OS lock, MDSCR_EL1 (MDE only: with KDE clear no debug
    // exception is taken at EL1) and breakpoint 0 (enabled, at address 0,
    // never reached with debug exceptions off) affect nothing else here.
    unsafe {
        asm!(
            "mrs {locked}, oslsr_el1",
            "msr oslar_el1, xzr",
            "mrs {unlocked}, oslsr_el1",
            "msr mdscr_el1, {mde}",
            "mrs {mdscr}, mdscr_el1",
            "msr dbgbvr0_el1, xzr",
            "msr dbgbcr0_el1, {enable}",
            "mrs {bcr0}, dbgbcr0_el1",
            "msr mdscr_el1, xzr",
            mde = in(reg) MDSCR_MDE,
            enable = in(reg) DBGBCR_ENABLED,
            locked = out(reg) locked,
            unlocked = out(reg) unlocked,
            mdscr = out(reg) mdscr,
            bcr0 = out(reg) bcr0,
            options(nostack)
        )
    };
    if !exception::take_undefined() {
        say!(
            "d: oslsr_el1 = {:#x}, after oslar_el1 = 0: {:#x}",
            locked,
            unlocked
        );
        say!("d: mdscr_el1 after writing {:#x}: {:#x}", MDSCR_MDE, mdscr);
        say!(
            "d: dbgbcr0_el1 after writing {:#x}: {:#x}",
            DBGBCR_ENABLED,
            bcr0
        );
    }
    say!("d: still running");
}

/// MDSCR_EL1.MDE (bit 15): monitor debug events.
const MDSCR_MDE: u64 = 1 << 15;
/// DBGBCR0_EL1: E (bit 0), PMC = EL1 and EL0 (bits 2:1), BAS = all (8:5).
const DBGBCR_ENABLED: u64 = 0x1e7;

/// `m`: the performance monitors. MDCR_EL2.TPM/TPMCR trap them to EL2:
/// this VM sees ferrovisor's PMU (an A53's, with no event counters), never
/// the CPU's real counters. An event counter it does not have is
/// UNDEFINED: ferrovisor makes this guest take that at its own EL1 vector.
pub fn performance_monitors() {
    exception::take_undefined();
    let (pmcr, cycles): (u64, u64);
    // SAFETY: reading the PMU has no side effect.
    unsafe {
        asm!(
            "mrs {pmcr}, pmcr_el0",
            "mrs {cycles}, pmccntr_el0",
            pmcr = out(reg) pmcr,
            cycles = out(reg) cycles,
            options(nostack)
        )
    };
    if !exception::take_undefined() {
        say!(
            "m: pmcr_el0 = {:#x} (N = {})",
            pmcr,
            (pmcr >> PMCR_N_SHIFT) & PMCR_N_MASK
        );
        say!("m: pmccntr_el0 = {:#x}", cycles);
    }
    say!("m: mrs pmevcntr0_el0, an event counter N = 0 says is not there");
    let value: u64;
    // SAFETY: undefined for this VM: its EL1 handler steps over it.
    unsafe { asm!("mrs {v}, pmevcntr0_el0", v = out(reg) value, options(nostack)) };
    if exception::take_undefined() {
        say!("m: pmevcntr0_el0 was UNDEFINED; this guest's handler ran");
    } else {
        say!("m: pmevcntr0_el0 = {:#x}", value);
    }
    say!("m: still running");
}

/// PMCR_EL0.N, bits [15:11]: the number of event counters.
const PMCR_N_SHIFT: u64 = 11;
const PMCR_N_MASK: u64 = 0x1f;
// ANCHOR_END: debug_pmu

// ANCHOR: calls
/// SMCCC function ids (Arm DEN 0028) and PSCI (Arm DEN 0022).
const SMCCC_VERSION: u64 = 0x8000_0000;
const PSCI_VERSION: u64 = 0x8400_0000;
const PSCI_FEATURES: u64 = 0x8400_000a;
const PSCI_SYSTEM_RESET: u64 = 0x8400_0009;
/// A PSCI function id PSCI 1.1 does not define.
const PSCI_UNDEFINED: u64 = 0x8400_00ff;
/// A "SiP service" (silicon vendor) call: nobody here provides one.
const SIP_SERVICE_CALL: u64 = 0xc200_0000;
/// A value with the SMC32 id of PSCI_VERSION in its low half: SMCCC says
/// bits 63:32 of a 32-bit call's id are ignored.
const PSCI_VERSION_HIGH_JUNK: u64 = 0xdead_beef_8400_0000;

/// Which call instruction a probe uses.
#[derive(Clone, Copy)]
enum Conduit {
    Hvc,
    Smc,
}

/// Make an SMCCC call through `conduit` with function id `function` and
/// one argument; the result is x0.
fn call(conduit: Conduit, function: u64, argument: u64) -> u64 {
    let result: u64;
    // SAFETY: SMCCC calls: x0-x17 may change; the hypervisor answers them.
    unsafe {
        match conduit {
            Conduit::Hvc => {
                asm!("hvc #0", inout("x0") function => result, in("x1") argument, clobber_abi("C"), options(nostack))
            }
            Conduit::Smc => {
                asm!("smc #0", inout("x0") function => result, in("x1") argument, clobber_abi("C"), options(nostack))
            }
        }
    }
    result
}

/// An SMCCC/PSCI return value in words.
fn meaning(result: u64) -> &'static str {
    match result as i64 {
        0 => "SUCCESS",
        -1 => "NOT_SUPPORTED",
        -2 => "INVALID_PARAMETERS",
        -3 => "DENIED",
        -4 => "ALREADY_ON",
        _ => "a version or a value",
    }
}

/// `c`: HVC and SMC calls, known and unknown.
pub fn calls() {
    let probes: [(Conduit, &str, u64, u64, &str); 7] = [
        (Conduit::Hvc, "hvc", PSCI_VERSION, 0, "PSCI_VERSION"),
        (
            Conduit::Hvc,
            "hvc",
            PSCI_FEATURES,
            PSCI_SYSTEM_RESET,
            "PSCI_FEATURES(SYSTEM_RESET)",
        ),
        (
            Conduit::Hvc,
            "hvc",
            PSCI_UNDEFINED,
            0,
            "an undefined PSCI function",
        ),
        (Conduit::Hvc, "hvc", SMCCC_VERSION, 0, "SMCCC_VERSION"),
        (
            Conduit::Hvc,
            "hvc",
            PSCI_VERSION_HIGH_JUNK,
            0,
            "PSCI_VERSION, junk in bits 63:32",
        ),
        (Conduit::Smc, "smc", PSCI_VERSION, 0, "PSCI_VERSION"),
        (
            Conduit::Smc,
            "smc",
            SIP_SERVICE_CALL,
            0,
            "a SiP service call",
        ),
    ];
    for (conduit, instruction, function, argument, name) in probes {
        let result = call(conduit, function, argument);
        say!(
            "c: {} x0={:#x} ({}): x0 = {:#x} ({})",
            instruction,
            function,
            name,
            result,
            meaning(result)
        );
    }
    say!("c: still running");
}
// ANCHOR_END: calls

// ANCHOR: forever
/// CNTV_CTL_EL0.ENABLE: the virtual timer runs, its interrupt unmasked.
const CNTV_CTL_ENABLE: u64 = 1 << 0;

/// `f`: WFI with every interrupt source off and masked: this VM sleeps
/// and nothing will ever wake it.
pub fn freeze() -> ! {
    say!("f: every interrupt off and masked, then wfi: asleep for ever");
    UART.disable_interrupts();
    INTERRUPT_CONTROLLER.disable(AUX);
    // SAFETY: switching this guest's own virtual timer off.
    unsafe { asm!("msr cntv_ctl_el0, xzr", options(nostack)) };
    cpu::halt()
}

/// `l`: spin with interrupts masked. Physical interrupts go to EL2
/// whatever PSTATE.I says (HCR_EL2.IMO), so ferrovisor still preempts it.
pub fn tight_loop() -> ! {
    say!("l: interrupts masked, then b . (a branch to itself)");
    cpu::mask_all();
    // SAFETY: an endless loop.
    unsafe { asm!("2: b 2b", options(noreturn, nostack)) }
}

/// `o`: print as fast as the UART takes it, for ever.
pub fn flood() -> ! {
    say!("o: printing as fast as possible, for ever");
    let mut line: u64 = 0;
    loop {
        line += 1;
        say!(
            "o: flood line {}: the quick brown fox jumps over the lazy dog",
            line
        );
    }
}

/// `i`: an interrupt storm. The virtual timer's compare value is in the
/// past and its interrupt is routed and unmasked, and the handler returns
/// without changing either: the IRQ is pending again at once, for ever.
pub fn interrupt_storm() -> ! {
    say!("i: virtual timer compare value 0 (the past), handler never clears it");
    UART.disable_interrupts();
    LOCAL_INTC.route_virtual_timer_to(BOOT_CORE);
    // SAFETY: this guest's own virtual timer; the IRQ handler is installed.
    unsafe {
        asm!(
            "msr cntv_cval_el0, xzr",
            "msr cntv_ctl_el0, {enable}",
            "isb",
            enable = in(reg) CNTV_CTL_ENABLE,
            options(nostack),
        )
    };
    cpu::enable_irqs();
    loop {
        core::hint::spin_loop();
    }
}
// ANCHOR_END: forever
