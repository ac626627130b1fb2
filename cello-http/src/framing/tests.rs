//! The tracker on known inputs, under every way of splitting them into reads, and
//! against httparse (the parser hyper runs) on generated heads.

use super::tracker::Tracker;
use super::{Reject, Verdict};

/// What a tracker made of a whole input.
#[derive(Debug, PartialEq)]
struct Answer {
    /// The input as hyper would see it (version digits rewritten).
    bytes: Vec<u8>,
    verdict: Option<Verdict>,
    heads: u64,
    state: String,
}

/// Feeds `input` in pieces cut at `cuts` (ascending).
fn answer(input: &[u8], cuts: &[usize], h2: bool) -> Answer {
    let mut tracker = Tracker::new(h2);
    let mut bytes = input.to_vec();
    let mut verdict = None;
    let mut from = 0;
    for &to in cuts.iter().chain([input.len()].iter()) {
        if let Some(v) = tracker.feed(&mut bytes[from..to]) {
            assert!(verdict.is_none(), "a second verdict: {v:?}");
            verdict = Some(v);
        }
        from = to;
    }
    Answer {
        bytes,
        verdict,
        heads: tracker.heads(),
        state: tracker.state(),
    }
}

/// The answer for `input` in one read, after checking that every split into two
/// reads and many random splits into several give the same one.
fn split_invariant(input: &[u8], h2: bool) -> Answer {
    let one = answer(input, &[], h2);
    let show = || String::from_utf8_lossy(input).into_owned();
    for cut in 0..=input.len() {
        assert_eq!(
            answer(input, &[cut], h2),
            one,
            "split at {cut}: {:?}",
            show()
        );
    }
    let mut rng = Rng(input.len() as u64 + 1);
    for _ in 0..300 {
        let mut cuts: Vec<usize> = (0..1 + rng.below(12))
            .map(|_| rng.below(input.len() + 1))
            .collect();
        cuts.sort_unstable();
        assert_eq!(answer(input, &cuts, h2), one, "cuts {cuts:?}: {:?}", show());
    }
    one
}

/// Checks an input served with no refusal: `heads` heads, ending in `state`, bytes
/// reaching hyper as `expected` (the input when `None`).
fn served(input: &[u8], heads: u64, state: &str, expected: Option<&[u8]>) {
    let a = split_invariant(input, false);
    assert_eq!(a.verdict, None, "{:?}", String::from_utf8_lossy(input));
    assert_eq!(a.heads, heads, "{:?}", String::from_utf8_lossy(input));
    assert_eq!(a.state, state, "{:?}", String::from_utf8_lossy(input));
    assert_eq!(
        String::from_utf8_lossy(&a.bytes),
        String::from_utf8_lossy(expected.unwrap_or(input))
    );
}

fn refused(input: &[u8], request: u64, reject: Reject) -> Answer {
    let a = split_invariant(input, false);
    assert_eq!(a.verdict, Some(Verdict { request, reject }), "{a:?}");
    assert_eq!(a.state, "Off");
    a
}

const GET: &[u8] = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn follows_pipelined_gets_and_bodies_with_a_length() {
    served(GET, 1, "Start", None);
    served(
        &cat(&[
            GET,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
            GET,
            b"POST /echo HTTP/1.1\r\ncontent-length:   0  \r\n\r\n",
        ]),
        4,
        "Start",
        None,
    );
    served(
        b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
        1,
        "Length(7)",
        None,
    );
}

#[test]
fn follows_chunked_bodies_with_extensions_and_trailers() {
    served(
        &cat(&[
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"5;name=value\r\nhello\r\n006 ; x=\"a;b\"\r\n world\r\nA\t\r\n0123456789\r\n",
            b"0;last\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n",
            GET,
        ]),
        2,
        "Start",
        None,
    );
    served(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        1,
        "ChunkData(2)",
        None,
    );
}

#[test]
fn text_like_a_header_inside_a_body_is_only_body() {
    let inner = b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunked = cat(&[
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        format!("{:x}\r\n", inner.len()).as_bytes(),
        inner,
        b"\r\n0\r\n\r\n",
        GET,
    ]);
    served(&chunked, 2, "Start", None);
    let inner = b"GET / HTTP/2.0\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let request_in_body = cat(&[
        format!(
            "POST /echo HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            inner.len()
        )
        .as_bytes(),
        inner,
        GET,
    ]);
    served(&request_in_body, 2, "Start", None);
}

