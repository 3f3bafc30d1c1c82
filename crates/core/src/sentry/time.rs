//! RFC 3339 timestamps, written and read without a date-time dependency.
//!
//! Only the UTC calendar arithmetic is needed: we always write `Z`, and reading has
//! to accept any offset because that is what Relay accepts.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Formats Unix nanoseconds as `YYYY-MM-DDTHH:MM:SS[.f]Z` with `frac_digits`
/// (0..=9) digits of fraction, truncated rather than rounded so that the text
/// never names an instant later than the real one.
pub fn format_rfc3339(unix_ns: u64, frac_digits: u32) -> String {
    let frac_digits = frac_digits.min(9);
    let secs = (unix_ns / 1_000_000_000) as i64;
    let nanos = unix_ns % 1_000_000_000;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac_digits > 0 {
        let frac = nanos / 10u64.pow(9 - frac_digits);
        out.push_str(&format!(".{frac:0width$}", width = frac_digits as usize));
    }
    out.push('Z');
    out
}

/// Parses an RFC 3339 date-time (with `Z` or a numeric offset) into Unix
/// nanoseconds. Returns `None` for anything else, including bare dates and
/// times without an offset.
pub fn parse_rfc3339(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
        })
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let digits = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (k, &c) in b[start..start + digits].iter().enumerate().take(9) {
            nanos += i128::from(c - b'0') * 10i128.pow(8 - k as u32);
        }
        i = start + digits;
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && sep(i + 3, b":") => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let secs =
        days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 1_795_694_400; // 2026-11-26T12:00:00Z

    #[test]
    fn formats_the_fixture_base_time() {
        let ns = BASE * 1_000_000_000 + 123_456_789;
        assert_eq!(format_rfc3339(ns, 3), "2026-11-26T12:00:00.123Z");
        assert_eq!(format_rfc3339(ns, 6), "2026-11-26T12:00:00.123456Z");
        assert_eq!(format_rfc3339(ns, 0), "2026-11-26T12:00:00Z");
        assert_eq!(format_rfc3339(0, 3), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(951_782_400 * 1_000_000_000, 0),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let base = i128::from(BASE) * 1_000_000_000;
        assert_eq!(parse_rfc3339("2026-11-26T12:00:00.000Z"), Some(base));
        assert_eq!(parse_rfc3339("2026-11-26T12:00:00Z"), Some(base));
        assert_eq!(parse_rfc3339("2026-11-26T13:30:00+01:30"), Some(base));
        assert_eq!(
            parse_rfc3339("2026-11-26t12:00:00.5z"),
            Some(base + 500_000_000)
        );
        for bad in [
            "2026-11-26",
            "2026-11-26T12:00:00",
            "2026-02-30T12:00:00Z",
            "2026-11-26T12:00:00.Z",
            "1795694400",
            "2026-11-26T12:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_and_parse_agree() {
        for ns in [
            0u64,
            1,
            999_999_999,
            1_000_000_000,
            4_102_444_800_123_000_000,
        ] {
            let text = format_rfc3339(ns, 9);
            assert_eq!(parse_rfc3339(&text), Some(i128::from(ns)), "{text}");
        }
    }
}
