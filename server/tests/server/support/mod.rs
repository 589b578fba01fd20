//! Shared test fixtures.
#![allow(dead_code)]

pub mod accounts;
pub mod db;
pub mod node;
pub mod raw;
pub mod server;
