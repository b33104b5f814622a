//! A VM's memory as its own CPU sees it, for the hypervisor: guest
//! physical addresses (its RAM through the hypervisor's mapping of it, as
//! stage 2 maps it: IPA 0 up) and guest virtual addresses (through a
//! software walk of the guest's stage-1 tables, `vm::stage1`, with the
//! translation registers where they are now: live if the VM is loaded,
//! saved otherwise).
//!
//! Every read goes through [`Cpu::read_ram_u32`], which invalidates the
//! hypervisor's cached copy first, and every write through
//! [`Cpu::write_ram_u32`], which cleans it to RAM after: a guest that runs
//! with its caches off reads and writes RAM itself, and must see, and be
//! seen, the same. The decoding of MMIO accesses (`vm::emulate`) uses it
//! to fetch an instruction; a debugger reading a guest's memory would too
//! ([`read_virtual`], [`translate`], [`write`]).

use super::config::VmConfig;
use super::cpu::Cpu;
use super::guest::Vm;
use super::stage1::{self, AccessKind, GuestPhysical, Regime, Stage1Fault, Translation};

/// Bytes of the words RAM is read and written in.
const WORD_BYTES: u64 = 4;
/// Bits of a word.
const WORD_BITS: u32 = 32;
/// A page of the 4 KiB granule: the unit stage 1 maps.
const PAGE_BYTES: u64 = 4096;

// ANCHOR: guest_ram
/// One VM's RAM, read through the hypervisor's mapping.
pub struct GuestRam<'a, C: Cpu> {
    cpu: &'a C,
    config: &'static VmConfig,
}

impl<'a, C: Cpu> GuestRam<'a, C> {
    /// The RAM of `vm` (a configured VM).
    pub fn of(vm: &Vm, cpu: &'a C) -> Option<Self> {
        Some(Self {
            cpu,
            config: vm.config?,
        })
    }

    /// The aligned word at `ipa`, if it is RAM.
    pub fn read_u32(&self, ipa: u64) -> Option<u32> {
        let host = host_word(self.config, ipa)?;
        // SAFETY: `host_word` checked the word is inside the VM's RAM,
        // which the hypervisor maps and nobody frees while the VM exists.
        Some(unsafe { self.cpu.read_ram_u32(host) })
    }

    /// Fill `bytes` from RAM at `ipa`, any alignment; false (and nothing
    /// read) if any byte is not RAM.
    pub fn read(&self, ipa: u64, bytes: &mut [u8]) -> bool {
        if !is_ram(self.config, ipa, bytes.len()) {
            return false;
        }
        for (i, byte) in bytes.iter_mut().enumerate() {
            let at = ipa + i as u64;
            let word = self.read_u32(at & !(WORD_BYTES - 1)).unwrap_or(0);
            *byte = (word >> byte_shift(at)) as u8;
        }
        true
    }
}

impl<C: Cpu> GuestPhysical for GuestRam<'_, C> {
    fn read_u64(&self, ipa: u64) -> Option<u64> {
        let low = self.read_u32(ipa)?;
        let high = self.read_u32(ipa.checked_add(WORD_BYTES)?)?;
        Some(u64::from(low) | u64::from(high) << WORD_BITS)
    }
}

/// Write `bytes` to the RAM of the VM with `config` at `ipa`, any
/// alignment, word by word (read, merge, write); false (and nothing
/// written) if any byte is not RAM.
pub fn write(cpu: &mut impl Cpu, config: &VmConfig, ipa: u64, bytes: &[u8]) -> bool {
    if !is_ram(config, ipa, bytes.len()) {
        return false;
    }
    for (i, &byte) in bytes.iter().enumerate() {
        let at = ipa + i as u64;
        let Some(host) = host_word(config, at & !(WORD_BYTES - 1)) else {
            return false;
        };
        let shift = byte_shift(at);
        // SAFETY: `host_word` checked the word is this VM's RAM.
        let word = unsafe { cpu.read_ram_u32(host) };
        let word = (word & !(0xff << shift)) | u32::from(byte) << shift;
        // SAFETY: as above.
        unsafe { cpu.write_ram_u32(host, word) };
    }
    true
}
// ANCHOR_END: guest_ram

// ANCHOR: virtual
/// The VM's stage-1 translation registers, where they are now.
pub fn regime(vm: &Vm, cpu: &impl Cpu) -> Regime {
    let el1 = vm.el1_now(cpu);
    Regime {
        sctlr: el1.sctlr,
        tcr: el1.tcr,
        ttbr0: el1.ttbr0,
        ttbr1: el1.ttbr1,
        mair: el1.mair,
    }
}

/// Translate the guest virtual address `va` for `access` as the VM's own
/// stage 1 does.
pub fn translate(
    vm: &Vm,
    cpu: &impl Cpu,
    va: u64,
    access: AccessKind,
) -> Result<Translation, Stage1Fault> {
    let ram = GuestRam::of(vm, cpu).ok_or(Stage1Fault::WalkOutsideRam(0))?;
    stage1::translate(&regime(vm, cpu), &ram, va, access)
}

/// Why a guest virtual address could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// Stage 1 does not map it so.
    Stage1(Stage1Fault),
    /// It maps it to this IPA, which is not the VM's RAM.
    NotRam(u64),
}

/// The aligned word at guest virtual address `va`, read as the guest at
/// EL0 (`el0`) or EL1 would load it.
pub fn read_virtual_u32(vm: &Vm, cpu: &impl Cpu, va: u64, el0: bool) -> Result<u32, ReadError> {
    let access = AccessKind { write: false, el0 };
    let ipa = translate(vm, cpu, va, access)
        .map_err(ReadError::Stage1)?
        .ipa;
    GuestRam::of(vm, cpu)
        .and_then(|ram| ram.read_u32(ipa))
        .ok_or(ReadError::NotRam(ipa))
}

