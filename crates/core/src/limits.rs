//! Bounds and defaults every layer shares. They are defined here once: the native
//! binding exports them (`#[napi]` constants), and the TypeScript SDK's copies
//! (`src/limits.generated.ts`) are generated from that export at build time.

/// Lowest sampling frequency accepted, in Hz.
pub const MIN_FREQUENCY_HZ: f64 = 1.0;
/// Highest sampling frequency accepted, in Hz.
pub const MAX_FREQUENCY_HZ: f64 = 10_000.0;
/// The default sampling frequency: Sentry's SDKs sample at 101 Hz (not 100, so the
/// sampler does not run in lockstep with work scheduled every 10 ms).
pub const DEFAULT_FREQUENCY_HZ: f64 = 101.0;
/// Most frames kept per stack (leaf side) unless configured.
pub use crate::sentry::DEFAULT_MAX_STACK_DEPTH;

/// Checks a sampling frequency against [`MIN_FREQUENCY_HZ`]..=[`MAX_FREQUENCY_HZ`].
pub fn check_frequency(hz: f64) -> Result<f64, String> {
    if hz.is_finite() && (MIN_FREQUENCY_HZ..=MAX_FREQUENCY_HZ).contains(&hz) {
        Ok(hz)
    } else {
        Err(format!(
            "sampling frequency must be a number of Hz between {MIN_FREQUENCY_HZ} and {MAX_FREQUENCY_HZ}, got {hz}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_outside_the_bounds_are_refused() {
        assert_eq!(check_frequency(DEFAULT_FREQUENCY_HZ), Ok(101.0));
        assert_eq!(check_frequency(MIN_FREQUENCY_HZ), Ok(1.0));
        assert_eq!(check_frequency(MAX_FREQUENCY_HZ), Ok(10_000.0));
        for bad in [0.5, 10_001.0, f64::NAN, f64::INFINITY] {
            assert!(check_frequency(bad)
                .unwrap_err()
                .contains("between 1 and 10000"));
        }
    }
}
