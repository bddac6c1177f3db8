//! Box-stream encryptor and decryptor over caller buffers. Filled by the box-stream issue.
#![no_std]
