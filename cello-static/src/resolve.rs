//! A request path → a path inside the served directory, or nothing (404).
//!
//! Each segment is percent-decoded on its own, and refused when the decoded text could
//! leave the directory or name something else than a plain component: `..` and `.`
//! (`%2e%2e` included), a slash or backslash inside a segment (`%2f`, `%5c`, `\`), a
//! NUL byte, bytes that are not UTF-8, and empty segments (`//etc/passwd`) except a
//! trailing one. Symlinks are checked later, on the file system
//! ([`crate::open`]).

use percent_encoding::percent_decode_str;
use std::path::PathBuf;

/// A path the directory may serve.
#[derive(Debug, PartialEq, Eq)]
pub struct Relative {
    /// The segments, joined (empty for the directory itself).
    pub path: PathBuf,
    /// The request path ended with `/` (a directory was asked for).
    pub trailing_slash: bool,
}

/// Reads `uri_path` (the part after the mount prefix, starting with `/`).
pub fn relative(uri_path: &str) -> Option<Relative> {
    let rest = uri_path.strip_prefix('/')?;
    let mut path = PathBuf::new();
    if rest.is_empty() {
        return Some(Relative {
            path,
            trailing_slash: true,
        });
    }
    let trailing_slash = rest.ends_with('/');
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    for raw in rest.split('/') {
        path.push(segment(raw)?);
    }
    Some(Relative {
        path,
        trailing_slash,
    })
}

fn segment(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    if decoded.is_empty()
        || decoded == "."
        || decoded == ".."
        || decoded.contains(['/', '\\', '\0'])
    {
        return None;
    }
    Some(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> PathBuf {
        relative(p)
            .map(|r| r.path)
            .unwrap_or_else(|| panic!("{p} refused"))
    }

    #[test]
    fn plain_paths_are_decoded_per_segment() {
        assert_eq!(ok("/a/b.txt"), PathBuf::from("a/b.txt"));
        assert_eq!(ok("/hello%20world.txt"), PathBuf::from("hello world.txt"));
        assert_eq!(ok("/caf%C3%A9.txt"), PathBuf::from("café.txt"));
        assert_eq!(ok("/.well-known/x"), PathBuf::from(".well-known/x"));
    }

    #[test]
    fn the_root_and_trailing_slashes_are_directories() {
        assert_eq!(
            relative("/"),
            Some(Relative {
                path: PathBuf::new(),
                trailing_slash: true
            })
        );
        assert_eq!(
            relative("/docs/"),
            Some(Relative {
                path: "docs".into(),
                trailing_slash: true
            })
        );
    }

    #[test]
    fn every_traversal_vector_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/.%2e/etc/passwd",
            "/a%2f..%2f..%2fetc/passwd",
            "/..%2fetc%2fpasswd",
            "/a%5c..%5c..%5cetc",
            "/a\\..\\etc",
            "/a%00.txt",
            "//etc/passwd",
            "/a//b",
            "/./a",
            "/%ff",
            "no-leading-slash",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }
}
