//! Legacy and UTF-16 files written by the test and read through ingest as `brief run` reads
//! them: each comes out as the text it was written from, and a file whose encoding cannot be
//! told is refused with its name and the reason while the others go on.

use std::path::{Path, PathBuf};

use brief::ingest::{ingest, IngestOptions};

const RUSSIAN: &str = "Правительство объявило в понедельник о новых мерах поддержки. Депутаты \
    проголосуют в среду, сообщили в пресс-службе парламента. Оппозиция назвала меры недостаточными.";
const POLISH: &str = "W piątek we Wrocławiu zebrała się rada miasta. Żadna decyzja nie zapadła, \
    ale ściśle tajne rozmowy trwają. Radni mają się spotkać ponownie w środę.";
const MIXED: &str = "Łódź, Київ and Zürich signed the agreement on Tuesday, officials said.";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out = if little_endian {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

/// The article's text, read back from one file.
fn read_back(path: PathBuf) -> String {
    let got = ingest(std::slice::from_ref(&path), &IngestOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(got.rejected.is_empty(), "{:?}", got.rejected);
    let a = &got.articles[0];
    // The first line may become the title; the words are all there either way.
    format!("{} {}", a.title.clone().unwrap_or_default(), a.text)
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn assert_same_words(got: &str, want: &str) {
    let (mut g, mut w) = (words(got), words(want));
    g.sort();
    w.sort();
    assert_eq!(g, w, "got: {got}");
}

#[test]
fn utf16_windows_1251_and_latin2_files_read_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(d, "le.txt", &utf16(MIXED, true)), MIXED),
        (write(d, "be.txt", &utf16(RUSSIAN, false)), RUSSIAN),
        (
            write(
                d,
                "cp1251.txt",
                &encoding_rs::WINDOWS_1251.encode(RUSSIAN).0,
            ),
            RUSSIAN,
        ),
        (
            write(d, "latin2.txt", &encoding_rs::ISO_8859_2.encode(POLISH).0),
            POLISH,
        ),
        (
            write(d, "cp1250.txt", &encoding_rs::WINDOWS_1250.encode(POLISH).0),
            POLISH,
        ),
    ];
    for (path, want) in cases {
        assert_same_words(&read_back(path), want);
    }
}

/// Inside a directory the bad file is a rejection and the run goes on; named on its own it
/// is the error.
#[test]
fn a_file_of_undecidable_bytes_is_refused_by_name_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.txt",
        &encoding_rs::WINDOWS_1251.encode(RUSSIAN).0,
    );
    // High bytes with no spaces: letters in some encoding, prose in none.
    let blob: Vec<u8> = (0..600u32).map(|i| (i * 7 % 64 + 0xC0) as u8).collect();
    let bad = write(dir.path(), "blob.txt", &blob);
    assert!(good.is_file());
    let got = ingest(&[dir.path().to_path_buf()], &IngestOptions::default()).unwrap();
    assert_eq!(got.articles.len(), 1);
    assert_eq!(got.rejected.len(), 1);
    let why = got.rejected[0].error.to_string();
    assert!(why.contains("blob.txt"), "{why}");
    assert!(why.contains("cannot tell its text encoding"), "{why}");
    assert!(!why.contains('\n'), "{why}");
    let alone = ingest(&[bad], &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        alone.contains("blob.txt") && alone.contains("no spaces"),
        "{alone}"
    );
}
