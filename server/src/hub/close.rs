//! WebSocket close codes of API.md, in one place.

/// A frame that is not a valid y-protocol message, or an update that cannot be applied.
pub const BAD_MESSAGE: u16 = 4400;
/// No token, or a bad or expired one.
pub const UNAUTHENTICATED: u16 = 4401;
/// Authenticated but not allowed on this document.
pub const FORBIDDEN: u16 = 4403;
/// No such document.
pub const NOT_FOUND: u16 = 4404;
/// The document was deleted while open.
pub const DELETED: u16 = 4410;
/// A frame or the document grew past its limit.
pub const TOO_LARGE: u16 = 4413;
/// Too many updates, awareness messages or connections.
pub const RATE_LIMITED: u16 = 4429;
/// The connection stopped reading and its outbound queue filled: reconnect and resync
/// (1013 "try again later", so standard clients reconnect by themselves).
pub const LAGGING: u16 = 1013;
/// The server is shutting down; every room was flushed first.
pub const SHUTTING_DOWN: u16 = 1001;
/// A server-side failure unrelated to this client's input.
pub const INTERNAL: u16 = 1011;
