//! Reads a JSON body into a `Value`, refusing a key given twice in one object.
//!
//! serde_json keeps the last of two equal keys without a word, and has no option to refuse them.
//! Two values for one field almost always mean a client bug (a template merged twice, a typo'd
//! override), and keeping one silently would store something the client did not mean. So the
//! body is read with a visitor of our own that builds the same `Value` serde_json would and
//! notices a repeated key as it inserts it: one pass, and the path of the first repeated key.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Why a body could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// Not JSON at all: serde_json's own error, with its line and column.
    Invalid(serde_json::Error),
    /// The path of the first key given twice in one object, e.g. `products[2].sku`.
    Repeated(String),
}

/// The body as a `Value`, exactly as `serde_json::from_slice` would read it, unless it is not
/// JSON or one of its objects repeats a key.
pub fn from_slice(json: &[u8]) -> Result<Value, Unreadable> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = (Read { at: &Segment::Root })
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    value.map_err(|err| {
        let text = err.to_string();
        match text.strip_prefix(MARK) {
            Some(rest) => Unreadable::Repeated(
                rest.rsplit_once(" at line ")
                    .map_or(rest, |(path, _)| path)
                    .to_owned(),
            ),
            None => Unreadable::Invalid(err),
        }
    })
}

/// Prefixes the error a repeated key raises, to tell it from serde_json's own.
const MARK: &str = "repeated key: ";

/// With serde_json's `arbitrary_precision`, a number reaches a visitor as a one-key map whose key
/// is this and whose value is the number's digits. The test `numbers_keep_their_digits` fails
/// should serde_json ever change it.
const NUMBER_KEY: &str = "$serde_json::private::Number";

/// Where the reading is, kept as a chain on the stack so that a path is only formatted on error.
enum Segment<'a> {
    Root,
    Key(&'a Segment<'a>, &'a str),
    Index(&'a Segment<'a>, usize),
}

impl fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Root => Ok(()),
            Segment::Key(Segment::Root, key) => f.write_str(key),
            Segment::Key(parent, key) => write!(f, "{parent}.{key}"),
            Segment::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

struct Read<'a> {
    at: &'a Segment<'a>,
}

impl<'de> DeserializeSeed<'de> for Read<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Read<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        loop {
            let at = Segment::Index(self.at, values.len());
            match seq.next_element_seed(Read { at: &at })? {
                Some(value) => values.push(value),
                None => return Ok(Value::Array(values)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut values = Map::new();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if std::mem::take(&mut first) && key == NUMBER_KEY {
                let digits: String = map.next_value()?;
                return digits
                    .parse::<Number>()
                    .map(Value::Number)
                    .map_err(de::Error::custom);
            }
            match values.entry(key) {
                Entry::Occupied(taken) => {
                    let at = Segment::Key(self.at, taken.key());
                    return Err(de::Error::custom(format_args!("{MARK}{at}")));
                }
                Entry::Vacant(free) => {
                    let at = Segment::Key(self.at, free.key());
                    let value = map.next_value_seed(Read { at: &at })?;
                    free.insert(value);
                }
            }
        }
        Ok(Value::Object(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeated(json: &[u8]) -> Option<String> {
        match from_slice(json) {
            Err(Unreadable::Repeated(path)) => Some(path),
            Err(Unreadable::Invalid(err)) => panic!("not JSON: {err}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let body = br#"{"a": 1, "b": [{"a": 2, "b": 3.25}, {"a": "x\u00e9"}], "c": {"a": null},
                        "d": true, "e": [], "f": {}, "g": -0.000000000000000000000000000001,
                        "h": 18446744073709551616}"#;
        let ours = from_slice(body).unwrap();
        let theirs: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    #[test]
    fn numbers_keep_their_digits() {
        let value =
            from_slice(br#"{"cost": 1.50, "big": 123456789012345678901234567890}"#).unwrap();
        assert_eq!(value["cost"].to_string(), "1.50");
        assert_eq!(value["big"].to_string(), "123456789012345678901234567890");
        assert!(value["cost"].is_number());
    }

    #[test]
    fn distinct_keys_pass() {
        let body = br#"{"a": 1, "b": [{"a": 2, "b": 3.25}, {"a": "x"}], "c": {"a": null}}"#;
        assert_eq!(repeated(body), None);
    }

    #[test]
    fn a_repeated_key_is_named_by_its_path() {
        assert_eq!(repeated(br#"{"a": 1, "a": 2}"#).as_deref(), Some("a"));
        assert_eq!(
            repeated(br#"{"p": [{"sku": "x"}, {"sku": "y", "qty": 1, "sku": "z"}]}"#).as_deref(),
            Some("p[1].sku")
        );
        assert_eq!(
            repeated(br#"{"o": {"k\u0041": 1, "kA": 2}}"#).as_deref(),
            Some("o.kA")
        );
    }

    #[test]
    fn the_same_key_in_different_objects_is_fine() {
        assert_eq!(repeated(br#"[{"a": 1}, {"a": 1}]"#), None);
    }

    #[test]
    fn what_is_not_json_keeps_serde_jsons_error() {
        for (body, expected) in [
            (
                &b"{\"a\": 1} x"[..],
                "trailing characters at line 1 column 10",
            ),
            (&b"{\"a\": }"[..], "expected value at line 1 column 7"),
            (
                &b"{\"a\": 1"[..],
                "EOF while parsing an object at line 1 column 7",
            ),
        ] {
            match from_slice(body) {
                Err(Unreadable::Invalid(err)) => assert_eq!(err.to_string(), expected),
                other => panic!("{other:?}"),
            }
            let theirs = serde_json::from_slice::<Value>(body).unwrap_err();
            assert_eq!(theirs.to_string(), expected);
        }
    }
}
