use super::Invalid;

/// Trims `raw` and checks its length in characters. Used for every free-text field.
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    let len = trimmed.chars().count();
    if len < min || len > max {
        return Err(Invalid::Length { min, max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::value("must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// An optional free-text field: an empty string means "no value".
pub fn optional(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    if raw.trim().chars().count() > max {
        return Err(Invalid::Length { min: 0, max });
    }
    bounded(raw, 1, max).map(Some)
}

/// Like [`optional`], but allows line breaks and tabs (notes to a supplier span lines).
pub fn optional_multiline(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(Invalid::Length { min: 0, max });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::value("must not contain control characters"));
    }
    Ok(Some(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_trims_and_counts_characters_not_bytes() {
        assert_eq!(bounded("  Zürich  ", 1, 6), Ok("Zürich".to_owned()));
        assert_eq!(bounded("", 1, 6), Err(Invalid::Length { min: 1, max: 6 }));
        assert_eq!(
            bounded("1234567", 1, 6),
            Err(Invalid::Length { min: 1, max: 6 })
        );
    }

    #[test]
    fn optional_treats_blank_as_absent() {
        assert_eq!(optional("   ", 5), Ok(None));
        assert_eq!(
            optional("abcdef", 5),
            Err(Invalid::Length { min: 0, max: 5 })
        );
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_notes() {
        assert!(bounded("a\u{0}b", 1, 10).is_err());
        assert_eq!(
            optional_multiline("line 1\nline 2", 50),
            Ok(Some("line 1\nline 2".to_owned()))
        );
    }
}
