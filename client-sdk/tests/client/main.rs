//! Integration tests of the SDK against the real `rocqet` server, started
//! in-process on a loopback port over a throw-away SQLite database.

#![allow(clippy::unwrap_used)] // tests fail by panicking

mod live;
mod presence;
mod reconnect;
mod rest;
mod status;
mod support;
mod typed;
