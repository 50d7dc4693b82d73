//! Feeds and JSON Lines: many articles from one file, each with its own path, link, date
//! and teaser flag, and bad lines or entries rejected one by one.

use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/feeds");

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n").collect()
}

#[test]
fn rss_entries_become_articles_with_links_dates_and_teaser_flags() {
    let file = fixture("world.rss");
    let shown = file.display().to_string();
    let got = run_ok(&[file]);
    assert!(got.rejected.is_empty() && got.skipped.is_empty());
    assert_eq!(got.articles.len(), 2);
    let [full, teaser] = [&got.articles[0], &got.articles[1]];

    assert_eq!(full.id, ArticleId(1));
    assert_eq!(full.path, format!("{shown}#1"));
    assert_eq!(
        full.title.as_deref(),
        Some("Port strike ends after unions accept 9% pay offer")
    );
    assert_eq!(
        full.url.as_deref(),
        Some("https://harbourgazette.example/world/2024/03/05/port-strike-ends")
    );
    assert_eq!(full.published.as_deref(), Some("2024-03-05T16:42:00Z"));
    assert!(!full.teaser, "content:encoded is the full text");
    let body = paragraphs(&full.text);
    assert_eq!(body.len(), 4, "{body:#?}");
    assert!(body[0].starts_with("Dock workers at the country’s three largest"));
    assert!(
        body[1].contains("also caps compulsory overtime"),
        "a line break in the markup is not a paragraph break: {body:#?}"
    );
    assert!(body[2].starts_with("“This is a fair settlement,” said Ana Ferreira"));
    assert!(body[3].ends_with("rationed milk and bread last week."));
    for furniture in ["Idle cranes", "appeared first on", "<p>", "&rsquo;"] {
        assert!(!full.text.contains(furniture), "{furniture:?} survived");
    }

    assert_eq!(teaser.id, ArticleId(2));
    assert_eq!(teaser.path, format!("{shown}#2"));
    assert_eq!(
        teaser.title.as_deref(),
        Some("Central bank holds rates at 4.5% & signals cut in summer")
    );
    assert_eq!(
        teaser.url.as_deref(),
        Some("https://harbourgazette.example/business/2024/03/06/rates-held")
    );
    assert_eq!(teaser.published.as_deref(), Some("2024-03-06T07:30:00Z"));
    assert!(teaser.teaser, "a short description is only a teaser");
    assert!(
        teaser
            .text
            .starts_with("The central bank left its main rate unchanged at 4.5%"),
        "{}",
        teaser.text
    );
    assert!(!teaser.text.contains("Continue reading"), "{}", teaser.text);
    assert_eq!(teaser.content_hash, sha256_hex(&teaser.text));
}

#[test]
fn atom_entries_use_content_alternate_links_and_updated_dates() {
    let file = fixture("europe.atom");
    let shown = file.display().to_string();
    let got = run_ok(&[file]);
    assert_eq!(got.articles.len(), 2);
    let [full, summary] = [&got.articles[0], &got.articles[1]];

    assert_eq!(full.path, format!("{shown}#1"));
    assert_eq!(
        full.title.as_deref(),
        Some("Rail tunnel reopens two weeks early")
    );
    assert_eq!(
        full.url.as_deref(),
        Some("https://northernledger.example/2024/03/rail-tunnel-reopens"),
        "the alternate link, not the enclosure"
    );
    assert_eq!(full.published.as_deref(), Some("2024-03-06T08:00:00Z"));
    assert!(!full.teaser);
    let body = paragraphs(&full.text);
    assert_eq!(body.len(), 3, "{body:#?}");
    assert!(body[0].starts_with("The Hallstad rail tunnel reopened"));
    assert!(
        !full.text.contains("shut for repairs since January"),
        "summary ignored"
    );

    assert_eq!(summary.path, format!("{shown}#2"));
    assert_eq!(
        summary.title.as_deref(),
        Some("Council approves budget for new library")
    );
    assert_eq!(
        summary.url.as_deref(),
        Some("https://northernledger.example/2024/03/library-budget")
    );
    assert_eq!(
        summary.published.as_deref(),
        Some("2024-03-05T18:20:00Z"),
        "updated stands in for a missing published"
    );
    assert!(summary.teaser);
    assert!(summary.text.starts_with("Councillors voted 23 to 8"));
}

