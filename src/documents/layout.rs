//! Flowing content onto A4 pages: a running header on every page, "Page N of M" in the footer,
//! page breaks wherever the next piece does not fit, and tables whose header repeats on each page.

use super::pdf::{Fonts, Op, PAGE_HEIGHT, PAGE_WIDTH, Style};
use super::{Cancel, DocumentError};

const MARGIN: f32 = 42.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Baseline of the running header's first line.
const HEADER: f32 = 52.0;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 50.0;
const GUTTER: f32 = 24.0;

pub(super) const BODY: f32 = 9.0;
const LINE: f32 = 13.0;
const ROW: f32 = 15.0;
/// Between the wrapped lines of one table cell.
const CELL_LINE: f32 = 11.0;
const CELL_PADDING: f32 = 4.0;
const FOOTER: f32 = 8.0;
/// The box a logo is scaled into, keeping its proportions, at most a point per pixel.
const LOGO_WIDTH: f32 = 180.0;
const LOGO_HEIGHT: f32 = 48.0;
const LOGO_TOP: f32 = 30.0;
/// Between the logo's bottom and the title's baseline, less the title's cap height.
const LOGO_GAP: f32 = 2.0;

/// A logo of `width` × `height` pixels as printed, in points.
fn logo_size(width: u32, height: u32) -> (f32, f32) {
    let (width, height) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (LOGO_WIDTH / width).min(LOGO_HEIGHT / height).min(1.0);
    (width * scale, height * scale)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub(super) struct Column {
    pub title: String,
    /// A share of the content width; the shares of a table add up to 1.
    pub share: f32,
    pub align: Align,
}

impl Column {
    pub(super) fn left(title: impl Into<String>, share: f32) -> Self {
        Self {
            title: title.into(),
            share,
            align: Align::Left,
        }
    }

    pub(super) fn right(title: impl Into<String>, share: f32) -> Self {
        Self {
            title: title.into(),
            share,
            align: Align::Right,
        }
    }
}

/// One label and value line of a field block; an empty label lets the value take the whole width.
pub(super) struct Field {
    pub label: &'static str,
    pub value: String,
}

impl Field {
    pub(super) fn new(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
        }
    }
}

/// A heading with its lines, shown in one of two side-by-side columns.
pub(super) struct Block {
    pub heading: &'static str,
    pub fields: Vec<Field>,
}

pub(super) struct Composer<'f> {
    fonts: &'f Fonts,
    cancel: &'f Cancel,
    title: Vec<String>,
    reference: Vec<String>,
    pages: Vec<Vec<Op>>,
    y: f32,
    table: Option<Vec<Column>>,
    /// The logo's printed size, drawn above the title of the first page.
    logo: Option<(f32, f32)>,
}

impl<'f> Composer<'f> {
    /// `title` heads every page on the left, `reference` (the order number) on the right; the
    /// first page has the logo above them when there is one (its size in pixels).
    pub(super) fn new(
        fonts: &'f Fonts,
        cancel: &'f Cancel,
        title: &str,
        reference: &str,
        logo: Option<(u32, u32)>,
    ) -> Self {
        let mut composer = Self {
            fonts,
            cancel,
            title: fonts.wrap(Style::Bold, 15.0, title, CONTENT_WIDTH * 0.6),
            reference: fonts.wrap(Style::Bold, 11.0, reference, CONTENT_WIDTH * 0.35),
            pages: Vec::new(),
            y: 0.0,
            table: None,
            logo: logo.map(|(width, height)| logo_size(width, height)),
        };
        composer.new_page();
        composer
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, y: f32, style: Style, size: f32, text: String) {
        if !text.is_empty() {
            self.ops().push(Op::Text {
                x,
                y,
                style,
                size,
                text,
            });
        }
    }

