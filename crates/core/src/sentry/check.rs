//! Checks of a typed payload: metadata rules first, then the samples. The encoders
//! run these on what they built; the validators run them on what they parsed.

use std::collections::BTreeMap;

use super::ids::parse_uuid;
use super::metadata::MeasurementUnit;
use super::model_v1::{ProfileV1, TransactionMetadata};
use super::model_v2::ProfileChunkV2;
use super::normalize::{check_samples_v1, check_samples_v2, Summary};
use super::rejection::{Reason, Rejection};
use super::time::parse_rfc3339;

/// Relay routes by `version`; any other value is "platform not supported".
pub(crate) fn check_version(got: Option<&str>, want: &str, item: &str) -> Result<(), Rejection> {
    if got == Some(want) {
        return Ok(());
    }
    let got = got.map_or_else(|| "none".to_string(), |g| format!("\"{g}\""));
    Err(Rejection::new(
        Reason::PlatformNotSupported,
        format!("platform not supported: a {item} item needs version \"{want}\" (got {got})"),
    ))
}

/// ferroprof only ever speaks for Node.
pub(crate) fn check_platform(platform: &str) -> Result<(), Rejection> {
    if platform == "node" {
        Ok(())
    } else {
        Err(Rejection::new(
            Reason::WrongPlatform,
            format!("platform must be 'node' (got '{platform}')"),
        ))
    }
}

fn check_uuid(field: &str, value: &str) -> Result<(), Rejection> {
    match parse_uuid(value) {
        Some(_) => Ok(()),
        None => Err(Rejection::field(format!(
            "{field} must be a UUID (32 hex digits), got '{value}'"
        ))),
    }
}

fn check_units<'a>(units: impl Iterator<Item = (&'a String, &'a str)>) -> Result<(), Rejection> {
    for (name, unit) in units {
        if MeasurementUnit::parse(unit).is_none() {
            return Err(Rejection::field(format!(
                "measurements.{name}.unit '{unit}' is not one of nanosecond, hertz, byte, \
                 percent, nanojoule"
            )));
        }
    }
    Ok(())
}

fn invalid_txn(what: &str) -> Rejection {
    Rejection::new(
        Reason::InvalidTransactionMetadata,
        format!("invalid transaction metadata: {what}"),
    )
}

fn check_transaction(t: &TransactionMetadata) -> Result<(), Rejection> {
    for (field, value) in [("id", &t.id), ("trace_id", &t.trace_id)] {
        match parse_uuid(value) {
            Some(u) if !u.is_nil() => {}
            _ => {
                return Err(invalid_txn(&format!(
                    "transaction.{field} must be a non-nil UUID"
                )))
            }
        }
    }
    if t.name.is_empty() {
        return Err(invalid_txn("transaction.name is empty"));
    }
    if let (Some(start), Some(end)) = (t.relative_start_ns, t.relative_end_ns) {
        if start > end {
            return Err(invalid_txn(&format!(
                "relative_start_ns {start} is after relative_end_ns {end}"
            )));
        }
    }
    Ok(())
}

/// All rules for a `profile` (v1) payload.
pub fn check_v1(p: &ProfileV1) -> Result<Summary, Rejection> {
    check_version(Some(&p.version), "1", "profile")?;
    check_platform(&p.platform)?;
    check_uuid("event_id", &p.event_id)?;
    if parse_rfc3339(&p.timestamp).is_none() {
        return Err(Rejection::field(format!(
            "timestamp must be an RFC 3339 date-time with an offset, got '{}'",
            p.timestamp
        )));
    }
    check_transaction(&p.transaction)?;
    check_units(units_of(&p.measurements, |m| m.unit.as_str()))?;
    let window = match (
        p.transaction.relative_start_ns,
        p.transaction.relative_end_ns,
    ) {
        (start, Some(end)) if end > 0 => Some((start.unwrap_or(0), end)),
        _ => None,
    };
    check_samples_v1(&p.profile, window)
}

/// All rules for a `profile_chunk` (v2) payload.
pub fn check_v2(p: &ProfileChunkV2) -> Result<Summary, Rejection> {
    check_version(Some(&p.version), "2", "profile_chunk")?;
    check_platform(&p.platform)?;
    check_uuid("chunk_id", &p.chunk_id)?;
    check_uuid("profiler_id", &p.profiler_id)?;
    check_units(units_of(&p.measurements, |m| m.unit.as_str()))?;
    check_samples_v2(&p.profile)
}

fn units_of<'a, M>(
    measurements: &'a Option<BTreeMap<String, M>>,
    unit: impl Fn(&'a M) -> &'a str + 'a,
) -> impl Iterator<Item = (&'a String, &'a str)> + 'a {
    measurements
        .iter()
        .flat_map(|m| m.iter())
        .map(move |(name, m)| (name, unit(m)))
}