/// Fill `bytes` from guest virtual address `va`, as the guest at EL0
/// (`el0`) or EL1 would read them: each page translated on its own. On an
/// error, the bytes before the failing page are filled.
pub fn read_virtual(
    vm: &Vm,
    cpu: &impl Cpu,
    va: u64,
    bytes: &mut [u8],
    el0: bool,
) -> Result<(), ReadError> {
    let access = AccessKind { write: false, el0 };
    let ram = GuestRam::of(vm, cpu).ok_or(ReadError::NotRam(0))?;
    let mut done = 0;
    while done < bytes.len() {
        let at = va.wrapping_add(done as u64);
        let in_page = (PAGE_BYTES - at % PAGE_BYTES) as usize;
        let chunk = in_page.min(bytes.len() - done);
        let ipa = translate(vm, cpu, at, access)
            .map_err(ReadError::Stage1)?
            .ipa;
        if !ram.read(ipa, &mut bytes[done..done + chunk]) {
            return Err(ReadError::NotRam(ipa));
        }
        done += chunk;
    }
    Ok(())
}
// ANCHOR_END: virtual

/// Whether `len` bytes at `ipa` are all RAM of the VM.
fn is_ram(config: &VmConfig, ipa: u64, len: usize) -> bool {
    ipa.checked_add(len as u64)
        .is_some_and(|end| end <= config.ram)
}

/// The host address of the aligned word of RAM at `ipa`, if it is one.
fn host_word(config: &VmConfig, ipa: u64) -> Option<u64> {
    (ipa.is_multiple_of(WORD_BYTES) && is_ram(config, ipa, WORD_BYTES as usize))
        .then(|| config.host_base + ipa)
}

/// Where the byte at `at` sits in its little-endian word.
fn byte_shift(at: u64) -> u32 {
    (at % WORD_BYTES) as u32 * u8::BITS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::fake_cpu::FakeCpu;
    use std::boxed::Box;

    const RAM: u64 = 0x10_0000;
    const HOST_BASE: u64 = 0x2000_0000;

    fn vm() -> Vm {
        let config = Box::leak(Box::new(VmConfig {
            name: "t",
            image: &[],
            load: 0,
            entry: 0,
            ram: RAM,
            cpu: 0,
            host_base: HOST_BASE,
            blobs: &[],
            boot_x0: 0,
            weight: 1,
        }));
        let mut vm = Vm::empty();
        vm.config = Some(config);
        vm
    }

    #[test]
    fn bytes_in_and_out_of_ram_at_any_alignment() {
        let vm = vm();
        let mut cpu = FakeCpu::at(0);
        let config = vm.config.unwrap();
        assert!(write(&mut cpu, config, 0x1003, &[1, 2, 3, 4, 5, 6]));
        assert_eq!(cpu.word(HOST_BASE + 0x1000), 0x0100_0000);
        assert_eq!(cpu.word(HOST_BASE + 0x1004), 0x0504_0302);
        assert_eq!(cpu.word(HOST_BASE + 0x1008), 0x06);
        let mut back = [0; 6];
        assert!(GuestRam::of(&vm, &cpu).unwrap().read(0x1003, &mut back));
        assert_eq!(back, [1, 2, 3, 4, 5, 6]);
        // The last bytes of RAM, and one beyond: nothing happens.
        assert!(!write(&mut cpu, config, RAM - 2, &[9, 9, 9]));
        assert_eq!(cpu.word(HOST_BASE + RAM - 4), 0);
        assert!(!GuestRam::of(&vm, &cpu)
            .unwrap()
            .read(RAM - 1, &mut back[..2]));
    }

    #[test]
    fn a_virtual_read_of_several_bytes_translates_each_page() {
        let vm = vm();
        let mut cpu = FakeCpu::at(0);
        let config = vm.config.unwrap();
        write(&mut cpu, config, 0xffe, &[1, 2, 3, 4]);
        let mut bytes = [0; 4];
        // MMU off: straight through, across the page boundary.
        assert_eq!(read_virtual(&vm, &cpu, 0xffe, &mut bytes, false), Ok(()));
        assert_eq!(bytes, [1, 2, 3, 4]);
        // Running off the end of RAM: the page that is not RAM is named.
        let mut bytes = [0; 8];
        assert_eq!(
            read_virtual(&vm, &cpu, RAM - 4, &mut bytes, false),
            Err(ReadError::NotRam(RAM))
        );
    }

    #[test]
    fn a_virtual_read_walks_the_saved_or_live_tables() {
        let mut vm = vm();
        let mut cpu = FakeCpu::at(0);
        let config = vm.config.unwrap();
        write(&mut cpu, config, 0x8_0000, &0xd503_201fu32.to_le_bytes());
        // MMU off (saved state): the address is the IPA.
        assert_eq!(
            read_virtual_u32(&vm, &cpu, 0x8_0000, false),
            Ok(0xd503_201f)
        );
        assert_eq!(
            read_virtual_u32(&vm, &cpu, 0x3f00_0000, false),
            Err(ReadError::NotRam(0x3f00_0000))
        );
        // Loaded, with the MMU on and no valid descriptor at 0: the live
        // registers count, not the saved copy.
        vm.loaded = true;
        cpu.el1.sctlr = 1;
        cpu.el1.tcr = 25 | 2 << 30;
        assert_eq!(
            read_virtual_u32(&vm, &cpu, 0x8_0000, false),
            Err(ReadError::Stage1(Stage1Fault::Translation(1)))
        );
    }
}
