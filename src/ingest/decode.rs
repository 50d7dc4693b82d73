//! Bytes to text, and the line between a text file and a binary one.
//!
//! The rules, in order:
//! 1. A UTF-16 byte-order mark means UTF-16 (Windows editors still write it); a UTF-8 BOM is
//!    dropped.
//! 2. Any NUL byte means binary: no text encoding we accept produces one.
//! 3. Valid UTF-8 is used as is.
//! 4. Mostly valid UTF-8 (it has multi-byte characters and at most 1% of its bytes are
//!    invalid) is kept with the invalid bytes dropped: a scrape with a few mangled bytes
//!    is still an article.
//! 5. Text with no valid multi-byte character is a legacy single-byte file. Its non-ASCII
//!    bytes decide which: in whole words (runs of three or more, with spaces between) they
//!    are Cyrillic, read as Windows-1251; scattered among ASCII letters (at most 30% of the
//!    bytes) they are accents of a Latin script, read as whichever of Windows-1252,
//!    Windows-1250 and ISO-8859-2 (Latin-2) makes them letters inside words rather than
//!    symbols (ties go to Windows-1252). Text that fits none is refused with that reason.
//! 6. Anything else is binary, as is text in which more than 2% of characters are control
//!    characters other than tab, newline, carriage return and form feed.

/// Why bytes were judged binary, for the error message.
pub(crate) type BinaryReason = &'static str;

const MAX_INVALID_UTF8_PER_MILLE: usize = 10;
const MAX_LEGACY_NON_ASCII_PERCENT: usize = 30;
const MAX_CONTROL_PERCENT: usize = 2;

pub(crate) fn decode(bytes: &[u8]) -> Result<String, BinaryReason> {
    if let Some(text) = decode_utf16_with_bom(bytes) {
        return check_controls(text);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err("it contains NUL bytes");
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => decode_imperfect(bytes)?,
    };
    check_controls(text)
}

fn decode_utf16_with_bom(bytes: &[u8]) -> Option<String> {
    let (rest, little_endian) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => return None,
    };
    let units = rest.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

fn decode_imperfect(bytes: &[u8]) -> Result<String, BinaryReason> {
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
        return Err("it is not valid UTF-8 or single-byte text");
    }
    legacy(bytes)
}

/// Average run of consecutive non-ASCII bytes at or above which they spell whole words.
const CYRILLIC_MIN_RUN: usize = 3;

fn legacy(bytes: &[u8]) -> Result<String, BinaryReason> {
    let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
    let runs = bytes
        .iter()
        .zip(std::iter::once(&b' ').chain(bytes.iter()))
        .filter(|(b, prev)| !b.is_ascii() && prev.is_ascii())
        .count();
    let spaces = bytes.iter().filter(|b| b.is_ascii_whitespace()).count();
    if runs > 0 && non_ascii >= runs * CYRILLIC_MIN_RUN {
        // Words wholly outside ASCII, separated by spaces: Cyrillic prose. Soup with no
        // spaces, or that Windows-1251 reads as symbols, is not prose in any encoding.
        let text = single_byte(encoding_rs::WINDOWS_1251, bytes);
        let letters = text
            .chars()
            .filter(|c| !c.is_ascii() && c.is_alphabetic())
            .count();
        if spaces * 20 >= non_ascii && letters * 10 >= non_ascii * 9 {
            return Ok(text);
        }
        return Err("its non-ASCII bytes read as words in no encoding tried (UTF-8, Windows-1251, -1252, -1250, ISO-8859-2)");
    }
    if non_ascii * 100 > bytes.len() * MAX_LEGACY_NON_ASCII_PERCENT {
        return Err("it is not valid UTF-8 or single-byte text");
    }
    let mut best: Option<(i64, String)> = None;
    for enc in [
        encoding_rs::WINDOWS_1252,
        encoding_rs::WINDOWS_1250,
        encoding_rs::ISO_8859_2,
    ] {
        let text = single_byte(enc, bytes);
        let score = latin_score(&text);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, text));
        }
    }
    Ok(best.map(|(_, t)| t).unwrap_or_default())
}

fn single_byte(enc: &'static encoding_rs::Encoding, bytes: &[u8]) -> String {
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// How much a decoding looks like a Latin script: a non-ASCII letter scores, a symbol or
/// control character wedged between letters (`Wroc³aw`, `pi±tek`) costs more.
fn latin_score(text: &str) -> i64 {
    let chars: Vec<char> = text.chars().collect();
    let mut score = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        let letter = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphabetic())
        };
        if c.is_alphabetic() {
            score += 1;
        } else if c.is_control() || (letter(i.checked_sub(1)) && letter(Some(i + 1))) {
            score -= 3;
        }
    }
    score
}

fn check_controls(text: String) -> Result<String, BinaryReason> {
    let total = text.chars().count();
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        .count();
    if controls * 100 > total * MAX_CONTROL_PERCENT {
        return Err("it is mostly control characters");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(decode(&bytes), Err("it is mostly control characters"));
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
        assert!(e.contains("no encoding tried"), "{e}");
    }
}
