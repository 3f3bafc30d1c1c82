//! Writing envelopes: a header line, then for each item a header line and its
//! payload, every line ended by a single `\n`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::gzip::gzip;
use super::metadata::SdkInfo;
use super::time::format_rfc3339;

/// The envelope's first line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvelopeHeader {
    /// The transaction's `event_id` when the envelope carries one; a fresh id otherwise.
    pub event_id: String,
    /// RFC 3339 time of sending, for Relay's clock-drift correction.
    pub sent_at: String,
    pub sdk: SdkInfo,
    /// Needed only when the DSN is not in the request (e.g. tunnels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsn: Option<String>,
    /// Dynamic sampling context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<serde_json::Value>,
}

impl EnvelopeHeader {
    /// A header stamped with the current wall-clock time.
    pub fn new(event_id: impl Into<String>, sdk: SdkInfo) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self::at(event_id, sdk, now)
    }

    /// A header with an explicit `sent_at` (Unix nanoseconds).
    pub fn at(event_id: impl Into<String>, sdk: SdkInfo, sent_at_unix_ns: u64) -> Self {
        Self {
            event_id: event_id.into(),
            sent_at: format_rfc3339(sent_at_unix_ns, 3),
            sdk,
            dsn: None,
            trace: None,
        }
    }
}

/// One item: its type, the optional header fields we use, and the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeItem {
    pub item_type: String,
    pub content_type: Option<String>,
    /// Set on `profile_chunk` items: Relay bills by it, and it must equal the
    /// payload's `platform`.
    pub platform: Option<String>,
    pub payload: Vec<u8>,
}

#[derive(Serialize)]
struct ItemHeader<'a> {
    #[serde(rename = "type")]
    item_type: &'a str,
    length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a str>,
}

impl EnvelopeItem {
    /// A JSON item of any type.
    pub fn json(item_type: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            item_type: item_type.into(),
            content_type: Some("application/json".into()),
            platform: None,
            payload,
        }
    }

    pub fn transaction(payload: Vec<u8>) -> Self {
        Self::json("transaction", payload)
    }

    /// A `profile` (v1) item.
    pub fn profile(payload: Vec<u8>) -> Self {
        Self::json("profile", payload)
    }

    /// A `profile_chunk` (v2) item; our payloads always say `platform: "node"`.
    pub fn profile_chunk(payload: Vec<u8>) -> Self {
        Self {
            platform: Some("node".into()),
            ..Self::json("profile_chunk", payload)
        }
    }
}

/// An envelope ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub header: EnvelopeHeader,
    pub items: Vec<EnvelopeItem>,
}

impl Envelope {
    pub fn new(header: EnvelopeHeader) -> Self {
        Self {
            header,
            items: Vec::new(),
        }
    }

    pub fn push(&mut self, item: EnvelopeItem) -> &mut Self {
        self.items.push(item);
        self
    }

    /// The envelope as bytes. Every item header carries `length`, so payloads
    /// need not be single-line (ours are anyway).
    pub fn to_bytes(&self) -> Vec<u8> {
        let payloads: usize = self.items.iter().map(|i| i.payload.len() + 96).sum();
        let mut out = Vec::with_capacity(256 + payloads);
        // Serialising these plain structs into a Vec cannot fail.
        serde_json::to_writer(&mut out, &self.header).expect("envelope header is serialisable");
        out.push(b'\n');
        for item in &self.items {
            let header = ItemHeader {
                item_type: &item.item_type,
                length: item.payload.len(),
                content_type: item.content_type.as_deref(),
                platform: item.platform.as_deref(),
            };
            serde_json::to_writer(&mut out, &header).expect("item header is serialisable");
            out.push(b'\n');
            out.extend_from_slice(&item.payload);
            out.push(b'\n');
        }
        out
    }

    /// The envelope gzip-compressed, for a request with `Content-Encoding: gzip`.
    pub fn to_gzip(&self) -> Vec<u8> {
        gzip(&self.to_bytes())
    }
}
