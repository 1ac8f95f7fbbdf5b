//! The fields a request body may hold, read from the types that describe the body and the answer
//! in the OpenAPI document: one declaration gives both the published schema and the parser's list
//! of allowed fields, so the two cannot drift apart.

use std::collections::BTreeSet;

use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

/// What [`super::fields::Fields::deny_undeclared`] lets through.
pub struct Declared {
    /// The fields the request takes, as the document lists them.
    pub known: Box<[String]>,
    /// Fields of the answer the request does not take: read-only, accepted and dropped, so that
    /// a client may send back what it read (GET, edit, PUT).
    pub read_only: Box<[String]>,
}

impl Declared {
    /// The fields of `Request`, and as read-only those of `Answer` that `Writable` lacks.
    /// (`Writable` is `Request` but for a patch such as shipping details, whose read-only fields
    /// are those of the whole resource's replacement.)
    pub fn new<Request: ToSchema, Answer: ToSchema, Writable: ToSchema>() -> Self {
        let writable = fields::<Writable>();
        Self {
            known: fields::<Request>().into_iter().collect(),
            read_only: fields::<Answer>()
                .into_iter()
                .filter(|field| !writable.contains(field))
                .collect(),
        }
    }

    /// The fields of `Request`, with nothing read-only.
    pub fn only<Request: ToSchema>() -> Self {
        Self {
            known: fields::<Request>().into_iter().collect(),
            read_only: Box::default(),
        }
    }

    pub fn allows(&self, field: &str) -> bool {
        self.known.iter().chain(&self.read_only).any(|f| f == field)
    }
}

/// The property names of `T`'s object schema, in the document's (alphabetical) order.
fn fields<T: ToSchema>() -> BTreeSet<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => panic!("{} is not described as an object", T::name()),
    }
}

/// One [`Declared`] per body, built on first use: `declared!(NAME = Request, Answer, Writable)`.
macro_rules! declared {
    ($name:ident = $request:ty) => {
        static $name: std::sync::LazyLock<$crate::http::declared::Declared> =
            std::sync::LazyLock::new($crate::http::declared::Declared::only::<$request>);
    };
    ($name:ident = $request:ty, $answer:ty, $writable:ty) => {
        static $name: std::sync::LazyLock<$crate::http::declared::Declared> =
            std::sync::LazyLock::new(
                $crate::http::declared::Declared::new::<$request, $answer, $writable>,
            );
    };
}
pub(crate) use declared;

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Map, Value};

    use super::Declared;
    use crate::http::error::ApiError;

    /// A body giving every declared field a value no field accepts (an object): the parser
    /// must refuse each one by name, which proves it reads every field the document declares.
    pub fn every_field_wrong(declared: &Declared) -> Value {
        let wrong = Value::Object(Map::from_iter([("wrong".to_owned(), Value::Bool(true))]));
        Value::Object(
            declared
                .known
                .iter()
                .map(|f| (f.clone(), wrong.clone()))
                .collect(),
        )
    }

    /// The fields an error names, in order.
    pub fn named(err: ApiError, prefix: &str) -> Vec<String> {
        let mut named: Vec<String> = err
            .errors
            .iter()
            .filter_map(|e| e.field_name.clone())
            .filter_map(|f| f.strip_prefix(prefix).map(str::to_owned))
            .collect();
        named.sort();
        named
    }

    /// The declared fields, sorted as [`named`] returns them.
    pub fn sorted(declared: &Declared) -> Vec<String> {
        let mut known = declared.known.to_vec();
        known.sort();
        known
    }
}