#[test]
fn jsonl_lines_become_articles_and_bad_lines_are_rejected_by_number() {
    let file = fixture("articles.jsonl");
    let shown = file.display().to_string();
    let got = run_ok(&[file]);
    let paths: Vec<&str> = got.articles.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, [format!("{shown}#1"), format!("{shown}#3")]);

    let text = &got.articles[0];
    assert_eq!(
        text.title.as_deref(),
        Some("Ferry operator adds winter sailings")
    );
    assert_eq!(
        text.url.as_deref(),
        Some("https://coastalpost.example/2024/03/05/ferry-winter")
    );
    assert_eq!(text.published.as_deref(), Some("2024-03-05T14:00:00Z"));
    assert!(!text.teaser);
    assert_eq!(paragraphs(&text.text).len(), 2);

    let page = &got.articles[1];
    assert_eq!(page.id, ArticleId(2));
    assert_eq!(page.title.as_deref(), Some("Bridge closed for inspection"));
    assert_eq!(page.published.as_deref(), Some("2024-03-04"));
    assert!(page.text.starts_with("The Vester bridge will close"));
    for furniture in ["Home", "window.ads", "©", "Bridge closed for inspection"] {
        assert!(!page.text.contains(furniture), "{furniture:?} survived");
    }

    let rejected: Vec<(&str, String)> = got
        .rejected
        .iter()
        .map(|r| (r.path.as_str(), r.error.to_string()))
        .collect();
    assert_eq!(rejected.len(), 2, "{rejected:#?}");
    assert_eq!(rejected[0].0, format!("{shown}#2"));
    assert!(
        rejected[0]
            .1
            .starts_with(&format!("{shown}:2: not valid JSON: EOF")),
        "{}",
        rejected[0].1
    );
    assert_eq!(rejected[1].0, format!("{shown}#5"));
    assert_eq!(
        rejected[1].1,
        format!("{shown}:5: no article text (needs a non-empty \"text\" or \"html\")")
    );
    assert!(matches!(
        got.rejected[1].error,
        IngestError::BadLine { line: 5, .. }
    ));
}

#[test]
fn a_jsonl_file_without_a_usable_line_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "dump.ndjson",
        "\n{\"title\": \"No text\"}\n[1, 2]\n",
    );
    let err = run_err(std::slice::from_ref(&file));
    assert!(matches!(err, IngestError::NoArticlesInFile { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no usable article in the file (all 2 lines were rejected; first: line 2: no article text (needs a non-empty \"text\" or \"html\"))",
            file.display()
        )
    );
}

#[test]
fn an_unparseable_feed_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sitemap = write(
        dir.path(),
        "sitemap.xml",
        "<?xml version=\"1.0\"?><urlset><url><loc>https://x.example/</loc></url></urlset>",
    );
    let err = run_err(std::slice::from_ref(&sitemap));
    assert!(matches!(err, IngestError::BadFeed { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}: not a readable feed: ", sitemap.display())),
        "{message}"
    );
    assert!(!message.contains('\n'));

    let truncated = write(
        dir.path(),
        "cut.rss",
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>x</title><item><title>Cut",
    );
    let err = run_err(&[truncated]);
    assert!(
        matches!(
            err,
            IngestError::BadFeed { .. } | IngestError::NoArticlesInFile { .. }
        ),
        "{err}"
    );
}

#[test]
fn a_feed_without_entries_or_text_is_an_error_and_textless_entries_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let channel = |items: &str| {
        format!("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Empty</title><link>https://x.example/</link><description>d</description>{items}</channel></rss>")
    };
    let empty = write(dir.path(), "empty.rss", channel(""));
    let err = run_err(std::slice::from_ref(&empty));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no usable article in the file (the feed has no entries)",
            empty.display()
        )
    );

    let bare = "<item><title>Only a headline</title><link>https://x.example/a</link></item>";
    let with_text = format!("<item><title>A story</title><description>{PARA}</description></item>");
    let mixed = write(
        dir.path(),
        "mixed.rss",
        channel(&format!("{bare}{with_text}")),
    );
    let got = run_ok(std::slice::from_ref(&mixed));
    assert_eq!(got.articles.len(), 1);
    assert_eq!(got.articles[0].path, format!("{}#2", mixed.display()));
    assert_eq!(got.rejected.len(), 1);
    assert_eq!(got.rejected[0].path, format!("{}#1", mixed.display()));
    assert_eq!(
        got.rejected[0].error.to_string(),
        format!(
            "{}#1: no text: the entry has neither content nor a summary",
            mixed.display()
        )
    );

    let only_bare = write(dir.path(), "bare.rss", channel(bare));
    let err = run_err(&[only_bare]);
    assert!(
        err.to_string()
            .contains("all 1 entries were rejected; first: entry 1: no text"),
        "{err}"
    );
}

