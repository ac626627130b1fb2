//! `--reload`: watches directories with `notify` and tells the supervisor's poll
//! loop, through a pipe, that a file matching the globs changed.

use crate::pipe::{pipe, read_available, set_nonblocking, write_some};
use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::{RecursiveMode, Watcher as _};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// What to watch.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Directories, watched recursively (default: the current directory).
    pub dirs: Vec<PathBuf>,
    /// Globs a changed file must match, against its name or its whole path
    /// (default `*.py`).
    pub include: Vec<String>,
    /// Globs that rule a file out, against its name, any directory on its path, or
    /// its whole path (default `.*`, `*.pyc`, `*~`: hidden files and editors'
    /// leftovers).
    pub exclude: Vec<String>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            dirs: vec![PathBuf::from(".")],
            include: vec!["*.py".into()],
            exclude: vec![
                ".*".into(),
                "*.py[cod]".into(),
                "*~".into(),
                "__pycache__".into(),
            ],
        }
    }
}

/// A running watcher; a byte arrives on [`Watch::fd`] for each matching change.
pub(crate) struct Watch {
    _watcher: notify::RecommendedWatcher,
    read: OwnedFd,
    _write: std::sync::Arc<OwnedFd>,
}

impl Watch {
    pub(crate) fn start(config: &WatchConfig) -> io::Result<Watch> {
        let include = globs(&config.include)?;
        let exclude = globs(&config.exclude)?;
        let (read, write) = pipe()?;
        set_nonblocking(write.as_raw_fd())?;
        let write = std::sync::Arc::new(write);
        let notify_to = write.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                if event.paths.iter().any(|p| wanted(p, &include, &exclude)) {
                    write_some(notify_to.as_raw_fd(), b"c");
                }
            })
            .map_err(io::Error::other)?;
        for dir in &config.dirs {
            watcher
                .watch(dir, RecursiveMode::Recursive)
                .map_err(|e| io::Error::other(format!("cannot watch {}: {e}", dir.display())))?;
        }
        Ok(Watch {
            _watcher: watcher,
            read,
            _write: write,
        })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Whether a change arrived since the last call.
    pub(crate) fn changed(&self) -> bool {
        let mut got = Vec::new();
        let _ = read_available(&self.read, &mut got);
        !got.is_empty()
    }
}

fn globs(patterns: &[String]) -> io::Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad reload glob {p:?}: {e}"),
            )
        })?;
        set.add(glob);
    }
    set.build().map_err(io::Error::other)
}

fn wanted(path: &Path, include: &GlobSet, exclude: &GlobSet) -> bool {
    let name = path.file_name().map(Path::new).unwrap_or(path);
    let excluded = exclude.is_match(path)
        || path
            .components()
            .any(|c| exclude.is_match(Path::new(c.as_os_str())));
    !excluded && (include.is_match(name) || include.is_match(path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test should panic on a failed step")]
mod tests {
    use super::*;

    #[test]
    fn python_files_count_and_caches_and_hidden_files_do_not() {
        let c = WatchConfig::default();
        let (inc, exc) = (globs(&c.include).unwrap(), globs(&c.exclude).unwrap());
        assert!(wanted(Path::new("/src/app/main.py"), &inc, &exc));
        assert!(!wanted(
            Path::new("/src/app/__pycache__/main.cpython-311.pyc"),
            &inc,
            &exc
        ));
        assert!(!wanted(Path::new("/src/.git/x.py"), &inc, &exc));
        assert!(!wanted(Path::new("/src/app/.main.py.swp"), &inc, &exc));
        assert!(!wanted(Path::new("/src/app/notes.txt"), &inc, &exc));
    }
}
