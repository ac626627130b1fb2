"""JSON microbenchmark: cello.json_dumps / cello.json_loads against orjson and the stdlib
json on representative Python objects. Prints a Markdown table (time per call, best of
REPEAT rounds; each round times one batch of each library in turn, so drift in the machine's speed hits all three alike) and whether encoding is at least as fast as orjson on every sample.

Run: .bench/venv/bin/python benches/json_micro.py [--repeat N]
"""

import json
import sys
import timeit

import orjson

try:
    import cello

    CELLO = (cello.json_dumps, cello.json_loads)
    CELLO_MISSING = ""
except (ImportError, AttributeError) as e:
    CELLO = None
    CELLO_MISSING = f"{type(e).__name__}: {e}"


def small_dict():
    return {"id": 1, "name": "Alice", "active": True, "score": 9.5, "tags": ["a", "b"]}


def nested_response():
    return {
        "status": "ok",
        "page": {"number": 3, "size": 20, "total": 1234, "next": "/items?page=4", "prev": None},
        "user": {
            "id": 42,
            "name": "Ada Lovelace",
            "roles": ["admin", "editor"],
            "settings": {"theme": "dark", "notifications": {"email": True, "sms": False}},
        },
        "items": [
            {
                "id": i,
                "title": f"Item number {i}",
                "price": round(9.99 + i * 1.25, 2),
                "in_stock": i % 3 != 0,
                "dimensions": {"w": 10 + i, "h": 20.5, "d": None},
                "tags": ["new", "sale"] if i % 2 else [],
            }
            for i in range(20)
        ],
    }


def records():
    return [
        {
            "id": i,
            "name": f"user{i}",
            "email": f"user{i}@example.com",
            "age": 18 + i % 60,
            "balance": i * 3.14159,
            "active": i % 2 == 0,
            "tags": ["alpha", "beta", "gamma"][: i % 4],
            "manager_id": None if i % 10 == 0 else i // 10,
        }
        for i in range(1000)
    ]


def unicode_heavy():
    return {
        "title": "Ünïcödé — naïve café ✓ 日本語のテキスト 😀 \"quoted\" \\ back\tslash",
        "paragraphs": [
            "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 4,
            "天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。" * 8,
            "emoji 🎉🚀✨🔥 mixed with ascii and control \n\r\u2028 chars " * 4,
        ]
        * 10,
    }


SAMPLES = [
    ("small dict", small_dict()),
    ("nested API response", nested_response()),
    ("list of 1,000 records", records()),
    ("unicode-heavy strings", unicode_heavy()),
]


def best_us(fns, repeat):
    """µs per call of each function in ``fns`` (None stays None): the best batch of
    ``repeat`` rounds, each round timing one batch of every function in turn. The
    machine's speed drifts (up to 2x on this kind of VM), so the libraries are
    interleaved rather than timed one after another."""
    timers = [timeit.Timer(f) for f in fns if f is not None]
    numbers = [max(1, t.autorange()[0] // 2) for t in timers]  # batches of ~0.1 s
    best = [float("inf")] * len(timers)
    for _ in range(repeat):
        for i, (t, number) in enumerate(zip(timers, numbers)):
            best[i] = min(best[i], t.timeit(number) / number * 1e6)
    it = iter(best)
    return [None if f is None else next(it) for f in fns]


def main():
    repeat = 9
    if "--repeat" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1])
    print(f"Python {sys.version.split()[0]}, orjson {orjson.__version__}; "
          f"µs per call, best of {repeat} rounds that time cello, orjson and json in turn. stdlib encodes with json.dumps(obj).encode().\n")
    if CELLO is None:
        print(f"cello: not available ({CELLO_MISSING}); its columns are empty.\n")
    print("| sample | bytes | op | cello | orjson | json | cello ÷ orjson time (< 1: faster) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    encode_met = True
    problems = []
    for name, obj in SAMPLES:
        data = orjson.dumps(obj)
        rows = {
            "encode": (
                (lambda: CELLO[0](obj)) if CELLO else None,
                lambda: orjson.dumps(obj),
                lambda: json.dumps(obj).encode(),
            ),
            "decode": (
                (lambda: CELLO[1](data)) if CELLO else None,
                lambda: orjson.loads(data),
                lambda: json.loads(data),
            ),
        }
        if CELLO:
            try:
                if json.loads(CELLO[0](obj)) != obj:
                    problems.append(f"{name}: cello.json_dumps output decodes to a different value")
                if CELLO[1](data) != obj:
                    problems.append(f"{name}: cello.json_loads gives a different value")
            except Exception as e:  # report, keep measuring the others
                problems.append(f"{name}: {type(e).__name__}: {e}")
                rows = {op: (None, o, j) for op, (_, o, j) in rows.items()}
        for op, (c, o, j) in rows.items():
            tc, to, tj = best_us([c, o, j], repeat)
            ratio = f"{tc / to:.2f}" if tc else "–"
            if op == "encode" and (tc is None or tc > to):
                encode_met = False
            fmt = lambda t: "–" if t is None else f"{t:.2f}"
            print(f"| {name} | {len(data)} | {op} | {fmt(tc)} | {fmt(to)} | {fmt(tj)} | {ratio} |")
    print()
    for p in problems:
        print(f"- WRONG OUTPUT: {p}")
    verdict = "not measured (no cello)" if CELLO is None else "met" if encode_met and not problems else "not met"
    print(f"Target (encoding at least as fast as orjson on every sample): {verdict}")


if __name__ == "__main__":
    main()
