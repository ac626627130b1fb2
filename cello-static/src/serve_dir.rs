//! [`ServeDir`]: a directory as a tower service.

use crate::encoding;
use crate::open::{self, Found};
use crate::resolve;
use crate::respond::{respond, Answer};
use cello_http::{Body, Request, Response};
use http::header::{ACCEPT_ENCODING, ALLOW, LOCATION, RANGE};
use http::{HeaderValue, Method, StatusCode};
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Serves the files under a directory: `GET`/`HEAD` of `/a/b.txt` answers with
/// `<root>/a/b.txt`. The request path is the URI's (mounted with
/// `cello::App::mount`, the prefix is taken off first).
///
/// Anything that could leave the directory is a 404: `..` in any spelling, encoded
/// slashes and backslashes, NUL, empty segments, and symlinks that resolve outside
/// it (symlinks inside it are followed). Hidden files are served, as Starlette
/// serves them.
///
/// ```
/// use cello_static::ServeDir;
/// use tower_service::Service;
///
/// let dir = std::env::temp_dir().join("cello-static-doc");
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("hello.txt"), "hello")?;
/// let mut files = ServeDir::new(&dir)?;
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let res = runtime.block_on(async {
///     let req = http::Request::get("/hello.txt").body(cello_http::Body::empty())?;
///     Ok::<_, Box<dyn std::error::Error>>(files.call(req).await?)
/// })?;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
/// assert_eq!(res.headers()["content-length"], "5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServeDir(Arc<Config>);

#[derive(Debug)]
struct Config {
    root: PathBuf,
    html: bool,
    precompressed: bool,
}

impl ServeDir {
    /// Serves `root`, which must be a directory (checked now, as Starlette's
    /// `check_dir`); its real path is the boundary no request may cross.
    pub fn new(root: impl AsRef<Path>) -> std::io::Result<Self> {
        let given = root.as_ref();
        let root = given.canonicalize().map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("static directory {}: {e}", given.display()),
            )
        })?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("static directory {} is not a directory", given.display()),
            ));
        }
        Ok(ServeDir(Arc::new(Config {
            root,
            html: false,
            precompressed: true,
        })))
    }

    /// HTML mode (Starlette's `html=True`): a directory is answered by its
    /// `index.html` (a 307 adds the missing trailing slash), and a miss by the root's
    /// `404.html` with status 404 when there is one.
    pub fn html(self, on: bool) -> Self {
        self.with(|c| c.html = on)
    }

    /// Whether `file.br` / `file.gz` siblings are sent to clients that accept them
    /// (on by default; answers then carry `Vary: Accept-Encoding`).
    pub fn precompressed(self, on: bool) -> Self {
        self.with(|c| c.precompressed = on)
    }

    fn with(self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            root: self.0.root.clone(),
            html: self.0.html,
            precompressed: self.0.precompressed,
        };
        f(&mut config);
        ServeDir(Arc::new(config))
    }

    /// The directory served (its real path).
    pub fn root(&self) -> &Path {
        &self.0.root
    }

    /// The answer to `req`.
    pub async fn serve(&self, req: Request) -> Response {
        let (parts, _) = req.into_parts();
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let mut res = status_only(StatusCode::METHOD_NOT_ALLOWED);
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return res;
        }
        let config = self.0.clone();
        let Some(rel) = resolve::relative(parts.uri.path()) else {
            return not_found(config, &parts.method).await;
        };
        // Ranges are of the identity file: a Range request is never given a sibling.
        let codings = if config.precompressed && !parts.headers.contains_key(RANGE) {
            encoding::preferred(parts.headers.get(ACCEPT_ENCODING))
        } else {
            Vec::new()
        };
        let c = config.clone();
        let found =
            blocking(move || open::find(&c.root, &rel.path, rel.trailing_slash, c.html, &codings))
                .await;
        match found {
            Some(Found::File(file)) => {
                let answer = Answer {
                    vary: config.precompressed,
                    ..Answer::default()
                };
                respond(*file, &parts.method, &parts.headers, answer)
            }
            Some(Found::MissingSlash) => redirect_to_directory(parts.uri.path()),
            Some(Found::Nothing) | None => not_found(config, &parts.method).await,
        }
    }
}

/// Runs file-system work off the worker thread; None if that thread panicked.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// 404: the root's `404.html` in html mode, else an empty 404.
async fn not_found(config: Arc<Config>, method: &Method) -> Response {
    if config.html {
        let c = config.clone();
        let page = blocking(move || open::open_file(&c.root, &c.root.join("404.html"), &[])).await;
        if let Some(Some(file)) = page {
            let answer = Answer {
                status: StatusCode::NOT_FOUND,
                ..Answer::default()
            };
            return respond(file, method, &http::HeaderMap::new(), answer);
        }
    }
    status_only(StatusCode::NOT_FOUND)
}

/// `/docs` (a directory) → `307 Location: docs/`, relative so that it holds under
/// any mount prefix.
fn redirect_to_directory(path: &str) -> Response {
    let last = path.rsplit('/').next().unwrap_or("");
    let mut res = status_only(StatusCode::TEMPORARY_REDIRECT);
    if let Ok(location) = HeaderValue::from_str(&format!("{last}/")) {
        res.headers_mut().insert(LOCATION, location);
    }
    res
}

fn status_only(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("");
    let mut res = Response::new(Body::full(reason.to_owned()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

impl tower_service::Service<Request> for ServeDir {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.serve(req).await) })
    }
}
