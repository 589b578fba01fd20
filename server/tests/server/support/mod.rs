//! Shared test fixtures.
#![allow(dead_code)]

pub mod accounts;
pub mod cluster;
pub mod db;
pub mod node;
pub mod process;
pub mod raw;
pub mod server;
