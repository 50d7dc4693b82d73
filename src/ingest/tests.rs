use std::io::Cursor;

use super::*;

const PARA: &str = "Albania cut diplomatic ties with Iran on Wednesday and ordered the embassy staff to leave within twenty-four hours.";
const PARA2: &str = "The United States said it would take further action to hold Iran accountable for the attack on its ally.";

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent dir");
    }
    fs::write(&path, content).expect("write fixture");
    path
}

fn article_text(title: &str) -> String {
    format!("{title}\n\n{PARA}\n\n{PARA2}\n")
}

fn run(inputs: &[PathBuf]) -> Result<Ingested, IngestError> {
    ingest_from(inputs, &IngestOptions::default(), &mut io::empty())
}

fn run_ok(inputs: &[PathBuf]) -> Ingested {
    run(inputs).unwrap_or_else(|e| panic!("ingest failed: {e}"))
}

fn run_err(inputs: &[PathBuf]) -> IngestError {
    match run(inputs) {
        Ok(got) => panic!("expected an error, got {got:?}"),
        Err(e) => e,
    }
}

#[test]
fn article_ids_display_parse_and_serialise_as_s_numbers() {
    assert_eq!(ArticleId(3).to_string(), "S3");
    assert_eq!("S12".parse(), Ok(ArticleId(12)));
    assert_eq!("s1".parse(), Ok(ArticleId(1)));
    for bad in ["S0", "S", "1", "X1", "S-1", "S1a", ""] {
        assert!(
            bad.parse::<ArticleId>().is_err(),
            "{bad:?} should not parse"
        );
    }
    let json = serde_json::to_string(&ArticleId(7)).expect("serialise id");
    assert_eq!(json, "\"S7\"");
    let back: ArticleId = serde_json::from_str(&json).expect("deserialise id");
    assert_eq!(back, ArticleId(7));
}

#[test]
fn files_get_ids_in_input_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(
        dir.path(),
        "b.txt",
        article_text("Iran Denies Involvement In Attack"),
    );
    let a = write(
        dir.path(),
        "a.md",
        format!(
            "# Albania expels diplomats\n\n{PARA2}\n\nA different closing sentence for this one."
        ),
    );
    let got = run_ok(&[b.clone(), a.clone()]);
    let ids: Vec<String> = got.articles.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(ids, ["S1", "S2"]);
    assert_eq!(got.articles[0].path, b.display().to_string());
    assert_eq!(
        got.articles[0].title.as_deref(),
        Some("Iran Denies Involvement In Attack")
    );
    assert_eq!(got.articles[0].text, format!("{PARA}\n\n{PARA2}"));
    assert_eq!(got.articles[1].path, a.display().to_string());
    assert_eq!(
        got.articles[1].title.as_deref(),
        Some("Albania expels diplomats")
    );
    assert!(got.skipped.is_empty() && got.rejected.is_empty());
}

#[test]
fn content_hash_is_sha256_of_the_text() {
    assert_eq!(
        sha256_hex("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "a.txt", article_text("Some Headline Here"));
    let got = run_ok(&[file]);
    assert_eq!(
        got.articles[0].content_hash,
        sha256_hex(&got.articles[0].text)
    );
}

#[test]
fn directories_are_walked_recursively_in_path_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "b/2.txt", article_text("Second Story About Talks"));
    write(root, "a.md", article_text("First Story About Sanctions"));
    write(root, "b/1.HTML", format!("<html><head><title>Third Story</title></head><body><p>{PARA}</p><p>Another distinct paragraph that differs from the rest.</p></body></html>"));
    write(root, "c.htm", format!("<html><body><h1>Fourth Story About Cables</h1><p>{PARA2}</p><p>Yet another distinct closing paragraph.</p></body></html>"));
    write(root, "notes.json", "{\"not\": \"an article\"}");
    write(root, "image.png", [0x89u8, b'P', b'N', b'G', 0, 0]);
    write(root, ".hidden.txt", article_text("Hidden Story"));
    write(root, ".git/x.txt", article_text("Git Internals"));
    let got = run_ok(&[root.to_path_buf()]);
    let names: Vec<String> = got
        .articles
        .iter()
        .map(|a| {
            a.path
                .strip_prefix(&root.display().to_string())
                .unwrap_or(&a.path)
                .to_string()
        })
        .collect();
    assert_eq!(names, ["/a.md", "/b/1.HTML", "/b/2.txt", "/c.htm"]);
    assert_eq!(got.articles[1].title.as_deref(), Some("Third Story"));
    assert_eq!(
        got.articles[3].title.as_deref(),
        Some("Fourth Story About Cables")
    );
    assert!(
        !got.articles[3].text.contains("Fourth Story"),
        "h1 must not repeat in text"
    );
}

