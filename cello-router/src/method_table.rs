//! The handlers registered at one path, keyed by HTTP method.
//!
//! The nine standard methods index a fixed array (one compare chain, no hashing); extension
//! methods such as `PROPFIND` live in a short list searched only when the method is not
//! standard.

use http::Method;

/// The standard methods, in the order they are listed in an `Allow` header.
pub(crate) static STANDARD: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
    Method::CONNECT,
    Method::TRACE,
];

const HEAD_SLOT: usize = 1;

/// Where `method` sits in [`STANDARD`], or `None` for an extension method.
#[inline]
fn slot(method: &Method) -> Option<usize> {
    Some(match *method {
        Method::GET => 0,
        Method::HEAD => HEAD_SLOT,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        Method::CONNECT => 7,
        Method::TRACE => 8,
        _ => return None,
    })
}

/// Values by method for one path.
#[derive(Debug)]
pub(crate) struct MethodTable<T> {
    standard: [Option<T>; 9],
    extension: Vec<(Method, T)>,
}

impl<T> Default for MethodTable<T> {
    fn default() -> Self {
        Self {
            standard: Default::default(),
            extension: Vec::new(),
        }
    }
}

impl<T> MethodTable<T> {
    /// Stores `value` under `method`; hands it back if the method is already taken.
    pub(crate) fn insert(&mut self, method: Method, value: T) -> Result<(), T> {
        let entry = match slot(&method) {
            Some(i) => &mut self.standard[i],
            None => {
                if self.extension.iter().any(|(m, _)| *m == method) {
                    return Err(value);
                }
                self.extension.push((method, value));
                return Ok(());
            }
        };
        if entry.is_some() {
            return Err(value);
        }
        *entry = Some(value);
        Ok(())
    }

    /// The value for `method`; `HEAD` falls back to `GET` when it has no value of its own.
    #[inline]
    pub(crate) fn get(&self, method: &Method) -> Option<&T> {
        match slot(method) {
            Some(HEAD_SLOT) => self.standard[HEAD_SLOT]
                .as_ref()
                .or(self.standard[0].as_ref()),
            Some(i) => self.standard[i].as_ref(),
            None => self.get_extension(method),
        }
    }

    #[cold]
    fn get_extension(&self, method: &Method) -> Option<&T> {
        self.extension
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, v)| v)
    }

    /// The methods registered explicitly, standard ones first in [`STANDARD`] order.
    pub(crate) fn methods(&self) -> impl Iterator<Item = &Method> {
        let standard = STANDARD
            .iter()
            .zip(&self.standard)
            .filter(|(_, v)| v.is_some())
            .map(|(m, _)| m);
        standard.chain(self.extension.iter().map(|(m, _)| m))
    }

    /// The `Allow` header value: every registered method, plus `HEAD` when `GET` is served.
    pub(crate) fn allow(&self) -> String {
        let mut allow = String::new();
        let implied_head = self.standard[0].is_some() && self.standard[HEAD_SLOT].is_none();
        for (i, method) in STANDARD.iter().enumerate() {
            if self.standard[i].is_some() || (i == HEAD_SLOT && implied_head) {
                push_method(&mut allow, method);
            }
        }
        for (method, _) in &self.extension {
            push_method(&mut allow, method);
        }
        allow
    }
}

fn push_method(allow: &mut String, method: &Method) {
    if !allow.is_empty() {
        allow.push_str(", ");
    }
    allow.push_str(method.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str) -> Method {
        match Method::from_bytes(name.as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("{name}: {e}"),
        }
    }

    #[test]
    fn every_standard_method_has_its_own_slot() {
        let mut table = MethodTable::default();
        for (i, m) in STANDARD.iter().enumerate() {
            assert_eq!(slot(m), Some(i));
            assert!(table.insert(m.clone(), i).is_ok());
        }
        for (i, m) in STANDARD.iter().enumerate() {
            assert_eq!(table.get(m), Some(&i));
        }
    }

    #[test]
    fn a_method_can_be_taken_once() {
        let mut table = MethodTable::default();
        assert_eq!(table.insert(Method::GET, 1), Ok(()));
        assert_eq!(table.insert(Method::GET, 2), Err(2));
        assert_eq!(table.insert(ext("PURGE"), 3), Ok(()));
        assert_eq!(table.insert(ext("PURGE"), 4), Err(4));
    }

    #[test]
    fn head_falls_back_to_get_and_is_listed_in_allow() {
        let mut table = MethodTable::default();
        assert!(table.insert(Method::POST, "post").is_ok());
        assert!(table.insert(Method::GET, "get").is_ok());
        assert_eq!(table.get(&Method::HEAD), Some(&"get"));
        assert_eq!(table.allow(), "GET, HEAD, POST");
        assert!(table.insert(Method::HEAD, "head").is_ok());
        assert_eq!(table.get(&Method::HEAD), Some(&"head"));
        assert_eq!(table.allow(), "GET, HEAD, POST");
    }

    #[test]
    fn extension_methods_come_last_in_allow() {
        let mut table = MethodTable::default();
        assert!(table.insert(ext("PROPFIND"), 1).is_ok());
        assert!(table.insert(Method::DELETE, 2).is_ok());
        assert_eq!(table.get(&ext("PROPFIND")), Some(&1));
        assert_eq!(table.get(&ext("MKCOL")), None);
        assert_eq!(table.allow(), "DELETE, PROPFIND");
        let listed: Vec<&str> = table.methods().map(Method::as_str).collect();
        assert_eq!(listed, ["DELETE", "PROPFIND"]);
    }
}
