//! The dicts and lists being written, from the top-level object down to the current
//! one, and when Python code runs, strong references to them.

use pyo3::ffi;

/// Deepest stack: one frame per nesting level the encoder accepts.
const FRAMES: usize = super::MAX_DEPTH + 1;

/// The recorded size of a pinned list.
const NOT_A_DICT: ffi::Py_ssize_t = -1;

/// The dicts and lists the encoder has entered and not yet left, innermost last.
///
/// The encoder reads them through borrowed references, which is sound only while no
/// Python code runs: nothing else can drop a reference while the GIL is held and no
/// bytecode runs. Before any Python code runs, `pin` takes a strong reference to
/// every open container not yet held (the object `encode` was given is held by its
/// caller) and records each dict's size, so that a dict the code resized is found
/// as soon as it returns (`dict_resized`). The references are dropped when the call
/// ends (`release`): a container Python code dropped mid-walk is freed, and its
/// finalizers run, once the document is written.
///
/// A walk that runs no Python code costs a pointer store per container and no
/// reference counting: taking a reference per container up front cost 6.9% of a
/// 50-record response's instructions.
///
/// Pinned frames are always the bottom of the stack (`pinned` of them): `pin` pins
/// everything above, and leaving a pinned frame lowers the mark.
pub(super) struct OpenContainers {
    objs: [*mut ffi::PyObject; FRAMES],
    /// Each pinned dict's size when pinned (`NOT_A_DICT` for lists).
    sizes: [ffi::Py_ssize_t; FRAMES],
    len: usize,
    pinned: usize,
    /// The object `encode` was given: its caller holds it for the whole call.
    root: *mut ffi::PyObject,
    /// The references `pin` took, dropped by `release`.
    held: Vec<*mut ffi::PyObject>,
}

impl OpenContainers {
    pub(super) const fn new() -> Self {
        OpenContainers {
            objs: [std::ptr::null_mut(); FRAMES],
            sizes: [0; FRAMES],
            len: 0,
            pinned: 0,
            root: std::ptr::null_mut(),
            held: Vec::new(),
        }
    }

    /// Starts a call encoding `root`.
    pub(super) fn start(&mut self, root: *mut ffi::PyObject) {
        self.len = 0;
        self.pinned = 0;
        self.root = root;
    }

    /// Opens `obj` (a dict or a list).
    #[inline(always)]
    pub(super) fn enter(&mut self, obj: *mut ffi::PyObject) {
        // There is a frame per nesting level the encoder accepts, so this always
        // finds one.
        if let Some(slot) = self.objs.get_mut(self.len) {
            *slot = obj;
            self.len += 1;
        }
    }

    /// Closes the innermost container (its reference, if pinned, is kept until
    /// `release`).
    #[inline(always)]
    pub(super) fn leave(&mut self) {
        self.len = self.len.saturating_sub(1);
        self.pinned = self.pinned.min(self.len);
    }

    /// Holds every open container and records each open dict's size: Python code
    /// is about to run.
    ///
    /// # Safety
    /// GIL held; every open frame's object is alive (no Python code has run since
    /// the unpinned ones were entered).
    pub(super) unsafe fn pin(&mut self) {
        let frames = self.objs.iter().zip(self.sizes.iter_mut());
        for (&obj, size) in frames.take(self.len).skip(self.pinned) {
            // SAFETY: see the contract.
            unsafe {
                if obj != self.root {
                    ffi::Py_INCREF(obj);
                    self.held.push(obj);
                }
                *size = if ffi::PyDict_Check(obj) != 0 {
                    ffi::PyDict_Size(obj)
                } else {
                    NOT_A_DICT
                };
            }
        }
        self.pinned = self.len;
    }

    /// Whether a pinned dict changed size since it was pinned: Python code just
    /// ran, and every open container is pinned.
    ///
    /// # Safety
    /// GIL held.
    pub(super) unsafe fn dict_resized(&self) -> bool {
        let mut frames = self.objs.iter().zip(self.sizes.iter()).take(self.pinned);
        // SAFETY: pinned frames are held; those with a size are dicts.
        frames.any(|(&obj, &size)| size != NOT_A_DICT && unsafe { ffi::PyDict_Size(obj) } != size)
    }

