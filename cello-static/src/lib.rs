#![doc = include_str!("../README.md")]

mod body;
mod conditional;
mod encoding;
mod file;
mod open;
mod range;
mod resolve;
mod respond;
mod serve_dir;

pub use body::CHUNK;
pub use conditional::{evaluate, Outcome, Validators};
pub use encoding::{preferred, Coding};
pub use file::{FileAnswer, FileMissing};
pub use range::{ranges, Ranges, MAX_RANGES};
pub use respond::{guess_type, Answer};
pub use serve_dir::ServeDir;
