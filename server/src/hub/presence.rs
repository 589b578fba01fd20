//! Awareness bookkeeping for a room: who owns which awareness client ids,
//! removal on disconnect, and expiry of states nobody renewed.

use std::sync::Arc;

use serde_json::{Map, Value};
use yrs::block::ClientID;
use yrs::sync::{Awareness, AwarenessUpdate};

use crate::clock::Millis;
use crate::ids::UserId;

/// y-protocols' `outdatedTimeout`: clients renew every 15 s, so 30 s of silence means gone.
/// yrs keeps the timestamps but does not expire states by itself.
pub const STALE_AFTER_MS: Millis = 30_000;

/// The awareness client ids a connection has announced with a non-null state.
pub fn claimed_clients(update: &AwarenessUpdate) -> impl Iterator<Item = ClientID> + '_ {
    update
        .clients
        .iter()
        .filter(|(_, entry)| &*entry.json != "null")
        .map(|(id, _)| *id)
}

/// Overwrites `user.id` and `user.name` in every non-null state of the update with
/// the authenticated user, so nobody can appear as someone else. Other `user`
/// fields a client sets (its colour) are kept; a state that is not a JSON object
/// becomes `{"user": ...}`.
pub fn stamp(update: &mut AwarenessUpdate, user: UserId, name: &str) {
    for entry in update.clients.values_mut() {
        if &*entry.json == "null" {
            continue;
        }
        let mut state = match serde_json::from_str::<Value>(&entry.json) {
            Ok(Value::Object(state)) => state,
            _ => Map::new(),
        };
        let mut stamped = match state.remove("user") {
            Some(Value::Object(claimed)) => claimed,
            _ => Map::new(),
        };
        stamped.insert("id".to_owned(), Value::String(user.to_string()));
        stamped.insert("name".to_owned(), Value::String(name.to_owned()));
        state.insert("user".to_owned(), Value::Object(stamped));
        entry.json = Arc::from(Value::Object(state).to_string());
    }
}

/// Every live awareness state that carries a stamped `user.id` and `user.name`:
/// (client, user, name, state).
pub fn stamped_states(
    awareness: &Awareness,
) -> impl Iterator<Item = (ClientID, UserId, String, Value)> + '_ {
    awareness.iter().filter_map(|(client, state)| {
        let state: Value = serde_json::from_str(state.data.as_deref()?).ok()?;
        let user = state.get("user")?;
        let id = UserId(uuid::Uuid::parse_str(user.get("id")?.as_str()?).ok()?);
        let name = user.get("name")?.as_str()?.to_owned();
        Some((client, id, name, state))
    })
}

/// Whether `client` has a live state stamped with a user other than `user`: a
/// client of someone else (on another node), whose id nobody else may take over.
/// The same user may (a client reconnecting to another node keeps its id).
pub fn held_by_another_user(awareness: &Awareness, client: ClientID, user: UserId) -> bool {
    state_of(awareness, client)
        .and_then(|state| {
            state
                .get("user")?
                .get("id")?
                .as_str()
                .map(|id| id != user.to_string())
        })
        .unwrap_or(false)
}

/// The JSON state of an awareness client, if it has one.
pub fn state_of(awareness: &Awareness, client: ClientID) -> Option<Value> {
    awareness
        .iter()
        .find(|(id, _)| *id == client)
        .and_then(|(_, state)| {
            state
                .data
                .as_deref()
                .map(|json| serde_json::from_str(json).ok())
        })
        .flatten()
}

/// Removes the given clients' states and returns the update announcing it, if any was live.
pub fn remove_clients(awareness: &mut Awareness, clients: &[ClientID]) -> Option<AwarenessUpdate> {
    let live: Vec<ClientID> = clients
        .iter()
        .copied()
        .filter(|id| {
            awareness
                .iter()
                .any(|(c, state)| c == *id && state.data.is_some())
        })
        .collect();
    if live.is_empty() {
        return None;
    }
    for id in &live {
        awareness.remove_state(*id);
    }
    awareness.update_with_clients(live).ok()
}

/// Drops states not renewed within [`STALE_AFTER_MS`] and returns the announcing update.
pub fn expire_stale(awareness: &mut Awareness, now: Millis) -> Option<AwarenessUpdate> {
    let stale: Vec<ClientID> = awareness
        .iter()
        .filter(|(_, state)| {
            state.data.is_some() && now.saturating_sub(state.last_updated) >= STALE_AFTER_MS
        })
        .map(|(id, _)| id)
        .collect();
    remove_clients(awareness, &stale)
}

