//! Strict reading of untrusted JSON, with messages that name the offending field.
//!
//! Payloads are read through `serde_json::Value` rather than derived `Deserialize`
//! impls because a derived impl reports "invalid type: string, expected u32 at line 1
//! column 812", while a validator must say which field broke which rule.

use serde_json::{Map, Value};

use super::rejection::{Reason, Rejection};

/// Parses strict JSON; `NaN`, `Infinity`, trailing commas and the like are refused.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| {
        Rejection::new(
            Reason::InvalidJson,
            format!("payload is not valid JSON: {e}"),
        )
    })
}

/// A JSON object together with its path in the document, for messages.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// The document's top level, which must be an object.
    pub(crate) fn root(v: &'a Value) -> Result<Self, Rejection> {
        match v {
            Value::Object(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            _ => Err(Rejection::field("payload must be a JSON object")),
        }
    }

    /// `v` as an object found at `path`.
    pub(crate) fn at(v: &'a Value, path: String) -> Result<Self, Rejection> {
        match v {
            Value::Object(map) => Ok(Self { map, path }),
            _ => Err(Rejection::field(format!("{path} must be an object"))),
        }
    }

    /// Path of a field of this object.
    pub(crate) fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// The field, or `None` when absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// The field, or `None` when absent or `null` (serde's reading of an `Option`).
    pub(crate) fn non_null(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The first of `keys` that is present and not null (field plus its aliases).
    pub(crate) fn first_of(&self, keys: &[&str]) -> Option<(&'a Value, String)> {
        keys.iter()
            .find_map(|k| self.non_null(k).map(|v| (v, self.path_of(k))))
    }

    pub(crate) fn str_req(&self, key: &str) -> Result<String, Rejection> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Rejection::field(format!(
                "{} must be a string",
                self.path_of(key)
            ))),
            None => Err(Rejection::field(format!(
                "{} is required and must be a string",
                self.path_of(key)
            ))),
        }
    }

    /// Optional string; `null` reads as absent.
    pub(crate) fn str_opt(&self, key: &str) -> Result<Option<String>, Rejection> {
        self.first_str(&[key])
    }

    /// Optional string under a field name or one of its aliases.
    pub(crate) fn first_str(&self, keys: &[&str]) -> Result<Option<String>, Rejection> {
        match self.first_of(keys) {
            None => Ok(None),
            Some((Value::String(s), _)) => Ok(Some(s.clone())),
            Some((_, path)) => Err(Rejection::field(format!("{path} must be a string"))),
        }
    }

    /// Optional string where `null` is a type error (Relay reads these as plain
    /// `String` with a default, so `null` fails the item).
    pub(crate) fn str_opt_not_null(&self, key: &str) -> Result<Option<String>, Rejection> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Null) => Err(Rejection::field(format!(
                "{} must be a string (null is a type error; omit the field instead)",
                self.path_of(key)
            ))),
            Some(_) => Err(Rejection::field(format!(
                "{} must be a string",
                self.path_of(key)
            ))),
        }
    }

    pub(crate) fn obj_req(&self, key: &str) -> Result<Obj<'a>, Rejection> {
        match self.get(key) {
            Some(v) => Obj::at(v, self.path_of(key)),
            None => Err(Rejection::field(format!(
                "{} is required and must be an object",
                self.path_of(key)
            ))),
        }
    }

    pub(crate) fn obj_opt(&self, key: &str) -> Result<Option<Obj<'a>>, Rejection> {
        self.non_null(key)
            .map(|v| Obj::at(v, self.path_of(key)))
            .transpose()
    }

    pub(crate) fn arr_req(&self, key: &str) -> Result<&'a [Value], Rejection> {
        match self.get(key) {
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(Rejection::field(format!(
                "{} must be an array",
                self.path_of(key)
            ))),
            None => Err(Rejection::field(format!(
                "{} is required and must be an array",
                self.path_of(key)
            ))),
        }
    }

    pub(crate) fn arr_opt(&self, key: &str) -> Result<Option<&'a [Value]>, Rejection> {
        match self.non_null(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(Rejection::field(format!(
                "{} must be an array",
                self.path_of(key)
            ))),
        }
    }

    pub(crate) fn bool_opt(&self, key: &str) -> Result<Option<bool>, Rejection> {
        match self.non_null(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Rejection::field(format!(
                "{} must be a boolean",
                self.path_of(key)
            ))),
        }
    }

    /// Optional `u32` under a field name or its aliases (line and column numbers).
    pub(crate) fn first_u32(&self, keys: &[&str]) -> Result<Option<u32>, Rejection> {
        match self.first_of(keys) {
            None => Ok(None),
            Some((v, path)) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    Rejection::field(format!("{path} must be an unsigned 32-bit integer"))
                }),
        }
    }

    /// Optional `u64` sent as an integer or a decimal string.
    pub(crate) fn u64ish_opt(&self, key: &str) -> Result<Option<u64>, Rejection> {
        self.non_null(key)
            .map(|v| u64ish(v, &self.path_of(key)))
            .transpose()
    }

    /// Required `u64` sent as an integer or a decimal string.
    pub(crate) fn u64ish_req(&self, key: &str) -> Result<u64, Rejection> {
        match self.non_null(key) {
            Some(v) => u64ish(v, &self.path_of(key)),
            None => Err(Rejection::field(format!(
                "{} is required (a non-negative integer or decimal string)",
                self.path_of(key)
            ))),
        }
    }

    /// Required index (a JSON integer, never a string).
    pub(crate) fn index_req(&self, key: &str) -> Result<u32, Rejection> {
        index(self.get(key).unwrap_or(&Value::Null), &self.path_of(key))
    }

    /// Required finite number.
    pub(crate) fn f64_req(&self, key: &str, what: &str) -> Result<f64, Rejection> {
        match self.get(key).and_then(Value::as_f64) {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(Rejection::field(format!(
                "{} must be a number ({what})",
                self.path_of(key)
            ))),
        }
    }
}

