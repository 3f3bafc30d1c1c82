//! Reading envelope framing: header line, then item header lines and payloads.
//! Only framing is checked here; what the items hold is checked in `envelope_check`.

use serde_json::{Map, Value};

use super::gzip::is_gzip;
use super::rejection::{Reason, Rejection};

/// An envelope split into its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEnvelope {
    pub header: Map<String, Value>,
    pub items: Vec<RawItem>,
}

/// One item: its header object, its `type`, and its payload bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RawItem {
    pub header: Map<String, Value>,
    pub item_type: String,
    pub payload: Vec<u8>,
}

fn framing(message: String) -> Rejection {
    Rejection::new(Reason::EnvelopeFraming, message)
}

/// Reads the JSON object that starts at `pos`, returning it and the offset after it.
fn read_object(
    bytes: &[u8],
    pos: usize,
    what: &str,
) -> Result<(Map<String, Value>, usize), Rejection> {
    // Relay's reader would skip leading blanks; ours never writes them, so they
    // point at a framing bug.
    match bytes.get(pos) {
        Some(b'{') => {}
        Some(b'\n') => {
            return Err(framing(format!(
                "blank line at byte {pos} where the {what} should be"
            )))
        }
        Some(b'\r') => {
            return Err(framing(format!(
                "CRLF line ending at byte {pos}: lines must end with \\n alone"
            )))
        }
        _ => {
            return Err(framing(format!(
                "{what} at byte {pos} must be a JSON object on one line"
            )))
        }
    }
    let mut stream = serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(Value::Object(map))) => Ok((map, pos + stream.byte_offset())),
        Some(Err(e)) => Err(framing(format!(
            "{what} at byte {pos} is not valid JSON: {e}"
        ))),
        _ => Err(framing(format!(
            "{what} at byte {pos} must be a JSON object"
        ))),
    }
}

/// Consumes the `\n` that must end a header line or follow a payload. `Ok(false)`
/// means end of input.
fn expect_newline(bytes: &[u8], pos: usize, after: &str) -> Result<bool, Rejection> {
    match bytes.get(pos) {
        None => Ok(false),
        Some(b'\n') => Ok(true),
        Some(b'\r') => Err(framing(format!(
            "CRLF line ending after the {after} (byte {pos}): lines must end with \\n alone"
        ))),
        Some(c) => Err(framing(format!(
            "the {after} is not followed by a newline: byte {pos} is {:?}",
            char::from(*c)
        ))),
    }
}

/// Splits an (uncompressed) envelope into header and items.
pub fn parse_envelope(bytes: &[u8]) -> Result<RawEnvelope, Rejection> {
    let (header, mut pos) = read_object(bytes, 0, "envelope header")?;
    let mut items = Vec::new();
    if !expect_newline(bytes, pos, "envelope header")? {
        return Ok(RawEnvelope { header, items });
    }
    pos += 1;
    while pos < bytes.len() {
        let (item_header, end) = read_object(bytes, pos, "item header")?;
        let more = expect_newline(bytes, end, "item header")?;
        pos = end + usize::from(more);
        let item_type = match item_header.get("type") {
            Some(Value::String(t)) => t.clone(),
            _ => {
                return Err(framing(format!(
                    "item header at byte {end} has no string `type`"
                )))
            }
        };
        if is_gzip(&bytes[pos..]) {
            return Err(Rejection::new(
                Reason::CompressedItem,
                format!(
                    "{item_type} item payload is gzip-compressed: compression belongs to the \
                     whole request (Content-Encoding), never to an item"
                ),
            ));
        }
        let payload_end = match item_header.get("length") {
            None | Some(Value::Null) => {
                let end = bytes[pos..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |n| pos + n);
                if end > pos && bytes[end - 1] == b'\r' {
                    return Err(framing(format!(
                        "CRLF line ending after the {item_type} payload: lines must end with \\n alone"
                    )));
                }
                end
            }
            Some(len) => {
                let len = len.as_u64().ok_or_else(|| {
                    framing(format!(
                        "{item_type} item length must be a non-negative integer"
                    ))
                })?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| pos.checked_add(l))
                    .filter(|&e| e <= bytes.len())
                    .ok_or_else(|| {
                        framing(format!(
                            "unexpected EOF: the {item_type} payload of length {len} runs past \
                             the end of the envelope"
                        ))
                    })?;
                if bytes.get(end).is_some() {
                    expect_newline(bytes, end, &format!("{item_type} payload of length {len}"))?;
                }
                end
            }
        };
        items.push(RawItem {
            header: item_header,
            item_type,
            payload: bytes[pos..payload_end].to_vec(),
        });
        pos = payload_end + 1;
    }
    Ok(RawEnvelope { header, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_with_and_without_length() {
        let env =
            b"{\"event_id\":\"x\"}\n{\"type\":\"a\",\"length\":3}\n1\n2\n{\"type\":\"b\"}\n{}\n";
        let e = parse_envelope(env).unwrap();
        assert_eq!(e.items.len(), 2);
        assert_eq!(e.items[0].payload, b"1\n2");
        assert_eq!(e.items[1].payload, b"{}");
    }

    #[test]
    fn trailing_newline_is_optional_and_empty_last_payload_allowed() {
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":\"a\"}\nx").unwrap().items[0].payload,
            b"x"
        );
        assert_eq!(
            parse_envelope(b"{}\n{\"type\":\"a\"}").unwrap().items[0].payload,
            b""
        );
        assert!(parse_envelope(b"{}").unwrap().items.is_empty());
    }

    #[test]
    fn framing_errors_are_named() {
        let cases: [(&[u8], &str); 6] = [
            (b"{}\r\n", "CRLF"),
            (b"{} \n", "not followed by a newline"),
            (
                b"{}\n{\"type\":\"a\",\"length\":9}\nabc\n",
                "unexpected EOF",
            ),
            (
                b"{}\n{\"type\":\"a\",\"length\":1}\nabc\n",
                "not followed by a newline",
            ),
            (b"{}\n{\"length\":1}\na\n", "has no string"),
            (b"{}\n\n{\"type\":\"a\"}\na\n", "blank line"),
        ];
        for (bytes, want) in cases {
            let err = parse_envelope(bytes).unwrap_err();
            assert!(err.message().contains(want), "{want}: {}", err.message());
        }
    }
}
