//! One connection's link to its accept loop: its own stop signal, and whether it is idle,
//! so that at the connection cap the loop can close the longest-idle keep-alive
//! connection instead of leaving new clients in the backlog.
//!
//! The protocol layer says when a connection turns idle or busy; it knows what "idle"
//! means (for HTTP: no request in flight and no request head arriving). Marking costs
//! a counter increment and two cell writes, paid per request.

use crate::shutdown::Shutdown;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use tokio::sync::Notify;

/// Handed to each connection by [`serve`](crate::serve): a stop signal that fires on
/// server shutdown or when the accept loop reclaims this connection, and the idle marks
/// the protocol layer sets.
///
/// A connection served outside an accept loop gets one from a [`Shutdown`]
/// (`Connection::from(shutdown)`): the marks then go nowhere.
#[derive(Debug, Clone)]
pub struct Connection {
    stop: Shutdown,
    slot: Option<Rc<Slot>>,
}

impl Connection {
    /// Fires on server shutdown, and when the accept loop, at its connection cap, closes
    /// this connection because it was the longest idle. Either way the connection should
    /// finish the request in flight and close.
    pub fn shutdown(&self) -> &Shutdown {
        &self.stop
    }

    /// The connection has nothing in flight and no request arriving: it may be closed
    /// first when the cap is reached. Connections start idle.
    #[inline]
    pub fn set_idle(&self) {
        if let Some(slot) = &self.slot {
            slot.mark_idle();
        }
    }

    /// A request is arriving or in flight: the connection is not to be reclaimed.
    #[inline]
    pub fn set_busy(&self) {
        if let Some(slot) = &self.slot {
            slot.idle_since.set(BUSY);
        }
    }
}

impl From<Shutdown> for Connection {
    fn from(stop: Shutdown) -> Self {
        Connection { stop, slot: None }
    }
}

/// `idle_since` of a busy connection.
const BUSY: u64 = 0;

#[derive(Debug)]
struct Slot {
    /// When the connection last turned idle, on the registry's clock; [`BUSY`] if busy.
    idle_since: Cell<u64>,
    /// Index in the registry's list, kept current by `swap_remove`.
    index: Cell<usize>,
    stop: Shutdown,
    registry: Rc<Registry>,
}

impl Slot {
    fn mark_idle(&self) {
        let r = &self.registry;
        let now = r.clock.get() + 1;
        r.clock.set(now);
        self.idle_since.set(now);
        if r.waiting.get() {
            r.became_idle.notify_one();
        }
    }
}

/// The live connections of one accept loop.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    slots: RefCell<Vec<Rc<Slot>>>,
    /// A counter, not a clock: it orders the moments connections turned idle.
    clock: Cell<u64>,
    /// The accept loop is at the cap and waits for a slot.
    waiting: Cell<bool>,
    became_idle: Notify,
}

impl Registry {
    /// Registers a new connection (idle until its protocol says otherwise).
    pub(crate) fn add(self: &Rc<Self>, server: &Shutdown) -> (Connection, Registered) {
        let slot = Rc::new(Slot {
            idle_since: Cell::new(BUSY),
            index: Cell::new(0),
            stop: server.child(),
            registry: self.clone(),
        });
        slot.mark_idle();
        let mut slots = self.slots.borrow_mut();
        slot.index.set(slots.len());
        slots.push(slot.clone());
        let conn = Connection {
            stop: slot.stop.clone(),
            slot: Some(slot.clone()),
        };
        (conn, Registered(slot))
    }

    /// Asks the connection that has been idle longest to close. Returns whether there
    /// was one.
    pub(crate) fn reclaim_oldest_idle(&self) -> bool {
        let slots = self.slots.borrow();
        let oldest = slots
            .iter()
            .filter(|s| s.idle_since.get() != BUSY && !s.stop.is_triggered())
            .min_by_key(|s| s.idle_since.get());
        match oldest {
            Some(slot) => {
                tracing::debug!("connection cap reached; closing the longest-idle connection");
                slot.stop.trigger();
                true
            }
            None => false,
        }
    }

    /// Marks the loop as waiting at the cap; a connection turning idle then wakes
    /// [`Registry::idle_turned`].
    pub(crate) fn set_waiting(&self, waiting: bool) {
        self.waiting.set(waiting);
    }

    /// Completes when a connection turns idle while the loop waits.
    pub(crate) async fn idle_turned(&self) {
        self.became_idle.notified().await
    }

    fn remove(&self, slot: &Slot) {
        let mut slots = self.slots.borrow_mut();
        let i = slot.index.get();
        if i < slots.len() && std::ptr::eq(Rc::as_ptr(&slots[i]), slot) {
            slots.swap_remove(i);
            if let Some(moved) = slots.get(i) {
                moved.index.set(i);
            }
        }
    }
}

/// Removes a connection from its registry when its task ends (or is aborted).
pub(crate) struct Registered(Rc<Slot>);

impl Drop for Registered {
    fn drop(&mut self) {
        self.0.registry.clone().remove(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaims_the_connection_idle_longest_and_never_a_busy_one() {
        let reg = Rc::new(Registry::default());
        let server = Shutdown::new();
        let (a, _ga) = reg.add(&server);
        let (b, _gb) = reg.add(&server);
        let (c, _gc) = reg.add(&server);
        a.set_busy();
        c.set_busy();
        b.set_busy();
        c.set_idle();
        b.set_idle();
        assert!(reg.reclaim_oldest_idle());
        assert!(c.shutdown().is_triggered(), "c turned idle first");
        assert!(!b.shutdown().is_triggered() && !a.shutdown().is_triggered());
        assert!(reg.reclaim_oldest_idle());
        assert!(b.shutdown().is_triggered());
        assert!(!reg.reclaim_oldest_idle(), "a is busy");
        assert!(!a.shutdown().is_triggered());
        assert!(
            !server.is_triggered(),
            "reclaiming one never stops the server"
        );
    }

    #[test]
    fn a_finished_connection_leaves_the_registry() {
        let reg = Rc::new(Registry::default());
        let server = Shutdown::new();
        let (a, ga) = reg.add(&server);
        let (_b, gb) = reg.add(&server);
        drop(ga);
        assert_eq!(reg.slots.borrow().len(), 1);
        drop(gb);
        assert!(reg.slots.borrow().is_empty());
        a.set_idle(); // marks after removal are harmless
        assert!(!reg.reclaim_oldest_idle());
    }

    #[test]
    fn server_shutdown_reaches_every_connection() {
        let reg = Rc::new(Registry::default());
        let server = Shutdown::new();
        let (a, _g) = reg.add(&server);
        server.trigger();
        assert!(a.shutdown().is_triggered());
    }
}
