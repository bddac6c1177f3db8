//! The packet-stream codec and the muxrpc endpoint state machine. Filled by the muxrpc issue.
#![no_std]
