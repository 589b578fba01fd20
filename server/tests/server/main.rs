//! Integration tests of the `rocqet` server: the real router over real sockets,
//! against SQLite and PostgreSQL, one database per test.

#![allow(clippy::unwrap_used)] // tests fail by panicking

mod accounts;
mod accounts_store;
mod bad_input;
mod cluster;
mod contract;
mod durability;
mod live;
mod rest;
mod roles;
mod socket_access;
mod store;
mod support;
mod versions;