#[test]
fn a_feed_is_recognised_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = fs::read(fixture("world.rss")).expect("read fixture");
    let renamed = write(dir.path(), "download", &content);
    let got = run_ok(std::slice::from_ref(&renamed));
    assert_eq!(got.articles.len(), 2);
    assert_eq!(got.articles[1].path, format!("{}#2", renamed.display()));
    assert!(got.articles[1].teaser);

    let mut stdin = Cursor::new(content);
    let got = ingest_from(&[PathBuf::from("-")], &IngestOptions::default(), &mut stdin)
        .expect("feed on stdin");
    let paths: Vec<&str> = got.articles.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, ["-#1", "-#2"]);
}

#[test]
fn an_html_page_saved_as_xml_is_read_as_a_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE html><html><head><title>Saved As XML</title></head><body><p>{PARA}</p><p>{PARA2}</p></body></html>");
    let file = write(dir.path(), "page.xml", page);
    let got = run_ok(&[file]);
    assert_eq!(got.articles[0].title.as_deref(), Some("Saved As XML"));
    assert_eq!(got.articles[0].text, format!("{PARA}\n\n{PARA2}"));
}

#[test]
fn a_directory_mixing_feeds_jsonl_and_text_files_is_ingested_in_path_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for name in ["world.rss", "europe.atom", "articles.jsonl"] {
        let content = fs::read(fixture(name)).expect("read fixture");
        write(root, &format!("feeds/{name}"), content);
    }
    write(
        root,
        "a-story.txt",
        article_text("Iran Denies Involvement In Attack"),
    );
    write(
        root,
        "z-story.md",
        format!(
            "# Cable Repairs Begin\n\n{PARA2}\n\nA distinct closing line about the repair ships."
        ),
    );
    write(
        root,
        "feeds/broken.xml",
        "<?xml version=\"1.0\"?><notafeed/>",
    );
    let got = run_ok(&[root.to_path_buf()]);
    let base = root.display().to_string();
    let paths: Vec<String> = got
        .articles
        .iter()
        .map(|a| a.path.strip_prefix(&base).unwrap_or(&a.path).to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "/a-story.txt",
            "/feeds/articles.jsonl#1",
            "/feeds/articles.jsonl#3",
            "/feeds/europe.atom#1",
            "/feeds/europe.atom#2",
            "/feeds/world.rss#1",
            "/feeds/world.rss#2",
            "/z-story.md",
        ]
    );
    let ids: Vec<String> = got.articles.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(ids, ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"]);
    let teasers: Vec<bool> = got.articles.iter().map(|a| a.teaser).collect();
    assert_eq!(
        teasers,
        [false, false, false, false, true, false, true, false]
    );
    let rejected: Vec<String> = got
        .rejected
        .iter()
        .map(|r| r.path.strip_prefix(&base).unwrap_or(&r.path).to_string())
        .collect();
    assert_eq!(
        rejected,
        [
            "/feeds/articles.jsonl#2",
            "/feeds/articles.jsonl#5",
            "/feeds/broken.xml"
        ]
    );
    assert!(matches!(got.rejected[2].error, IngestError::BadFeed { .. }));
}

