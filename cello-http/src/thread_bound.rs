//! [`ThreadBound`]: a connection's io that may be *moved* between threads but is only
//! ever *used* on the thread that made it.
//!
//! hyper hands an upgraded connection (a WebSocket) over as `hyper::upgrade::Upgraded`,
//! which boxes the io as `dyn Io + Send`, so `serve_connection_with_upgrades` wants a
//! `Send` io. The connection's io shares its per-connection state with the adapter
//! through an `Rc` (cells read and written a few times per request). Making that state
//! `Send` would put atomics and an `Arc` on every plain request for the sake of the rare
//! upgraded one; instead the io is checked to be on its own thread at each use, which
//! is one thread-local read per I/O call (measured: `/json` unchanged within noise).
//!
//! A worker's connections run on its current-thread runtime, so the check never
//! fails in Cello itself; if user code moves an upgraded connection to another thread
//! anyway, its reads and writes fail with an I/O error and dropping it there leaks it
//! (its `Rc`s are never touched off their thread).

use std::io;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The calling thread. `pthread_self` is a read of the thread pointer (a few
/// instructions); a `thread_local!` `ThreadId` cost a lazy-init check and a
/// `__tls_get_addr` call per I/O call in this shared library (measured: about 100
/// instructions per `/json` request). A `pthread_t` is reused only once its thread
/// has exited, and then nothing of the io can be in use on that thread any more.
fn here() -> Option<ThreadId> {
    // SAFETY: `pthread_self` has no preconditions and cannot fail.
    Some(ThreadId(unsafe { libc::pthread_self() }))
}

/// A thread, as `pthread_self` names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ThreadId(libc::pthread_t);

/// An io usable only on the thread that wrapped it.
pub(crate) struct ThreadBound<T> {
    inner: ManuallyDrop<T>,
    owner: Option<ThreadId>,
}

impl<T> ThreadBound<T> {
    pub(crate) fn new(inner: T) -> Self {
        ThreadBound {
            inner: ManuallyDrop::new(inner),
            owner: here(),
        }
    }

    fn get(&mut self) -> io::Result<&mut T> {
        if self.owner.is_some() && here() == self.owner {
            Ok(&mut self.inner)
        } else {
            Err(io::Error::other(
                "an upgraded connection was moved off its worker thread; keep it on the thread that accepted it",
            ))
        }
    }
}

// SAFETY: every access to `inner` (reads, writes, drop) goes through `get` or `Drop`,
// which check that the current thread is the one that created the value; on any other
// thread `inner` is never touched (and leaked on drop). So `T`'s non-`Send` parts (its
// `Rc`s and `Cell`s) are only ever used on one thread, as if `ThreadBound` were not
// `Send`; moving the bytes of a value between threads without touching it is sound.
unsafe impl<T> Send for ThreadBound<T> {}

impl<T> Drop for ThreadBound<T> {
    fn drop(&mut self) {
        if self.owner.is_some() && here() == self.owner {
            // SAFETY: on the owner thread, and `inner` is dropped exactly once, here.
            unsafe { ManuallyDrop::drop(&mut self.inner) };
        } else {
            tracing::error!("an upgraded connection was dropped off its worker thread; leaked");
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ThreadBound<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().get() {
            Ok(io) => Pin::new(io).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ThreadBound<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().get() {
            Ok(io) => Pin::new(io).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().get() {
            Ok(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.owner.is_some() && here() == self.owner && self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().get() {
            Ok(io) => Pin::new(io).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().get() {
            Ok(io) => Pin::new(io).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::ThreadBound;
    use std::rc::Rc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn it_reads_and_writes_on_its_own_thread() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut io = ThreadBound::new(a);
        io.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
    }

    #[test]
    fn off_its_thread_it_fails_and_leaks_instead_of_touching_its_rc() {
        let rc = Rc::new(());
        let io = ThreadBound::new(rc.clone());
        let moved = ThreadBound::new(tokio::io::empty());
        std::thread::spawn(move || {
            let mut moved = moved;
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let err = rt
                .block_on(async { moved.write_all(b"x").await })
                .unwrap_err();
            assert!(err.to_string().contains("moved off its worker thread"));
            drop(io);
        })
        .join()
        .unwrap();
        // The clone sent away was leaked, not dropped (and not decremented) there.
        assert_eq!(Rc::strong_count(&rc), 2);
    }
}