/// The full awareness state, for a joining or querying client; `None` when nobody has one.
pub fn full_state(awareness: &Awareness) -> Option<AwarenessUpdate> {
    let update = awareness.update().ok()?;
    (!update.clients.is_empty()).then_some(update)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use yrs::sync::awareness::AwarenessUpdateEntry;

    use super::*;

    fn update(client: u64, clock: u32, json: &str) -> AwarenessUpdate {
        let mut clients = std::collections::HashMap::new();
        clients.insert(
            ClientID::new(client),
            AwarenessUpdateEntry {
                clock,
                json: json.into(),
            },
        );
        AwarenessUpdate { clients }
    }

    fn awareness_at(now: Arc<AtomicU64>) -> Awareness {
        Awareness::with_clock(yrs::Doc::new(), move || now.load(Ordering::SeqCst))
    }

    #[test]
    fn a_client_id_is_held_by_the_user_its_state_is_stamped_with() {
        let awareness = awareness_at(Arc::new(AtomicU64::new(1_000)));
        let (alice, bob) = (UserId(uuid::Uuid::new_v4()), UserId(uuid::Uuid::new_v4()));
        let mut claimed = update(7, 1, r#"{"cursor":1}"#);
        stamp(&mut claimed, alice, "Alice");
        let mut awareness = awareness;
        awareness
            .apply_update(claimed)
            .expect("test input is valid");
        assert!(held_by_another_user(&awareness, ClientID::new(7), bob));
        assert!(!held_by_another_user(&awareness, ClientID::new(7), alice));
        assert!(
            !held_by_another_user(&awareness, ClientID::new(8), bob),
            "no state"
        );
    }

    #[test]
    fn expires_only_states_older_than_thirty_seconds() {
        let now = Arc::new(AtomicU64::new(1_000));
        let mut awareness = awareness_at(now.clone());
        awareness
            .apply_update(update(1, 1, r#"{"a":1}"#))
            .expect("test input is valid");
        now.store(20_000, Ordering::SeqCst);
        awareness
            .apply_update(update(2, 1, r#"{"b":1}"#))
            .expect("test input is valid");
        now.store(31_000, Ordering::SeqCst);
        let removed = expire_stale(&mut awareness, 31_000).expect("test input is valid");
        assert_eq!(removed.clients.len(), 1);
        assert!(removed.clients.contains_key(&ClientID::new(1)));
        assert!(
            full_state(&awareness)
                .expect("test state exists")
                .clients
                .contains_key(&ClientID::new(2))
        );
    }

    #[test]
    fn removal_announces_null_with_a_newer_clock() {
        let now = Arc::new(AtomicU64::new(0));
        let mut awareness = awareness_at(now);
        awareness
            .apply_update(update(7, 3, r#"{"x":1}"#))
            .expect("test input is valid");
        let removed =
            remove_clients(&mut awareness, &[ClientID::new(7)]).expect("test input is valid");
        let entry = &removed.clients[&ClientID::new(7)];
        assert_eq!(&*entry.json, "null");
        assert_eq!(entry.clock, 4);
        assert!(remove_clients(&mut awareness, &[ClientID::new(7)]).is_none());
        assert!(full_state(&awareness).is_none());
    }

    #[test]
    fn stamping_overrides_the_claimed_user_and_keeps_the_rest() {
        let user = UserId::new();
        let mut u = update(
            1,
            1,
            r##"{"user":{"name":"CEO","id":"x","color":"#f00"},"cursor":3}"##,
        );
        stamp(&mut u, user, "Ada");
        let state: Value = serde_json::from_str(&u.clients[&ClientID::new(1)].json).unwrap();
        assert_eq!(
            state,
            serde_json::json!({"user": {"id": user.to_string(), "name": "Ada", "color": "#f00"}, "cursor": 3})
        );
        let mut odd = update(2, 1, "42");
        stamp(&mut odd, user, "Ada");
        let state: Value = serde_json::from_str(&odd.clients[&ClientID::new(2)].json).unwrap();
        assert_eq!(state["user"]["name"], "Ada");
        let mut gone = update(3, 2, "null");
        stamp(&mut gone, user, "Ada");
        assert_eq!(&*gone.clients[&ClientID::new(3)].json, "null");
    }

    #[test]
    fn null_entries_are_not_claimed() {
        let u = update(9, 1, "null");
        assert_eq!(claimed_clients(&u).count(), 0);
    }
}
