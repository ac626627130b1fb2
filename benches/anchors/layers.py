"""Instructions per request by layer, from the callgrind files of two runs of
`instr-per-request.sh` (N1 and N2 requests: their difference cancels start-up and
shutdown). See benches/NOTES.md, "Where a /json request's instructions go".

    layers.py table N1 N2 NAME=CGDIR...   a Markdown table, one column per server
    layers.py rows N1 N2 CGDIR [ROW|all]  one server's rows, and what makes up ROW
    layers.py callers N1 N2 CGDIR FUNC    per-request callers of functions named *FUNC*

CGDIR holds cg.runN1.* and cg.runN2.* (one file per process).

How a row is made: callgrind records self cost per (function, source file of the
instruction). With LTO a request's whole path is inlined into a few functions, but each
inlined instruction keeps its source file, which names the crate and module it came
from. Each (function, file) gets a row from FILE_RULES (first match on the file, and on
the function where a rule names one), else from FN_RULES (first match on the function).
Code that neither places (std and core generics, libc's malloc, free and memcpy,
mimalloc, libpython, the http crate's header map) is charged to its callers in
proportion to what each spent calling it, up the call graph until a caller has a row.
So the rows add up to the measured total.
"""
import collections
import glob
import re
import sys


def parse(path):
    """One callgrind file: self cost per (function, file), call costs from (function,
    file) to callee functions, and each function's object (binary or library)."""
    selfc = collections.Counter()
    calls = collections.defaultdict(collections.Counter)
    obj_of = {}
    names = {"fn": {}, "fl": {}, "ob": {}}
    space = {"fn": "fn", "cfn": "fn", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl",
             "cfl": "fl", "ob": "ob", "cob": "ob"}

    def name(key, value):  # callgrind's name compression: "(id) name", then "(id)"
        m = re.match(r"\((\d+)\)(?: (.*))?$", value)
        if not m:
            return value
        table = names[space[key]]
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table[m.group(1)]

    fn = fl = cur = ob = cfn = None
    call_line = False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line[0].isdigit() or line[0] in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if call_line:
                    calls[(fn, cur)][cfn] += cost
                    call_line = False
                else:
                    selfc[(fn, cur)] += cost
                continue
            if "=" not in line:
                continue
            key, value = line.split("=", 1)
            if key == "fn":
                fn = name(key, value)
                cur = fl
                obj_of[fn] = ob
            elif key == "fl":
                fl = cur = name(key, value)
            elif key in ("fi", "fe"):
                cur = name(key, value)
            elif key == "ob":
                ob = name(key, value)
            elif key == "cfn":
                cfn = name(key, value)
            elif key in ("cob", "cfi", "cfl"):
                name(key, value)
            elif key == "calls":
                call_line = True
    return selfc, calls, obj_of


def _key(k):
    return tuple(x or "" for x in k) if isinstance(k, tuple) else k


def per_request(d, n1, n2):
    """Self and call costs per request, (run N2 - run N1) / (N2 - N1), all processes;
    sorted, so that nothing depends on Python's hash seed."""
    runs = []
    for tag in (n1, n2):
        s, c, o = collections.Counter(), collections.defaultdict(collections.Counter), {}
        files = glob.glob(f"{d}/cg.run{tag}.*")
        if not files:
            sys.exit(f"no {d}/cg.run{tag}.* files")
        for path in files:
            ps, pc, po = parse(path)
            s.update(ps)
            o.update(po)
            for k, v in pc.items():
                c[k].update(v)
        runs.append((s, c, o))
    (s1, c1, _), (s2, c2, obj_of) = runs
    n = n2 - n1
    selfc = {k: (s2.get(k, 0) - s1.get(k, 0)) / n for k in sorted(set(s1) | set(s2), key=_key)}
    calls = {}
    for k in sorted(set(c1) | set(c2), key=_key):
        a, b = c1.get(k, {}), c2.get(k, {})
        calls[k] = {g: (b.get(g, 0) - a.get(g, 0)) / n for g in sorted(set(a) | set(b))}
    return selfc, calls, obj_of


ROWS = [
    "accept / IO wrapper (read)",
    "hyper parse (+ request head alloc/free)",
    "connection task (hyper dispatch, Cello's connection)",
    "adapter (cello-http)",
    "middleware stack",
    "router",
    "request object",
    "handler call (Python call)",
    "conversion (result → response)",
    "JSON",
    "response head (encode, Server, Date)",
    "write (flush, writev)",
    "runtime / epoll / timers",
    "GIL hand-off",
    "other",
]
(IO, PARSE, CONN, ADAPTER, MW, ROUTER, REQ, CALL, CONV, JSON, HEAD, WRITE, RT, GIL, OTHER) = ROWS