#[test]
fn a_named_file_of_any_extension_is_read_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "story.article",
        article_text("Odd Extension Story Here"),
    );
    let got = run_ok(&[file]);
    assert_eq!(got.articles.len(), 1);
    assert_eq!(
        got.articles[0].title.as_deref(),
        Some("Odd Extension Story Here")
    );
}

#[test]
fn an_html_document_in_a_txt_file_is_extracted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = format!("<!DOCTYPE html><html><head><title>Saved Page Title</title><script>var x = 1;</script></head><body><p>{PARA}</p><p>{PARA2}</p></body></html>");
    let file = write(dir.path(), "saved.txt", html);
    let got = run_ok(&[file]);
    let article = &got.articles[0];
    assert_eq!(article.title.as_deref(), Some("Saved Page Title"));
    assert_eq!(article.text, format!("{PARA}\n\n{PARA2}"));
}

#[test]
fn front_matter_title_is_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = format!(
        "---\ntitle: Front Matter Title\nauthor: x\n---\n\n# Front Matter Title\n\n{PARA}\n"
    );
    let file = write(dir.path(), "fm.md", md);
    let got = run_ok(&[file]);
    assert_eq!(got.articles[0].title.as_deref(), Some("Front Matter Title"));
    assert_eq!(got.articles[0].text, PARA);
}

#[test]
fn stdin_is_read_once_and_a_repeat_is_a_duplicate() {
    let mut stdin = Cursor::new(article_text("Piped Story From Stdin"));
    let inputs = [PathBuf::from("-"), PathBuf::from("-")];
    let got = ingest_from(&inputs, &IngestOptions::default(), &mut stdin).expect("stdin ingest");
    assert_eq!(got.articles.len(), 1);
    assert_eq!(got.articles[0].path, "-");
    assert_eq!(
        got.articles[0].title.as_deref(),
        Some("Piped Story From Stdin")
    );
    assert_eq!(
        got.skipped,
        [Skipped {
            path: "-".into(),
            duplicate_of: ArticleId(1)
        }]
    );
}

#[test]
fn duplicates_are_used_once_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = write(dir.path(), "a.txt", article_text("Same Story Twice"));
    let spaced = write(
        dir.path(),
        "b.txt",
        format!("Same   Story Twice\r\n\r\nSHARE THIS\n\n{PARA}\n\n\n{PARA2}\n\nAdvertisement\n"),
    );
    let other = write(
        dir.path(),
        "c.txt",
        article_text("A Different Story Entirely"),
    );
    let got = run_ok(&[original.clone(), spaced.clone(), other, original.clone()]);
    let ids: Vec<ArticleId> = got.articles.iter().map(|a| a.id).collect();
    assert_eq!(ids, [ArticleId(1), ArticleId(2)]);
    assert_eq!(
        got.skipped,
        [
            Skipped {
                path: spaced.display().to_string(),
                duplicate_of: ArticleId(1)
            },
            Skipped {
                path: original.display().to_string(),
                duplicate_of: ArticleId(1)
            },
        ]
    );
}

#[test]
fn missing_path_is_an_error() {
    let err = run_err(&[PathBuf::from("/definitely/not/here.txt")]);
    assert!(matches!(err, IngestError::Missing { .. }));
    assert_eq!(
        err.to_string(),
        "/definitely/not/here.txt: no such file or directory"
    );
}

#[test]
fn no_inputs_is_an_error() {
    assert!(matches!(run_err(&[]), IngestError::NoInputs));
}

#[test]
fn empty_and_blank_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in [("empty.txt", ""), ("blank.txt", " \n\t\r\n ")] {
        let file = write(dir.path(), name, content);
        let err = run_err(&[file]);
        assert!(matches!(err, IngestError::Empty { .. }), "{name}: {err}");
        assert!(err.to_string().ends_with("file is empty"));
    }
}

