//! Secret Handshake (SHS v1) client and server state machines. Filled by the ssb-handshake issue.
#![no_std]
