//! A `cello` app served on a real socket in a thread, for the integration tests.

#![allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]

use cello::App;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A running server; dropping it stops the server and waits for it.
pub struct Running {
    pub addr: SocketAddr,
    stop: cello::Shutdown,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.trigger();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// Serves `app` on a free port of 127.0.0.1 and returns once it accepts connections.
pub fn spawn<S: Clone + Send + Sync + 'static>(app: App<S>) -> Running {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = cello::serve(addr, app);
    let stop = server.shutdown_handle();
    let thread = std::thread::spawn(move || server.run().unwrap());
    for _ in 0..200 {
        if TcpStream::connect(addr).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Running {
        addr,
        stop,
        thread: Some(thread),
    }
}