FILE_RULES = [
    (r"cello-py/src/gil\.rs", GIL),
    (r"cello-router/|/matchit-|/axum-[\d.]+/src/routing/", ROUTER),
    (r"cello-json/|/serde_json-|/serde_core-|/serde-[\d.]+/|cello-py/src/json_encode|/zmij-|/ryu-", JSON),
    (r"cello/src/(middleware|local_service)\.rs|cello-middleware/|/tower-[\d.]+/|/tower-layer-|/tower-service-", MW),
    (r"cello-http/src/(adapter|host|status)\.rs", ADAPTER),
    (r"cello-http/src/(framing/|thread_bound\.rs)|cello-net/src/(stream|connection|accept)\.rs|/hyper-util-[\d.]+/src/rt/tokio\.rs", IO),
    (r"cello-py/src/request\.rs", REQ),
    (r"cello-py/src/(call|engine)\.rs|cello/src/handler\.rs|rust-hello/src/handlers|/axum-[\d.]+/src/handler/|benches/anchors/src/bin/", CALL),
    (r"cello-py/src/(convert|response)\.rs|cello-http/src/response\.rs|cello/src/json\.rs|/axum-core-[\d.]+/src/response/|/axum-[\d.]+/src/json\.rs", CONV),
    (r"cello/src/app\.rs", ROUTER),
    (r"cello-http/src/(connection|server|body_timeout|body)\.rs|cello-net/src/shutdown\.rs|/hyper-[\d.]+/src/proto/h1/dispatch\.rs|/hyper-util-[\d.]+/src/server/|/axum-[\d.]+/src/serve/", CONN),
    (r"/httparse-|/http-[\d.]+/src/(uri/|method\.rs)", PARSE),
    ((r"/hyper-[\d.]+/src/proto/h1/(role|conn)\.rs", r"write_head|Http1Transaction>::encode"), HEAD),
    (r"/hyper-[\d.]+/src/proto/h1/role\.rs", PARSE),
    ((r"/hyper-[\d.]+/src/proto/h1/io\.rs", r"poll_flush|write_buf|poll_write"), WRITE),
    (r"/hyper-[\d.]+/src/proto/h1/io\.rs", IO),
    (r"/hyper-[\d.]+/src/proto/h1/conn\.rs", CONN),
    (r"/hyper-[\d.]+/src/common/date\.rs", HEAD),
    (r"/hyper-[\d.]+/src/proto/h1/encode\.rs", WRITE),
    (r"/hyper-[\d.]+/src/common/(time|timer)\.rs|/hyper-util-[\d.]+/src/rt/tokio/timer|/tokio-[\d.]+/src/(runtime/(?!io/registration|io/scheduled_io)|task/|time/|sync/|util/)|/tokio-util-", RT),
]
FN_RULES = [
    (r"PyEval_SaveThread|PyEval_RestoreThread|take_gil|drop_gil|PyGILState|(cello_py|_cello)::gil", GIL),
    (r"Http1Transaction>::parse|httparse|drop_in_place<http::request::(Request|Parts)|drop_in_place<http::header::map::HeaderMap|drop_in_place<\[http::header::map::Bucket", PARSE),
    (r"Http1Transaction>::(encode|update_date)|write_head|CachedDate|date::", HEAD),
    (r"poll_flush|poll_write_vectored|writev|poll_write_buf|Encoder>::encode", WRITE),
    (r"poll_read_from_io|TcpStream.*poll_read|recvfrom|^__libc_recv|^recv$|^read$|__libc_read|accept4|poll_accept|cello_net::", IO),
    (r"HeaderMap<T>::try_append2", PARSE),  # appends: hyper filling the request's map
    (r"HttpService<B1>>::call", ADAPTER),  # hyper's entry into the service
    (r"(cello_py|_cello)::request|PyRequest", REQ),
    (r"(cello_py|_cello)::(convert|response)", CONV),
    (r"(cello_py|_cello)::json_encode|cello_json|serde_json", JSON),
    (r"cello_router|matchit", ROUTER),
    (r"cello_http::adapter", ADAPTER),
    (r"cello::middleware|cello_middleware|^tower::|<tower::", MW),
    (r"tokio::runtime::task::raw::poll|Dispatcher<|dispatch::Server|Conn<I,B,T>|UpgradeableConnection|serve_connection|cello_http::(connection|server)", CONN),
    (r"^tokio::|<tokio::|epoll_wait|clock_gettime|Timespec>::now|Instant::now|timerfd", RT),
    (r"^(raw_hyper|axum_json)::main$", RT),  # block_on's loop, inlined into main
    (r"^\(below main\)$|^main$|^_start$|^start_thread$|^clone3?$", OTHER),
]
FILE_RE = [
    (re.compile(p[0]), re.compile(p[1]), r) if isinstance(p, tuple) else (re.compile(p), None, r)
    for p, r in FILE_RULES
]
FN_RE = [(re.compile(p), r) for p, r in FN_RULES]


