//! Files over HTTP for Cello, served entirely in Rust.
//!
//! - [`ServeDir`]: a directory as a tower service (`cello::App::mount` puts it under
//!   a prefix; Python's `app.mount("/static", StaticFiles(directory=...))` is this).
//! - [`FileAnswer`]: one file the application names (Python's `FileResponse`).
//!
//! Both answer with `ETag` (`"<mtime hex>-<size hex>"`, nginx's) and
//! `Last-Modified`; evaluate `If-Match`, `If-Unmodified-Since` (412),
//! `If-None-Match`, `If-Modified-Since` (304) and `If-Range`; honour `Range` (one
//! range → 206 with `Content-Range`, several → `multipart/byteranges`, none
//! satisfiable → 416 with `Content-Range: bytes */len`, malformed → the whole file);
//! send `Accept-Ranges: bytes`, a guessed `Content-Type` (`charset=utf-8` on text),
//! and no body to `HEAD`. A directory also sends `file.br`/`file.gz` siblings to
//! clients whose `Accept-Encoding` takes them (never for a `Range` request).
//!
//! Files are read in [`CHUNK`]-sized pieces on tokio's blocking pool, never whole.
//! `sendfile` does not fit: hyper writes the body through its own buffers over a
//! generic `AsyncWrite`, with no way to hand it a file descriptor.
//!
//! The file system is touched on tokio's blocking threads (`spawn_blocking`), so a
//! worker's event loop never waits on a disk.

mod body;
mod conditional;
mod encoding;
mod file;
mod open;
mod range;
mod resolve;
mod respond;
mod serve_dir;

pub use body::CHUNK;
pub use conditional::{evaluate, Outcome, Validators};
pub use encoding::{preferred, Coding};
pub use file::{FileAnswer, FileMissing};
pub use range::{ranges, Ranges, MAX_RANGES};
pub use respond::{guess_type, Answer};
pub use serve_dir::ServeDir;
