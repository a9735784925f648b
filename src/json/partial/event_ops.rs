//! The ops an event carries ([`EventOps`]): borrowed from the fold's
//! buffer, or owned.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::ops::{Iter, Op, Ops, OpsRef};

/// The ops of a `tool_calls.function.arguments.partial` event
/// ([`Event::ToolCallArgumentsPartial`](crate::Event::ToolCallArgumentsPartial)).
///
/// In the sync API it borrows the fold's ops buffer (no copy); an owned
/// event ([`Event::into_owned`](crate::Event::into_owned), the async
/// adapter) holds its own copy. Iterate it, or apply it to a value with
/// [`OpTarget::apply_all`](super::OpTarget::apply_all).
///
/// Serialises as a JSON list of ops (see [`Op`]).
///
/// # Examples
///
/// ```
/// use streamfold::partial_json::{EventOps, OpTarget, Ops, PartialJson};
/// use streamfold::Value;
///
/// let mut ops = Ops::new();
/// PartialJson::new().push("{\"q\":\"ru", &mut ops).unwrap();
/// let borrowed = EventOps::from(ops.as_ref());
/// let owned: EventOps<'static> = borrowed.clone().into_owned();
/// assert_eq!(owned, borrowed);
/// let mut value = Value::Null;
/// value.apply_all(owned.iter()).unwrap();
/// assert_eq!(value, "{\"q\":\"ru\"}".parse::<Value>().unwrap());
/// ```
#[derive(Clone)]
pub struct EventOps<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(OpsRef<'a>),
    Owned(Arc<Ops>),
}

impl<'a> EventOps<'a> {
    /// The ops, as a borrowed view.
    pub fn as_ops_ref(&self) -> OpsRef<'_> {
        match &self.0 {
            Repr::Borrowed(r) => *r,
            Repr::Owned(ops) => Ops::as_ref(ops),
        }
    }

    /// The ops, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.as_ops_ref().iter()
    }

    /// How many ops there are.
    pub fn len(&self) -> usize {
        self.as_ops_ref().len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy, independent of the buffer it borrowed.
    ///
    /// Cost: a copy of the ops (their keys are shared, not copied), unless
    /// it already owns them.
    pub fn into_owned(self) -> EventOps<'static> {
        match self.0 {
            Repr::Borrowed(r) => EventOps(Repr::Owned(Arc::new(r.to_ops()))),
            Repr::Owned(ops) => EventOps(Repr::Owned(ops)),
        }
    }
}

impl<'a> From<OpsRef<'a>> for EventOps<'a> {
    fn from(ops: OpsRef<'a>) -> Self {
        EventOps(Repr::Borrowed(ops))
    }
}

impl From<Ops> for EventOps<'static> {
    fn from(ops: Ops) -> Self {
        EventOps(Repr::Owned(Arc::new(ops)))
    }
}

impl<'a, 'b> IntoIterator for &'b EventOps<'a> {
    type Item = Op<'b>;
    type IntoIter = Iter<'b>;
    fn into_iter(self) -> Iter<'b> {
        self.iter()
    }
}

impl fmt::Debug for EventOps<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ops_ref().fmt(f)
    }
}

/// Equal when they hold the same ops, however stored.
impl PartialEq for EventOps<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_ops_ref() == other.as_ops_ref()
    }
}

impl Eq for EventOps<'_> {}

impl Serialize for EventOps<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_ops_ref().serialize(serializer)
    }
}
