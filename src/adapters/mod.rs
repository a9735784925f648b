//! Adapters: drive the layers below from a caller's bytes. Thin by design:
//! the sync facade wires framing → protocol → fold and maps their failures
//! to [`Error`](crate::Error); the async adapter and the codec only drive
//! it.

#[cfg(feature = "tokio-codec")]
pub(crate) mod codec;
pub(crate) mod fold;
#[cfg(feature = "async")]
pub(crate) mod stream;
