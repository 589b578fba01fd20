//! Integration tests of the `rocqet` server: the real router over real sockets,
//! against SQLite and PostgreSQL, one database per test.

#![allow(clippy::unwrap_used)] // tests fail by panicking

mod bad_input;
mod durability;
mod live;
mod rest;
mod store;
mod support;
