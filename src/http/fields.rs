//! Reading request bodies field by field, so that every problem in a body is reported at once
//! with its path (`products[2].quantity`) and the refused value.

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value};

use super::declared::Declared;
use super::error::{ApiError, ErrorCode, ErrorDetail, ErrorType, MAX_ERRORS, detail, field_detail};
use crate::domain::Invalid;
use crate::domain::number::Written;
use crate::domain::purchase_order::Patch;

/// A JSON object at a path of the body.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// Where this object sits in the body, e.g. `products[2]` (empty for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// Collects the problems found while reading one body: the first [`MAX_ERRORS`] in full, and a
/// count of the rest, so that a body of a million bad fields costs no more than one of a hundred.
#[derive(Default)]
pub struct Fields {
    errors: Vec<ErrorDetail>,
    more: usize,
}

impl Fields {
    /// The body itself must be a JSON object.
    pub fn root<'a>(&mut self, body: &'a Value) -> Option<Obj<'a>> {
        match body {
            Value::Object(map) => Some(Obj {
                map,
                path: String::new(),
            }),
            other => {
                self.record(|| {
                    detail(
                        ErrorType::Validation,
                        ErrorCode::InvalidObject,
                        format!("request body must be a JSON object, not {}", kind(other)),
                        None,
                        None,
                    )
                });
                None
            }
        }
    }

    /// A required field: missing or `null` is an error.
    pub fn required<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        parse: impl FnOnce(&Value) -> Result<T, Invalid>,
    ) -> Option<T> {
        match obj.map.get(key) {
            None | Some(Value::Null) => {
                self.push(&obj.field_path(key), None, &Invalid::Required);
                None
            }
            Some(value) => self.parse(obj, key, value, parse),
        }
    }

    /// An optional field: missing or `null` reads as `None`.
    pub fn optional<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        parse: impl FnOnce(&Value) -> Result<T, Invalid>,
    ) -> Option<T> {
        match obj.map.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => self.parse(obj, key, value, parse),
        }
    }

    /// A patch field: missing keeps the stored value, `null` clears it.
    pub fn patch<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        parse: impl FnOnce(&Value) -> Result<Option<T>, Invalid>,
    ) -> Patch<T> {
        match obj.map.get(key) {
            None => Patch::Keep,
            Some(Value::Null) => Patch::Set(None),
            Some(value) => self
                .parse(obj, key, value, parse)
                .map_or(Patch::Keep, Patch::Set),
        }
    }

    /// An optional nested object (`address`): missing or `null` reads as `None`, anything but an
    /// object is refused at its path.
    pub fn object<'a>(&mut self, obj: &Obj<'a>, key: &str) -> Option<Obj<'a>> {
        match obj.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(Obj {
                map,
                path: obj.field_path(key),
            }),
            Some(other) => {
                self.push(
                    &obj.field_path(key),
                    Some(render(other)),
                    &Invalid::value("must be an object"),
                );
                None
            }
        }
    }

    /// An optional array of strings of at most `max` items, each read by `parse` with its own
    /// path (`key[i]`): missing or `null` reads as `None`.
    pub fn strings<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        max: usize,
        parse: impl Fn(&str) -> Result<T, Invalid>,
    ) -> Option<Vec<T>> {
        let path = obj.field_path(key);
        let array = match obj.map.get(key) {
            None | Some(Value::Null) => return None,
            Some(Value::Array(array)) if array.len() <= max => array,
            Some(Value::Array(_)) => {
                let invalid = Invalid::value(format!("must contain at most {max} items"));
                self.push(&path, None, &invalid);
                return None;
            }
            Some(other) => {
                let invalid = Invalid::value("must be an array");
                self.push(&path, Some(render(other)), &invalid);
                return None;
            }
        };
        let before = self.count();
        let mut items = Vec::with_capacity(array.len());
        for (index, value) in array.iter().enumerate() {
            match string(value).and_then(&parse) {
                Ok(item) => items.push(item),
                Err(invalid) => {
                    self.push(&format!("{path}[{index}]"), Some(render(value)), &invalid);
                }
            }
        }
        (self.count() == before).then_some(items)
    }

    /// A required array of objects, each read by `item` with its own path (`key[i]`).
    pub fn objects<'a, T>(
        &mut self,
        obj: &Obj<'a>,
        key: &str,
        mut item: impl FnMut(&mut Self, Obj<'a>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let path = obj.field_path(key);
        let array = match obj.map.get(key) {
            None | Some(Value::Null) => {
                self.push(&path, None, &Invalid::Required);
                return None;
            }
            Some(Value::Array(array)) => array,
            Some(other) => {
                self.push(
                    &path,
                    Some(render(other)),
                    &Invalid::value("must be an array"),
                );
                return None;
            }
        };
        let before = self.count();
        let mut items = Vec::with_capacity(array.len());
        for (index, value) in array.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            match value {
                Value::Object(map) => {
                    if let Some(parsed) = item(
                        self,
                        Obj {
                            map,
                            path: item_path,
                        },
                    ) {
                        items.push(parsed);
                    }
                }
                other => self.push(
                    &item_path,
                    Some(render(other)),
                    &Invalid::value("must be an object"),
                ),
            }
        }
        (self.count() == before).then_some(items)
    }

    /// Refuses every field not in `known`: the parameters of a query string.
    pub fn deny_unknown(&mut self, obj: &Obj<'_>, known: &[&str]) {
        self.refuse_unlisted(obj, |key| known.contains(&key), || known.join(", "));
    }

    /// Refuses every field of a body that its [`Declared`] does not list.
    pub fn deny_undeclared(&mut self, obj: &Obj<'_>, declared: &Declared) {
        self.refuse_unlisted(
            obj,
            |key| declared.allows(key),
            || declared.known.join(", "),
        );
    }

    fn refuse_unlisted(
        &mut self,
        obj: &Obj<'_>,
        allowed: impl Fn(&str) -> bool,
        listed: impl Fn() -> String,
    ) {
        for (key, value) in obj.map {
            if !allowed(key) {
                self.record(|| {
                    detail(
                        ErrorType::Validation,
                        ErrorCode::InvalidFieldValue,
                        format!(
                            "{} is not a known field (allowed: {})",
                            obj.field_path(key),
                            listed()
                        ),
                        Some(obj.field_path(key)),
                        Some(render(value)),
                    )
                });
            }
        }
    }

    /// Adds a problem found after reading (e.g. a rule across fields).
    pub fn push(&mut self, path: &str, value: Option<String>, invalid: &Invalid) {
        self.record(|| field_detail(path, value, invalid));
    }

    /// Keeps a problem, built only while fewer than [`MAX_ERRORS`] are kept; counts it after.
    fn record(&mut self, problem: impl FnOnce() -> ErrorDetail) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(problem());
        } else {
            self.more += 1;
        }
    }

    /// How many problems were found, kept or only counted.
    fn count(&self) -> usize {
        self.errors.len() + self.more
    }

    pub fn is_clean(&self) -> bool {
        self.count() == 0
    }

    /// `Ok` when nothing was wrong, else the 400 listing the problems.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.is_clean() {
            Ok(())
        } else {
            Err(ApiError::validation_with_more(self.errors, self.more))
        }
    }

    fn parse<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        value: &Value,
        parse: impl FnOnce(&Value) -> Result<T, Invalid>,
    ) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(invalid) => {
                self.push(&obj.field_path(key), Some(render(value)), &invalid);
                None
            }
        }
    }
}

