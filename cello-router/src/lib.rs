#![doc = include_str!("../README.md")]

mod builder;
mod error;
mod method_table;
mod param;
mod params;
mod pattern;
mod router;

pub use builder::{PatternParam, RouterBuilder};
pub use error::{LookupError, RouteError};
pub use param::{ParamType, ParamValue};
pub use params::{IntoIter, Params};
pub use router::{Match, Router};
