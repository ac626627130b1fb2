//! The route table: which path runs which handler. Unknown paths, wrong methods and a
//! non-integer `{id:int}` are answered by the `cello` crate (404, 405 with `Allow`,
//! 422), each with a JSON `{"detail": "..."}` body.

use crate::handlers;
use cello::App;
use cello_middleware::request_id::RequestIdLayer;

/// The app: six routes behind the request-id middleware (the built-in list, stacked
/// without a box per layer; `.layer(...)` takes any other tower layer).
pub fn app() -> App {
    App::new()
        .get("/plaintext", handlers::plaintext)
        .get("/json", handlers::json_message)
        .get("/async-json", handlers::json_message)
        .get("/users/{id:int}", handlers::user)
        .get("/user/{id:int}", handlers::user)
        .get("/async-sleep", handlers::sleep_then_ok)
        .middleware([RequestIdLayer::new().into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_is_valid() {
        assert!(app().into_service().is_ok());
    }
}
