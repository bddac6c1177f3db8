//! Multiserver addresses (docs/PROTOCOL.md §7.2), e.g. `net:one.butt.nz:8008~shs:VJM7w1W1…=`.
//!
//! The grammar is `multiserver-address`'s: addresses joined by `;`, each a transport and
//! its transforms joined by `~`, each a name (`[a-z][a-z0-9-]+`) followed by `:`-separated
//! data whose characters are `0x22..=0x39` and `0x3c..=0x7d`, or `!` escaping one of
//! `! : ; ~`. [`Multiaddress`] holds that generic form; [`NetShs`] is the typed view of the
//! common `net:HOST:PORT~shs:KEY[:SEED]` address.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::base64::{self, Base64Error};
use crate::keys::PublicKey;

/// Longest address text we parse.
pub const MAX_ADDRESS_LEN: usize = 16 * 1024;

/// One protocol of an address: a name and its data fields (escapes resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    /// The protocol name (`net`, `shs`, `ws`, `onion`, ...).
    pub name: String,
    /// The `:`-separated data fields, unescaped.
    pub data: Vec<String>,
}

/// One address: a transport followed by its transforms (`net:…~shs:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The protocols in order; never empty.
    pub protocols: Vec<Protocol>,
}

/// A list of alternative addresses joined by `;`; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multiaddress {
    /// The addresses in order.
    pub addresses: Vec<Address>,
}

/// The host of a `net` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A dotted IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written unbracketed in multiserver addresses).
    Ipv6(Ipv6Addr),
    /// A host name (an empty host means `localhost`, as in JS).
    Name(String),
}

/// The typed view of `net:HOST:PORT~shs:KEY[:SEED]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetShs {
    /// Where to connect.
    pub host: Host,
    /// TCP port.
    pub port: u16,
    /// The peer's long-term public key (what the client must know to dial).
    pub key: PublicKey,
    /// An Ed25519 seed to use as our own long-term key (pub invites).
    pub seed: Option<InviteSeed>,
}

/// The secret Ed25519 seed in an invite address (`…~shs:KEY:SEED`): whoever holds it can act
/// as the invited identity. Zeroized on drop, compared in constant time, never printed by
/// `Debug` (the [`NetShs::to_address`] form does contain it).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InviteSeed(pub [u8; 32]);

impl InviteSeed {
    /// The seed bytes (secret).
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for InviteSeed {
    /// Constant time in the seed bytes.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for InviteSeed {}

impl fmt::Debug for InviteSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteSeed(..)")
    }
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Longer than [`MAX_ADDRESS_LEN`].
    #[error("address is longer than {MAX_ADDRESS_LEN} bytes")]
    TooLong,
    /// The text does not follow the multiserver grammar.
    #[error("invalid multiserver address at offset {offset}: {reason}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What was expected.
        reason: &'static str,
    },
    /// Not a `net` transport followed by an `shs` transform.
    #[error("not a net:HOST:PORT~shs:KEY address")]
    NotNetShs,
    /// The `net` protocol has no port or a port that is not a number 0..=65535.
    #[error("invalid port {0:?}")]
    InvalidPort(String),
    /// The `shs` key or seed is not canonical base64 of 32 bytes.
    #[error("invalid shs {field}: {error}")]
    Key {
        /// `key` or `seed`.
        field: &'static str,
        /// The base64 rule that failed.
        error: Base64Error,
    },
}

impl AddressError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "address_too_long",
            Self::Syntax { .. } => "address_syntax",
            Self::NotNetShs => "address_not_net_shs",
            Self::InvalidPort(_) => "address_invalid_port",
            Self::Key { .. } => "address_invalid_key",
        }
    }
}

fn is_data_char(b: u8) -> bool {
    (0x22..=0x39).contains(&b) || (0x3c..=0x7d).contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn err(&self, reason: &'static str) -> AddressError {
        AddressError::Syntax {
            offset: self.pos,
            reason,
        }
    }
    /// Moves past `n` bytes (never beyond the input: `pos` only moves over peeked bytes).
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.s.len());
    }
    fn name(&mut self) -> Result<String, AddressError> {
        let start = self.pos;
        match self.peek() {
            Some(b'a'..=b'z') => self.advance(1),
            _ => return Err(self.err("expected a protocol name starting with a-z")),
        }
        while let Some(b'a'..=b'z' | b'0'..=b'9' | b'-') = self.peek() {
            self.advance(1);
        }
        if self.pos.saturating_sub(start) < 2 {
            return Err(self.err("protocol names have at least two characters"));
        }
        let name = self.s.get(start..self.pos).unwrap_or_default();
        Ok(String::from_utf8_lossy(name).into_owned())
    }
    fn data(&mut self) -> Result<String, AddressError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(b'!') => match self.s.get(self.pos.saturating_add(1)) {
                    Some(&e @ (b'!' | b'~' | b':' | b';')) => {
                        out.push(e);
                        self.advance(2);
                    }
                    _ => {
                        self.advance(1);
                        return Err(self.err("`!` escapes only `!`, `~`, `:` or `;`"));
                    }
                },
                Some(b) if is_data_char(b) => {
                    out.push(b);
                    self.advance(1);
                }
                _ => break,
            }
        }
        // Data characters are all ASCII.
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
    fn protocol(&mut self) -> Result<Protocol, AddressError> {
        let name = self.name()?;
        let mut data = Vec::new();
        while self.peek() == Some(b':') {
            self.advance(1);
            data.push(self.data()?);
        }
        Ok(Protocol { name, data })
    }
    fn address(&mut self) -> Result<Address, AddressError> {
        let mut protocols = alloc::vec![self.protocol()?];
        while self.peek() == Some(b'~') {
            self.advance(1);
            protocols.push(self.protocol()?);
        }
        Ok(Address { protocols })
    }
}