#[test]
fn all_boilerplate_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "junk.txt",
        "Advertisement\n\nSHARE THIS\n\n×\n\nSubscribe now\n",
    );
    let err = run_err(std::slice::from_ref(&file));
    assert!(matches!(err, IngestError::NoText { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no article text left after removing boilerplate",
            file.display()
        )
    );
}

#[test]
fn binary_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "photo.txt",
        [0xFFu8, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'],
    );
    let err = run_err(&[file]);
    assert!(matches!(err, IngestError::Binary { .. }), "{err}");
    assert!(err.to_string().contains("binary"));
}

#[test]
fn oversized_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "big.txt", article_text("Big Story").repeat(10));
    let opts = IngestOptions { max_bytes: 100 };
    let err = ingest_from(&[file], &opts, &mut io::empty()).expect_err("too large");
    assert!(
        matches!(err, IngestError::TooLarge { limit: 100, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("over the 100 bytes limit"),
        "{err}"
    );
}

#[test]
fn a_feed_or_jsonl_file_is_limited_per_entry_not_as_one_article() {
    let dir = tempfile::tempdir().expect("tempdir");
    let entry = |title: &str, text: &str| {
        serde_json::json!({ "title": title, "text": text }).to_string() + "\n"
    };
    // Three ordinary articles whose file is over the one-article limit: all read.
    // Texts with no words in common, so that none is taken for a repeat of another.
    let body = |t: &str| {
        (0..40)
            .map(|i| format!("{t}{i} moved {t}{} past {t}{}.", i + 1, i + 2))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lines: String = ["Bridge", "Harbour", "Airport"]
        .iter()
        .map(|t| entry(t, &body(t)))
        .collect();
    let limit = (lines.len() / 2) as u64;
    assert!(body("Harbour").len() as u64 <= limit);
    let file = write(dir.path(), "night.jsonl", &lines);
    let opts = IngestOptions { max_bytes: limit };
    let got = ingest_from(&[file], &opts, &mut io::empty()).expect("entries under the limit");
    assert_eq!(got.articles.len(), 3, "{:?}", got.rejected);
    // One entry over the limit is refused by itself, naming the entry; the rest are kept.
    let long = body("Stadium").repeat(4);
    let lines = entry("Bridge", &body("Bridge")) + &entry("Stadium", &long);
    let file = write(dir.path(), "mixed.jsonl", &lines);
    let got = ingest_from(&[file], &opts, &mut io::empty()).expect("one entry kept");
    assert_eq!(got.articles.len(), 1);
    assert_eq!(got.rejected.len(), 1);
    let err = got.rejected[0].error.to_string();
    assert!(
        err.contains("mixed.jsonl") && err.contains("limit on one article"),
        "{err}"
    );
    // A file whose every article is over the limit is refused as a whole, saying so.
    let file = write(dir.path(), "long.jsonl", entry("Stadium", &long));
    let err = ingest_from(&[file], &opts, &mut io::empty()).expect_err("nothing under the limit");
    assert!(
        matches!(err, IngestError::NoArticlesInFile { .. }) && err.to_string().contains("over the"),
        "{err}"
    );
    // The file itself has a limit too, ENTRIES_FACTOR times the article's.
    let opts = IngestOptions {
        max_bytes: (lines.len() as u64 / crate::ingest::ENTRIES_FACTOR).max(1) / 2,
    };
    let file = write(dir.path(), "huge.jsonl", &lines);
    let err = ingest_from(&[file], &opts, &mut io::empty()).expect_err("file too large");
    assert!(matches!(err, IngestError::TooLargeFile { .. }), "{err}");
}

#[test]
fn oversized_stdin_is_an_error() {
    let mut stdin = Cursor::new(vec![b'a'; 2000]);
    let opts = IngestOptions { max_bytes: 1000 };
    let err = ingest_from(&[PathBuf::from("-")], &opts, &mut stdin).expect_err("too large");
    assert!(matches!(err, IngestError::TooLarge { .. }), "{err}");
}

#[test]
fn unreadable_input_is_an_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("device on fire"))
        }
    }
    let err = ingest_from(
        &[PathBuf::from("-")],
        &IngestOptions::default(),
        &mut Broken,
    )
    .expect_err("unreadable");
    assert!(matches!(err, IngestError::Unreadable { .. }));
    assert_eq!(err.to_string(), "-: cannot read: device on fire");
}

