use std::fmt;

/// Why one field's value was refused. The HTTP layer adds the field's path and value and turns
/// this into an entry of the error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// A required field is missing or `null`.
    Required,
    /// A string outside its length bounds (in characters).
    Length { min: usize, max: usize },
    /// An id that does not name an object of the caller's account.
    Identifier(String),
    /// Any other wrong value; the message says what was expected.
    Value(String),
}

impl Invalid {
    pub fn value(message: impl Into<String>) -> Self {
        Self::Value(message.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("is required"),
            Self::Length { min, max } if min == max => {
                write!(f, "must be exactly {min} characters")
            }
            Self::Length { min: 0, max } => write!(f, "must be at most {max} characters"),
            Self::Length { min, max } => write!(f, "must be {min} to {max} characters long"),
            Self::Identifier(message) | Self::Value(message) => f.write_str(message),
        }
    }
}