#[test]
fn refuses_length_and_chunked_together_in_either_order_at_any_distance() {
    refused(
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        0,
        Reject::LengthAndChunked,
    );
    refused(
        b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 5\r\n\r\n",
        0,
        Reject::LengthAndChunked,
    );
    // Even when hyper would refuse the value anyway, or the coding is not chunked.
    refused(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: x\r\n\r\n",
        0,
        Reject::LengthAndChunked,
    );
    let filler: String = (0..180)
        .map(|i| format!("X-Filler-{i}: {:040}\r\n", i))
        .collect();
    assert!(filler.len() > 9 * 1024);
    let far = cat(&[
        GET,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
        filler.as_bytes(),
        b"Content-Length: 5\r\n\r\n",
    ]);
    refused(&far, 1, Reject::LengthAndChunked);
}

#[test]
fn serves_minor_versions_above_one_as_http_1_1() {
    served(
        b"GET / HTTP/1.2\r\n\r\nGET / HTTP/1.9\nHost: x\n\n",
        2,
        "Start",
        Some(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\nHost: x\n\n"),
    );
    served(b"GET / HTTP/1.0\r\n\r\n", 1, "Start", None);
}

#[test]
fn refuses_other_major_versions_after_rewriting_them_for_hyper() {
    for (version, major, minor) in [("2.0", 2, 0), ("3.0", 3, 0), ("0.9", 0, 9), ("9.9", 9, 9)] {
        let input = format!(
            "{}GET / HTTP/{version}\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n"
        );
        let a = refused(input.as_bytes(), 1, Reject::Version { major, minor });
        assert_eq!(
            a.bytes,
            b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        );
    }
}

#[test]
fn leaves_the_h2_preface_alone_and_stops() {
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00";
    // However it is split (hyper-util reads it 24 bytes at most): as sent, no verdict.
    for cut in 0..=preface.len() {
        let a = answer(preface, &[cut], true);
        assert_eq!(a.bytes, preface);
        assert_eq!(
            (a.verdict, a.state.as_str()),
            (None, "Off"),
            "split at {cut}"
        );
    }
    // Without HTTP/2 the same line is an HTTP/1 request with a version to refuse.
    let a = answer(preface, &[], false);
    assert_eq!(&a.bytes[..16], b"PRI * HTTP/1.1\r\n");
    assert_eq!(
        a.verdict,
        Some(Verdict {
            request: 0,
            reject: Reject::Version { major: 2, minor: 0 }
        })
    );
}

#[test]
fn a_line_like_the_preface_is_refused_when_the_read_shows_it_is_not() {
    let input = b"PRI * HTTP/2.0\r\nHost: x\r\n\r\n";
    let a = answer(input, &[], true);
    assert_eq!(
        a.verdict.map(|v| v.reject),
        Some(Reject::Version { major: 2, minor: 0 })
    );
    // Split before the difference shows, the line reaches hyper as sent (hyper-util
    // compares it with the preface): hyper refuses it with 400, the tracker stops.
    let a = answer(input, &[16], true);
    assert_eq!(a.bytes, input);
    assert_eq!((a.verdict, a.state.as_str()), (None, "Off"));
}

#[test]
fn skips_empty_lines_before_a_request_and_accepts_bare_lf() {
    served(
        &cat(&[
            b"\r\n\n\r\n",
            GET,
            b"\r\n",
            b"GET / HTTP/1.1\nContent-Length: 2\n\nok",
        ]),
        2,
        "Start",
        None,
    );
}

#[test]
fn reads_only_fields_named_exactly_as_framing_fields() {
    served(
        b"POST / HTTP/1.1\r\nContent-Lengthy: 5\r\nX-Content-Length: 5\r\nTransfer-Encodings: chunked\r\nContent-Type: text/plain\r\nCookie: a\r\nTE: trailers\r\nC: 1\r\nCONTENT-length:2\r\n\r\nokGET / HTTP/1.1\r\n\r\n",
        2,
        "Start",
        None,
    );
}

#[test]
fn a_browser_head_is_plain_and_upgrade_insecure_requests_is_no_upgrade() {
    let browser = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nCache-Control: max-age=0\r\nUpgrade-Insecure-Requests: 1\r\nCookie: a=b; c=d\r\nTE: trailers\r\n\r\n";
    served(
        &cat(&[browser, b"GET / HTTP/1.2\r\n\r\n"]),
        2,
        "Start",
        Some(&cat(&[browser, b"GET / HTTP/1.1\r\n\r\n"])),
    );
}

#[test]
fn stops_where_hyper_refuses_the_framing() {
    for head in [
        &b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.x\r\n\r\n",
        b"GET / HTTP/1.1\rX\r\n\r\n",
        b"\rGET / HTTP/1.1\r\n\r\n",
    ] {
        let a = split_invariant(head, false);
        assert_eq!(
            (a.verdict, a.state.as_str()),
            (None, "Off"),
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
    // Chunk framing errors hyper's decoder refuses.
    for body in [
        &b"x\r\n"[..],
        b"5\nhello",
        b"5\r\nhelloXY",
        b"fffffffffffffffff\r\n",
        b"1;a\nb",
    ] {
        let input = cat(&[
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            body,
        ]);
        assert_eq!(
            split_invariant(&input, false).state,
            "Off",
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn frames_a_body_as_chunked_only_when_chunked_is_the_one_coding() {
    for te in [
        "chunked",
        " CHUNKED ",
        ", chunked",
        "chunked\r\nX-Other: gzip",
    ] {
        let input = format!("POST / HTTP/1.1\r\nTransfer-Encoding: {te}\r\n\r\n0\r\n\r\n");
        served(input.as_bytes(), 1, "Start", None);
    }
    for te in [
        "chunked, chunked",
        "chunked,chunked",
        "chunked\r\nTransfer-Encoding: chunked",
        "chunked;a=1, Chunked",
        "gzip, chunked, chunked",
    ] {
        let input = format!("POST / HTTP/1.1\r\nTransfer-Encoding: {te}\r\n\r\n0\r\n\r\n");
        refused(input.as_bytes(), 0, Reject::ChunkedTwice);
    }
    for (te, coding) in [
        ("gzip, chunked", "gzip"),
        ("gzip,chunked", "gzip"),
        ("gzip\r\nTransfer-Encoding: chunked", "gzip"),
        (" x-custom ; q=1 , chunked", "x-custom"),
        ("identity, gzip, chunked", "identity"),
        ("gzip x, chunked", "gzip"),
        (
            "a-very-long-coding-name-indeed, chunked",
            "a-very-long-codi...",
        ),
    ] {
        let input = format!("POST / HTTP/1.1\r\nTransfer-Encoding: {te}\r\n\r\n0\r\n\r\n");
        let a = split_invariant(input.as_bytes(), false);
        let Some(Verdict {
            request: 0,
            reject: Reject::UnknownCoding(name),
        }) = a.verdict
        else {
            panic!("{te:?}: {a:?}");
        };
        assert_eq!(name.to_string(), coding);
    }
}

#[test]
fn keeps_following_after_a_protocol_switch_request_but_rewrites_nothing() {
    for first in [
        &b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"[..],
        b"CONNECT example.com:443 HTTP/1.1\r\n\r\n",
    ] {
        // The switch was refused (hyper reads on): framing is still checked.
        let smuggle = cat(&[
            first,
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        ]);
        refused(&smuggle, 1, Reject::LengthAndChunked);
        // But the bytes after it may be another protocol's, and stay as sent.
        let a = split_invariant(&cat(&[first, b"GET / HTTP/1.2\r\n\r\n"]), false);
        assert_eq!(&a.bytes[first.len()..], b"GET / HTTP/1.2\r\n\r\n");
        assert_eq!((a.verdict, a.state.as_str()), (None, "Off"));
    }
    // COPY starts like CONNECT and is an ordinary method.
    served(
        b"COPY / HTTP/1.1\r\n\r\nGET / HTTP/1.2\r\n\r\n",
        2,
        "Start",
        Some(b"COPY / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
    );
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// A request head built from pieces that matter to framing, sometimes damaged.
fn generated_head(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.below(8) == 0 {
        out.extend_from_slice(rng.pick(&[&b"\r\n"[..], b"\n", b"\r\n\r\n"]));
    }
    let method = rng.pick(&[&b"GET"[..], b"POST", b"CONNECT", b"COPY", b"C", b"PRI"]);
    let target = rng.pick(&[&b"/"[..], b"/a?b=c", b"*", b"/HTTP/1.1"]);
    let version = rng.pick(&[
        &b"HTTP/1.1"[..],
        b"HTTP/1.1",
        b"HTTP/1.1",
        b"HTTP/1.1",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/1.2",
        b"HTTP/2.0",
        b"HTTP/3.0",
        b"HTTP/0.9",
        b"HTTP/1.",
        b"http/1.1",
    ]);
    let eol = |rng: &mut Rng| rng.pick(&[&b"\r\n"[..], b"\r\n", b"\n"]);
    out.extend_from_slice(&[method, &b" "[..], target, &b" "[..], version, eol(rng)].concat());
    for _ in 0..rng.below(6) {
        let name = rng.pick(&[
            &b"Host"[..],
            b"Content-Length",
            b"Content-Length",
            b"content-length",
            b"Transfer-Encoding",
            b"Transfer-Encoding",
            b"TRANSFER-ENCODING",
            b"Upgrade",
            b"Content-Type",
            b"Content-Lengthy",
            b"X-Content-Length",
            b"Transfer-Encodings",
            b"T",
            b"C",
            b"Cookie",
        ]);
        let value = rng.pick(&[
            &b"x"[..],
            b"5",
            b"5",
            b"17",
            b" 5 ",
            b"05",
            b"\t7",
            b"00000000000000000000005",
            b"1 1",
            b"1,1",
            b"",
            b"chunked",
            b"chunked",
            b"chunked",
            b" chunked\t",
            b"gzip, chunked",
            b"chunked, gzip",
            b"chunked, chunked",
            b"gzip;q=1 , chunked",
            b"chunked,",
            b"CHUNKED",
            b"chunkedx",
            b"\xe9chunked, chunked",
            b"Content-Length: 5",
        ]);
        let sep = rng.pick(&[&b":"[..], b": ", b": ", b" :"]);
        out.extend_from_slice(&[name, sep, value, eol(rng)].concat());
    }
    out.extend_from_slice(eol(rng));
    if rng.below(3) == 0 {
        // Another request after it: a body, or the next head.
        out.extend_from_slice(b"GET / HTTP/1.1\r\nHost: y\r\n\r\n");
    }
    if rng.below(4) == 0 {
        // Damage: one byte replaced, removed or inserted.
        let at = rng.below(out.len());
        let b = *rng.pick(&[
            &b' ', &b'\r', &b'\n', &b':', &b'\t', &0u8, &b'a', &0x80u8, &b',',
        ]);
        match rng.below(3) {
            0 => out[at] = b,
            1 => {
                out.remove(at);
            }
            _ => out.insert(at, b),
        }
    }
    out
}

/// The major version digit of the first request line of `input`, as sent.
fn major_sent(input: &[u8]) -> Option<u8> {
    let start = input.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let mut spaces = input[start..]
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b' ');
    let (second, _) = spaces.nth(1)?;
    input.get(start + second + 6).copied()
}

/// How hyper 1.12 frames a head httparse accepted (`role::Server::parse`): `None` when
/// it refuses the head, else (Transfer-Encoding seen, Content-Length seen, the body).
fn hyper_framing(req: &httparse::Request<'_, '_>) -> Option<(bool, bool, &'static str, u64)> {
    let (mut te, mut chunked, mut cl, mut len) = (false, false, false, None);
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if req.version != Some(1) {
                return None;
            }
            te = true;
            len = None;
            chunked = std::str::from_utf8(h.value).is_ok_and(|s| {
                s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
                    && s.rsplit(',')
                        .next()
                        .is_some_and(|e| e.trim().eq_ignore_ascii_case("chunked"))
            });
        } else if h.name.eq_ignore_ascii_case("content-length") {
            cl = true;
            if te {
                continue;
            }
            let n = std::str::from_utf8(h.value)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())?;
            if len.is_some_and(|m| m != n) {
                return None;
            }
            len = Some(n);
        }
    }
    if te && !chunked {
        return None;
    }
    Some(match (te, len) {
        (true, _) => (te, cl, "ChunkStart", 0),
        (false, Some(n)) if n > 0 => (te, cl, "Length", n),
        _ => (te, cl, "Start", 0),
    })
}

/// The codings of all `Transfer-Encoding` fields as one list, read whole: how many
/// are `chunked`, and whether any other is named.
fn codings(req: &httparse::Request<'_, '_>) -> (usize, bool) {
    let (mut chunked, mut other) = (0, false);
    for h in req.headers.iter() {
        if !h.name.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        for element in h.value.split(|&b| b == b',') {
            let name = element
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if name.eq_ignore_ascii_case(b"chunked") {
                chunked += 1;
            } else if !name.is_empty() {
                other = true;
            }
        }
    }
    (chunked, other)
}

#[test]
fn agrees_with_httparse_on_where_each_generated_head_ends_and_how_its_body_is_framed() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Heads httparse accepted, by what hyper then does: refuse, 505, 400, chunked, length, none.
    let mut seen = [0u32; 6];
    for _ in 0..50_000 {
        let input = generated_head(&mut rng);
        // Byte by byte: the head must end exactly where httparse says it does.
        let mut tracker = Tracker::new(false);
        let mut bytes = input.clone();
        let (mut ended_at, mut verdict, mut state) = (None, None, String::new());
        for i in 0..bytes.len() {
            if let Some(v) = tracker.feed(&mut bytes[i..=i]) {
                verdict = Some(v.reject);
            }
            if ended_at.is_none() && tracker.heads() == 1 {
                ended_at = Some(i + 1);
                state = tracker.state();
            }
        }
        let show = String::from_utf8_lossy(&input);
        // Whole or byte by byte, the tracker ends the same (the whole head may take
        // the fast path, the bytes one at a time never do).
        let whole = answer(&input, &[], false);
        assert_eq!(
            (&whole.bytes, whole.heads, &whole.state),
            (&bytes, tracker.heads(), &tracker.state()),
            "{show:?}"
        );
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut req = httparse::Request::new(&mut headers);
        // hyper parses the bytes as the tracker left them.
        match req.parse(&bytes) {
            Ok(httparse::Status::Complete(len)) => {
                assert_eq!(ended_at, Some(len), "{show:?}");
                let major = major_sent(&input);
                if major != Some(b'1') {
                    seen[1] += 1;
                    assert!(matches!(verdict, Some(Reject::Version { .. })), "{show:?}");
                    continue;
                }
                match hyper_framing(&req) {
                    None => {
                        seen[0] += 1;
                        assert_eq!(state, "Off", "hyper refuses {show:?}")
                    }
                    Some((true, true, ..)) => {
                        seen[2] += 1;
                        assert_eq!(verdict, Some(Reject::LengthAndChunked), "{show:?}")
                    }
                    Some((_, _, "Length", n)) => {
                        seen[4] += 1;
                        assert_eq!(state, format!("Length({n})"), "{show:?}")
                    }
                    Some((true, ..)) => {
                        seen[3] += 1;
                        let (chunked, other) = codings(&req);
                        match verdict {
                            Some(Reject::ChunkedTwice) => assert!(chunked > 1, "{show:?}"),
                            Some(Reject::UnknownCoding(_)) => {
                                assert!(chunked == 1 && other, "{show:?}")
                            }
                            v => {
                                assert_eq!((v, chunked, other), (None, 1, false), "{show:?}");
                                assert_eq!(state, "ChunkStart", "{show:?}");
                            }
                        }
                    }
                    Some((_, _, body, _)) => {
                        seen[5] += 1;
                        assert_eq!(state, body, "{show:?}")
                    }
                }
            }
            Ok(httparse::Status::Partial) => assert_eq!(ended_at, None, "{show:?}"),
            Err(_) => {}
        }
    }
    assert!(
        seen.iter().all(|&n| n > 200),
        "some outcome was rarely generated: {seen:?}"
    );
}

#[test]
fn any_soup_of_http_tokens_reads_the_same_whole_and_split() {
    const TOKENS: &[&[u8]] = &[
        b"GET ",
        b"POST ",
        b"CONNECT ",
        b"/ ",
        b" ",
        b"\r\n",
        b"\n",
        b"\r",
        b":",
        b"Host: x",
        b"Content-Length: ",
        b"Transfer-Encoding: ",
        b"chunked",
        b"gzip, ",
        b"Upgrade: x",
        b"HTTP/1.1",
        b"HTTP/1.2",
        b"HTTP/2.0",
        b"0",
        b"5",
        b"a",
        b";x=y",
        b"\x00",
        b"\xff",
        b"\r\n\r\n",
        b"0\r\n\r\n",
    ];
    let mut rng = Rng(0xfeed_f00d);
    for _ in 0..20_000 {
        let input: Vec<u8> = (0..rng.below(40))
            .flat_map(|_| TOKENS[rng.below(TOKENS.len())].iter().copied())
            .collect();
        let whole = answer(&input, &[], false);
        let mut cuts: Vec<usize> = (0..1 + rng.below(6))
            .map(|_| rng.below(input.len() + 1))
            .collect();
        cuts.sort_unstable();
        assert_eq!(
            answer(&input, &cuts, false),
            whole,
            "cuts {cuts:?}: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
