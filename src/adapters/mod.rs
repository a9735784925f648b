//! Adapters: drive the layers below from a caller's bytes. Thin by design:
//! the sync facade wires sse → protocol → fold and maps their failures to
//! [`Error`](crate::Error); the async adapter only drives the facade.

pub(crate) mod chat_fold;
#[cfg(feature = "tokio-codec")]
pub(crate) mod codec;
#[cfg(feature = "async")]
pub(crate) mod stream;
