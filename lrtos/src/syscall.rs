//! The system-call ABI: how an EL0 task asks the kernel for something.
//!
//! # Calling convention (like Linux on arm64)
//!
//! * the task puts the call number in **x8** and the arguments in **x0 to
//!   x5**, then executes `svc #0`;
//! * the kernel returns the result in **x0**; a value from -4095 to -1
//!   (as a signed number) is an error, minus one of the [`errno`] codes;
//! * every other register, SP_EL0 included, comes back unchanged.
//!
//! | x8 | call | arguments | result |
//! | --- | --- | --- | --- |
//! | 0 | `exit` | x0: exit code | does not return |
//! | 1 | `write` | x0: buffer address, x1: length | bytes written, or `-EFAULT` |
//! | 2 | `sleep` | x0: milliseconds | 0, after at least that long (woken on a timer tick) |
//! | 3 | `yield` | | 0, after the other ready tasks had a turn |
//! | 4 | `getpid` | | the task's pid |
//! | 5 | `uptime` | | milliseconds the virtual counter has counted (since power-on, or since the VM started) |
//!
//! `write` prints to the console and is atomic: the bytes of one call are
//! never mixed with another task's. It writes at most [`WRITE_MAX`] bytes
//! per call and returns how many it wrote, like POSIX `write`. The console
//! turns each `\n` into `\r\n`, as a terminal driver does.

// ANCHOR: numbers
/// `exit(code)`: end the calling task.
pub const SYS_EXIT: u64 = 0;
/// `write(buf, len)`: print bytes on the console.
pub const SYS_WRITE: u64 = 1;
/// `sleep(ms)`: do not run for at least `ms` milliseconds.
pub const SYS_SLEEP: u64 = 2;
/// `yield()`: give the CPU to the next ready task.
pub const SYS_YIELD: u64 = 3;
/// `getpid()`: the calling task's process id.
pub const SYS_GETPID: u64 = 4;
/// `uptime()`: milliseconds since the virtual counter started (lab 4).
pub const SYS_UPTIME: u64 = 5;
// ANCHOR_END: numbers

/// The most bytes one `write` prints: keeps the time spent in the kernel
/// with interrupts masked short (256 bytes take 22 ms at 115200 baud).
pub const WRITE_MAX: u64 = 256;

/// Error numbers, negated in x0 (the values Linux uses).
pub mod errno {
    /// Bad address: the buffer is not memory the task may read.
    pub const EFAULT: u64 = 14;
    /// No such system call.
    pub const ENOSYS: u64 = 38;
}

// ANCHOR: decode
/// A decoded system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// End the task with an exit code.
    Exit {
        /// The code, for the kernel's message.
        code: i64,
    },
    /// Print `len` bytes at `addr`.
    Write {
        /// The buffer's address in the task's memory.
        addr: u64,
        /// Its length in bytes.
        len: u64,
    },
    /// Sleep for `ms` milliseconds.
    Sleep {
        /// How long.
        ms: u64,
    },
    /// Let the next task run.
    Yield,
    /// Ask for the pid.
    GetPid,
    /// Ask for the milliseconds since start (lab 4).
    Uptime,
    /// A number the kernel does not know.
    Unknown(u64),
}

/// Decode the call from the number in x8 and the arguments in x0 to x5.
pub fn decode(number: u64, args: [u64; 6]) -> Syscall {
    match number {
        SYS_EXIT => Syscall::Exit {
            code: args[0] as i64,
        },
        SYS_WRITE => Syscall::Write {
            addr: args[0],
            len: args[1],
        },
        SYS_SLEEP => Syscall::Sleep { ms: args[0] },
        SYS_YIELD => Syscall::Yield,
        SYS_GETPID => Syscall::GetPid,
        // LAB 4: BEGIN SOLUTION
        SYS_UPTIME => Syscall::Uptime,
        // LAB 4: END SOLUTION
        other => Syscall::Unknown(other),
    }
}
// ANCHOR_END: decode

/// The x0 value that reports error `errno`: its negation, in two's complement.
pub const fn error(errno: u64) -> u64 {
    errno.wrapping_neg()
}

/// How many bytes one `write` of `len` bytes prints.
pub fn write_len(len: u64) -> u64 {
    len.min(WRITE_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_call() {
        let args = [1, 2, 3, 4, 5, 6];
        assert_eq!(decode(SYS_EXIT, args), Syscall::Exit { code: 1 });
        assert_eq!(decode(SYS_WRITE, args), Syscall::Write { addr: 1, len: 2 });
        assert_eq!(decode(SYS_SLEEP, args), Syscall::Sleep { ms: 1 });
        assert_eq!(decode(SYS_YIELD, args), Syscall::Yield);
        assert_eq!(decode(SYS_GETPID, args), Syscall::GetPid);
        assert_eq!(decode(99, args), Syscall::Unknown(99));
    }

    #[test]
    fn exit_codes_are_signed() {
        assert_eq!(
            decode(SYS_EXIT, [u64::MAX, 0, 0, 0, 0, 0]),
            Syscall::Exit { code: -1 }
        );
    }

    #[test]
    fn errors_are_negative_errno() {
        assert_eq!(error(errno::EFAULT) as i64, -14);
        assert_eq!(error(errno::ENOSYS) as i64, -38);
    }

    #[test]
    fn long_writes_are_cut() {
        assert_eq!(write_len(7), 7);
        assert_eq!(write_len(WRITE_MAX), WRITE_MAX);
        assert_eq!(write_len(u64::MAX), WRITE_MAX);
    }
}
