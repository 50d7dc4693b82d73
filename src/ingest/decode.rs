//! Bytes to text, and the line between a text file and a binary one.
//!
//! The rules, in order:
//! 1. A byte-order mark decides (UTF-8, UTF-16LE or UTF-16BE, through encoding_rs): Windows
//!    editors still write them.
//! 2. Any NUL byte means binary: no text encoding we accept produces one.
//! 3. Valid UTF-8 is used as is.
//! 4. Mostly valid UTF-8 (it has multi-byte characters and at most 1% of its bytes are
//!    invalid) is kept with the invalid bytes dropped: a scrape with a few mangled bytes
//!    is still an article.
//! 5. Text with no valid multi-byte character is a legacy file: chardetng guesses its
//!    encoding (Windows-1251 for Cyrillic, Windows-1250 or ISO-8859-2 for Central European,
//!    Windows-1252 for Western, and the rest of the web's legacy encodings), and the guess is
//!    kept only when it reads as prose: it decodes without errors, it has spaces between
//!    words, and almost none of its non-ASCII characters are control characters or symbols
//!    wedged inside words (`Wroc³aw`). A guess that fails is refused with the reason, since a
//!    briefing quoting garbage as evidence is worse than none. The guess is logged at debug
//!    level (`-vv`).
//! 6. Anything else is binary, as is text in which more than 2% of characters are control
//!    characters other than tab, newline, carriage return and form feed.

/// Why bytes are not usable text, for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Not text at all.
    Binary(&'static str),
    /// Text, but in no encoding we can name with confidence.
    Encoding(String),
}

const MAX_INVALID_UTF8_PER_MILLE: usize = 10;
const MAX_CONTROL_PERCENT: usize = 2;

/// Decodes `bytes` from the input shown as `shown` (named only in the log).
pub(crate) fn decode(bytes: &[u8], shown: &str) -> Result<String, DecodeError> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc != encoding_rs::UTF_8 {
            tracing::debug!("{shown}: {} byte-order mark", enc.name());
            let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
            return check_controls(text.into_owned());
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(DecodeError::Binary("it contains NUL bytes"));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => decode_imperfect(bytes, shown)?,
    };
    check_controls(text)
}

fn decode_imperfect(bytes: &[u8], shown: &str) -> Result<String, DecodeError> {
    let mut invalid = 0usize;
    let mut multibyte = 0usize;
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        multibyte += valid.chars().filter(|c| c.len_utf8() > 1).count();
        invalid += chunk.invalid().len();
        text.push_str(valid);
    }
    if multibyte > 0 && invalid * 1000 <= bytes.len() * MAX_INVALID_UTF8_PER_MILLE {
        return Ok(text);
    }
    if multibyte > 0 {
        return Err(DecodeError::Binary(
            "it is not valid UTF-8 or single-byte text",
        ));
    }
    legacy(bytes, shown)
}

/// Prose has a space or line break every few characters; fewer than one in this many
/// characters is a blob, in any encoding.
const MIN_CHARS_PER_SPACE: usize = 20;
/// At most this share (per mille) of a guess's non-ASCII characters may be control
/// characters or symbols inside words before the guess is refused.
const MAX_IMPLAUSIBLE_PER_MILLE: usize = 50;

fn legacy(bytes: &[u8], shown: &str) -> Result<String, DecodeError> {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    let name = enc.name();
    if had_errors {
        tracing::debug!("{shown}: chardetng guesses {name}, which does not decode it");
        return Err(DecodeError::Encoding(format!(
            "the best guess, {name}, does not decode it"
        )));
    }
    let chars = text.chars().count();
    let spaces = text.chars().filter(|c| c.is_whitespace()).count();
    if spaces * MIN_CHARS_PER_SPACE < chars {
        tracing::debug!("{shown}: chardetng guesses {name}; no spaces between words");
        return Err(DecodeError::Encoding(format!(
            "read as {name}, the best guess, it has no spaces between words"
        )));
    }
    let (non_ascii, implausible) = implausible(&text);
    if implausible * 1000 > non_ascii * MAX_IMPLAUSIBLE_PER_MILLE {
        tracing::debug!(
            "{shown}: chardetng guesses {name}; {implausible} of {non_ascii} non-ASCII characters implausible"
        );
        return Err(DecodeError::Encoding(format!(
            "read as {name}, the best guess, {implausible} of its {non_ascii} non-ASCII characters are symbols inside words or control characters"
        )));
    }
    tracing::debug!("{shown}: not UTF-8; read as {name} (chardetng)");
    Ok(text.into_owned())
}

