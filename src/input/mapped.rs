//! Memory maps that survive their file shrinking under them.
//!
//! Reading a mapped page that lies past the file's current end raises
//! SIGBUS, which kills memory-mapping search tools when a log is truncated
//! (logrotate `copytruncate`, an editor rewriting it) while it is scanned.
//! faultline registers every map it makes in a small fixed table; one
//! process-wide SIGBUS handler checks whether the faulting address lies in a
//! registered map and, if so, maps zero pages over the rest of that map,
//! marks it as cut short, and returns. The scan then reads zeros (which match
//! no rule) and the file is reported as having shrunk. Faults anywhere else
//! are handed back to the previous handler, so real bugs still crash.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A read-only memory map of a whole file, guarded against SIGBUS.
pub struct GuardedMap {
    map: memmap2::Mmap,
    slot: usize,
}

impl GuardedMap {
    /// Maps `file`. Fails (so the caller reads the file instead) when the map
    /// cannot be made or guarded: the OS refuses, or too many maps are live.
    pub fn new(file: &File) -> io::Result<GuardedMap> {
        guard::install()?;
        // SAFETY: the map is read-only, and a page lost to truncation is
        // replaced with zeros by the SIGBUS guard instead of killing us.
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        let slot = guard::register(map.as_ptr() as usize, map.len())
            .ok_or_else(|| io::Error::other("too many live memory maps"))?;
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(GuardedMap { map, slot })
    }

    /// Whether part of the file vanished while mapped (its pages now read
    /// as zeros).
    pub fn was_cut_short(&self) -> bool {
        guard::faulted(self.slot)
    }

    /// The problem to report for a file that shrank while it was scanned.
    pub fn cut_short_error(&self) -> Option<String> {
        self.was_cut_short().then(|| {
            format!(
                "file shrank while being scanned (truncated or rewritten); \
                 findings from the {} bytes it had when opened may be incomplete",
                self.map.len()
            )
        })
    }
}

impl Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        guard::unregister(self.slot);
    }
}

/// How many maps may be live at once; more fall back to reading.
const SLOTS: usize = 128;

/// One registered map. `start == 0` means the slot holds no map the handler
/// should consider; `claimed` reserves it while it is filled in.
struct Slot {
    claimed: AtomicBool,
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // used only to initialise the table
const EMPTY_SLOT: Slot = Slot {
    claimed: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY_SLOT; SLOTS];

#[cfg(unix)]
mod guard {
    use super::{Ordering, SLOTS, TABLE};
    use std::io;
    use std::sync::OnceLock;
    use std::sync::atomic::AtomicUsize;

    static PAGE_SIZE: AtomicUsize = AtomicUsize::new(4096);
    /// The handler that was installed before ours, for faults not ours.
    static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();
    static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();

    /// Installs the SIGBUS handler once per process.
    pub fn install() -> io::Result<()> {
        let outcome = INSTALLED.get_or_init(|| {
            // SAFETY: plain libc calls with valid, zero-initialised structs.
            unsafe {
                let page = libc::sysconf(libc::_SC_PAGESIZE);
                if page > 0 {
                    PAGE_SIZE.store(page as usize, Ordering::Relaxed);
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_sigbus as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, &action, &mut previous) != 0 {
                    return Err(io::Error::last_os_error().raw_os_error().unwrap_or(0));
                }
                let _ = PREVIOUS.set(previous);
            }
            Ok(())
        });
        outcome.map_err(io::Error::from_raw_os_error)
    }

    pub fn register(start: usize, len: usize) -> Option<usize> {
        TABLE.iter().position(|slot| {
            if slot
                .claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                return false;
            }
            slot.faulted.store(false, Ordering::Relaxed);
            slot.len.store(len, Ordering::Relaxed);
            slot.start.store(start, Ordering::Release);
            true
        })
    }

    pub fn unregister(index: usize) {
        let slot = &TABLE[index];
        slot.start.store(0, Ordering::Release);
        slot.claimed.store(false, Ordering::Release);
    }

    pub fn faulted(index: usize) -> bool {
        TABLE[index].faulted.load(Ordering::Acquire)
    }

    /// The SIGBUS handler. Only async-signal-safe work: atomics and mmap.
    extern "C" fn on_sigbus(signal: i32, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let address = unsafe { (*info).si_addr() } as usize;
        let page = PAGE_SIZE.load(Ordering::Relaxed);
        for slot in TABLE.iter().take(SLOTS) {
            let start = slot.start.load(Ordering::Acquire);
            let len = slot.len.load(Ordering::Relaxed);
            if start == 0 || address < start || address >= start + len {
                continue;
            }
            let from = address & !(page - 1);
            let end = (start + len).div_ceil(page) * page;
            // SAFETY: [from, end) lies inside our own mapping (which is
            // page-aligned); replacing it with anonymous zero pages keeps the
            // addresses valid until the GuardedMap unmaps them.
            let replaced = unsafe {
                libc::mmap(
                    from as *mut libc::c_void,
                    end - from,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if replaced != libc::MAP_FAILED {
                slot.faulted.store(true, Ordering::Release);
                return;
            }
        }
        // Not ours: hand the fault back to whoever handled SIGBUS before.
        // SAFETY: the previous action's handler has the signature its flags
        // declare; restoring the default action is always valid.
        unsafe {
            match PREVIOUS.get() {
                Some(previous)
                    if previous.sa_sigaction != libc::SIG_DFL
                        && previous.sa_sigaction != libc::SIG_IGN =>
                {
                    if previous.sa_flags & libc::SA_SIGINFO != 0 {
                        let handler: extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) =
                            std::mem::transmute(previous.sa_sigaction);
                        handler(signal, info, context);
                    } else {
                        let handler: extern "C" fn(i32) =
                            std::mem::transmute(previous.sa_sigaction);
                        handler(signal);
                    }
                }
                _ => {
                    // Restore the default action; returning re-runs the
                    // faulting access, which then terminates as it would have.
                    let mut default: libc::sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(libc::SIGBUS, &default, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod guard {
    use super::{Ordering, TABLE};
    use std::io;

    pub fn install() -> io::Result<()> {
        Ok(())
    }

    pub fn register(_start: usize, _len: usize) -> Option<usize> {
        TABLE.iter().position(|slot| {
            slot.claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
    }

    pub fn unregister(index: usize) {
        TABLE[index].claimed.store(false, Ordering::Release);
    }

    pub fn faulted(_index: usize) -> bool {
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_truncated_while_mapped_reads_as_zeros_and_is_flagged() {
        let mut file = tempfile::tempfile().expect("temp file");
        let page = 4096 * 4;
        file.write_all(&vec![b'a'; page * 3]).expect("write");
        let map = GuardedMap::new(&file).expect("map");
        assert!(!map.was_cut_short());
        file.set_len(page as u64).expect("truncate");
        let letters = map.iter().filter(|&&b| b == b'a').count();
        let zeros = map.iter().filter(|&&b| b == 0).count();
        assert_eq!(letters, page);
        assert_eq!(zeros, page * 2);
        assert!(map.was_cut_short());
    }

    #[test]
    fn slots_are_reused_after_maps_are_dropped() {
        let mut file = tempfile::tempfile().expect("temp file");
        file.write_all(b"line\n").expect("write");
        for _ in 0..SLOTS * 2 {
            let map = GuardedMap::new(&file).expect("map");
            assert_eq!(&map[..], b"line\n");
        }
    }
}