/// A `u64` as an integer or a decimal string (Python and Node send strings).
pub(crate) fn u64ish(v: &Value, path: &str) -> Result<u64, Rejection> {
    let parsed = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    parsed.ok_or_else(|| {
        Rejection::field(format!(
            "{path} must be a non-negative integer or a decimal string"
        ))
    })
}

/// An index into a table: a non-negative JSON integer. Values beyond `u32` are
/// saturated, which keeps them out of range of any real table, so they fail the
/// range checks exactly as they would in Relay.
pub(crate) fn index(v: &Value, path: &str) -> Result<u32, Rejection> {
    v.as_u64()
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .ok_or_else(|| Rejection::field(format!("{path} must be a non-negative integer")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_numbers_and_nulls_are_told_apart() {
        let v = json!({"a": "1", "b": 1, "c": null, "d": -1, "e": "x1"});
        let o = Obj::root(&v).unwrap();
        assert_eq!(o.u64ish_opt("a").unwrap(), Some(1));
        assert_eq!(o.u64ish_opt("b").unwrap(), Some(1));
        assert_eq!(o.u64ish_opt("c").unwrap(), None);
        assert!(o.u64ish_opt("d").is_err());
        assert!(o.u64ish_opt("e").is_err());
        assert!(o
            .index_req("a")
            .unwrap_err()
            .message()
            .contains("a must be a non-negative integer"));
        assert!(o.str_opt_not_null("c").is_err());
        assert_eq!(o.str_opt("c").unwrap(), None);
        assert!(o
            .first_u32(&["d"])
            .unwrap_err()
            .message()
            .contains("unsigned 32-bit"));
    }

    #[test]
    fn nan_is_not_json() {
        let e = parse_json(br#"{"t": NaN}"#).unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidJson);
        assert!(e.message().contains("not valid JSON"));
    }
}
