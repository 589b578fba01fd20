//! [`Status`]: where a live document stands with the server, as an editor
//! would show it ("connecting…", "saved", "offline").

use std::fmt;

/// Where a live document stands with the server.
///
/// Read it with [`LiveDoc::status`](crate::LiveDoc::status), follow the latest
/// value with [`LiveDoc::watch_status`](crate::LiveDoc::watch_status), or get
/// every transition in order from
/// [`LiveDoc::status_events`](crate::LiveDoc::status_events).
///
/// ```
/// use rocqet_client::Status;
///
/// let label = |status: Status| match status {
///     Status::Connecting => "connecting…",
///     Status::Synced => "unsaved changes",
///     Status::Saved => "saved",
///     Status::Offline => "offline: edits are kept and sent on reconnect",
///     Status::Closed => "closed",
/// };
/// assert_eq!(label(Status::Saved), "saved");
/// assert!(Status::Saved.is_synced());
/// assert!(!Status::Offline.is_synced());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// Dialing, or connected and waiting for the server's state.
    #[default]
    Connecting,
    /// The server's state is applied. Local edits may still await their
    /// save ack (or acks are off, so saves cannot be told).
    Synced,
    /// Synced, and the server has durably stored every local edit sent on
    /// this connection (needs [`ConnectOptions::ack`](crate::ConnectOptions::ack)).
    Saved,
    /// The socket was lost and a reconnect is pending; local edits stay in
    /// the document and are sent by the sync handshake of the next connection.
    Offline,
    /// The connection ended for good: closed by this client, refused with a
    /// terminal close code, or the reconnect gave up. See
    /// [`LiveDoc::closed`](crate::LiveDoc::closed) for the code.
    Closed,
}

impl Status {
    /// True for [`Synced`](Status::Synced) and [`Saved`](Status::Saved).
    pub fn is_synced(self) -> bool {
        matches!(self, Status::Synced | Status::Saved)
    }

    /// The lowercase name: `connecting`, `synced`, `saved`, `offline`, `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Synced => "synced",
            Status::Saved => "saved",
            Status::Offline => "offline",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which stage of its life the current connection is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Phase {
    /// Dialing (the first dial happens before a `LiveDoc` exists).
    #[default]
    Connecting,
    /// The socket is open.
    Open,
    /// The socket was lost; a reconnect is scheduled.
    Offline,
}

/// The parts of the connection state the status is derived from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs {
    pub phase: Phase,
    pub closed: bool,
    pub synced: bool,
    pub ack: bool,
    pub sent: u64,
    pub acked: u64,
    pub rejected: u64,
}

/// The status for `inputs`: the one place the rules live.
pub(crate) fn derive(inputs: Inputs) -> Status {
    if inputs.closed {
        return Status::Closed;
    }
    match inputs.phase {
        Phase::Connecting => Status::Connecting,
        Phase::Offline => Status::Offline,
        Phase::Open if !inputs.synced => Status::Connecting,
        Phase::Open if inputs.ack && inputs.acked >= inputs.sent && inputs.rejected == 0 => {
            Status::Saved
        }
        Phase::Open => Status::Synced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(synced: bool, ack: bool, sent: u64, acked: u64) -> Inputs {
        Inputs {
            phase: Phase::Open,
            closed: false,
            synced,
            ack,
            sent,
            acked,
            rejected: 0,
        }
    }

    #[test]
    fn open_connection_moves_from_connecting_to_synced_to_saved() {
        assert_eq!(derive(open(false, true, 0, 0)), Status::Connecting);
        assert_eq!(derive(open(true, true, 2, 1)), Status::Synced);
        assert_eq!(derive(open(true, true, 2, 2)), Status::Saved);
    }

    #[test]
    fn without_acks_synced_is_as_far_as_it_goes() {
        assert_eq!(derive(open(true, false, 0, 0)), Status::Synced);
    }

    #[test]
    fn a_negative_ack_is_never_saved() {
        let mut inputs = open(true, true, 1, 1);
        inputs.rejected = 1;
        assert_eq!(derive(inputs), Status::Synced);
    }

    #[test]
    fn closed_wins_over_everything_and_offline_over_sync() {
        let mut inputs = open(true, true, 0, 0);
        inputs.phase = Phase::Offline;
        assert_eq!(derive(inputs), Status::Offline);
        inputs.closed = true;
        assert_eq!(derive(inputs), Status::Closed);
    }
}
