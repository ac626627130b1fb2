//! `multipart/form-data` bodies, parsed by `multer` as they stream in: text fields
//! kept as strings, file parts spooled — in memory up to a threshold, then to an
//! unnamed temporary file — so a large upload never sits in memory. Every limit is
//! checked while the bytes arrive, and a failure drops what was read (temporary
//! files included: they have no name, and closing them frees them).

use bytes::Bytes;
use cello::Rejection;
use futures_util::Stream;
use http::StatusCode;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

const MIB: u64 = 1024 * 1024;

/// Most bytes the parser may hold that are not part data (a preamble, part
/// headers, a boundary it still looks for): a body that never shows a boundary is
/// refused rather than buffered.
const MAX_UNPARSED: u64 = 4 * MIB;

/// The limits on one upload, and where its file parts go. Defaults are Starlette's
/// where it has one (`max_files`, `max_fields`, `max_part_size`, the 1 MiB spool).
#[derive(Debug, Clone)]
pub struct UploadLimits {
    /// Most file parts (a filename in their `Content-Disposition`). Past it: 413.
    pub max_files: usize,
    /// Most text fields. Past it: 413.
    pub max_fields: usize,
    /// Largest text field, in bytes. Past it: 413.
    pub max_part_size: u64,
    /// Largest file part, in bytes; None: only the body limit bounds it. Past it: 413.
    pub max_file_size: Option<u64>,
    /// A file part stays in memory up to this many bytes, then goes to a temporary file.
    pub spool_size: u64,
    /// Most bytes of file parts a worker keeps in memory across all its uploads at
    /// once; past it, new file data goes to disk at once (bounds memory under many
    /// concurrent uploads).
    pub spool_memory: u64,
    /// Where temporary files are made; None: the system's (`TMPDIR`).
    pub dir: Option<PathBuf>,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            max_files: 1000,
            max_fields: 1000,
            max_part_size: MIB,
            max_file_size: None,
            spool_size: MIB,
            spool_memory: 16 * MIB,
            dir: None,
        }
    }
}

/// The largest `multipart/form-data` body, unless `max_upload_size` says otherwise
/// (other bodies keep `max_body_size`): uploads are large, and spooled to disk.
pub const DEFAULT_MAX_UPLOAD_SIZE: u64 = 1024 * MIB;

/// One part of a parsed form.
pub enum Part {
    /// A text field: its name and value (UTF-8, invalid bytes replaced).
    Field(String, String),
    /// A file part.
    File(FilePart),
}

/// A file part, its bytes in memory or in a temporary file.
pub struct FilePart {
    /// The field's name.
    pub name: String,
    /// The filename the client gave (possibly empty).
    pub filename: String,
    /// The part's headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Its length in bytes.
    pub size: u64,
    /// Its bytes.
    pub data: Spooled,
}

/// Where a file part's bytes are.
pub enum Spooled {
    /// Under the spool threshold; the reservation is returned when this is dropped.
    Memory(Vec<u8>, Reservation),
    /// A temporary file without a name, positioned at its start.
    Disk(File),
}

/// The bytes of file parts a worker holds in memory, against `spool_memory`.
#[derive(Debug, Default, Clone)]
pub struct SpoolBudget(Arc<AtomicU64>);

/// Memory reserved from a [`SpoolBudget`], returned on drop.
pub struct Reservation {
    budget: SpoolBudget,
    bytes: u64,
}

