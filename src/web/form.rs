//! A posted form as its fields in order, repeated names included (a receive form has one row of
//! fields per scanned SKU).

use axum::Form;
use axum::extract::{FromRequest, Request};

use super::page::PageError;

pub struct Fields(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map(|Form(fields)| Self(fields))
            .map_err(|e| PageError::BadForm(e.body_text()))
    }
}

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.trim())
    }

    /// The first value of `name`, trimmed, unless absent or empty.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|value| !value.is_empty())
    }

    /// Every value of `name`, in the order the form sent them.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.trim())
    }
}
