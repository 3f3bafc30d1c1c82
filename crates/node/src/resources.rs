//! CPU usage and memory footprint of the process, sampled on the engine thread (never
//! on a JS thread) so profiles can carry Sentry's `cpu_usage` and `memory_footprint`
//! measurements. Linux reads `/proc/self`; elsewhere the series stay empty.

use std::time::Instant;

use ferroprof_core::readings::Readings;
use ferroprof_core::sentry::Measurements;

/// Linux reports CPU time in clock ticks of USER_HZ, which is 100 on every
/// mainstream architecture.
const TICKS_PER_SECOND: f64 = 100.0;
/// The page size when the system does not say (x64's, and most arm64 kernels').
const DEFAULT_PAGE_BYTES: u64 = 4096;
/// `AT_PAGESZ` in the ELF auxiliary vector: the kernel's page size.
const AT_PAGESZ: u64 = 6;

pub struct ResourceSampler {
    readings: Readings,
    last_cpu: Option<(Instant, f64)>,
    cores: f64,
    /// Bytes per page of `/proc/self/statm` (4 KiB on x64; 16 or 64 KiB on many arm64
    /// kernels).
    page_bytes: f64,
}

impl ResourceSampler {
    pub fn new() -> Self {
        Self {
            readings: Readings::new(),
            last_cpu: None,
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
            page_bytes: system_page_bytes() as f64,
        }
    }

    /// Takes one reading of both series at monotonic time `mono_ns`.
    pub fn sample(&mut self, mono_ns: u64) {
        let now = Instant::now();
        if let Some(cpu_seconds) = process_cpu_seconds() {
            if let Some((then, before)) = self.last_cpu {
                let wall = now.duration_since(then).as_secs_f64();
                if wall > 0.0 {
                    // Percent of the whole machine, as Sentry's SDKs report it.
                    let pct = 100.0 * (cpu_seconds - before) / wall / self.cores;
                    self.readings.push_cpu(mono_ns, pct);
                }
            }
            self.last_cpu = Some((now, cpu_seconds));
        }
        if let Some(rss) = resident_bytes(self.page_bytes) {
            self.readings.push_memory(mono_ns, rss);
        }
    }

    /// The readings within `[start_ns, end_ns]`, as profile measurements.
    pub fn window(&self, start_ns: u64, end_ns: u64) -> Measurements {
        self.readings.window(start_ns, end_ns)
    }
}

/// User plus system CPU seconds of this process.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after its ')' are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// Resident set size of this process, bytes.
fn resident_bytes(page_bytes: f64) -> Option<f64> {
    resident_bytes_from(
        &std::fs::read_to_string("/proc/self/statm").ok()?,
        page_bytes,
    )
}

/// Resident bytes from a `statm` line (its second field counts pages).
fn resident_bytes_from(statm: &str, page_bytes: f64) -> Option<f64> {
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_bytes)
}

/// The kernel's page size, from this process's auxiliary vector (`/proc/self/auxv`,
/// what `getauxval(AT_PAGESZ)` and `sysconf(_SC_PAGESIZE)` read); 4096 when unreadable.
fn system_page_bytes() -> u64 {
    std::fs::read("/proc/self/auxv")
        .ok()
        .and_then(|auxv| page_size_from_auxv(&auxv))
        .unwrap_or(DEFAULT_PAGE_BYTES)
}

/// `AT_PAGESZ` from the bytes of an auxiliary vector: pairs of native-endian machine
/// words (type, value), ended by type 0. Only a power of two is taken as a page size.
fn page_size_from_auxv(auxv: &[u8]) -> Option<u64> {
    const WORD: usize = std::mem::size_of::<usize>();
    let word = |bytes: &[u8]| -> u64 {
        let mut buf = [0u8; WORD];
        buf.copy_from_slice(bytes);
        usize::from_ne_bytes(buf) as u64
    };
    auxv.chunks_exact(2 * WORD)
        .map(|pair| (word(&pair[..WORD]), word(&pair[WORD..])))
        .take_while(|&(kind, _)| kind != 0)
        .find(|&(kind, _)| kind == AT_PAGESZ)
        .map(|(_, value)| value)
        .filter(|v| v.is_power_of_two())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auxv(entries: &[(u64, u64)]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(k, v)| [k as usize, v as usize])
            .flat_map(usize::to_ne_bytes)
            .collect()
    }

    #[test]
    fn page_size_is_read_from_the_auxiliary_vector() {
        for page in [4096, 16_384, 65_536] {
            let bytes = auxv(&[
                (33, 0x7fff_0000),
                (16, 0xbfeb_fbff),
                (AT_PAGESZ, page),
                (17, 100),
                (0, 0),
            ]);
            assert_eq!(page_size_from_auxv(&bytes), Some(page));
        }
        // Absent, after the terminator, or not a power of two: not a page size.
        assert_eq!(page_size_from_auxv(&auxv(&[(17, 100), (0, 0)])), None);
        assert_eq!(
            page_size_from_auxv(&auxv(&[(0, 0), (AT_PAGESZ, 16_384)])),
            None
        );
        assert_eq!(
            page_size_from_auxv(&auxv(&[(AT_PAGESZ, 12_345), (0, 0)])),
            None
        );
        assert_eq!(page_size_from_auxv(&[1, 2, 3]), None);
    }

    #[test]
    fn resident_bytes_scale_with_the_page_size() {
        let statm = "112233 2500 800 300 0 9000 0\n";
        assert_eq!(resident_bytes_from(statm, 4096.0), Some(2500.0 * 4096.0));
        assert_eq!(
            resident_bytes_from(statm, 16_384.0),
            Some(2500.0 * 16_384.0)
        );
        assert_eq!(
            resident_bytes_from(statm, 65_536.0),
            Some(2500.0 * 65_536.0)
        );
        assert_eq!(resident_bytes_from("112233", 4096.0), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn resident_bytes_match_the_kernels_vm_rss() {
        // statm pages × the auxv page size must be the kernel's own VmRSS (in kB); a
        // wrong page size is off by a factor of 4 or 16.
        let vm_rss_kib = || -> f64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        let before = vm_rss_kib();
        let ours = resident_bytes(system_page_bytes() as f64).unwrap() / 1024.0;
        let after = vm_rss_kib();
        let (lo, hi) = (before.min(after), before.max(after));
        assert!(
            ours >= lo * 0.9 && ours <= hi * 1.1,
            "statm gives {ours} KiB, VmRSS {lo}..{hi} KiB"
        );
    }
}