/// An optional field that the ShipStation document types as a string, number or enum, never
/// as nullable: omitted reads as `None`, `null` is refused. Strictly generated clients omit such
/// a field; accepting `null` would let loosely written ones believe it means something.
/// (`Fields::optional` reads `null` as omitted, which `shipping_details` patches rely on.)
pub fn given<T>(
    f: &mut Fields,
    o: &Obj<'_>,
    key: &str,
    parse: impl FnOnce(&Value) -> Result<T, Invalid>,
) -> Option<T> {
    match f.patch(o, key, |v| parse(v).map(Some)) {
        Patch::Keep => None,
        Patch::Set(value @ Some(_)) => value,
        Patch::Set(None) => {
            let path = match o.path() {
                "" => key.to_owned(),
                parent => format!("{parent}.{key}"),
            };
            f.push(
                &path,
                Some("null".to_owned()),
                &Invalid::value("must not be null; omit the field instead"),
            );
            None
        }
    }
}

/// The refused value as the client sent it: a string as is, anything else as JSON; cut short.
pub fn render(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 200 {
        format!("{}...", text.chars().take(200).collect::<String>())
    } else {
        text
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// Value readers: each turns one JSON value into a domain value or says what was wrong.

pub fn string(value: &Value) -> Result<&str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid::value(format!("must be a string, not {}", kind(value))))
}

