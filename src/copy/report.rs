//! What a copy found on each side, printed as a table.

use std::fmt;

/// One verified figure: its value in SQLite, the rows the copy inserted (for row counts) and its
/// value in PostgreSQL after the copy, inside the copy's transaction. Figures are 128-bit: a sum
/// of stock values passes 64 bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub sqlite: i128,
    pub copied: Option<i64>,
    pub postgres: i128,
}

impl Line {
    pub fn is_equal(&self) -> bool {
        self.sqlite == self.postgres
            && self
                .copied
                .is_none_or(|copied| i128::from(copied) == self.sqlite)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub lines: Vec<Line>,
}

impl Report {
    pub fn is_verified(&self) -> bool {
        self.lines.iter().all(Line::is_equal)
    }

    /// The figure a label names, on the PostgreSQL side.
    pub fn postgres(&self, label: &str) -> Option<i128> {
        self.lines
            .iter()
            .find(|line| line.label == label)
            .map(|line| line.postgres)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .lines
            .iter()
            .map(|line| line.label.len())
            .max()
            .unwrap_or(0);
        writeln!(
            f,
            "{:<width$}  {:>12}  {:>12}  {:>12}",
            "", "SQLITE", "COPIED", "POSTGRESQL"
        )?;
        for line in &self.lines {
            let copied = line.copied.map_or(String::new(), |n| n.to_string());
            let verdict = if line.is_equal() { "ok" } else { "MISMATCH" };
            writeln!(
                f,
                "{:<width$}  {:>12}  {:>12}  {:>12}  {verdict}",
                line.label, line.sqlite, copied, line.postgres
            )?;
        }
        Ok(())
    }
}
