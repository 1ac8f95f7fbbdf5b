//! Each page rendered by poppler's `pdftoppm`, as a viewer would draw it. With
//! `UPDATE_SNAPSHOTS=1` the pages are kept as the example PNGs in `docs/documents/`.
//!
//! Without `pdftoppm` the test has nothing to run and says so, except under CI (`CI` set), where
//! a missing tool is a failure: `.ci/run` installs poppler-utils.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::{Cancel, order_summary, received_summary};
use super::fixtures::Fixture;
use super::geometry::crowded;

fn pdftoppm_available() -> bool {
    let found = Command::new("pdftoppm").arg("-v").output().is_ok();
    if !found && std::env::var_os("CI").is_some() {
        panic!("pdftoppm is missing: install poppler-utils");
    }
    found
}

/// Renders every page of `pdf` to `dir/<name>-N.png`; returns the pages in order.
fn render(pdf: &[u8], dir: &Path, name: &str) -> Vec<PathBuf> {
    let source = dir.join(format!("{name}.pdf"));
    std::fs::write(&source, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "80"])
        .arg(&source)
        .arg(dir.join(name))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed on {name}");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let file = path.file_name().unwrap().to_string_lossy();
            file.starts_with(&format!("{name}-")) && file.ends_with(".png")
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_page_of_both_documents_renders_with_pdftoppm() {
    if !pdftoppm_available() {
        eprintln!("pdftoppm not installed: page rendering not checked");
        return;
    }
    let dir = std::env::temp_dir().join(format!("procura-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cancel = Cancel::default();
    let sample = Fixture::sample();
    let crowded = crowded();
    let documents = [
        (
            "order-summary",
            order_summary(&sample.doc(), &cancel).unwrap(),
        ),
        (
            "received-summary",
            received_summary(&sample.doc(), &cancel).unwrap(),
        ),
        (
            "order-summary-long-and-cjk",
            order_summary(&crowded.doc(), &cancel).unwrap(),
        ),
    ];
    let keep = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/documents");
    for (name, pdf) in documents {
        // Only the glyphs used are embedded: the CJK font must not travel whole with each PDF.
        eprintln!("{name}: {} bytes", pdf.len());
        assert!(pdf.len() < 200_000, "{name} is {} bytes", pdf.len());
        let pages = render(&pdf, &dir, name);
        assert_eq!(pages.len(), super::pages_of(&pdf).len(), "{name}");
        for page in pages {
            let png = std::fs::read(&page).unwrap();
            assert!(
                png.starts_with(b"\x89PNG") && png.len() > 10_000,
                "{page:?}"
            );
            if keep {
                std::fs::copy(&page, docs.join(page.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