/// A whole number, judged on the exact digits sent: `1000`, `1e3` and `1000.0` are all 1000;
/// `1.5` and a number past 64 bits are refused, never rounded or cut.
pub fn integer(value: &Value) -> Result<i64, Invalid> {
    match value {
        Value::Number(n) => {
            // Digits alone, the usual case, need no closer reading.
            if let Some(whole) = n.as_i64() {
                return Ok(whole);
            }
            let written = Written::parse(&n.to_string())
                .filter(|w| w.decimal_places() == 0)
                .ok_or_else(|| Invalid::value("must be a whole number"))?;
            written.scaled(0).ok_or_else(|| {
                Invalid::value(format!(
                    "must be a whole number from {} to {}",
                    i64::MIN,
                    i64::MAX
                ))
            })
        }
        other => Err(Invalid::value(format!(
            "must be a whole number, not {}",
            kind(other)
        ))),
    }
}

/// The exact digits of a JSON number (numbers are kept as written, never as binary floats).
pub fn number(value: &Value) -> Result<String, Invalid> {
    match value {
        Value::Number(n) => Ok(n.to_string()),
        other => Err(Invalid::value(format!(
            "must be a number, not {}",
            kind(other)
        ))),
    }
}

/// An RFC 3339 date-time, such as `2025-01-15T00:00:00Z`.
pub fn date_time(value: &Value) -> Result<DateTime<Utc>, Invalid> {
    parse_date_time(string(value)?)
}

pub fn parse_date_time(raw: &str) -> Result<DateTime<Utc>, Invalid> {
    let at = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Invalid::value("must be an RFC 3339 date-time such as 2025-01-15T00:00:00Z")
        })?;
    // Answers give dates in UTC, and RFC 3339 has four-digit years: an offset that carries a date
    // past 9999 or before year 0 could not be written back.
    if !(0..=9999).contains(&at.year()) {
        return Err(Invalid::value(
            "must fall between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z once converted to UTC",
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let body = json!({"name": 5, "items": [{"qty": 1}, {"qty": "x"}, 7], "typo": true});
        let mut fields = Fields::default();
        let root = fields.root(&body).unwrap();
        let name = fields.required(&root, "name", |v| string(v).map(str::to_owned));
        let items = fields.objects(&root, "items", |f, item| f.required(&item, "qty", integer));
        fields.required(&root, "missing", |v| string(v).map(str::to_owned));
        fields.deny_unknown(&root, &["name", "items", "missing"]);
        assert_eq!(name, None);
        assert_eq!(items, None);
        let err = fields.finish().unwrap_err();
        let paths: Vec<_> = err
            .errors
            .iter()
            .map(|e| e.field_name.clone().unwrap())
            .collect();
        assert_eq!(
            paths,
            vec!["name", "items[1].qty", "items[2]", "missing", "typo"]
        );
        assert_eq!(err.errors[1].field_value.as_deref(), Some("x"));
        assert_eq!(err.errors[3].error_code, ErrorCode::FieldValueRequired);
    }

    #[test]
    fn patch_tells_missing_from_null() {
        let body = json!({"a": null, "b": "x"});
        let mut fields = Fields::default();
        let root = fields.root(&body).unwrap();
        let read = |v: &Value| string(v).map(|s| Some(s.to_owned()));
        assert_eq!(fields.patch(&root, "a", read), Patch::Set(None));
        assert_eq!(
            fields.patch(&root, "b", read),
            Patch::Set(Some("x".to_owned()))
        );
        assert_eq!(fields.patch(&root, "c", read), Patch::Keep);
    }

    #[test]
    fn whole_numbers_are_read_exactly_or_refused() {
        let body: Value =
            serde_json::from_str(r#"[1000, 1e3, 1000.0, 1.5, 99999999999999999999, "7"]"#).unwrap();
        assert_eq!(integer(&body[0]), Ok(1000));
        assert_eq!(integer(&body[1]), Ok(1000));
        assert_eq!(integer(&body[2]), Ok(1000));
        assert_eq!(
            integer(&body[3]),
            Err(Invalid::value("must be a whole number"))
        );
        assert_eq!(
            integer(&body[4]),
            Err(Invalid::value(
                "must be a whole number from -9223372036854775808 to 9223372036854775807"
            ))
        );
        assert!(integer(&body[5]).is_err());
    }

    #[test]
    fn numbers_keep_their_exact_digits() {
        let body: Value = serde_json::from_str(r#"{"cost": 0.10000000000000001}"#).unwrap();
        assert_eq!(number(&body["cost"]).unwrap(), "0.10000000000000001");
    }
}
