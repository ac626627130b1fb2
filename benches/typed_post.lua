-- The typed endpoint of `cargo xtask bench`: `wrk -s typed_post.lua URL` sends
-- POST /typed?limit=5&q=abc with a 10-field JSON body (benches/typed_body.json, kept
-- the same here; xtask checks they agree) on every request.
wrk.method = "POST"
wrk.path = "/typed?limit=5&q=abc"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "age": 36, "score": 98.5, "active": true, "tags": ["math", "engines"], "city": "London", "country": "UK", "note": null}'
