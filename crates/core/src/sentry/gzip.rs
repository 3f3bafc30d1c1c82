//! Gzip of a whole envelope body (HTTP `Content-Encoding: gzip`), never of an item.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::rejection::{Reason, Rejection};

/// Refuse to inflate more than this: a small gzip body can expand enormously.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Gzip at the default level (6): on profile JSON it is within a few percent of
/// level 9 for a fraction of the time.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 8 + 64), Compression::default());
    // Writing into a Vec cannot fail.
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// Inflates a gzip body, refusing corrupt data and bodies over [`MAX_INFLATED_BYTES`].
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Rejection::new(Reason::EnvelopeFraming, format!("gzip body is corrupt: {e}")))?;
    if out.len() as u64 > MAX_INFLATED_BYTES {
        return Err(Rejection::new(
            Reason::EnvelopeFraming,
            format!("gzip body inflates to more than {MAX_INFLATED_BYTES} bytes"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data = b"{\"a\":1}\n".repeat(100);
        let z = gzip(&data);
        assert!(is_gzip(&z));
        assert!(z.len() < data.len());
        assert_eq!(gunzip(&z).unwrap(), data);
        assert!(gunzip(b"\x1f\x8bnot really").is_err());
    }
}
