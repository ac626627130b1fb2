//! Typed path parameters: the declared [`ParamType`], the converted [`ParamValue`], and the
//! percent-decoding + conversion that turns one into the other.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::percent_decode_str;
use uuid::Uuid;

/// The type a path parameter was declared with, e.g. `int` in `/users/{id:int}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamType {
    /// `{x:int}`: a signed 64-bit integer, as `i64::from_str` reads it (optional `+`/`-`,
    /// ASCII digits, no spaces); values outside the `i64` range are rejected.
    Int,
    /// `{x:float}`: a finite `f64` as `f64::from_str` reads it (`1`, `-2.5`, `1e3`);
    /// `nan` and `inf` are rejected because no handler expects them and JSON cannot hold them.
    Float,
    /// `{x}` or `{x:str}`: any non-empty text within one path segment (the default).
    Str,
    /// `{x:uuid}`: a UUID in hyphenated (`67e55044-10b1-426f-9247-bb680e5fe0c8`) or simple
    /// (32 hex digits) form, either case; braced and `urn:uuid:` forms are rejected.
    Uuid,
    /// `{*x}` or `{*x:path}`: the rest of the path, which may contain `/`.
    Path,
}

impl ParamType {
    /// Reads the name used in a route pattern (`int`, `float`, `str`, `uuid`, `path`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "int" => Self::Int,
            "float" => Self::Float,
            "str" => Self::Str,
            "uuid" => Self::Uuid,
            "path" => Self::Path,
            _ => return None,
        })
    }

    /// The name used in a route pattern, the inverse of [`ParamType::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::Str => "str",
            Self::Uuid => "uuid",
            Self::Path => "path",
        }
    }

    /// What a value must be, worded to finish "path parameter `x` must be ...".
    pub(crate) fn expectation(self) -> &'static str {
        match self {
            Self::Int => "an integer",
            Self::Float => "a finite number",
            Self::Str | Self::Path => "valid UTF-8 once percent-decoded",
            Self::Uuid => "a UUID",
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A path parameter after percent-decoding and conversion to its declared type.
///
/// Text borrows from the request path when it needed no decoding, so a lookup allocates
/// only for parameters that contain `%XX` escapes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParamValue<'a> {
    /// From `{x:int}`.
    Int(i64),
    /// From `{x:float}`; always finite.
    Float(f64),
    /// From `{x}` / `{x:str}`, percent-decoded.
    Str(Cow<'a, str>),
    /// From `{x:uuid}`.
    Uuid(Uuid),
    /// From `{*x}` / `{*x:path}`, percent-decoded, without the leading `/`. `..` segments are
    /// passed through as they are: code that maps this to a file must reject them.
    Path(Cow<'a, str>),
}

impl<'a> ParamValue<'a> {
    /// The value as text, for `Str` and `Path`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) | Self::Path(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, for `Int`.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            Self::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as a float, for `Float`.
    pub fn as_float(&self) -> Option<f64> {
        match *self {
            Self::Float(x) => Some(x),
            _ => None,
        }
    }

    /// The value as a UUID, for `Uuid`.
    pub fn as_uuid(&self) -> Option<Uuid> {
        match *self {
            Self::Uuid(u) => Some(u),
            _ => None,
        }
    }

    /// The declared type this value was converted to.
    pub fn param_type(&self) -> ParamType {
        match self {
            Self::Int(_) => ParamType::Int,
            Self::Float(_) => ParamType::Float,
            Self::Str(_) => ParamType::Str,
            Self::Uuid(_) => ParamType::Uuid,
            Self::Path(_) => ParamType::Path,
        }
    }

    /// Detaches the value from the request path.
    pub fn into_owned(self) -> ParamValue<'static> {
        match self {
            Self::Int(i) => ParamValue::Int(i),
            Self::Float(x) => ParamValue::Float(x),
            Self::Str(s) => ParamValue::Str(Cow::Owned(s.into_owned())),
            Self::Uuid(u) => ParamValue::Uuid(u),
            Self::Path(s) => ParamValue::Path(Cow::Owned(s.into_owned())),
        }
    }
}

/// Why a raw segment could not become a [`ParamValue`]; the text to show the client.
pub(crate) struct ConvertError {
    /// The decoded value when it was valid UTF-8, else the raw one.
    pub(crate) shown: String,
}

/// Percent-decodes `raw` (borrowing when it holds no `%`) and converts it to `ty`.
///
/// An invalid escape such as `%zz` or a lone `%` is kept literally, as `percent-encoding`
/// and Python's `urllib.parse.unquote` do; only bytes that decode to invalid UTF-8 fail.
pub(crate) fn convert(raw: &str, ty: ParamType) -> Result<ParamValue<'_>, ConvertError> {
    // Typed values almost never carry escapes: parse the raw text first and decode only if
    // that fails. A raw text that parses holds no `%`, so decoding would not change it.
    let direct = match ty {
        ParamType::Int => raw.parse().ok().map(ParamValue::Int),
        ParamType::Float => raw
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .map(ParamValue::Float),
        ParamType::Uuid if raw.len() == 36 || raw.len() == 32 => {
            Uuid::try_parse(raw).ok().map(ParamValue::Uuid)
        }
        _ => None,
    };
    if let Some(value) = direct {
        return Ok(value);
    }
    let text = decode(raw).map_err(|()| ConvertError {
        shown: raw.to_owned(),
    })?;
    let fail = |text: &str| ConvertError {
        shown: text.to_owned(),
    };
    Ok(match ty {
        ParamType::Str => ParamValue::Str(text),
        ParamType::Path => ParamValue::Path(text),
        ParamType::Int => ParamValue::Int(text.parse().map_err(|_| fail(&text))?),
        ParamType::Float => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => ParamValue::Float(x),
            _ => return Err(fail(&text)),
        },
        // 36 = hyphenated, 32 = simple: the two forms a URL carries without escaping.
        ParamType::Uuid => match text.len() {
            32 | 36 => ParamValue::Uuid(Uuid::try_parse(&text).map_err(|_| fail(&text))?),
            _ => return Err(fail(&text)),
        },
    })
}

