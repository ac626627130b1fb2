//! [`LocalService`]: a boxed, cloneable tower service that need not be `Send`, what
//! layers wrap. (tower's `BoxCloneService` requires `Send`; Cello's services run on
//! one worker thread each and need not be.)

use cello_http::{Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower_service::Service;

/// The future of a [`LocalService`].
pub type LocalFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>>>>;

/// A type-erased service over Cello's request and response.
pub struct LocalService(Box<dyn CloneService>);

impl std::fmt::Debug for LocalService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalService")
    }
}

trait CloneService {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>>;
    fn call(&mut self, req: Request) -> LocalFuture;
    fn clone_box(&self) -> Box<dyn CloneService>;
}

impl<T> CloneService for T
where
    T: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
    T::Future: 'static,
{
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::poll_ready(self, cx)
    }

    fn call(&mut self, req: Request) -> LocalFuture {
        Box::pin(Service::call(self, req))
    }

    fn clone_box(&self) -> Box<dyn CloneService> {
        Box::new(self.clone())
    }
}

impl LocalService {
    /// Boxes `svc`.
    pub fn new<T>(svc: T) -> Self
    where
        T: Service<Request, Response = Response, Error = Infallible> + Clone + 'static,
        T::Future: 'static,
    {
        LocalService(Box::new(svc))
    }
}

impl Clone for LocalService {
    fn clone(&self) -> Self {
        LocalService(self.0.clone_box())
    }
}

impl Service<Request> for LocalService {
    type Response = Response;
    type Error = Infallible;
    type Future = LocalFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> LocalFuture {
        self.0.call(req)
    }
}