def row_of(fn, fl):
    """The row of code in function `fn` from source file `fl`, or None."""
    for rx, fx, r in FILE_RE:
        if fl and rx.search(fl) and (fx is None or (fn and fx.search(fn))):
            return r
    for rx, r in FN_RE:
        if fn and rx.search(fn):
            return r
    return None


def breakdown(d, n1, n2):
    """(instructions per row, what makes up each row, total) for one server."""
    selfc, calls, obj_of = per_request(d, n1, n2)
    total = sum(selfc.values())
    callers = collections.defaultdict(dict)  # callee fn -> {caller node: cost}
    for node, out in calls.items():
        for g, v in out.items():
            # A call worth over half the request is the program's outer loop (Python's
            # eval of the script that called app.run()), not a caller per request.
            if 0 < v < total / 2:
                callers[g][node] = callers[g].get(node, 0) + v
    memo = {}  # function -> {row: share}
    busy = set()  # functions being resolved

    def share_of(fn):
        """How an unassigned function's cost splits over rows, by its callers. Calls
        from a function still being resolved (recursion, as in Python's eval loop)
        are left out and the other callers' shares scaled up."""
        if fn in memo:
            return memo[fn]
        busy.add(fn)
        out = collections.Counter()
        for (cfn, cfl), v in callers.get(fn, {}).items():
            r = row_of(cfn, cfl)
            if r:
                out[r] += v
            elif cfn not in busy:
                for rr, w in share_of(cfn).items():
                    out[rr] += w * v
        busy.discard(fn)
        total = sum(out.values())
        memo[fn] = {r: v / total for r, v in out.items()} if total > 0 else {OTHER: 1.0}
        return memo[fn]

    rows = collections.Counter()
    contrib = collections.defaultdict(collections.Counter)
    for (fn, fl), v in selfc.items():
        r = row_of(fn, fl)
        if r:
            rows[r] += v
            contrib[r][(fn, fl, "self")] += v
        else:
            share = share_of(fn)
            if OTHER in share and "libpython" in (obj_of.get(fn) or ""):
                # The interpreter's recursion (the handler's frame runs inside the
                # script's) leaves callgrind no per-request caller for these: they are
                # the handler running.
                share = dict(share)
                share[CALL] = share.get(CALL, 0) + share.pop(OTHER)
            for rr, w in share.items():
                rows[rr] += v * w
                contrib[rr][(fn, fl, "inherited")] += v * w
    return rows, contrib, total


def short(path):
    """A source path without the registry's, the toolchain's or the checkout's prefix."""
    path = re.sub(r".*/(registry/src/[^/]*/|rustc/[0-9a-f]*/)", "", path or "?")
    return re.sub(r"^/.*?/(?=(cello[-a-z]*|examples|benches)/)", "", path)


def main(argv):
    if len(argv) < 4 or argv[0] not in ("table", "rows", "callers"):
        sys.exit(__doc__)
    verb, n1, n2, rest = argv[0], int(argv[1]), int(argv[2]), argv[3:]
    if verb == "table":
        cols = [a.split("=", 1) for a in rest]
        results = [breakdown(d, n1, n2) for _, d in cols]
        print("| row | " + " | ".join(name for name, _ in cols) + " |")
        print("|---|" + "---:|" * len(cols))
        for r in ROWS:
            print(f"| {r} | " + " | ".join(f"{round(rows.get(r, 0)) + 0:,}" for rows, _, _ in results) + " |")
        print("| **total** | " + " | ".join(f"**{t:,.0f}**" for _, _, t in results) + " |")
    elif verb == "rows":
        rows, contrib, total = breakdown(rest[0], n1, n2)
        print(f"{total:8.0f}  total")
        for r in ROWS:
            print(f"{round(rows.get(r, 0)) + 0:8}  {r}")
        want = rest[1] if len(rest) > 1 else None
        for r in ROWS:
            if want is None or (want != "all" and want not in r):
                continue
            print(f"--- {r}")
            for (fn, fl, how), v in contrib[r].most_common(30):
                if abs(v) >= 3:
                    print(f"{v:8.1f} {how:9} {short(fl)} : {fn[:110]}")
    else:
        _, calls, _ = per_request(rest[0], n1, n2)
        by = collections.Counter()
        for (fn, fl), out in calls.items():
            for g, v in out.items():
                if rest[1] in g:
                    by[(short(fl), fn)] += v
        print(f"{sum(by.values()):8.0f}  total")
        for (fl, fn), v in by.most_common(30):
            if abs(v) >= 3:
                print(f"{v:8.1f}  {fl} : {fn[:120]}")


if __name__ == "__main__":
    main(sys.argv[1:])