#[test]
fn articles_from_feeds_and_jsonl_are_deduplicated_like_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let txt = write(dir.path(), "a.txt", article_text("Same Story Everywhere"));
    let line = serde_json::json!({
        "title": "Same Story Everywhere",
        "url": "https://x.example/same",
        "text": format!("{PARA}\n\n{PARA2}"),
    });
    let other = serde_json::json!({"title": "Another", "text": "A different short story."});
    let jsonl = write(dir.path(), "b.jsonl", format!("{other}\n{line}\n{line}\n"));
    let rss = write(
        dir.path(),
        "c.rss",
        format!("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://x.example/</link><description>d</description><item><title>Same Story Everywhere</title><link>https://x.example/same</link><description><![CDATA[<p>{PARA}</p><p>{PARA2}</p>]]></description></item></channel></rss>"),
    );
    let got = run_ok(&[txt, jsonl.clone(), rss.clone()]);
    assert_eq!(got.articles.len(), 2);
    assert_eq!(got.articles[1].path, format!("{}#1", jsonl.display()));
    let skipped: Vec<(String, ArticleId)> = got
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.duplicate_of))
        .collect();
    assert_eq!(
        skipped,
        [
            (format!("{}#2", jsonl.display()), ArticleId(1)),
            (format!("{}#3", jsonl.display()), ArticleId(1)),
            (format!("{}#1", rss.display()), ArticleId(1)),
        ]
    );
}

#[test]
fn new_fields_stay_out_of_json_when_unset() {
    let got = run_ok(&[fixture("world.rss")]);
    let teaser = serde_json::to_value(&got.articles[1]).expect("serialise");
    assert_eq!(teaser["teaser"], true);
    assert_eq!(teaser["published"], "2024-03-06T07:30:00Z");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "a.txt", article_text("Plain Story Here"));
    let plain = serde_json::to_value(&run_ok(&[file]).articles[0]).expect("serialise");
    let keys: Vec<&str> = plain
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["content_hash", "id", "path", "text", "title"]);
    let back: Article = serde_json::from_value(plain).expect("deserialise without new fields");
    assert_eq!((back.url, back.published, back.teaser), (None, None, false));
}

#[test]
fn new_error_messages_are_one_line_and_name_the_file() {
    let errors = [
        IngestError::BadLine {
            path: "a".into(),
            line: 3,
            reason: "not valid JSON: EOF while parsing a string (column 9)".into(),
        },
        IngestError::BadEntry {
            path: "a".into(),
            entry: 2,
            reason: "no text".into(),
        },
        IngestError::BadFeed {
            path: "a".into(),
            reason: "unable to parse feed: no root element".into(),
        },
        IngestError::NoArticlesInFile {
            path: "a".into(),
            detail: "the feed has no entries".into(),
        },
    ];
    for err in errors {
        let text = err.to_string();
        assert!(!text.contains('\n') && text.starts_with('a'), "{text}");
        assert_eq!(err.path(), Some("a"));
    }
}

/// Billion laughs: nested entity definitions that would expand to gigabytes. The feed parser
/// does not expand DTD entities, so the file is read (or refused) at once, in its own size.
#[test]
fn a_billion_laughs_feed_is_read_without_expanding_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut dtd = String::from("<!DOCTYPE rss [<!ENTITY lol \"lol\">");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let feed = format!(
        "<?xml version=\"1.0\"?>{dtd}<rss version=\"2.0\"><channel><title>T</title>\
         <item><title>Laughs</title><description>&lol9; {PARA}</description></item>\
         </channel></rss>"
    );
    let path = write(dir.path(), "laughs.rss", &feed);
    match run(&[path]) {
        Ok(got) => {
            let text: usize = got.articles.iter().map(|a| a.text.len()).sum();
            assert!(text < feed.len() * 2, "expanded to {text} bytes");
        }
        Err(e) => assert!(e.to_string().contains("laughs.rss"), "{e}"),
    }
}
