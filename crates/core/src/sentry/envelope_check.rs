//! Validating a whole envelope: compression, framing, each profiling item, and the
//! rules that tie a `profile` to the `transaction` beside it.

use serde_json::{Map, Value};

use super::check::{check_v1, check_v2};
use super::envelope_parse::{parse_envelope, RawItem};
use super::gzip::{gunzip, is_gzip};
use super::ids::{parse_uuid, same_uuid};
use super::json::parse_json;
use super::model_v1::ProfileV1;
use super::normalize::Summary;
use super::parse_v1::parse_v1;
use super::parse_v2::parse_v2;
use super::rejection::{Reason, Rejection};
use super::time::parse_rfc3339;

/// What a valid envelope holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSummary {
    pub event_id: Option<String>,
    pub items: Vec<ItemSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemSummary {
    pub item_type: String,
    pub length: usize,
    /// For `profile` and `profile_chunk` items.
    pub profile: Option<Summary>,
}

/// The ids of a transaction event that a profile must agree with.
struct TransactionIds {
    event_id: Option<String>,
    trace_id: Option<String>,
    profile_id: Option<String>,
    profiler_id: Option<String>,
}

fn mismatch(message: String) -> Rejection {
    Rejection::new(Reason::EnvelopeMismatch, message)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn read_transaction(item: &RawItem) -> Result<TransactionIds, Rejection> {
    let doc = parse_json(&item.payload).map_err(|e| e.context("transaction item"))?;
    if !doc.is_object() {
        return Err(Rejection::field("transaction item must be a JSON object"));
    }
    let ids = TransactionIds {
        event_id: str_at(&doc, &["event_id"]).map(str::to_string),
        trace_id: str_at(&doc, &["contexts", "trace", "trace_id"]).map(str::to_string),
        profile_id: str_at(&doc, &["contexts", "profile", "profile_id"]).map(str::to_string),
        profiler_id: str_at(&doc, &["contexts", "profile", "profiler_id"]).map(str::to_string),
    };
    if ids.profile_id.is_some() && ids.profiler_id.is_some() {
        return Err(mismatch(
            "a transaction carries a transaction profile (profile_id) or a continuous one \
             (profiler_id), never both"
                .into(),
        ));
    }
    if let Some(p) = ids
        .profiler_id
        .as_deref()
        .filter(|p| parse_uuid(p).is_none())
    {
        return Err(Rejection::field(format!(
            "transaction contexts.profile.profiler_id must be a UUID, got '{p}'"
        )));
    }
    Ok(ids)
}

fn check_header(header: &Map<String, Value>) -> Result<Option<String>, Rejection> {
    let event_id = match header.get("event_id") {
        None => None,
        Some(Value::String(id)) if parse_uuid(id).is_some() => Some(id.clone()),
        Some(_) => return Err(Rejection::field("envelope header event_id must be a UUID")),
    };
    match header.get("sent_at") {
        None => {}
        Some(Value::String(s)) if parse_rfc3339(s).is_some() => {}
        Some(_) => {
            return Err(Rejection::field(
                "envelope header sent_at must be an RFC 3339 date-time",
            ))
        }
    }
    if let Some(sdk) = header.get("sdk") {
        if str_at(sdk, &["name"]).is_none() || str_at(sdk, &["version"]).is_none() {
            return Err(Rejection::field(
                "envelope header sdk must be an object {name, version} of strings",
            ));
        }
    }
    Ok(event_id)
}

/// JSON items we produce say they are JSON, or say nothing.
fn check_content_type(item: &RawItem) -> Result<(), Rejection> {
    match item.header.get("content_type") {
        None => Ok(()),
        Some(Value::String(ct)) if ct == "application/json" => Ok(()),
        Some(other) => Err(Rejection::field(format!(
            "{} item content_type must be application/json, got {other}",
            item.item_type
        ))),
    }
}

fn check_chunk(item: &RawItem) -> Result<Summary, Rejection> {
    let Some(Value::String(header_platform)) = item.header.get("platform") else {
        return Err(Rejection::new(
            Reason::ItemHeaderPlatform,
            "profile_chunk item header platform is missing (it must equal the payload's platform)",
        ));
    };
    let chunk = parse_v2(&item.payload).map_err(|e| e.context("profile_chunk item"))?;
    let summary = check_v2(&chunk).map_err(|e| e.context("profile_chunk item"))?;
    if *header_platform != chunk.platform {
        return Err(Rejection::new(
            Reason::ItemHeaderPlatform,
            format!(
                "profile_chunk item header platform '{header_platform}' differs from the \
                 payload platform '{}'",
                chunk.platform
            ),
        ));
    }
    Ok(summary)
}

/// The ties between a profile and its transaction, as Relay and the SDKs keep them.
fn check_profile_against(p: &ProfileV1, t: &TransactionIds) -> Result<(), Rejection> {
    let trace = t.trace_id.as_deref().unwrap_or("none");
    if !same_uuid(&p.transaction.trace_id, trace) {
        return Err(mismatch(format!(
            "profile transaction.trace_id {} does not match the transaction's \
             contexts.trace.trace_id {trace}",
            p.transaction.trace_id
        )));
    }
    let event = t.event_id.as_deref().unwrap_or("none");
    if !same_uuid(&p.transaction.id, event) {
        return Err(mismatch(format!(
            "profile transaction.id {} does not match the transaction's event_id {event}",
            p.transaction.id
        )));
    }
    if let Some(pid) = t.profile_id.as_deref() {
        if !same_uuid(pid, &p.event_id) {
            return Err(mismatch(format!(
                "transaction contexts.profile.profile_id {pid} is not the profile's event_id {}",
                p.event_id
            )));
        }
    }
    Ok(())
}

/// Validates an envelope as Relay would take it, plus ferroprof's own rules.
/// `declared_gzip` says whether the body was declared compressed (the HTTP
/// `Content-Encoding`, or a `.gz` file name).
pub fn validate_envelope(bytes: &[u8], declared_gzip: bool) -> Result<EnvelopeSummary, Rejection> {
    let inflated;
    let body = match (is_gzip(bytes), declared_gzip) {
        (true, true) => {
            inflated = gunzip(bytes)?;
            &inflated[..]
        }
        (true, false) => return Err(Rejection::new(
            Reason::UndeclaredGzip,
            "envelope is gzip bytes without a declaration (Content-Encoding: gzip, or a .gz name)",
        )),
        (false, true) => {
            return Err(Rejection::new(
                Reason::EnvelopeFraming,
                "envelope is declared gzip but its bytes are not gzip",
            ))
        }
        (false, false) => bytes,
    };
    let env = parse_envelope(body)?;
    let event_id = check_header(&env.header)?;

    let mut summary = EnvelopeSummary {
        event_id: event_id.clone(),
        items: Vec::new(),
    };
    let mut transaction: Option<TransactionIds> = None;
    let mut profile: Option<(ProfileV1, bool)> = None;
    for item in &env.items {
        let mut profile_summary = None;
        match item.item_type.as_str() {
            "transaction" => {
                check_content_type(item)?;
                if transaction.is_some() {
                    return Err(Rejection::field(
                        "more than one transaction item in an envelope",
                    ));
                }
                transaction = Some(read_transaction(item)?);
            }
            "profile" => {
                check_content_type(item)?;
                if profile.is_some() {
                    return Err(Rejection::new(
                        Reason::TooManyProfiles,
                        "too many profiles: only the first profile item of an envelope is kept",
                    ));
                }
                let p = parse_v1(&item.payload).map_err(|e| e.context("profile item"))?;
                profile_summary = Some(check_v1(&p).map_err(|e| e.context("profile item"))?);
                let unsampled = item.header.get("sampled") == Some(&Value::Bool(false));
                profile = Some((p, unsampled));
            }
            "profile_chunk" => {
                check_content_type(item)?;
                profile_summary = Some(check_chunk(item)?);
            }
            _ => {}
        }
        summary.items.push(ItemSummary {
            item_type: item.item_type.clone(),
            length: item.payload.len(),
            profile: profile_summary,
        });
    }

    match (&profile, &transaction) {
        (Some((_, false)), None) => {
            return Err(Rejection::new(
                Reason::ProfileWithoutTransaction,
                "profile item without a transaction in the same envelope",
            ))
        }
        (Some((p, _)), Some(t)) => check_profile_against(p, t)?,
        (None, Some(t)) => {
            if let Some(pid) = &t.profile_id {
                return Err(mismatch(format!(
                    "transaction names contexts.profile.profile_id {pid} but the envelope has \
                     no profile item (clear it when the profile is not sent)"
                )));
            }
        }
        _ => {}
    }
    if let (Some(t), Some(id)) = (&transaction, &event_id) {
        if !t.event_id.as_deref().is_some_and(|e| same_uuid(e, id)) {
            return Err(mismatch(format!(
                "envelope header event_id {id} is not the transaction's event_id"
            )));
        }
    }
    Ok(summary)
}
