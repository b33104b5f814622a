//! Just enough of an ELF64 reader to size the hypervisor: its sections
//! (name, address, size) and the addresses of its symbols. Little-endian
//! only, as AArch64 and x86-64 executables are.

/// The start of every ELF file.
const MAGIC: &[u8; 4] = b"\x7fELF";
/// `e_ident[EI_CLASS]`: 64-bit objects.
const CLASS_64: u8 = 2;
/// `e_ident[EI_DATA]`: little-endian.
const DATA_LSB: u8 = 1;
/// Where the fields of the ELF header are.
const E_IDENT_CLASS: usize = 4;
const E_IDENT_DATA: usize = 5;
const E_SHOFF: usize = 0x28;
const E_SHENTSIZE: usize = 0x3a;
const E_SHNUM: usize = 0x3c;
const E_SHSTRNDX: usize = 0x3e;
/// Where the fields of a section header are.
const SH_NAME: usize = 0;
const SH_TYPE: usize = 4;
const SH_ADDR: usize = 16;
const SH_OFFSET: usize = 24;
const SH_SIZE: usize = 32;
const SH_LINK: usize = 40;
/// A section header's size.
const SECTION_HEADER_BYTES: usize = 64;
/// `sh_type` of the symbol table.
const SHT_SYMTAB: u32 = 2;
/// Where the fields of a symbol are, and its size.
const ST_NAME: usize = 0;
const ST_VALUE: usize = 8;
const SYMBOL_BYTES: usize = 24;

/// One section of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name, such as `.text`.
    pub name: String,
    /// Where it is loaded.
    pub address: u64,
    /// Its size in memory.
    pub size: u64,
}

/// The parts of an ELF file the size report needs.
#[derive(Debug, Default)]
pub struct Elf {
    /// Every section, in file order.
    pub sections: Vec<Section>,
    /// Every named symbol and its value.
    pub symbols: Vec<(String, u64)>,
}

impl Elf {
    /// The section called `name`, if there is one.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The value of the symbol called `name`, if there is one.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols
            .iter()
            .find_map(|(n, value)| (n == name).then_some(*value))
    }
}

/// Little-endian fields at byte offsets, with bounds checks.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn field<const N: usize>(&self, at: usize) -> Result<[u8; N], String> {
        at.checked_add(N)
            .and_then(|end| self.0.get(at..end))
            .map(|b| b.try_into().expect("N bytes"))
            .ok_or_else(|| format!("truncated file: {N} bytes at {at:#x}"))
    }
    fn u16(&self, at: usize) -> Result<usize, String> {
        Ok(u16::from_le_bytes(self.field(at)?) as usize)
    }
    fn u32(&self, at: usize) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.field(at)?))
    }
    fn u64(&self, at: usize) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.field(at)?))
    }
    fn offset(&self, at: usize) -> Result<usize, String> {
        usize::try_from(self.u64(at)?).map_err(|_| format!("offset at {at:#x} too large"))
    }
    /// The NUL-terminated string at `at` in the string table `table`.
    fn string(&self, table: &Section64, at: u32) -> Result<String, String> {
        let start = table.offset + at as usize;
        let bytes = self
            .0
            .get(start..table.offset + table.size)
            .ok_or_else(|| format!("string at {at:#x} outside its table"))?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }
}

/// A section header as stored.
struct Section64 {
    name: u32,
    kind: u32,
    address: u64,
    offset: usize,
    size: usize,
    link: usize,
}

/// Parse the section headers and the symbol table of an ELF64 file.
pub fn parse(file: &[u8]) -> Result<Elf, String> {
    let bytes = Bytes(file);
    if !file.starts_with(MAGIC)
        || file.get(E_IDENT_CLASS) != Some(&CLASS_64)
        || file.get(E_IDENT_DATA) != Some(&DATA_LSB)
    {
        return Err("not a little-endian ELF64 file".into());
    }
    let table = bytes.offset(E_SHOFF)?;
    let entry_size = bytes.u16(E_SHENTSIZE)?;
    if entry_size != SECTION_HEADER_BYTES {
        return Err(format!("unexpected section header size {entry_size}"));
    }
    let headers = (0..bytes.u16(E_SHNUM)?)
        .map(|i| {
            let at = table + i * SECTION_HEADER_BYTES;
            Ok(Section64 {
                name: bytes.u32(at + SH_NAME)?,
                kind: bytes.u32(at + SH_TYPE)?,
                address: bytes.u64(at + SH_ADDR)?,
                offset: bytes.offset(at + SH_OFFSET)?,
                size: bytes.offset(at + SH_SIZE)?,
                link: bytes.u32(at + SH_LINK)? as usize,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let names = headers
        .get(bytes.u16(E_SHSTRNDX)?)
        .ok_or("no section name table")?;
    let mut elf = Elf::default();
    for header in &headers {
        elf.sections.push(Section {
            name: bytes.string(names, header.name)?,
            address: header.address,
            size: header.size as u64,
        });
        if header.kind != SHT_SYMTAB {
            continue;
        }
        let strings = headers.get(header.link).ok_or("symbol names missing")?;
        for i in 0..header.size / SYMBOL_BYTES {
            let at = header.offset + i * SYMBOL_BYTES;
            let name = bytes.string(strings, bytes.u32(at + ST_NAME)?)?;
            if !name.is_empty() {
                elf.symbols.push((name, bytes.u64(at + ST_VALUE)?));
            }
        }
    }
    Ok(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_test_program() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let elf = parse(&me).expect("the test binary is an ELF64 file");
        let text = elf.section(".text").expect("a .text section");
        assert!(text.size > 0);
        let main = elf.symbol("main").expect("a main symbol");
        assert!((text.address..text.address + text.size).contains(&main));
    }

    #[test]
    fn refuses_what_is_not_elf64() {
        assert!(parse(b"").is_err());
        assert!(parse(b"#!/bin/sh\n").is_err());
        let mut truncated = b"\x7fELF".to_vec();
        truncated.extend([CLASS_64, DATA_LSB]);
        truncated.resize(0x30, 0);
        assert!(parse(&truncated).unwrap_err().contains("truncated"));
    }
}
