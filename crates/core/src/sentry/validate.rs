//! Validators of single payloads, as read from bytes.

use super::check::{check_v1, check_v2};
use super::normalize::Summary;
use super::parse_v1::parse_v1;
use super::parse_v2::parse_v2;
use super::rejection::Rejection;

/// Validates a `profile` (sample format v1) payload.
pub fn validate_v1(bytes: &[u8]) -> Result<Summary, Rejection> {
    check_v1(&parse_v1(bytes)?)
}

/// Validates a `profile_chunk` (sample format v2) payload.
pub fn validate_v2(bytes: &[u8]) -> Result<Summary, Rejection> {
    check_v2(&parse_v2(bytes)?)
}
