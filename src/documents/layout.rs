//! Flowing content onto A4 pages: a running header on every page, "Page N of M" in the footer,
//! page breaks wherever the next piece does not fit, and tables whose header repeats on each page.

use super::pdf::{Fonts, Op, PAGE_HEIGHT, PAGE_WIDTH, Style};
use super::{Cancel, DocumentError};

const MARGIN: f32 = 42.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const CONTENT_TOP: f32 = 80.0;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 50.0;
const GUTTER: f32 = 24.0;

pub(super) const BODY: f32 = 9.0;
const LINE: f32 = 13.0;
const ROW: f32 = 15.0;
const CELL_PADDING: f32 = 4.0;
/// Numbers shrink to fit their column rather than lose digits, but not below this size.
const SMALLEST: f32 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub(super) struct Column {
    pub title: &'static str,
    /// A share of the content width; the shares of a table add up to 1.
    pub share: f32,
    pub align: Align,
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
    title: String,
    reference: String,
    pages: Vec<Vec<Op>>,
    y: f32,
    table: Option<Vec<Column>>,
}

impl<'f> Composer<'f> {
    /// `title` heads every page on the left, `reference` (the order number) on the right.
    pub(super) fn new(fonts: &'f Fonts, cancel: &'f Cancel, title: &str, reference: &str) -> Self {
        let mut composer = Self {
            fonts,
            cancel,
            title: title.to_owned(),
            reference: reference.to_owned(),
            pages: Vec::new(),
            y: CONTENT_TOP,
            table: None,
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
        let title = self
            .fonts
            .truncate(Style::Bold, 15.0, &self.title, CONTENT_WIDTH * 0.6);
        self.text(MARGIN, 52.0, Style::Bold, 15.0, title);
        let reference =
            self.fonts
                .truncate(Style::Bold, 11.0, &self.reference, CONTENT_WIDTH * 0.35);
        let x = MARGIN + CONTENT_WIDTH - self.fonts.width(Style::Bold, 11.0, &reference);
        self.text(x, 52.0, Style::Bold, 11.0, reference);
        self.rule(60.0, 1.0, 0);
        self.y = CONTENT_TOP;
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
        self.reserve(LINE + 4.0 + keep_with);
        let text = self.fonts.truncate(Style::Bold, 11.0, text, CONTENT_WIDTH);
        self.text(MARGIN, self.y + 11.0, Style::Bold, 11.0, text);
        self.y += LINE + 4.0;
    }

    /// Free text over the full width, wrapped, breaking pages between lines.
    pub(super) fn paragraph(&mut self, text: &str) {
        for line in self.fonts.wrap(Style::Regular, BODY, text, CONTENT_WIDTH) {
            self.reserve(LINE);
            self.text(MARGIN, self.y + BODY, Style::Regular, BODY, line);
            self.y += LINE;
        }
    }

    /// Two blocks side by side, each a heading over label and value lines.
    pub(super) fn blocks(&mut self, left: &Block, right: &Block) {
        let rows = left.fields.len().max(right.fields.len());
        let height = LINE + 2.0 + rows as f32 * LINE;
        self.reserve(height);
        let width = (CONTENT_WIDTH - GUTTER) / 2.0;
        for (block, x) in [(left, MARGIN), (right, MARGIN + width + GUTTER)] {
            self.block(block, x, width);
        }
        self.y += height;
    }

    fn block(&mut self, block: &Block, x: f32, width: f32) {
        let top = self.y;
        self.text(x, top + 10.0, Style::Bold, 10.0, block.heading.to_owned());
        let label_width = 92.0;
        for (index, field) in block.fields.iter().enumerate() {
            let baseline = top + LINE + 2.0 + index as f32 * LINE + BODY;
            let value_x = if field.label.is_empty() {
                x
            } else {
                x + label_width
            };
            if !field.label.is_empty() {
                let label =
                    self.fonts
                        .truncate(Style::Regular, BODY, field.label, label_width - 6.0);
                self.text(x, baseline, Style::Regular, BODY, label);
            }
            let value =
                self.fonts
                    .truncate(Style::Regular, BODY, &field.value, x + width - value_x);
            self.text(value_x, baseline, Style::Regular, BODY, value);
        }
    }

    /// Starts a table: draws its header, and repeats it on every page until `end_table`.
    pub(super) fn begin_table(&mut self, columns: Vec<Column>) {
        self.reserve(2.0 * ROW + 4.0);
        self.table_header(&columns);
        self.table = Some(columns);
    }

    fn table_header(&mut self, columns: &[Column]) {
        let top = self.y;
        self.ops().push(Op::Band {
            x: MARGIN,
            y: top,
            width: CONTENT_WIDTH,
            height: ROW + 2.0,
            grey: 225,
        });
        let cells: Vec<String> = columns.iter().map(|c| c.title.to_owned()).collect();
        self.cells(columns, &cells, Style::Bold, top + 1.0);
        self.y = top + ROW + 2.0;
    }

    /// One table row; a row that does not fit goes to the next page, under a repeated header.
    /// Stops here when the document is no longer wanted.
    pub(super) fn row(&mut self, cells: &[String], style: Style) -> Result<(), DocumentError> {
        self.cancel.check()?;
        self.reserve(ROW);
        let Some(columns) = self.table.take() else {
            return Ok(());
        };
        if style == Style::Bold {
            // A bold row closes the table (a total): set it off from the rows it sums.
            self.rule(self.y, 0.8, 0);
        }
        self.cells(&columns, cells, style, self.y);
        self.table = Some(columns);
        self.y += ROW;
        self.rule(self.y, 0.4, 210);
        Ok(())
    }

    pub(super) fn end_table(&mut self) {
        self.table = None;
    }

    fn cells(&mut self, columns: &[Column], cells: &[String], style: Style, top: f32) {
        let mut x = MARGIN;
        for (column, cell) in columns.iter().zip(cells) {
            let width = column.share * CONTENT_WIDTH;
            let room = width - 2.0 * CELL_PADDING;
            let baseline = top + 10.5;
            match column.align {
                Align::Left => {
                    let text = self.fonts.truncate(style, BODY, cell, room);
                    self.text(x + CELL_PADDING, baseline, style, BODY, text);
                }
                Align::Right => {
                    let mut size = BODY;
                    while size > SMALLEST && self.fonts.width(style, size, cell) > room {
                        size -= 0.5;
                    }
                    let text_width = self.fonts.width(style, size, cell);
                    self.text(
                        x + width - CELL_PADDING - text_width,
                        baseline,
                        style,
                        size,
                        cell.clone(),
                    );
                }
            }
            x += width;
        }
    }

    /// The pages, each with its footer: `footer` on the left and "Page N of M" on the right.
    pub(super) fn finish(mut self, footer: &str) -> Vec<Vec<Op>> {
        let count = self.pages.len();
        let footer = self
            .fonts
            .truncate(Style::Regular, 8.0, footer, CONTENT_WIDTH * 0.7);
        let baseline = PAGE_HEIGHT - 28.0;
        for (index, ops) in self.pages.iter_mut().enumerate() {
            let number = format!("Page {} of {count}", index + 1);
            let x = MARGIN + CONTENT_WIDTH - self.fonts.width(Style::Regular, 8.0, &number);
            ops.push(Op::Rule {
                x1: MARGIN,
                x2: MARGIN + CONTENT_WIDTH,
                y: baseline - 11.0,
                width: 0.5,
                grey: 150,
            });
            ops.push(Op::Text {
                x: MARGIN,
                y: baseline,
                style: Style::Regular,
                size: 8.0,
                text: footer.clone(),
            });
            ops.push(Op::Text {
                x,
                y: baseline,
                style: Style::Regular,
                size: 8.0,
                text: number,
            });
        }
        self.pages
    }
}
