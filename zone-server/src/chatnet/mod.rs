//! ChatNet, the "simple chat protocol" 1.6 of Subspace zones (DESIGN §6): ASCII
//! lines over TCP, fields split on `:`, the last field free to contain `:`.
//!
//! [`codec`] frames bytes into lines; [`message`] parses client lines and
//! encodes server lines.

pub mod codec;
pub mod message;

pub use codec::{Found, Frame, LineCodec};
pub use message::{ClientMessage, ParseError, ServerLine};
