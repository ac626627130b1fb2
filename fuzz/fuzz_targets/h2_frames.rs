//! HTTP/2 with prior knowledge into the real engine: the h2c preface, the client's
//! SETTINGS, then fuzzer-chosen frames (any type, flags, stream, HPACK block). The
//! server must never panic, must write whole frames starting with its SETTINGS, and
//! must answer a lone well-formed request.

#![no_main]

use cello_fuzz::{h2, split_writes, wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|conv: h2::Conversation| {
    let sent = conv.render();
    let out = wire::converse(&split_writes(&sent, &conv.splits), conv.half_close);
    h2::check(&conv, &out);
});
