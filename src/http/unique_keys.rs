//! Finds a key given twice in one JSON object.
//!
//! serde_json keeps the last of two equal keys without a word, and has no option to refuse them.
//! Two values for one field almost always mean a client bug (a template merged twice, a typo'd
//! override), and keeping one silently would store something the client did not mean. So the
//! body is walked once more with serde's visitor, which costs a fraction of building the `Value`,
//! and the path of the first repeated key is reported.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The path of the first key that appears twice in one object, e.g. `products[2].sku`; `None`
/// when every object's keys are distinct. `json` must already be known to be valid JSON.
pub fn first_repeated_key(json: &[u8]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(json);
    match (Walk { at: &Segment::Root }).deserialize(&mut de) {
        Ok(()) => None,
        Err(err) => Some(
            err.to_string()
                .strip_prefix(MARK)
                .map(|rest| rest.rsplit_once(" at line ").map_or(rest, |(path, _)| path))
                .unwrap_or_default()
                .to_owned(),
        ),
    }
}

/// Prefixes the error a repeated key raises, to tell it from serde_json's own.
const MARK: &str = "repeated key: ";

/// Where the walk is, kept as a chain on the stack so that a path is only formatted on error.
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

struct Walk<'a> {
    at: &'a Segment<'a>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object key, borrowed from the input where it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let at = Segment::Index(self.at, index);
            if seq.next_element_seed(Walk { at: &at })?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    // With serde_json's `arbitrary_precision`, a number arrives as a one-key map holding its
    // digits: it walks like any object and can never repeat a key.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if seen.contains(&key) {
                let at = Segment::Key(self.at, &key);
                return Err(de::Error::custom(format_args!("{MARK}{at}")));
            }
            {
                let at = Segment::Key(self.at, &key);
                map.next_value_seed(Walk { at: &at })?;
            }
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keys_pass() {
        let body = br#"{"a": 1, "b": [{"a": 2, "b": 3.25}, {"a": "x"}], "c": {"a": null}}"#;
        assert_eq!(first_repeated_key(body), None);
    }

    #[test]
    fn a_repeated_key_is_named_by_its_path() {
        assert_eq!(
            first_repeated_key(br#"{"a": 1, "a": 2}"#).as_deref(),
            Some("a")
        );
        assert_eq!(
            first_repeated_key(br#"{"p": [{"sku": "x"}, {"sku": "y", "qty": 1, "sku": "z"}]}"#)
                .as_deref(),
            Some("p[1].sku")
        );
        assert_eq!(
            first_repeated_key(br#"{"o": {"k\u0041": 1, "kA": 2}}"#).as_deref(),
            Some("o.kA")
        );
    }

    #[test]
    fn the_same_key_in_different_objects_is_fine() {
        assert_eq!(first_repeated_key(br#"[{"a": 1}, {"a": 1}]"#), None);
    }
}