#[test]
fn a_directory_without_articles_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "data.json", "{}");
    let err = run_err(&[dir.path().to_path_buf()]);
    assert!(matches!(err, IngestError::NoArticlesInDir { .. }));
    assert!(
        err.to_string()
            .contains("no .txt/.md/.markdown/.html/.htm/.jsonl/.ndjson/.rss/.atom/.xml files"),
        "{err}"
    );
}

#[test]
fn bad_files_inside_a_directory_are_rejected_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "1.txt", "");
    write(dir.path(), "2.txt", article_text("The Good One Here"));
    write(dir.path(), "3.txt", [0u8, 1, 2, 3]);
    let got = run_ok(&[dir.path().to_path_buf()]);
    assert_eq!(got.articles.len(), 1);
    let rejected: Vec<&str> = got
        .rejected
        .iter()
        .map(|r| r.path.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(rejected, ["1.txt", "3.txt"]);
    assert!(matches!(got.rejected[0].error, IngestError::Empty { .. }));
    assert!(matches!(got.rejected[1].error, IngestError::Binary { .. }));
}

#[test]
fn a_directory_of_only_bad_files_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "1.txt", "");
    let err = run_err(&[dir.path().to_path_buf()]);
    assert!(matches!(err, IngestError::NoArticlesInDir { .. }));
    assert!(err.to_string().contains("file is empty"), "{err}");
}

#[test]
fn error_messages_are_one_line() {
    let errors = [
        IngestError::Missing { path: "a".into() },
        IngestError::Binary {
            path: "a".into(),
            reason: "it contains NUL bytes",
        },
        IngestError::TooLarge {
            path: "a".into(),
            size: 6 * 1024 * 1024,
            limit: DEFAULT_MAX_BYTES,
        },
    ];
    for err in errors {
        let text = err.to_string();
        assert!(!text.contains('\n') && text.starts_with("a: "), "{text}");
        assert_eq!(err.path(), Some("a"));
    }
    assert_eq!(
        IngestError::TooLarge {
            path: "a".into(),
            size: 6 * 1024 * 1024,
            limit: 5 * 1024 * 1024
        }
        .to_string(),
        "a: 6.0 MB is over the 5.0 MB limit on one article"
    );
    assert_eq!(
        IngestError::TooLarge {
            path: "a".into(),
            size: 600 * 1024,
            limit: DEFAULT_MAX_BYTES
        }
        .to_string(),
        "a: 600 KB is over the 512 KB limit on one article"
    );
}

mod seeds {
    use super::*;

    const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");

    /// Page furniture found in the seed scrapes; none of it may survive.
    const BOILERPLATE: &[&str] = &[
        "More News",
        "From: Alice Taylor",
        "Catch up with",
        "reformatted this story",
        "SHARE THIS",
        "AdBlock",
        "Please disable it",
        "Related Articles",
        "NBC News Clone",
        "×",
        "Personnel of Iran's embassy leave the compound",
    ];

    fn ingest_seeds() -> Ingested {
        run_ok(&[PathBuf::from(SEEDS)])
    }

