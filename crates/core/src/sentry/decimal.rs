//! Serde helpers writing `u64`s as decimal strings, the way Python and Node send
//! thread ids and nanosecond offsets (JSON readers in other languages lose precision
//! on integers above 2^53).

use serde::Serializer;

pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

pub(crate) mod option {
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
}
