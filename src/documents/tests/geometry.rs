//! Where the text lands: on the page, clear of every other piece of text, wrapped rather than cut,
//! and in a font that has its characters. Boxes come from the laid-out pages (`layout::text_box`).

use super::super::layout::{TextBox, text_box};
use super::super::order_summary::order_summary_pages;
use super::super::pdf::{Fonts, Op, PAGE_HEIGHT, PAGE_WIDTH, Style, Which};
use super::super::received_summary::received_summary_pages;
use super::super::{Cancel, order_summary};
use super::fixtures::{Fixture, line, order, sample_order};
use super::pages_of;

/// Every piece of text inside the page's margins and overlapping no other piece.
pub(super) fn assert_laid_out_cleanly(fonts: &Fonts, pages: &[Vec<Op>]) {
    for (number, ops) in (1..).zip(pages) {
        let boxes: Vec<(TextBox, &Op)> = ops
            .iter()
            .filter_map(|op| text_box(fonts, op).map(|b| (b, op)))
            .collect();
        for ((left, top, right, bottom), op) in &boxes {
            assert!(
                *left >= 36.0 && *right <= PAGE_WIDTH - 36.0 && *top >= 30.0,
                "page {number}: {op:?} runs outside the page ({left}..{right})"
            );
            assert!(*bottom <= PAGE_HEIGHT - 12.0, "page {number}: {op:?}");
        }
        for (index, (a, a_op)) in boxes.iter().enumerate() {
            for (b, b_op) in &boxes[index + 1..] {
                let apart = a.2 <= b.0 + 0.01
                    || b.2 <= a.0 + 0.01
                    || a.3 <= b.1 + 0.01
                    || b.3 <= a.1 + 0.01;
                assert!(apart, "page {number}: {a_op:?} overlaps {b_op:?}");
            }
        }
    }
}

/// The worst a supplier record and an order can hold: long names and SKUs, huge amounts, lines
/// without a cost, CJK text, a long note.
pub(super) fn crowded() -> Fixture {
    let mut products = vec![
        line(
            "INDUSTRIAL-GRADE-STAINLESS-STEEL-HEX-BOLT-M8X40-DIN933-A4-80",
            Some("ACME-CATALOGUE-2026-HEXBOLT-M8X40-STAINLESS-A4-BOX-OF-100"),
            1_000_000_000,
            Some("999999999.999999"),
        ),
        line("BOLT-M8", None, 1000, Some("0.125")),
        line("精密ベアリング-6204", Some("東京-6204-ZZ"), 40, None),
        line("GASKET-XL", Some("G-7"), 3, Some("10")),
    ];
    products[0].received_quantity = 10;
    let mut fixture = Fixture::new(
        order(products),
        "東京精密工業株式会社 Tokyo Precision Industries Co., Ltd. — Export Division",
    );
    fixture.supplier.fields.address_line_1 =
        Some("東京都大田区南蒲田二丁目十六番地 2-16-1 Minami-Kamata".into());
    fixture.supplier.fields.contact_name = Some("김민준 (Kim Min-jun)".into());
    fixture.order.details.note_to_supplier = Some(
        "Please deliver to Dock 4 between 08:00 and 16:00 on working days, pallets no higher \
         than 1.8 m, every box labelled with our order number. 请在包装上注明订单号。 \
         배송 전에 연락해 주세요."
            .into(),
    );
    fixture
}

#[test]
fn no_text_runs_off_the_page_or_over_other_text_in_either_document() {
    let fonts = Fonts::load().unwrap();
    let cancel = Cancel::default();
    let many = (1..=120)
        .map(|n| line(&format!("PART-{n:04}"), None, n, Some("1234.5")))
        .collect();
    for fixture in [
        Fixture::sample(),
        crowded(),
        Fixture::new(order(many), "Acme"),
    ] {
        let (_, pages) = order_summary_pages(&fixture.doc(), &fonts, &cancel).unwrap();
        assert_laid_out_cleanly(&fonts, &pages);
        let (_, pages) = received_summary_pages(&fixture.doc(), &fonts, &cancel).unwrap();
        assert_laid_out_cleanly(&fonts, &pages);
    }
}

#[test]
fn long_names_skus_and_amounts_wrap_instead_of_being_cut_or_shrunk() {
    let fixture = crowded();
    let fonts = Fonts::load().unwrap();
    let (_, pages) = order_summary_pages(&fixture.doc(), &fonts, &Cancel::default()).unwrap();
    for op in pages.iter().flatten() {
        if let Op::Text { size, text, .. } = op {
            assert!(!text.contains('…'), "cut: {text}");
            assert!(*size >= 8.0, "shrunk to {size}: {text}");
        }
    }
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    let joined: String = text.split_whitespace().collect();
    for whole in [
        "INDUSTRIAL-GRADE-STAINLESS-STEEL-HEX-BOLT-M8X40-DIN933-A4-80",
        "ACME-CATALOGUE-2026-HEXBOLT-M8X40-STAINLESS-A4-BOX-OF-100",
        "1,000,000,000",
        "999,999,999.999999",
        "999,999,999,999,999,155.00",
        "TokyoPrecisionIndustriesCo.,Ltd.—ExportDivision",
    ] {
        assert!(joined.contains(whole), "{whole} missing from:\n{text}");
    }
}

#[test]
fn chinese_japanese_and_korean_text_is_set_in_the_fallback_font_and_reads_back() {
    let fonts = Fonts::load().unwrap();
    assert_eq!(
        fonts.runs(Style::Regular, "Acme 東京 Ltd"),
        vec![
            (Which::Regular, "Acme "),
            (Which::Fallback, "東京 "),
            (Which::Regular, "Ltd")
        ]
    );
    assert_eq!(
        fonts.runs(Style::Bold, "김민준"),
        vec![(Which::Fallback, "김민준")]
    );
    let text = pages_of(&order_summary(&crowded().doc(), &Cancel::default()).unwrap()).concat();
    let joined: String = text.split_whitespace().collect();
    for cjk in [
        "東京精密工業株式会社",
        "精密ベアリング-6204",
        "김민준",
        "请在包装上注明订单号。",
        "배송전에연락해주세요.",
    ] {
        assert!(joined.contains(cjk), "{cjk} missing from:\n{text}");
    }
}

#[test]
fn long_notes_wrap_without_losing_words() {
    let mut fixture = Fixture::new(sample_order(), &"Acme ".repeat(80));
    let note: String = (1..=400).map(|n| format!("word{n} ")).collect();
    fixture.order.details.note_to_supplier = Some(note.clone());
    let text = pages_of(&order_summary(&fixture.doc(), &Cancel::default()).unwrap()).concat();
    let printed: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with("word"))
        .collect();
    assert_eq!(printed, note.split_whitespace().collect::<Vec<_>>());
    assert_eq!(text.matches("Acme").count(), 80, "{text}");
}

#[test]
fn wrapped_text_stays_within_its_width() {
    let fonts = Fonts::load().unwrap();
    let text =
        "A supplier note with averyveryveryveryveryverylongwordthatcannotfitonaline and more words";
    let lines = fonts.wrap(Style::Regular, 9.0, text, 80.0);
    assert!(lines.len() > 3);
    for line in &lines {
        assert!(fonts.width(Style::Regular, 9.0, line) <= 80.0, "{line}");
    }
    assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
}