impl Reservation {
    fn grow(&mut self, n: u64, cap: u64) -> bool {
        let used = &self.budget.0;
        let mut current = used.load(Ordering::Relaxed);
        loop {
            if current + n > cap {
                return false;
            }
            match used.compare_exchange_weak(
                current,
                current + n,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.bytes += n;
                    return true;
                }
                Err(now) => current = now,
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.0.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// Why a multipart body was refused, as the engine answers it.
fn refuse(status: StatusCode, message: String) -> Rejection {
    Rejection::Multipart { status, message }
}

/// The boundary of a `multipart/form-data` Content-Type, or the 400 for one without.
pub fn boundary(content_type: &[u8]) -> Result<String, Rejection> {
    let text = String::from_utf8_lossy(content_type);
    multer::parse_boundary(text.as_ref()).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "multipart/form-data request without a valid boundary: the Content-Type must \
             carry one (`multipart/form-data; boundary=...`)"
                .to_owned(),
        )
    })
}

/// Reads a whole multipart body into its parts, within `limits`; file data past the
/// spool threshold (or the worker's `budget`) goes to temporary files.
pub async fn read_form(
    body: cello_http::Body,
    boundary: String,
    limits: &UploadLimits,
    budget: &SpoolBudget,
) -> Result<Vec<Part>, Rejection> {
    let delivered = Arc::new(AtomicU64::new(0));
    let stream = Counted {
        inner: http_body_util::BodyDataStream::new(body),
        read: 0,
        delivered: delivered.clone(),
    };
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    let (mut files, mut fields) = (0usize, 0usize);
    while let Some(mut field) = multipart.next_field().await.map_err(multer_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(filename) = field.file_name().map(str::to_owned) else {
            fields += 1;
            if fields > limits.max_fields {
                return Err(too_many("fields", limits.max_fields, "max_fields"));
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                delivered.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                if (value.len() + chunk.len()) as u64 > limits.max_part_size {
                    return Err(too_large(
                        "form field",
                        &name,
                        limits.max_part_size,
                        "max_part_size",
                    ));
                }
                value.extend_from_slice(&chunk);
            }
            let value = match String::from_utf8(value) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            parts.push(Part::Field(name, value));
            continue;
        };
        files += 1;
        if files > limits.max_files {
            return Err(too_many("files", limits.max_files, "max_files"));
        }
        let headers = field
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), latin1(v.as_bytes())))
            .collect();
        let mut spool = Spool::new(budget.clone(), limits);
        while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
            delivered.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if let Some(max) = limits.max_file_size {
                if spool.size + chunk.len() as u64 > max {
                    return Err(too_large("file", &name, max, "max_file_size"));
                }
            }
            spool.write(&chunk, limits).map_err(disk_error)?;
        }
        let (size, data) = spool.finish().map_err(disk_error)?;
        parts.push(Part::File(FilePart {
            name,
            filename,
            headers,
            size,
            data,
        }));
    }
    Ok(parts)
}

/// A file part being received.
struct Spool {
    size: u64,
    memory: Option<(Vec<u8>, Reservation)>,
    file: Option<File>,
    dir: Option<PathBuf>,
}

impl Spool {
    fn new(budget: SpoolBudget, limits: &UploadLimits) -> Self {
        Spool {
            size: 0,
            memory: Some((Vec::new(), Reservation { budget, bytes: 0 })),
            file: None,
            dir: limits.dir.clone(),
        }
    }

    fn write(&mut self, chunk: &[u8], limits: &UploadLimits) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        if let Some((buf, reserved)) = &mut self.memory {
            let fits = self.size <= limits.spool_size
                && reserved.grow(chunk.len() as u64, limits.spool_memory);
            if fits {
                buf.extend_from_slice(chunk);
                return Ok(());
            }
            // Past the threshold (or the worker's budget): to disk, memory returned.
            let mut file = match &self.dir {
                Some(dir) => tempfile::tempfile_in(dir)?,
                None => tempfile::tempfile()?,
            };
            file.write_all(buf)?;
            self.memory = None;
            self.file = Some(file);
        }
        match &mut self.file {
            // Plain blocking writes: the file is local, and a chunk is at most a
            // few hundred KiB (the page cache takes it).
            Some(file) => file.write_all(chunk),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> std::io::Result<(u64, Spooled)> {
        if let Some(mut file) = self.file.take() {
            file.seek(SeekFrom::Start(0))?;
            return Ok((self.size, Spooled::Disk(file)));
        }
        let (buf, reserved) = self.memory.take().unwrap_or_else(|| {
            (
                Vec::new(),
                Reservation {
                    budget: SpoolBudget::default(),
                    bytes: 0,
                },
            )
        });
        Ok((self.size, Spooled::Memory(buf, reserved)))
    }
}

/// The body as `multer` reads it, failing once it holds too much that is not part
/// data (a body that never shows its boundary).
struct Counted<S> {
    inner: S,
    read: u64,
    delivered: Arc<AtomicU64>,
}

/// What `Counted` fails with.
#[derive(Debug)]
struct Unparsed;

impl std::fmt::Display for Unparsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the multipart body has more than {} MiB without a part boundary (a preamble \
             or part headers); check the boundary in the Content-Type",
            MAX_UNPARSED / MIB
        )
    }
}