    /// Drops the references `pin` took: the call is over. This may free
    /// containers and run finalizers.
    ///
    /// # Safety
    /// GIL held.
    #[inline(always)]
    pub(super) unsafe fn release(&mut self) {
        if !self.held.is_empty() {
            // SAFETY: forwarded contract.
            unsafe { self.release_held() };
        }
    }

    /// # Safety
    /// GIL held.
    #[cold]
    unsafe fn release_held(&mut self) {
        self.len = 0;
        self.pinned = 0;
        // Taken out first: a finalizer may start another `encode`, which would
        // find this one in use and work on its own.
        for obj in std::mem::take(&mut self.held) {
            // SAFETY: a reference `pin` took.
            unsafe { ffi::Py_DECREF(obj) };
        }
    }

    #[cfg(test)]
    pub(super) fn open_and_pinned(&self) -> (usize, usize) {
        (self.len, self.pinned)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pyo3::prelude::*;
    use pyo3::types::{PyDict, PyList};

    fn refcount(obj: &Bound<'_, PyAny>) -> isize {
        let sys = obj.py().import("sys").unwrap();
        sys.call_method1("getrefcount", (obj,))
            .unwrap()
            .extract()
            .unwrap()
    }

    #[test]
    fn a_walk_with_no_python_code_takes_no_reference() {
        Python::attach(|py| {
            let list = PyList::empty(py).into_any();
            let before = refcount(&list);
            let mut open = OpenContainers::new();
            open.start(std::ptr::null_mut());
            open.enter(list.as_ptr());
            assert_eq!(refcount(&list), before);
            open.leave();
            assert_eq!(open.open_and_pinned(), (0, 0));
            // SAFETY: GIL held.
            unsafe { open.release() };
            assert_eq!(refcount(&list), before);
        });
    }

    #[test]
    fn pinning_holds_each_open_container_once_until_the_call_ends() {
        Python::attach(|py| {
            let top = PyDict::new(py).into_any();
            let dict = PyDict::new(py).into_any();
            let list = PyList::empty(py).into_any();
            let counts = || [refcount(&top), refcount(&dict), refcount(&list)];
            let before = counts();
            let mut open = OpenContainers::new();
            open.start(top.as_ptr());
            open.enter(top.as_ptr());
            open.enter(dict.as_ptr());
            // SAFETY (all calls below): GIL held, every open object alive.
            unsafe { open.pin() };
            unsafe { open.pin() }; // already pinned: no second reference
            open.enter(list.as_ptr());
            assert_eq!(open.open_and_pinned(), (3, 2));
            unsafe { open.pin() };
            assert_eq!(open.open_and_pinned(), (3, 3));
            // The top-level object is the caller's; the others are held once.
            let held = [before[0], before[1] + 1, before[2] + 1];
            assert_eq!(counts(), held);
            open.leave();
            open.leave();
            assert_eq!(open.open_and_pinned(), (1, 1));
            // Left, but still held: Python code may have dropped every other
            // reference, and freeing them now could run finalizers mid-walk.
            assert_eq!(counts(), held);
            open.leave();
            unsafe { open.release() };
            assert_eq!(counts(), before);
        });
    }

    #[test]
    fn a_pinned_dict_that_changed_size_is_found_and_a_list_is_never_a_dict() {
        Python::attach(|py| {
            let dict = PyDict::new(py);
            dict.set_item("a", 1).unwrap();
            let list = PyList::empty(py);
            let mut open = OpenContainers::new();
            open.start(std::ptr::null_mut());
            open.enter(dict.as_ptr());
            open.enter(list.as_ptr());
            // Resized before pinning: nothing ran under the walk yet.
            dict.set_item("before pinning", 1).unwrap();
            // SAFETY (all calls below): GIL held, both objects alive.
            assert!(!unsafe { open.dict_resized() });
            unsafe { open.pin() };
            list.append(1).unwrap();
            assert!(!unsafe { open.dict_resized() });
            dict.set_item("b", 1).unwrap();
            assert!(unsafe { open.dict_resized() });
            dict.del_item("b").unwrap();
            assert!(!unsafe { open.dict_resized() });
            dict.set_item("a", 2).unwrap(); // same size: not a resize
            assert!(!unsafe { open.dict_resized() });
            // A dict no longer open is not checked.
            open.leave();
            open.leave();
            dict.set_item("c", 1).unwrap();
            assert!(!unsafe { open.dict_resized() });
            unsafe { open.release() };
        });
    }
}
