//! Shaping text into positioned glyphs for krilla, once per distinct text.
//!
//! krilla's `draw_text` parses the whole font and builds a shaping plan for every call, which
//! made that the bulk of a long document's cost. Here each font is parsed once, each plan built
//! once per script and direction, and each distinct text (SKUs, locations, quantities repeat
//! throughout a ledger) shaped once per document.

use std::collections::HashMap;

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, Script, ShapePlan, UnicodeBuffer};

use super::DocumentError;
use super::pdf::{Fonts, Which};

pub(super) struct Shaper {
    regular: Face<'static>,
    bold: Face<'static>,
    fallback: Face<'static>,
    plans: HashMap<(Which, Direction, Script), ShapePlan>,
    /// Per font, in the order of `Which`.
    shaped: [HashMap<String, Vec<KrillaGlyph>>; 3],
}

impl Shaper {
    pub(super) fn new(fonts: &Fonts) -> Result<Self, DocumentError> {
        let face = |which| Face::from_slice(fonts.face(which).bytes, 0).ok_or(DocumentError::Font);
        Ok(Self {
            regular: face(Which::Regular)?,
            bold: face(Which::Bold)?,
            fallback: face(Which::Fallback)?,
            plans: HashMap::new(),
            shaped: [HashMap::new(), HashMap::new(), HashMap::new()],
        })
    }

    /// The glyphs of `text` in the font `which`, advances in units of the font size.
    pub(super) fn shape(&mut self, which: Which, text: &str) -> &[KrillaGlyph] {
        let index = which as usize;
        if !self.shaped[index].contains_key(text) {
            let glyphs = self.shape_uncached(which, text);
            self.shaped[index].insert(text.to_owned(), glyphs);
        }
        self.shaped[index]
            .get(text)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn shape_uncached(&mut self, which: Which, text: &str) -> Vec<KrillaGlyph> {
        let face = match which {
            Which::Regular => &self.regular,
            Which::Bold => &self.bold,
            Which::Fallback => &self.fallback,
        };
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let (direction, script) = (buffer.direction(), buffer.script());
        let plan = self
            .plans
            .entry((which, direction, script))
            .or_insert_with(|| ShapePlan::new(face, direction, Some(script), None, &[]));
        let output = rustybuzz::shape_with_plan(face, plan, buffer);
        let units = face.units_per_em() as f32;
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let forward = matches!(direction, Direction::LeftToRight | Direction::TopToBottom);
        // Each glyph maps to the text of its cluster, which ends where the next cluster in
        // reading order starts (krilla's own `draw_text` maps them the same way).
        infos
            .iter()
            .zip(positions)
            .enumerate()
            .map(|(index, (info, position))| {
                let start = info.cluster as usize;
                let next = if forward {
                    infos[index + 1..]
                        .iter()
                        .find(|n| n.cluster != info.cluster)
                } else {
                    infos[..index]
                        .iter()
                        .rev()
                        .find(|n| n.cluster != info.cluster)
                };
                let end = next.map_or(text.len(), |n| n.cluster as usize);
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    position.x_advance as f32 / units,
                    position.x_offset as f32 / units,
                    position.y_offset as f32 / units,
                    position.y_advance as f32 / units,
                    start..end,
                    None,
                )
            })
            .collect()
    }
}
