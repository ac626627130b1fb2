//! Running out of file descriptors (EMFILE) pauses the accept loop; it does not end it.
//!
//! A file of its own, so the lowered `RLIMIT_NOFILE` applies only to this test
//! process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "a test should panic on a failed step"
)]

use cello_net::{bind_tcp, run_local, serve, Listener, ServeConfig, Shutdown, TcpOptions};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{sleep, timeout};

/// Warnings logged by the accept loop ("accept failed; backing off").
static WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// A subscriber that only counts WARN events.
struct CountWarnings;

impl tracing::Subscriber for CountWarnings {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {
        WARNINGS.fetch_add(1, Ordering::Relaxed);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The highest file descriptor number open in this process.
fn highest_fd() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .max()
        .unwrap()
}

fn set_fd_limit(soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the calls.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = soft as libc::rlim_t;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

#[test]
fn accept_loop_backs_off_on_emfile_and_serves_again_once_fds_free_up() {
    tracing::subscriber::set_global_default(CountWarnings).unwrap();
    let std_listener = bind_tcp("127.0.0.1:0".parse().unwrap(), &TcpOptions::default()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    run_local(async move {
        let listener = Listener::from_std_tcp(std_listener).unwrap();
        let shutdown = Shutdown::new();
        let served = Rc::new(Cell::new(0usize));
        let counter = served.clone();
        let config = ServeConfig {
            accept_error_backoff: Duration::from_millis(20),
            ..ServeConfig::default()
        };
        let server = tokio::task::spawn_local(serve(
            listener,
            config,
            shutdown.clone(),
            move |mut s, _, _| {
                counter.set(counter.get() + 1);
                async move {
                    let _ = s.write_all(b"ok").await;
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink).await;
                }
            },
        ));
        // Let the loop start and park in accept.
        sleep(Duration::from_millis(50)).await;

        // A few descriptors of headroom, then fill them with (blocking, so the loop
        // gets no chance to run in between) client connections until the process is
        // out of descriptors. The server's accept then fails with EMFILE.
        set_fd_limit(highest_fd() + 1 + 8);
        let mut clients = Vec::new();
        let exhausted = loop {
            match std::net::TcpStream::connect(addr) {
                Ok(c) => clients.push(c),
                Err(e) => break e,
            }
            assert!(clients.len() < 1000, "the fd limit did not take effect");
        };
        assert_eq!(exhausted.raw_os_error(), Some(libc::EMFILE), "{exhausted}");
        assert!(!clients.is_empty());

        // Connections are pending and the loop is awake, but it cannot accept them.
        sleep(Duration::from_millis(200)).await;
        assert_eq!(served.get(), 0, "accepted without a free descriptor?");
        assert!(
            WARNINGS.load(Ordering::Relaxed) >= 2,
            "accept errors were not reported and retried"
        );
        assert!(!server.is_finished(), "the accept loop ended on EMFILE");

        // Free the descriptors: the loop goes on and serves a new connection.
        drop(clients);
        let mut fresh = timeout(Duration::from_secs(5), async {
            loop {
                match tokio::net::TcpStream::connect(addr).await {
                    Ok(c) => break c,
                    Err(_) => sleep(Duration::from_millis(20)).await,
                }
            }
        })
        .await
        .unwrap();
        let mut buf = [0; 2];
        timeout(Duration::from_secs(5), fresh.read_exact(&mut buf))
            .await
            .expect("a new connection is served after EMFILE")
            .unwrap();
        assert_eq!(&buf, b"ok");
        assert!(served.get() >= 1);

        drop(fresh);
        shutdown.trigger();
        server.await.unwrap();
    })
    .unwrap();
}
