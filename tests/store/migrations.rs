//! The two databases' migrations stay in lockstep: same numbers, same names.

fn names(database: &str) -> Vec<String> {
    let dir = format!("{}/migrations/{database}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_numbers_and_names() {
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
    for name in &sqlite {
        let (number, rest) = name
            .split_once('_')
            .unwrap_or_else(|| panic!("{name}: expected NNNN_name.sql"));
        assert!(
            number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()),
            "{name}: expected a 4-digit number"
        );
        assert!(rest.ends_with(".sql"), "{name}: expected .sql");
    }
}