fn decode(raw: &str) -> Result<Cow<'_, str>, ()> {
    // Most segments hold no escape: skip the decoder (and its UTF-8 re-check) entirely.
    if !raw.as_bytes().contains(&b'%') {
        return Ok(Cow::Borrowed(raw));
    }
    percent_decode_str(raw).decode_utf8().map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, ty: ParamType) -> ParamValue<'_> {
        match convert(raw, ty) {
            Ok(v) => v,
            Err(e) => panic!("`{raw}` as {ty} failed, showing `{}`", e.shown),
        }
    }

    fn err(raw: &str, ty: ParamType) -> String {
        match convert(raw, ty) {
            Ok(v) => panic!("`{raw}` as {ty} converted to {v:?}"),
            Err(e) => e.shown,
        }
    }

    #[test]
    fn undecoded_text_is_borrowed() {
        assert!(matches!(
            ok("plain", ParamType::Str),
            ParamValue::Str(Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn escapes_are_decoded_including_slash() {
        assert_eq!(ok("a%20b%2Fc", ParamType::Str).as_str(), Some("a b/c"));
    }

    #[test]
    fn invalid_escapes_are_kept_literally() {
        assert_eq!(ok("%zz", ParamType::Str).as_str(), Some("%zz"));
        assert_eq!(ok("100%", ParamType::Str).as_str(), Some("100%"));
    }

    #[test]
    fn escapes_decoding_to_invalid_utf8_fail_showing_the_raw_text() {
        assert_eq!(err("%FF", ParamType::Str), "%FF");
    }

    #[test]
    fn ints_accept_signs_and_reject_overflow() {
        assert_eq!(ok("-42", ParamType::Int).as_int(), Some(-42));
        assert_eq!(ok("%2B7", ParamType::Int).as_int(), Some(7));
        assert_eq!(
            ok("9223372036854775807", ParamType::Int).as_int(),
            Some(i64::MAX)
        );
        assert_eq!(
            err("9223372036854775808", ParamType::Int),
            "9223372036854775808"
        );
        assert_eq!(err("1.5", ParamType::Int), "1.5");
        assert_eq!(err("%201", ParamType::Int), " 1");
    }

    #[test]
    fn floats_must_be_finite() {
        assert_eq!(ok("2.5", ParamType::Float).as_float(), Some(2.5));
        assert_eq!(ok("1e3", ParamType::Float).as_float(), Some(1000.0));
        for bad in ["nan", "NaN", "inf", "-infinity", "1e999", "x"] {
            assert_eq!(err(bad, ParamType::Float), bad);
        }
    }

    #[test]
    fn uuids_accept_hyphenated_and_simple_forms_only() {
        let want = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
        assert_eq!(
            ok("67e55044-10b1-426f-9247-bb680e5fe0c8", ParamType::Uuid).as_uuid(),
            Some(want)
        );
        assert_eq!(
            ok("67E5504410B1426F9247BB680E5FE0C8", ParamType::Uuid).as_uuid(),
            Some(want)
        );
        err(
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            ParamType::Uuid,
        );
        err(
            "%7B67e55044-10b1-426f-9247-bb680e5fe0c8%7D",
            ParamType::Uuid,
        );
        err("67e55044", ParamType::Uuid);
    }

    #[test]
    fn type_names_round_trip() {
        for ty in [
            ParamType::Int,
            ParamType::Float,
            ParamType::Str,
            ParamType::Uuid,
            ParamType::Path,
        ] {
            assert_eq!(ParamType::from_name(ty.name()), Some(ty));
        }
        assert_eq!(ParamType::from_name("integer"), None);
    }
}
