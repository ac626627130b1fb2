//! `write_str` writes what serde_json writes, and serde_json reads it back.

use cello_json::write_str;

fn check(s: &str) {
    let mut buf = b"prefix".to_vec();
    write_str(&mut buf, s);
    let written = &buf[6..];
    let expected = serde_json::to_string(s).unwrap_or_default();
    assert_eq!(
        std::str::from_utf8(written).ok(),
        Some(expected.as_str()),
        "{s:?}"
    );
    let back: String = serde_json::from_slice(written).unwrap_or_default();
    assert_eq!(back, s);
}

#[test]
fn matches_serde_json_for_every_ascii_character_alone_and_in_text() {
    for c in 0u8..=0x7f {
        let c = char::from(c);
        check(&c.to_string());
        check(&format!("abc{c}defghijklmnop{c}{c}qrstuv"));
    }
}

#[test]
fn matches_serde_json_for_unicode_quotes_and_backslashes() {
    for s in [
        "",
        "\"",
        "\\",
        "\"\"\\\\",
        "é",
        "日本語テキスト",
        "😀🎉👍🏽",
        "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        "mixed \"quotes\" and \\ back\\slashes \n\t with émoji 😀 and \u{1} control",
        "\u{2028}\u{2029} line separators are not escaped",
    ] {
        check(s);
        check(&s.repeat(9));
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn matches_serde_json_for_ten_thousand_random_strings() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: Vec<char> = "aZ09 \"\\/\n\r\t\u{0}\u{8}\u{c}\u{1f}\u{7f}é中😀"
        .chars()
        .collect();
    for _ in 0..10_000 {
        let len = (rng.next() % 70) as usize;
        let s: String = (0..len)
            .map(|_| {
                let r = rng.next();
                if r % 4 == 0 {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                } else if r % 4 == 1 {
                    char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('x')
                } else {
                    char::from(b'a' + (r >> 8) as u8 % 26)
                }
            })
            .collect();
        check(&s);
    }
}
