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
//! 5. Text with no valid multi-byte character and at most 30% non-ASCII bytes is a legacy
//!    single-byte file and is read as Windows-1252 (a superset of Latin-1's printable
//!    range); real prose in those encodings is overwhelmingly ASCII.
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
    let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
    if multibyte == 0 && non_ascii * 100 <= bytes.len() * MAX_LEGACY_NON_ASCII_PERCENT {
        return Ok(bytes.iter().map(|&b| windows_1252(b)).collect());
    }
    Err("it is not valid UTF-8 or single-byte text")
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

/// Windows-1252 differs from Latin-1 only in 0x80..=0x9F, where it has printable quotes,
/// dashes and the euro sign that scraped Western text is full of.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
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
}
