//! Sockets: kernel receive timestamps, reads that return them, and the
//! open-file limit.
//!
//! A time taken when user code gets around to a read is late by however
//! long the task waited to run: under load, milliseconds. The kernel stamps
//! each received segment when it arrives (`SO_TIMESTAMPNS`), and `recvmsg`
//! returns the stamp with the data: the arrival of the last segment the read
//! returned. Both `serve` (a request's arrival) and `bench` (each read of a
//! response) read through [`recv_stamped`].

use std::io::{self, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags};
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::wallclock;

/// Asks the kernel to stamp what this socket receives; without it (an old
/// kernel), reads are stamped when they return.
pub fn stamp_arrivals(stream: &TcpStream) {
    let _ = setsockopt(stream, sockopt::ReceiveTimestampns, &true);
    let _ = stream.set_nodelay(true);
}

/// Space for one timestamp control message.
pub fn cmsg_buffer() -> Vec<u8> {
    nix::cmsg_space!(nix::sys::time::TimeSpec)
}

/// One `recvmsg` on a readable socket: the bytes read, and when the last of
/// them arrived (unix ns: the kernel's stamp, else now). `WouldBlock` when
/// there is nothing to read.
///
/// A read shorter than `buf` emptied the socket's queue: its readiness is
/// cleared then and there, which saves the `recvmsg` that would only say
/// `WouldBlock` (anything that arrives later is a new edge of the
/// edge-triggered poller, and wakes the task again).
pub fn try_recv_stamped(
    stream: &TcpStream,
    buf: &mut [u8],
    cmsg: &mut [u8],
) -> io::Result<(usize, u64)> {
    let buf_len = buf.len();
    stream
        .try_io(Interest::READABLE, || {
            let mut iov = [IoSliceMut::new(buf)];
            let msg = recvmsg::<()>(
                stream.as_raw_fd(),
                &mut iov,
                Some(&mut *cmsg),
                MsgFlags::MSG_DONTWAIT,
            )
            .map_err(io::Error::from)?;
            let mut at = None;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::ScmTimestampns(ts) = c {
                        at = Some(ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64);
                    }
                }
            }
            Ok((msg.bytes, at.unwrap_or_else(wallclock::now_ns)))
        })
        .inspect(|&(n, _)| {
            if n > 0 && n < buf_len {
                let _ = stream.try_io(Interest::READABLE, || {
                    Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock))
                });
            }
        })
}

/// Raises the soft open-file limit to the hard one; returns the limit now
/// in force.
pub fn raise_open_files() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                hard
            } else {
                soft
            }
        }
        Err(_) => u64::MAX,
    }
}

/// The kernel's CPU time of this process (user + system), in seconds.
pub fn cpu_seconds() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

/// The peak resident set size of this process, in bytes.
pub fn max_rss_bytes() -> u64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0, |u| u.max_rss() as u64 * 1024)
}

/// The resident set size now, in bytes (Linux: /proc/self/statm).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}