impl std::error::Error for Unparsed {}

impl<S> Stream for Counted<S>
where
    S: Stream<Item = Result<Bytes, cello_http::Error>> + Unpin,
{
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this
            .read
            .saturating_sub(this.delivered.load(Ordering::Relaxed))
            > MAX_UNPARSED
        {
            return Poll::Ready(Some(Err(Box::new(Unparsed))));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(data))) => {
                this.read += data.len() as u64;
                Poll::Ready(Some(Ok(data)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn multer_error(e: multer::Error) -> Rejection {
    use multer::Error as M;
    match e {
        M::StreamReadFailed(inner) => match inner.downcast::<cello_http::Error>() {
            // Past the overall limit, which for a multipart body is the upload limit.
            Ok(body) if body.is_body_too_large() => refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                body.to_string()
                    .replace("`max_body_size`", "`max_upload_size`"),
            ),
            Ok(body) => Rejection::Body(*body),
            Err(other) => refuse(StatusCode::BAD_REQUEST, other.to_string()),
        },
        M::IncompleteStream | M::IncompleteFieldData { .. } | M::IncompleteHeaders => refuse(
            StatusCode::BAD_REQUEST,
            "the multipart body ended before its closing boundary (a truncated upload?)".to_owned(),
        ),
        other => refuse(
            StatusCode::BAD_REQUEST,
            format!("invalid multipart body: {other}"),
        ),
    }
}

fn too_many(what: &str, max: usize, setting: &str) -> Rejection {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("too many {what} in the multipart body: at most {max}; raise `{setting}`"),
    )
}

fn too_large(what: &str, name: &str, max: u64, setting: &str) -> Rejection {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("{what} `{name}` exceeds the {max}-byte limit; raise `{setting}`"),
    )
}

fn disk_error(e: std::io::Error) -> Rejection {
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("could not spool an upload to a temporary file: {e}"),
    )
}

/// Header bytes as text, latin-1 when they are not UTF-8.
fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{boundary, Reservation, SpoolBudget};

    #[test]
    fn a_content_type_without_a_boundary_is_a_400() {
        assert_eq!(
            boundary(b"multipart/form-data; boundary=abc")
                .ok()
                .as_deref(),
            Some("abc")
        );
        let err = boundary(b"multipart/form-data").err().map(|e| e.status());
        assert_eq!(err, Some(http::StatusCode::BAD_REQUEST));
    }

    #[test]
    fn the_spool_budget_is_shared_and_returned_on_drop() {
        let budget = SpoolBudget::default();
        let mut a = Reservation {
            budget: budget.clone(),
            bytes: 0,
        };
        let mut b = Reservation {
            budget: budget.clone(),
            bytes: 0,
        };
        assert!(a.grow(60, 100));
        assert!(!b.grow(60, 100), "over the shared cap");
        assert!(b.grow(40, 100));
        drop(a);
        assert!(b.grow(60, 100));
        drop(b);
        assert_eq!(budget.0.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}
