//! Versions and entity tags: what `ETag`, `If-Match` and `If-None-Match` compare.

use std::fmt;

/// How many changes a stored object has seen: 1 when it is created, one more with each change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub i64);

impl Version {
    /// The version of an object just created.
    pub const FIRST: Self = Self(1);

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

/// What a representation is made of, as its `ETag` names it: the object's version, and for a
/// purchase order its supplier's as well, since an order's answer carries the supplier's name.
/// Written `3` (or `3.1` for an order); the HTTP layer puts the quotes around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    version: Version,
    supplier: Option<Version>,
}

impl Tag {
    pub fn of(version: Version) -> Self {
        Self {
            version,
            supplier: None,
        }
    }

    pub fn of_order(version: Version, supplier: Version) -> Self {
        Self {
            version,
            supplier: Some(supplier),
        }
    }

    /// The object's own version.
    pub fn version(self) -> Version {
        self.version
    }

    /// The same tag with the object's own version replaced.
    pub fn with_version(self, version: Version) -> Self {
        Self { version, ..self }
    }

    /// Reads a tag as [`fmt::Display`] writes it; anything else names no representation of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let number = |part: &str| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok().map(Version))
                .flatten()
        };
        match text.split_once('.') {
            None => Some(Self::of(number(text)?)),
            Some((own, supplier)) => Some(Self::of_order(number(own)?, number(supplier)?)),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.supplier {
            None => write!(f, "{}", self.version.0),
            Some(supplier) => write!(f, "{}.{}", self.version.0, supplier.0),
        }
    }
}

/// An `If-Match` that names tags: a write goes ahead only from one of them. (`If-Match: *` asks
/// only that the object exist, which every write asks anyway, so it makes no precondition.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition(Vec<Tag>);

impl Precondition {
    pub fn new(tags: Vec<Tag>) -> Self {
        Self(tags)
    }

    /// Whether an object whose representation is now `current` may be written.
    pub fn admits(&self, current: Tag) -> bool {
        self.0.contains(&current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_reads_back_what_it_writes_and_nothing_else() {
        let order = Tag::of_order(Version(12), Version(3));
        assert_eq!(order.to_string(), "12.3");
        assert_eq!(Tag::parse("12.3"), Some(order));
        assert_eq!(Tag::parse("7"), Some(Tag::of(Version(7))));
        for junk in [
            "",
            ".",
            "1.",
            ".1",
            "1.2.3",
            "-1",
            "+1",
            "1e3",
            " 1",
            "x",
            "99999999999999999999",
        ] {
            assert_eq!(Tag::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn a_precondition_admits_only_the_tags_it_names() {
        let pre = Precondition::new(vec![Tag::of(Version(2)), Tag::of(Version(4))]);
        assert!(pre.admits(Tag::of(Version(4))));
        assert!(!pre.admits(Tag::of(Version(3))));
        assert!(!pre.admits(Tag::of_order(Version(4), Version(1))));
    }
}
