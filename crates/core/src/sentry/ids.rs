//! Event, profile, chunk and trace ids: UUIDs written as 32 lowercase hex digits.

use uuid::Uuid;

#[cfg(feature = "random-ids")]
/// A fresh random (v4) id in the form Sentry uses on the wire: 32 hex digits, no hyphens.
pub fn new_event_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Parses an id the way Relay does: 32 hex digits, hyphens tolerated.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    // `Uuid::parse_str` also takes braces and `urn:` forms; Relay's ids never have them.
    let plain = s.len() == 32 || (s.len() == 36 && s.as_bytes()[8] == b'-');
    plain.then(|| Uuid::parse_str(s).ok()).flatten()
}

/// Whether two ids name the same UUID, whatever their spelling.
pub fn same_uuid(a: &str, b: &str) -> bool {
    matches!((parse_uuid(a), parse_uuid(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "random-ids")]
    #[test]
    fn fresh_ids_are_32_hex_digits_and_distinct() {
        let a = new_event_id();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, new_event_id());
    }

    #[test]
    fn hyphens_and_case_do_not_matter() {
        assert!(same_uuid(
            "9b73438f70e044ecbd006b7fd15b7373",
            "9B73438F-70E0-44EC-BD00-6B7FD15B7373"
        ));
        assert!(parse_uuid("chunk-1").is_none());
        assert!(parse_uuid("{9b73438f-70e0-44ec-bd00-6b7fd15b7373}").is_none());
    }
}