    fn rule(&mut self, y: f32, width: f32, grey: u8) {
        self.ops().push(Op::Rule {
            x1: MARGIN,
            x2: MARGIN + CONTENT_WIDTH,
            y,
            width,
            grey,
        });
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let mut header = HEADER;
        if let Some((width, height)) = self.logo.take() {
            self.ops().push(Op::Logo {
                x: MARGIN,
                y: LOGO_TOP,
                width,
                height,
            });
            header += height + LOGO_GAP;
        }
        let mut bottom = header;
        for (index, line) in self.title.clone().into_iter().enumerate() {
            let baseline = header + index as f32 * 18.0;
            self.text(MARGIN, baseline, Style::Bold, 15.0, line);
            bottom = bottom.max(baseline);
        }
        for (index, line) in self.reference.clone().into_iter().enumerate() {
            let baseline = header + index as f32 * 14.0;
            let x = MARGIN + CONTENT_WIDTH - self.fonts.width(Style::Bold, 11.0, &line);
            self.text(x, baseline, Style::Bold, 11.0, line);
            bottom = bottom.max(baseline);
        }
        self.rule(bottom + 8.0, 1.0, 0);
        self.y = bottom + 28.0;
        if let Some(columns) = self.table.take() {
            self.table_header(&columns);
            self.table = Some(columns);
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn reserve(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM {
            self.new_page();
        }
    }

    pub(super) fn gap(&mut self, height: f32) {
        self.y += height;
    }

    /// A section heading, kept on the same page as at least `keep_with` points of what follows.
    pub(super) fn heading(&mut self, text: &str, keep_with: f32) {
        let lines = self.fonts.wrap(Style::Bold, 11.0, text, CONTENT_WIDTH);
        self.reserve(lines.len() as f32 * LINE + 4.0 + keep_with);
        for line in lines {
            self.text(MARGIN, self.y + 11.0, Style::Bold, 11.0, line);
            self.y += LINE;
        }
        self.y += 4.0;
    }

    /// Free text over the full width, wrapped, breaking pages between lines.
    pub(super) fn paragraph(&mut self, text: &str) {
        for line in self.fonts.wrap(Style::Regular, BODY, text, CONTENT_WIDTH) {
            self.reserve(LINE);
            self.text(MARGIN, self.y + BODY, Style::Regular, BODY, line);
            self.y += LINE;
        }
    }

    /// Two blocks side by side, each a heading over label and value lines, values wrapped.
    pub(super) fn blocks(&mut self, left: &Block, right: &Block) {
        let width = (CONTENT_WIDTH - GUTTER) / 2.0;
        let left_lines = self.block_lines(left, width);
        let right_lines = self.block_lines(right, width);
        let rows = left_lines.len().max(right_lines.len());
        let height = LINE + 2.0 + rows as f32 * LINE;
        self.reserve(height);
        for (block, lines, x) in [
            (left, left_lines, MARGIN),
            (right, right_lines, MARGIN + width + GUTTER),
        ] {
            let top = self.y;
            self.text(x, top + 10.0, Style::Bold, 10.0, block.heading.to_owned());
            for (index, pieces) in lines.into_iter().enumerate() {
                let baseline = top + LINE + 2.0 + index as f32 * LINE + BODY;
                for (offset, text) in pieces {
                    self.text(x + offset, baseline, Style::Regular, BODY, text);
                }
            }
        }
        self.y += height;
    }

    /// The lines of a block, each the pieces on one baseline as (offset from its left edge,
    /// text): a label beside the first line of its value, the value's further lines under it.
    fn block_lines(&self, block: &Block, width: f32) -> Vec<Vec<(f32, String)>> {
        const LABEL_WIDTH: f32 = 92.0;
        let mut lines = Vec::new();
        for field in &block.fields {
            let offset = if field.label.is_empty() {
                0.0
            } else {
                LABEL_WIDTH
            };
            let labels = if field.label.is_empty() {
                Vec::new()
            } else {
                self.fonts
                    .wrap(Style::Regular, BODY, field.label, LABEL_WIDTH - 6.0)
            };
            let values = self
                .fonts
                .wrap(Style::Regular, BODY, &field.value, width - offset);
            for index in 0..labels.len().max(values.len()) {
                let pieces = [(0.0, labels.get(index)), (offset, values.get(index))]
                    .into_iter()
                    .filter_map(|(x, text)| text.map(|t| (x, t.clone())))
                    .collect();
                lines.push(pieces);
            }
        }
        lines
    }

    /// Starts a table: draws its header, and repeats it on every page until `end_table`.
    pub(super) fn begin_table(&mut self, columns: Vec<Column>) {
        self.reserve(2.0 * ROW + 4.0);
        self.table_header(&columns);
        self.table = Some(columns);
    }

    fn table_header(&mut self, columns: &[Column]) {
        let cells: Vec<String> = columns.iter().map(|c| c.title.clone()).collect();
        let lines = self.cell_lines(columns, &cells, Style::Bold);
        let height = row_height(&lines);
        let top = self.y;
        self.ops().push(Op::Band {
            x: MARGIN,
            y: top,
            width: CONTENT_WIDTH,
            height: height + 2.0,
            grey: 225,
        });
        self.cells(columns, lines, Style::Bold, top + 1.0);
        self.y = top + height + 2.0;
    }

    /// One table row, its cells wrapped to their columns; a row that does not fit goes to the
    /// next page, under a repeated header. Stops here when the document is no longer wanted.
    pub(super) fn row(&mut self, cells: &[String], style: Style) -> Result<(), DocumentError> {
        self.cancel.check()?;
        let Some(columns) = self.table.as_ref() else {
            return Ok(());
        };
        let lines = self.cell_lines(columns, cells, style);
        let height = row_height(&lines);
        self.reserve(height);
        let Some(columns) = self.table.take() else {
            return Ok(());
        };
        self.cells(&columns, lines, style, self.y);
        self.table = Some(columns);
        self.y += height;
        self.rule(self.y, 0.4, 210);
        Ok(())
    }

    pub(super) fn end_table(&mut self) {
        self.table = None;
    }

    /// Each cell's text broken into the lines that fit its column.
    fn cell_lines(&self, columns: &[Column], cells: &[String], style: Style) -> Vec<Vec<String>> {
        columns
            .iter()
            .zip(cells)
            .map(|(column, cell)| {
                let room = column.share * CONTENT_WIDTH - 2.0 * CELL_PADDING;
                self.fonts.wrap(style, BODY, cell, room)
            })
            .collect()
    }

    fn cells(&mut self, columns: &[Column], lines: Vec<Vec<String>>, style: Style, top: f32) {
        let mut x = MARGIN;
        for (column, cell) in columns.iter().zip(lines) {
            let width = column.share * CONTENT_WIDTH;
            for (index, line) in cell.into_iter().enumerate() {
                let baseline = top + 10.5 + index as f32 * CELL_LINE;
                let left = match column.align {
                    Align::Left => x + CELL_PADDING,
                    Align::Right => x + width - CELL_PADDING - self.fonts.width(style, BODY, &line),
                };
                self.text(left, baseline, style, BODY, line);
            }
            x += width;
        }
    }

    /// A line under a table, such as its total: `label` from the middle of the page, `value`
    /// right-aligned, both wrapped rather than shrunk or cut.
    pub(super) fn sum(&mut self, label: &str, value: &str, style: Style) {
        let label_x = MARGIN + CONTENT_WIDTH * 0.4;
        let labels = self
            .fonts
            .wrap(style, BODY, label, CONTENT_WIDTH * 0.25 - CELL_PADDING);
        let values = self
            .fonts
            .wrap(style, BODY, value, CONTENT_WIDTH * 0.35 - CELL_PADDING);
        let height = row_height(&[labels.clone(), values.clone()]);
        self.reserve(height);
        if style == Style::Bold {
            self.rule(self.y, 0.8, 0);
        }
        let top = self.y;
        for (index, line) in labels.into_iter().enumerate() {
            let baseline = top + 10.5 + index as f32 * CELL_LINE;
            self.text(label_x, baseline, style, BODY, line);
        }
        for (index, line) in values.into_iter().enumerate() {
            let baseline = top + 10.5 + index as f32 * CELL_LINE;
            let x = MARGIN + CONTENT_WIDTH - CELL_PADDING - self.fonts.width(style, BODY, &line);
            self.text(x, baseline, style, BODY, line);
        }
        self.y += height;
    }

    /// The pages, each with its footer: `footer` on the left and "Page N of M" on the right.
    pub(super) fn finish(mut self, footer: &str) -> Vec<Vec<Op>> {
        let count = self.pages.len();
        let footer = self
            .fonts
            .wrap(Style::Regular, FOOTER, footer, CONTENT_WIDTH * 0.7);
        let baseline = PAGE_HEIGHT - 28.0;
        for (index, ops) in self.pages.iter_mut().enumerate() {
            let number = format!("Page {} of {count}", index + 1);
            let x = MARGIN + CONTENT_WIDTH - self.fonts.width(Style::Regular, FOOTER, &number);
            ops.push(Op::Rule {
                x1: MARGIN,
                x2: MARGIN + CONTENT_WIDTH,
                y: baseline - 11.0,
                width: 0.5,
                grey: 150,
            });
            for (line_index, line) in footer.iter().enumerate() {
                ops.push(Op::Text {
                    x: MARGIN,
                    y: baseline + line_index as f32 * 10.0,
                    style: Style::Regular,
                    size: FOOTER,
                    text: line.clone(),
                });
            }
            ops.push(Op::Text {
                x,
                y: baseline,
                style: Style::Regular,
                size: FOOTER,
                text: number,
            });
        }
        self.pages
    }
}

/// The height of a table row whose cells wrapped into `lines`.
fn row_height(lines: &[Vec<String>]) -> f32 {
    let most = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
    ROW + (most - 1) as f32 * CELL_LINE
}

/// (left, top, right, bottom) in points.
#[cfg(test)]
pub(super) type TextBox = (f32, f32, f32, f32);

/// Where a piece of text sits on its page: what the tests compare to see that nothing runs off the
/// page or over something else.
#[cfg(test)]
pub(super) fn text_box(fonts: &Fonts, op: &Op) -> Option<TextBox> {
    match op {
        Op::Text {
            x,
            y,
            style,
            size,
            text,
        } => Some((
            *x,
            y - size * 0.76,
            x + fonts.width(*style, *size, text),
            y + size * 0.24,
        )),
        Op::Logo {
            x,
            y,
            width,
            height,
        } => Some((*x, *y, x + width, y + height)),
        _ => None,
    }
}