impl FromStr for Multiaddress {
    type Err = AddressError;
    fn from_str(text: &str) -> Result<Self, AddressError> {
        if text.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong);
        }
        let mut p = Parser {
            s: text.as_bytes(),
            pos: 0,
        };
        let mut addresses = alloc::vec![p.address()?];
        while p.peek() == Some(b';') {
            p.advance(1);
            addresses.push(p.address()?);
        }
        if p.pos != text.len() {
            return Err(p.err("unexpected character"));
        }
        Ok(Multiaddress { addresses })
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, data: &str) -> fmt::Result {
    for c in data.chars() {
        if matches!(c, '!' | '~' | ':' | ';') {
            f.write_str("!")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.protocols.iter().enumerate() {
            if i > 0 {
                f.write_str("~")?;
            }
            f.write_str(&p.name)?;
            for d in &p.data {
                f.write_str(":")?;
                write_escaped(f, d)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Multiaddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.addresses.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl Host {
    /// Reads a `net` host: IPv4, unbracketed IPv6, or a name (empty means `localhost`).
    pub fn parse(text: &str) -> Host {
        if let Ok(ip) = text.parse::<Ipv4Addr>() {
            Host::Ipv4(ip)
        } else if let Ok(ip) = text.parse::<Ipv6Addr>() {
            Host::Ipv6(ip)
        } else if text.is_empty() {
            Host::Name("localhost".into())
        } else {
            Host::Name(text.into())
        }
    }
}

impl fmt::Display for Host {
    /// The multiserver spelling (IPv6 unbracketed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ipv4(ip) => write!(f, "{ip}"),
            Host::Ipv6(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

impl Address {
    /// The typed view of a `net:HOST:PORT~shs:KEY[:SEED]` address.
    pub fn net_shs(&self) -> Result<NetShs, AddressError> {
        let [net, shs] = self.protocols.as_slice() else {
            return Err(AddressError::NotNetShs);
        };
        if net.name != "net" || shs.name != "shs" {
            return Err(AddressError::NotNetShs);
        }
        // The last field is the port; the ones before it are the host joined with `:`.
        let (port, host) = net
            .data
            .split_last()
            .ok_or_else(|| AddressError::InvalidPort(String::new()))?;
        if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AddressError::InvalidPort(port.clone()));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| AddressError::InvalidPort(port.clone()))?;
        let host = Host::parse(&host.join(":"));
        let (key, seed) = match shs.data.as_slice() {
            [key] => (key, None),
            [key, seed] => (key, Some(seed)),
            _ => return Err(AddressError::NotNetShs),
        };
        let key = base64::decode_array::<32>(key).map_err(|error| AddressError::Key {
            field: "key",
            error,
        })?;
        let seed = seed
            .map(|s| base64::decode_array::<32>(s).map(InviteSeed))
            .transpose()
            .map_err(|error| AddressError::Key {
                field: "seed",
                error,
            })?;
        Ok(NetShs {
            host,
            port,
            key: PublicKey(key),
            seed,
        })
    }
}

impl NetShs {
    /// The address in multiserver form.
    pub fn to_address(&self) -> Address {
        let mut shs = alloc::vec![base64::encode(self.key.as_bytes())];
        if let Some(seed) = &self.seed {
            shs.push(base64::encode(seed.as_bytes()));
        }
        let host = alloc::format!("{}", self.host);
        let mut net: Vec<String> = host.split(':').map(String::from).collect();
        net.push(alloc::format!("{}", self.port));
        Address {
            protocols: alloc::vec![
                Protocol {
                    name: "net".into(),
                    data: net
                },
                Protocol {
                    name: "shs".into(),
                    data: shs
                },
            ],
        }
    }
}

impl fmt::Display for NetShs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_address())
    }
}