    fn by_file<'a>(got: &'a Ingested, prefix: &str) -> &'a Article {
        got.articles
            .iter()
            .find(|a| a.path.contains(&format!("/{prefix}")))
            .unwrap_or_else(|| panic!("no article from seed {prefix}"))
    }

    #[test]
    fn all_five_seeds_become_articles() {
        let got = ingest_seeds();
        assert_eq!(got.articles.len(), 5);
        assert!(got.skipped.is_empty() && got.rejected.is_empty());
        let ids: Vec<String> = got.articles.iter().map(|a| a.id.to_string()).collect();
        assert_eq!(ids, ["S1", "S2", "S3", "S4", "S5"]);
        assert!(got.articles.windows(2).all(|w| w[0].path < w[1].path));
    }

    #[test]
    fn seed_titles() {
        let got = ingest_seeds();
        assert_eq!(by_file(&got, "000").title, None);
        assert_eq!(
            by_file(&got, "001").title.as_deref(),
            Some("Iran rejects involvement in recent Albania cyberattack")
        );
        assert_eq!(
            by_file(&got, "002").title.as_deref(),
            Some("Iran Denies Albanian Cyberattack")
        );
        assert_eq!(by_file(&got, "003").title, None);
        assert_eq!(
            by_file(&got, "004").title.as_deref(),
            Some("Albania cuts diplomatic ties with Iran over July cyberattack")
        );
    }

    #[test]
    fn seed_boilerplate_is_gone() {
        for article in &ingest_seeds().articles {
            for phrase in BOILERPLATE {
                assert!(
                    !article.text.contains(phrase),
                    "{} still has {phrase:?}",
                    article.path
                );
            }
            assert!(
                !article.text.contains('\u{a0}'),
                "{} has a no-break space",
                article.path
            );
            assert!(
                !article.text.contains("\n\n\n"),
                "{} has stray blank lines",
                article.path
            );
        }
    }

    #[test]
    fn seed_paragraphs_survive() {
        let got = ingest_seeds();
        let expectations = [
            (
                "000",
                "Iran’s foreign ministry Thursday rejected",
                "that Tehran considers a terrorist organization.",
                15,
            ),
            (
                "001",
                "ERBIL, Kurdistan Region - Iran on Monday",
                "considered a threat to its security.",
                12,
            ),
            (
                "002",
                "The Iranian government denied on Wednesday evening",
                "set a troubling precedent for cyberspace,” it notes.",
                16,
            ),
            (
                "003",
                "TIRANA: As Washington promised",
                "launched a long-running campaign to topple the government.",
                13,
            ),
            (
                "004",
                "The Biden administration said it supported the move",
                "designated the group a terrorist organization until 2012.",
                12,
            ),
        ];
        for (seed, first, last, paragraphs) in expectations {
            let article = by_file(&got, seed);
            assert!(
                article.text.starts_with(first),
                "{seed} starts {:?}",
                &article.text[..60]
            );
            assert!(
                article.text.ends_with(last),
                "{seed} ends with {:?}",
                article.text.rsplit('\n').next()
            );
            assert_eq!(
                article.text.split("\n\n").count(),
                paragraphs,
                "{seed} paragraphs"
            );
        }
    }
}

mod feeds;

/// A second XML declaration inside an element made feed-rs (quick-xml) panic, which took the
/// whole run down with exit 101 and lost the good articles beside it.
#[test]
fn a_feed_that_crashes_its_parser_is_one_rejection_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = concat!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></title><entry><title>x</title>",
        "</entry></feed>"
    );
    write(dir.path(), "bad.atom", bad);
    write(
        dir.path(),
        "good.txt",
        article_text("Iran Denies Involvement"),
    );
    let got = run_ok(&[dir.path().to_path_buf()]);
    assert_eq!(got.articles.len(), 1, "{got:?}");
    assert_eq!(got.rejected.len(), 1, "{got:?}");
    let why = got.rejected[0].error.to_string();
    assert!(why.contains("bad.atom") && !why.contains('\n'), "{why}");
    assert!(why.contains("the parser failed"), "{why}");
    assert!(why.ends_with("skipped"), "{why}");
    // Named on its own it is a one-line error (exit 2), not a panic, and says the run stopped
    // (it used to end "skipped" though nothing went on).
    let e = run_err(&[dir.path().join("bad.atom")]);
    assert!(e.path().is_some_and(|p| p.ends_with("bad.atom")), "{e}");
    let e = e.to_string();
    assert!(
        e.ends_with("the run stopped") && !e.contains("skipped"),
        "{e}"
    );
}

/// Links to directories are not followed (they can loop); that used to happen without a word.
#[cfg(unix)]
#[test]
fn a_linked_directory_or_a_link_loop_is_noted_not_silently_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.txt", article_text("Iran Denies Involvement"));
    std::os::unix::fs::symlink(dir.path(), dir.path().join("again")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop")).unwrap();
    let got = run_ok(&[dir.path().to_path_buf()]);
    assert_eq!(got.articles.len(), 1);
    let notes: Vec<String> = got.rejected.iter().map(|r| r.error.to_string()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().all(|n| n.contains("not followed")),
        "{notes:?}"
    );
}