/// Non-ASCII characters, and those of them no prose has: control characters, and symbols
/// wedged between two letters (`Wroc³aw`, `pi±tek`: Latin-2 read as Latin-1).
fn implausible(text: &str) -> (usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let letter = |j: Option<usize>| {
        j.and_then(|j| chars.get(j))
            .is_some_and(|c| c.is_alphabetic())
    };
    let mut non_ascii = 0;
    let mut bad = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        non_ascii += 1;
        if c.is_control() || (!c.is_alphabetic() && letter(i.checked_sub(1)) && letter(Some(i + 1)))
        {
            bad += 1;
        }
    }
    (non_ascii, bad)
}

fn check_controls(text: String) -> Result<String, DecodeError> {
    let total = text.chars().count();
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        .count();
    if controls * 100 > total * MAX_CONTROL_PERCENT {
        return Err(DecodeError::Binary("it is mostly control characters"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::DecodeError;

    fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
        super::decode(bytes, "test.txt")
    }

    #[test]
    fn valid_utf8_is_kept() {
        assert_eq!(
            decode("Iran’s “reply”".as_bytes()),
            Ok("Iran’s “reply”".into())
        );
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFHello"), Ok("Hello".into()));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Tirana é".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&bytes), Ok("Tirana é".into()));
    }

    #[test]
    fn nul_bytes_mean_binary() {
        assert!(decode(b"text\0more text").is_err());
    }

    #[test]
    fn a_few_bad_bytes_in_utf8_are_dropped() {
        let mut bytes = "Café société ".repeat(20).into_bytes();
        bytes.push(0xFF);
        let text = decode(&bytes).expect("mostly valid UTF-8 is text");
        assert!(text.starts_with("Café société"));
        assert!(!text.contains('\u{FFFD}'));
    }

    #[test]
    fn latin1_text_is_read_as_windows_1252() {
        let bytes = b"Caf\xe9 in Tirana \x93quoted\x94 \x96 fine.";
        assert_eq!(decode(bytes), Ok("Café in Tirana “quoted” – fine.".into()));
    }

    #[test]
    fn random_high_bytes_are_binary() {
        let bytes: Vec<u8> = (0..400u32).map(|i| (i * 151 % 128 + 128) as u8).collect();
        assert!(decode(&bytes).is_err());
    }

    #[test]
    fn control_character_soup_is_binary() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i % 31 + 1) as u8).collect();
        assert_eq!(
            decode(&bytes),
            Err(DecodeError::Binary("it is mostly control characters"))
        );
    }

    /// Windows-1251 was refused as binary (Russian is nearly all non-ASCII) or read as
    /// Windows-1252 garbage; Latin-2 came out with `³` and `±` inside its words.
    #[test]
    fn cyrillic_and_central_european_legacy_files_are_read_in_their_encodings() {
        let russian =
            "Правительство объявило в понедельник о новых мерах. Депутаты проголосуют в среду.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(russian);
        assert_eq!(decode(&bytes), Ok(russian.to_string()));
        // Mostly ASCII with a Russian quote inside.
        let mixed = format!("The minister said: «{russian}» and left the meeting in Brussels.");
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&mixed);
        assert_eq!(decode(&bytes), Ok(mixed.clone()));
        let polish = "W piątek we Wrocławiu zebrała się rada miasta. Żadna decyzja nie zapadła, ale ściśle tajne rozmowy trwają.";
        let (bytes, _, _) = encoding_rs::ISO_8859_2.encode(polish);
        assert_eq!(decode(&bytes), Ok(polish.to_string()));
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(polish);
        assert_eq!(decode(&bytes), Ok(polish.to_string()));
    }

    #[test]
    fn high_bytes_without_spaces_are_undecidable_and_say_why() {
        let bytes: Vec<u8> = (0..400u32).map(|i| (i * 7 % 64 + 0xC0) as u8).collect();
        let e = decode(&bytes).unwrap_err();
        let DecodeError::Encoding(why) = e else {
            panic!("{e:?}")
        };
        assert!(why.contains("no spaces between words"), "{why}");
    }

    #[test]
    fn utf16_big_endian_with_bom_is_decoded() {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in "Łódź и Київ".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode(&bytes), Ok("Łódź и Київ".into()));
    }

    /// Latin-2 read as Latin-1 puts symbols inside words: what makes a guess implausible.
    #[test]
    fn symbols_inside_words_are_implausible() {
        assert_eq!(super::implausible("Wroc³aw, pi±tek «tak»"), (4, 2));
        assert_eq!(super::implausible("Wrocław, piątek «tak»"), (4, 0));
    }
}
