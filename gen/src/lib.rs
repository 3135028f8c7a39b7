//! The `spikegate` command line's commands, as a library so that tests can
//! reach them. (The hardware generator joins this crate in a later stage.)

#![warn(missing_docs)]

pub mod commands;
pub mod output;
