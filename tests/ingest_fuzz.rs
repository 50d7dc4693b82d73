//! Fuzzing ingest with random bytes, and with feeds, JSON Lines and pages that are almost
//! right: whatever a file holds, ingest returns articles or a one-line error naming the
//! file, and never panics. Bounded: 96 cases per property by default (`PROPTEST_CASES`
//! raises it), a few seconds in all.

use std::path::PathBuf;

use brief::ingest::{ingest_from, IngestOptions};
use proptest::prelude::*;

const EXTENSIONS: &[&str] = &["txt", "md", "html", "jsonl", "xml", "atom", "rss"];

fn check(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    for inputs in [vec![path.clone()], vec![dir.path().to_path_buf()]] {
        match ingest_from(&inputs, &IngestOptions::default(), &mut std::io::empty()) {
            Ok(got) => {
                for r in &got.rejected {
                    let why = r.error.to_string();
                    assert!(!why.contains('\n'), "{why}");
                }
            }
            Err(e) => {
                let why = e.to_string();
                assert!(!why.contains('\n'), "{why}");
                assert!(why.contains(dir.path().to_str().unwrap()), "{why}");
            }
        }
    }
}

/// Pieces a feed, a JSON line or a page is made of, shuffled into almost-valid files.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_string()),
        Just("<?xml version=\"1.0\"?>".to_string()),
        Just("<rss version=\"2.0\"><channel>".to_string()),
        Just("<feed xmlns=\"http://www.w3.org/2005/Atom\">".to_string()),
        Just("<entry><title>".to_string()),
        Just("</title>".to_string()),
        Just("<item><title>A</title><link>javascript:alert(1)</link><description>".to_string()),
        Just("</description></item>".to_string()),
        Just("<content type=\"html\">&lt;p&gt;".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("</entry></feed>".to_string()),
        Just("{\"title\": \"".to_string()),
        Just("\", \"text\": \"".to_string()),
        Just("\"}\n".to_string()),
        Just("<html><body><article><p>".to_string()),
        Just("&#x0;&#xD800;&amp;&bogus;".to_string()),
        "[a-zA-Z .,\"<>/&;\n]{0,40}",
        "\\PC{0,20}",
    ]
}

/// 96 cases per property unless `PROPTEST_CASES` says otherwise (a fixed count in the config
/// would override the variable, as it once did here).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048),
                                ext in prop::sample::select(EXTENSIONS)) {
        check(&format!("input.{ext}"), &bytes);
    }

    #[test]
    fn almost_valid_feeds_jsonl_and_pages_never_panic(parts in prop::collection::vec(fragment(), 0..40),
                                                    ext in prop::sample::select(EXTENSIONS)) {
        check(&format!("input.{ext}"), parts.concat().as_bytes());
    }
}

#[test]
fn the_named_file_is_what_an_error_names() {
    let dir = tempfile::tempdir().unwrap();
    let p: PathBuf = dir.path().join("x.atom");
    std::fs::write(&p, "<feed>").unwrap();
    let e = ingest_from(&[p], &IngestOptions::default(), &mut std::io::empty()).unwrap_err();
    assert!(e.to_string().contains("x.atom"), "{e}");
}
