//! The embedded fonts, text measurement, and the last step: laid-out pages to PDF bytes.
//!
//! Layout works on plain drawing operations (`Op`) so that it can be finished (page count known)
//! before anything is written; krilla then embeds a subset of each font, so any viewer renders the
//! document the same way and text can be copied and searched.

use std::sync::Arc;

use krilla::Data;
use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Size as BoxSize, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::shape::Shaper;
use super::{Cancel, DocumentError};
use crate::domain::logo::{ImageType, Logo};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
/// Chinese, Japanese and Korean, which DejaVu lacks; used per run of characters DejaVu has no
/// glyph for (docs/documents.md says what it adds to the binary).
static FALLBACK: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

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
    /// The account's logo, scaled into the box whose top-left corner is at `x`, `y`.
    Logo {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

/// The font a run of text is set in: the style's own, or the fallback for what it lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Which {
    Regular,
    Bold,
    Fallback,
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
        // Index 0 of a collection (the fallback is one), or the font itself.
        let metrics = FontRef::from_index(bytes, 0).map_err(|_| DocumentError::Font)?;
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
    fallback: Face,
}

impl Fonts {
    pub(super) fn load() -> Result<Self, DocumentError> {
        Ok(Self {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
            fallback: Face::load(FALLBACK)?,
        })
    }

    pub(super) fn face(&self, which: Which) -> &Face {
        match which {
            Which::Regular => &self.regular,
            Which::Bold => &self.bold,
            Which::Fallback => &self.fallback,
        }
    }

    /// The font `c` is drawn with in `style`: the style's own when it has the character.
    fn which(&self, style: Style, c: char) -> Which {
        let own = match style {
            Style::Regular => Which::Regular,
            Style::Bold => Which::Bold,
        };
        let has = |face: &Face| face.charmap.map(c).is_some_and(|g| g.to_u32() != 0);
        if has(self.face(own)) || !has(&self.fallback) {
            own
        } else {
            Which::Fallback
        }
    }

    /// `text` split into runs that one font draws, in order; spaces stay with the run they are in.
    pub(super) fn runs<'t>(&self, style: Style, text: &'t str) -> Vec<(Which, &'t str)> {
        let mut runs: Vec<(Which, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<Which> = None;
        for (index, c) in text.char_indices() {
            let which = match current {
                Some(current) if c == ' ' => current,
                _ => self.which(style, c),
            };
            if let Some(previous) = current.filter(|p| *p != which) {
                runs.push((previous, &text[start..index]));
                start = index;
            }
            current = Some(which);
        }
        if let Some(which) = current {
            runs.push((which, &text[start..]));
        }
        runs
    }

    fn char_width(&self, style: Style, size: f32, c: char) -> f32 {
        let face = self.face(self.which(style, c));
        let units = face
            .advances
            .advance_width(face.charmap.map(c).unwrap_or_default())
            .unwrap_or_default();
        units * size / face.units_per_em
    }

    /// The advance width of `text` set in one line, in points.
    pub(super) fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        text.chars().map(|c| self.char_width(style, size, c)).sum()
    }

    /// `text` broken into lines no wider than `max`: at spaces where possible, inside a word only
    /// when the word alone is too wide. Line breaks in the text are kept.
    pub(super) fn wrap(&self, style: Style, size: f32, text: &str, max: f32) -> Vec<String> {
        let text = text.replace('\t', " ");
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
                for piece in pieces(word) {
                    let candidate = format!("{line}{piece}");
                    if line.is_empty() || self.width(style, size, &candidate) <= max {
                        line = candidate;
                    } else {
                        lines.push(std::mem::replace(&mut line, piece.to_owned()));
                    }
                    // A piece wider than a whole line is broken between characters.
                    while self.width(style, size, &line) > max && line.chars().count() > 1 {
                        let mut head = String::new();
                        for c in line.chars() {
                            head.push(c);
                            if self.width(style, size, &head) > max {
                                head.pop();
                                break;
                            }
                        }
                        let head = if head.is_empty() {
                            line.chars().next().map(String::from).unwrap_or_default()
                        } else {
                            head
                        };
                        let rest = line[head.len()..].to_owned();
                        lines.push(head);
                        line = rest;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A word cut after each hyphen, comma, slash or underscore: where a word too wide for its line
/// breaks first, so that `1,000,000` and `BOLT-M8-A4` break between their parts.
fn pieces(word: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (index, c) in word.char_indices() {
        if matches!(c, '-' | ',' | '/' | '_') {
            let end = index + c.len_utf8();
            pieces.push(&word[start..end]);
            start = end;
        }
    }
    if start < word.len() {
        pieces.push(&word[start..]);
    }
    pieces
}

/// Writes the pages as a PDF, checking `cancel` before each page.
pub(super) fn render(
    fonts: &Fonts,
    title: &str,
    pages: &[Vec<Op>],
    logo: Option<&Logo>,
    cancel: &Cancel,
) -> Result<Vec<u8>, DocumentError> {
    let logo = logo.map(image).transpose().map_err(DocumentError::Pdf)?;
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
                    let mut x = *x;
                    for (which, run) in fonts.runs(*style, text) {
                        let font = fonts.face(which).pdf.clone();
                        let glyphs = shaper.shape(which, run);
                        surface.draw_glyphs(Point::from_xy(x, *y), glyphs, font, run, *size, false);
                        x += fonts.width(*style, *size, run);
                    }
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
                Op::Logo {
                    x,
                    y,
                    width,
                    height,
                } => {
                    let (Some(image), Some(size)) = (&logo, BoxSize::from_wh(*width, *height))
                    else {
                        continue;
                    };
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
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

/// The logo as krilla draws it; decoded when the document is written.
fn image(logo: &Logo) -> Result<Image, String> {
    let data = Data::from(Arc::clone(&logo.image));
    match logo.image_type {
        ImageType::Png => Image::from_png(data, true),
        ImageType::Jpeg => Image::from_jpeg(data, true),
    }
}

/// The logo the documents will print from `bytes`, if they can print it: its size in pixels read
/// by the same decoders that will print it, within the bounds (`domain::logo`), and a page with it
/// written out, which decodes the whole image. Run once, when the logo is uploaded.
pub(super) fn check_logo(image_type: ImageType, bytes: Vec<u8>) -> Result<Logo, String> {
    let mut logo = Logo {
        image_type,
        image: Arc::new(bytes),
        width: 0,
        height: 0,
    };
    let (width, height) = image(&logo)
        .map_err(|e| format!("cannot be read as {}: {e}", image_type.name()))?
        .size();
    crate::domain::logo::check_size(width, height)?;
    (logo.width, logo.height) = (width, height);
    let page = vec![Op::Logo {
        x: 0.0,
        y: 0.0,
        width: 10.0,
        height: 10.0,
    }];
    let fonts = Fonts::load().map_err(|e| e.to_string())?;
    render(&fonts, "logo", &[page], Some(&logo), &Cancel::default())
        .map_err(|e| format!("cannot be printed: {e}"))?;
    Ok(logo)
}
