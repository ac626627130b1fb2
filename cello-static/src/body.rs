//! A response body read from a file in chunks, as pieces: file slices and, for
//! `multipart/byteranges`, the part headers between them. Never the whole file in
//! memory.

use bytes::Bytes;
use cello_http::Body;
use http_body_util::StreamBody;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// How much is read from the file per trip to tokio's blocking pool: 256 KiB.
///
/// Each trip is two context switches on the worker's core; 64 KiB chunks made a 1 MiB
/// file cost 16 of them and lost to Granian and Robyn (benches/RESULTS.md). Larger
/// chunks save little more, and each download in flight holds one chunk plus what
/// hyper has buffered, so a chunk bounds the memory of many concurrent downloads.
pub const CHUNK: usize = 256 * 1024;

/// One piece of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes made here (a part's headers, the closing boundary).
    Bytes(Bytes),
    /// `len` bytes of the file from `start`.
    File {
        /// Offset in the file.
        start: u64,
        /// Number of bytes.
        len: u64,
    },
}

struct Reader {
    /// The file, moved to the blocking pool for each read and back.
    file: Option<File>,
    /// Where the file's cursor is.
    pos: u64,
    pieces: VecDeque<Piece>,
}

/// A body of `pieces`, the file slices read from `file`.
pub fn body(file: File, pieces: Vec<Piece>) -> Body {
    let reader = Reader {
        file: Some(file),
        pos: 0,
        pieces: pieces.into(),
    };
    let stream = futures_util::stream::unfold(reader, next);
    Body::new(StreamBody::new(futures_util::StreamExt::map(
        stream,
        |chunk: io::Result<Bytes>| chunk.map(http_body::Frame::data),
    )))
}

async fn next(mut r: Reader) -> Option<(io::Result<Bytes>, Reader)> {
    loop {
        match r.pieces.pop_front()? {
            Piece::Bytes(b) => return Some((Ok(b), r)),
            Piece::File { len: 0, .. } => continue,
            Piece::File { start, len } => {
                let read = read_chunk(&mut r, start, len).await;
                if read.is_err() {
                    // The error ends the body (hyper aborts the response).
                    r.pieces.clear();
                }
                return Some((read, r));
            }
        }
    }
}

/// Reads the next chunk of the slice `start..start + len` in one trip to the blocking
/// pool, and puts the rest of the slice back in front of the pieces.
async fn read_chunk(r: &mut Reader, start: u64, len: u64) -> io::Result<Bytes> {
    let Some(file) = r.file.take() else {
        return Err(io::Error::other(
            "the file was lost after an earlier read failed",
        ));
    };
    let want = len.min(CHUNK as u64);
    let pos = r.pos;
    let (file, read) = tokio::task::spawn_blocking(move || {
        let mut file = file;
        let read = read_at(&mut file, pos, start, want);
        (file, read)
    })
    .await
    .map_err(|e| io::Error::other(format!("reading the file failed: {e}")))?;
    r.file = Some(file);
    let buf = read?;
    r.pos = start + want;
    if len > want {
        r.pieces.push_front(Piece::File {
            start: start + want,
            len: len - want,
        });
    }
    Ok(Bytes::from(buf))
}

/// `want` bytes from `start`, seeking only when the cursor (at `pos`) is elsewhere.
fn read_at(file: &mut File, pos: u64, start: u64, want: u64) -> io::Result<Vec<u8>> {
    if pos != start {
        file.seek(SeekFrom::Start(start))?;
    }
    // read_to_end fills the spare capacity without zeroing it first
    let mut buf = Vec::with_capacity(want as usize);
    file.take(want).read_to_end(&mut buf)?;
    if (buf.len() as u64) < want {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file became shorter while it was being sent",
        ));
    }
    Ok(buf)
}
