//! Presence: who else is in a live document, as the server vouches for them.
//!
//! Presence rides on y-protocols awareness: each client publishes one JSON
//! state (cursor, selection, colour) and the hub relays it to everyone in
//! the document, stamping `user: {id, name}` with the authenticated user so
//! nobody can appear as someone else.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ClientError, LiveDoc};

/// Another client in the same document.
///
/// ```
/// use rocqet_client::Peer;
/// use serde_json::json;
///
/// let state = json!({"user": {"id": "0190-…", "name": "Ada"}, "cursor": 12});
/// let peer = Peer::from_state(42, state);
/// assert_eq!(peer.user.as_ref().map(|u| u.name.as_str()), Some("Ada"));
/// assert_eq!(peer.state["cursor"], 12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// The peer's awareness (yrs client) id; one per connection.
    pub client_id: u64,
    /// Who the server authenticated that connection as, if it said.
    pub user: Option<PeerUser>,
    /// The peer's whole awareness state, `user` included.
    pub state: Value,
}

/// A user as the hub stamps them into presence.
///
/// ```
/// use rocqet_client::PeerUser;
///
/// let user: PeerUser = serde_json::from_str(r#"{"id":"u1","name":"Ada"}"#)?;
/// assert_eq!(user.name, "Ada");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerUser {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl Peer {
    /// A peer from its awareness id and state; `user` is read from the
    /// state's `user` object when it has a string `id` and `name`.
    pub fn from_state(client_id: u64, state: Value) -> Self {
        let user = state
            .get("user")
            .and_then(|u| serde_json::from_value(u.clone()).ok());
        Peer {
            client_id,
            user,
            state,
        }
    }
}

impl LiveDoc {
    /// Sets this client's presence state (what peers see as its state; the
    /// server adds `user`). The same as [`set_awareness`](Self::set_awareness).
    pub fn set_presence(&self, state: Value) -> Result<(), ClientError> {
        self.set_awareness(state)
    }

    /// This client's own presence state, as last set (`None` if unset or cleared).
    pub fn presence(&self) -> Option<Value> {
        let raw = self.shared().awareness().local_state_raw()?;
        serde_json::from_str(&raw).ok()
    }

    /// The other clients in the document, sorted by client id.
    pub fn peers(&self) -> Vec<Peer> {
        self.awareness_states()
            .into_iter()
            .map(|(id, state)| Peer::from_state(id, state))
            .collect()
    }

    /// Waits until `pred` holds for the other clients and returns them.
    pub async fn wait_peers(
        &self,
        mut pred: impl FnMut(&[Peer]) -> bool,
    ) -> Result<Vec<Peer>, ClientError> {
        let mut found = Vec::new();
        self.wait_awareness(|_| {
            let peers = self.peers();
            let done = pred(&peers);
            found = peers;
            done
        })
        .await?;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_state_without_a_stamped_user_has_no_user() {
        let peer = Peer::from_state(1, json!({"cursor": 3}));
        assert_eq!(peer.user, None);
        let odd = Peer::from_state(2, json!({"user": "Ada"}));
        assert_eq!(odd.user, None);
    }
}
