//! `cargo xtask ws-load URL CLIENTS SECONDS`: the WebSocket echo load client of the
//! bench. Every client connects (handshake), makes one checked round trip, then, on a
//! common start, sends a text message, waits for its echo and repeats until the time is
//! up. One current-thread runtime: the bench pins the process to its own core. It
//! prints one line of `key=value` pairs that [`crate::bench`] reads back; `SECONDS` 0
//! is the bench's check (the handshake and one echo per client).

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The message every client sends, and expects back verbatim.
pub const MESSAGE: &str = "hello, websocket echo";

/// tungstenite zero-fills its whole read buffer (128 KiB by default) before every
/// read; for 21-byte echoes that memset was most of the client's time (perf), so the
/// client reads into 4 KiB.
const READ_BUFFER: usize = 4096;

/// How long a connect, handshake or one echo may take before the run fails.
const PATIENCE: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<TcpStream>;

/// What one client did in the timed part.
#[derive(Debug, Default)]
struct Tally {
    /// Round-trip times, µs.
    rtts_us: Vec<u32>,
    /// Why the client stopped early, if it did.
    error: Option<String>,
}

/// Runs the verb with the arguments after `ws-load`.
pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: cargo xtask ws-load ws://HOST:PORT/PATH CLIENTS SECONDS";
    let [url, clients, secs] = args else {
        return Err(usage.into());
    };
    let clients: usize =
        clients.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!("CLIENTS must be a whole number ≥ 1, not `{clients}`; {usage}")
        })?;
    let secs: u64 = secs
        .parse()
        .map_err(|_| format!("SECONDS must be a whole number, not `{secs}`; {usage}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let line = rt.block_on(load(url, clients, secs))?;
    println!("{line}");
    Ok(())
}

async fn load(url: &str, clients: usize, secs: u64) -> Result<String, String> {
    let mut sockets = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut ws = connect(url).await?;
        round_trip(&mut ws)
            .await
            .map_err(|e| format!("the first echo on {url}: {e}"))?;
        sockets.push(ws);
    }
    let cpu_before = own_cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(client(ws, deadline)))
        .collect();
    let mut rtts: Vec<u32> = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await {
            Ok(tally) => {
                rtts.extend(tally.rtts_us);
                errors.extend(tally.error);
            }
            Err(e) => errors.push(format!("a client task failed: {e}")),
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = own_cpu_seconds() - cpu_before;
    rtts.sort_unstable();
    let pct = |p: f64| percentile_ms(&rtts, p);
    errors.dedup();
    Ok(format!(
        "clients={clients} seconds={wall:.3} round_trips={} rate={:.1} p50_ms={:.4} p99_ms={:.4} client_cpu={:.3} errors={}",
        rtts.len(),
        if secs == 0 { 0.0 } else { rtts.len() as f64 / wall },
        pct(0.50),
        pct(0.99),
        if wall > 0.0 { cpu / wall } else { 0.0 },
        errors.len(),
    ) + &errors.first().map_or(String::new(), |e| format!(" first_error={e:?}")))
}

async fn connect(url: &str) -> Result<Socket, String> {
    let request = url
        .into_client_request()
        .map_err(|e| format!("`{url}` is not a WebSocket URL: {e}"))?;
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| format!("`{url}` has no host:port"))?;
    let handshake = async {
        let tcp = TcpStream::connect(&host)
            .await
            .map_err(|e| format!("connect to {host}: {e}"))?;
        // as every server's sockets: a small message goes out at once
        tcp.set_nodelay(true)
            .map_err(|e| format!("set TCP_NODELAY: {e}"))?;
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
            .await
            .map_err(|e| format!("the handshake with {url} failed: {e}"))
    };
    let (ws, _) = tokio::time::timeout(PATIENCE, handshake)
        .await
        .map_err(|_| format!("the handshake with {url} took over 10 s"))??;
    Ok(ws)
}

async fn client(mut ws: Socket, deadline: Instant) -> Tally {
    let mut tally = Tally {
        rtts_us: Vec::with_capacity(1 << 16),
        error: None,
    };
    while Instant::now() < deadline {
        let sent = Instant::now();
        if let Err(e) = round_trip(&mut ws).await {
            tally.error = Some(e);
            break;
        }
        let us = sent.elapsed().as_micros();
        tally.rtts_us.push(u32::try_from(us).unwrap_or(u32::MAX));
    }
    // a clean close, so the servers see a normal end rather than a reset
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        if ws.close(None).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
    tally
}

/// Sends [`MESSAGE`] and waits for it to come back, skipping pings and pongs.
async fn round_trip(ws: &mut Socket) -> Result<(), String> {
    ws.send(Message::text(MESSAGE))
        .await
        .map_err(|e| format!("send: {e}"))?;
    loop {
        let next = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .map_err(|_| "no echo within 10 s".to_string())?;
        match next {
            Some(Ok(Message::Text(t))) if t.as_str() == MESSAGE => return Ok(()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => return Err(format!("expected the echo, got {other:?}")),
            Some(Err(e)) => return Err(format!("receive: {e}")),
            None => return Err("the server closed the connection".into()),
        }
    }
}

/// The `p` quantile of sorted µs values, in ms (NaN when empty).
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_us.len() as f64 * p).ceil() as usize).clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[i]) / 1000.0
}

/// This process's user + system CPU seconds so far.
fn own_cpu_seconds() -> f64 {
    let ticks = crate::bench::cpu_ticks(&[std::process::id()]);
    ticks as f64 / crate::bench::ticks_per_second() as f64
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 0.50), 50.0);
        assert_eq!(percentile_ms(&v, 0.99), 99.0);
        assert_eq!(percentile_ms(&[250], 0.99), 0.25);
        assert!(percentile_ms(&[], 0.5).is_nan());
    }
}
