//! Opening the file a request names, on a blocking thread: symlinks resolved and
//! checked against the root, directories answered by `index.html` (html mode),
//! precompressed siblings preferred when the client accepts them.

use crate::encoding::Coding;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

/// An open file and what it takes to answer with it.
#[derive(Debug)]
pub struct Opened {
    /// The file (the precompressed sibling when `coding` is set).
    pub file: File,
    /// Its metadata, read from the open file.
    pub meta: Metadata,
    /// The name asked for (for the media type): never the sibling's.
    pub name: PathBuf,
    /// The sibling's coding.
    pub coding: Option<Coding>,
}

/// What a path inside the root turned out to be.
#[derive(Debug)]
pub enum Found {
    /// A regular file to send (boxed: `Opened` holds the whole `Metadata`).
    File(Box<Opened>),
    /// A directory asked for without its trailing slash (html mode): redirect.
    MissingSlash,
    /// Nothing to serve (absent, outside the root, a directory without index).
    Nothing,
}

/// Finds `rel` under `root` (canonical). `html`: a directory is served by its
/// `index.html`. `codings`: siblings to try, best first.
pub fn find(
    root: &Path,
    rel: &Path,
    trailing_slash: bool,
    html: bool,
    codings: &[Coding],
) -> Found {
    let asked = root.join(rel);
    let Some((_, meta)) = inside(root, &asked) else {
        return Found::Nothing;
    };
    if meta.is_dir() {
        if !html {
            return Found::Nothing;
        }
        let index = asked.join("index.html");
        if inside(root, &index).is_none_or(|(_, m)| !m.is_file()) {
            return Found::Nothing;
        }
        if !trailing_slash {
            return Found::MissingSlash;
        }
        return open_file(root, &index, codings)
            .map_or(Found::Nothing, |f| Found::File(Box::new(f)));
    }
    if trailing_slash {
        // `/file.txt/` names a directory that is not there.
        return Found::Nothing;
    }
    open_file(root, &asked, codings).map_or(Found::Nothing, |f| Found::File(Box::new(f)))
}

/// `path`, resolved, when it is inside `root`: its real path and metadata.
fn inside(root: &Path, path: &Path) -> Option<(PathBuf, Metadata)> {
    let real = path.canonicalize().ok()?;
    if !real.starts_with(root) {
        return None;
    }
    let meta = real.metadata().ok()?;
    Some((real, meta))
}

/// Opens `path` (or its best sibling) as a regular file inside `root`.
pub fn open_file(root: &Path, path: &Path, codings: &[Coding]) -> Option<Opened> {
    for &coding in codings {
        let mut sibling = path.as_os_str().to_owned();
        sibling.push(coding.suffix());
        if let Some(opened) = open_regular(root, Path::new(&sibling)) {
            return Some(Opened {
                name: path.to_owned(),
                coding: Some(coding),
                ..opened
            });
        }
    }
    open_regular(root, path)
}

fn open_regular(root: &Path, path: &Path) -> Option<Opened> {
    let (real, _) = inside(root, path)?;
    let file = File::open(&real).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then(|| Opened {
        file,
        meta,
        name: path.to_owned(),
        coding: None,
    })
}
