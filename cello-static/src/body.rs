//! A response body read from a file in chunks, as pieces: file slices and, for
//! `multipart/byteranges`, the part headers between them. Never the whole file in
//! memory.

use bytes::{Bytes, BytesMut};
use cello_http::Body;
use http_body_util::StreamBody;
use std::collections::VecDeque;
use std::io::{self, SeekFrom};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// How much is read from the file per chunk: 64 KiB, the size tokio-util's and
/// tower-http's file streams use.
pub const CHUNK: usize = 64 * 1024;

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
    file: tokio::fs::File,
    /// Where the file's cursor is.
    pos: u64,
    pieces: VecDeque<Piece>,
}

/// A body of `pieces`, the file slices read from `file`.
pub fn body(file: std::fs::File, pieces: Vec<Piece>) -> Body {
    let reader = Reader {
        file: tokio::fs::File::from_std(file),
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

async fn read_chunk(r: &mut Reader, start: u64, len: u64) -> io::Result<Bytes> {
    if r.pos != start {
        r.file.seek(SeekFrom::Start(start)).await?;
        r.pos = start;
    }
    let want = len.min(CHUNK as u64);
    let mut buf = BytesMut::with_capacity(want as usize);
    let mut limited = (&mut r.file).take(want);
    while (buf.len() as u64) < want {
        if limited.read_buf(&mut buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file became shorter while it was being sent",
            ));
        }
    }
    let got = buf.len() as u64;
    r.pos += got;
    if len > got {
        r.pieces.push_front(Piece::File {
            start: start + got,
            len: len - got,
        });
    }
    Ok(buf.freeze())
}
