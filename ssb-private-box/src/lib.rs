//! private-box: encrypt to and open boxes for up to 7 recipients. Filled by the private-box issue.
#![no_std]
