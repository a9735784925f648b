//! Times as unix nanoseconds, read on the monotonic clock.
//!
//! One anchor pairs a monotonic reading with the system clock's, once per
//! process; every later time is the anchor's unix time plus the monotonic
//! time elapsed since, so that a step of the system clock mid-run does not
//! move the times taken on it. Kernel receive timestamps are taken on the
//! system clock (`SO_TIMESTAMPNS`): they are unix times already, on the same
//! scale as long as the system clock is not stepped during the run.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

struct Anchor {
    mono: Instant,
    unix_ns: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| {
        let unix_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Anchor {
            mono: Instant::now(),
            unix_ns,
        }
    })
}

/// Now, in unix nanoseconds.
pub fn now_ns() -> u64 {
    let a = anchor();
    a.unix_ns + a.mono.elapsed().as_nanos() as u64
}

/// The monotonic instant of unix nanoseconds.
pub fn ns_instant(ns: u64) -> Instant {
    let a = anchor();
    a.mono + std::time::Duration::from_nanos(ns.saturating_sub(a.unix_ns))
}

/// Unix seconds, as a float (µs precision in 2020s dates).
pub fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}
