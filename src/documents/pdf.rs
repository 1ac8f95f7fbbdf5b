//! The embedded fonts, text measurement, and the last step: laid-out pages to PDF bytes.
//!
//! Layout works on plain drawing operations (`Op`) so that it can be finished (page count known)
//! before anything is written; krilla then embeds a subset of each font, so any viewer renders the
//! document the same way and text can be copied and searched.

use std::sync::Arc;

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::shape::Shaper;
use super::{Cancel, DocumentError};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Style {
    Regular,
    Bold,
}

/// One drawing operation on a page; coordinates in points from the top-left corner, text `y` is
/// the baseline.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        grey: u8,
    },
    Band {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        grey: u8,
    },
}

pub(super) struct Face {
    pub(super) pdf: krilla::text::Font,
    pub(super) bytes: &'static [u8],
    // Built once: making a charmap or a metrics reader looks up font tables, which cost more
    // than the measuring itself when done for every piece of text.
    charmap: Charmap<'static>,
    /// Advances in font units, scaled per use.
    advances: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(bytes: &'static [u8]) -> Result<Self, DocumentError> {
        let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(bytes);
        let pdf = krilla::text::Font::new(data.into(), 0).ok_or(DocumentError::Font)?;
        let metrics = FontRef::new(bytes).map_err(|_| DocumentError::Font)?;
        let units_per_em = f32::from(
            metrics
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Self {
            pdf,
            bytes,
            charmap: metrics.charmap(),
            advances: metrics.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }
}

pub(super) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub(super) fn load() -> Result<Self, DocumentError> {
        Ok(Self {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
        })
    }

    pub(super) fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// The advance width of `text` set in one line, in points.
    pub(super) fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        let face = self.face(style);
        let units: f32 = text
            .chars()
            .filter_map(|c| {
                face.advances
                    .advance_width(face.charmap.map(c).unwrap_or_default())
            })
            .sum();
        units * size / face.units_per_em
    }

    /// `text` on one line, cut with an ellipsis where it would pass `max` points.
    pub(super) fn truncate(&self, style: Style, size: f32, text: &str, max: f32) -> String {
        let text = one_line(text);
        if self.width(style, size, &text) <= max {
            return text;
        }
        let budget = max - self.width(style, size, "…");
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.width(style, size, c.encode_utf8(&mut [0; 4]));
            if used + w > budget {
                break;
            }
            used += w;
            out.push(c);
        }
        out.truncate(out.trim_end().len());
        out.push('…');
        out
    }

    /// `text` broken into lines no wider than `max`: at spaces where possible, inside a word only
    /// when the word alone is too wide. Line breaks in the text are kept.
    pub(super) fn wrap(&self, style: Style, size: f32, text: &str, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(style, size, &candidate) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(style, size, &line) > max && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// Control characters (tabs, line breaks) would print as boxes in a one-line value.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Writes the pages as a PDF, checking `cancel` before each page.
pub(super) fn render(
    fonts: &Fonts,
    title: &str,
    pages: &[Vec<Op>],
    cancel: &Cancel,
) -> Result<Vec<u8>, DocumentError> {
    let mut shaper = Shaper::new(fonts)?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator("Procura".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(DocumentError::Layout)?;
    for ops in pages {
        cancel.check()?;
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    style,
                    size,
                    text,
                } => {
                    surface.set_fill(Some(Fill::default()));
                    surface.set_stroke(None);
                    let font = fonts.face(*style).pdf.clone();
                    let glyphs = shaper.shape(*style, text);
                    surface.draw_glyphs(Point::from_xy(*x, *y), glyphs, font, text, *size, false);
                }
                Op::Rule {
                    x1,
                    x2,
                    y,
                    width,
                    grey,
                } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: luma::Color::new(*grey).into(),
                        width: *width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                }
                Op::Band {
                    x,
                    y,
                    width,
                    height,
                    grey,
                } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else {
                        continue;
                    };
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: luma::Color::new(*grey).into(),
                        ..Fill::default()
                    }));
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    let Some(path) = path.finish() else { continue };
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}
