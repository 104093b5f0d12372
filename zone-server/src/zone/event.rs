//! What the zone tells players, as typed events. The zone never writes a
//! protocol line: a connection encodes each event in its protocol (ChatNet:
//! [`crate::chatnet::message::encode_event`]), so a second protocol, or a
//! test, needs no ChatNet.

use std::sync::Arc;

/// What kind of chat a [`Event::Chat`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// To the realm (ChatNet `MSG:PUB`).
    Public,
    /// To the realm, sent by a macro (`MSG:PUBM`).
    Macro,
    /// To a freq (`MSG:FREQ`).
    Team,
    /// To one player (`MSG:PRIV`).
    Private,
    /// Staff chat (`MSG:MOD`).
    Staff,
}

/// A player already in a realm, as [`Event::Present`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// The player.
    pub name: Arc<str>,
    /// Their ship (8: spectator).
    pub ship: u8,
    /// Their freq.
    pub freq: u16,
}

/// One thing the zone tells a player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// You entered `realm`, on `freq` (`INARENA`).
    Entered {
        /// The realm.
        realm: Arc<str>,
        /// Your freq there.
        freq: u16,
    },
    /// The players already in the realm you entered, in one item of your
    /// queue however many they are (a `PLAYER` line each).
    Present(Vec<Present>),
    /// A player entered your realm (`ENTERING`).
    Arrived {
        /// The player.
        name: Arc<str>,
        /// Their ship.
        ship: u8,
        /// Their freq.
        freq: u16,
    },
    /// A player left your realm (`LEAVING`).
    Left {
        /// The player.
        name: Arc<str>,
    },
    /// A player in your realm changed freq (`SHIPFREQCHANGE`).
    FreqChanged {
        /// The player.
        name: Arc<str>,
        /// Their ship.
        ship: u8,
        /// The new freq.
        freq: u16,
    },
    /// Chat from a player.
    Chat {
        /// Public, team, private, staff…
        kind: ChatKind,
        /// The sender.
        from: Arc<str>,
        /// What they said.
        text: Arc<str>,
    },
    /// A chat channel message (`MSG:CHAT`), numbered as you number the
    /// channel.
    Channel {
        /// Your number for the channel, from 1.
        number: usize,
        /// The sender.
        from: Arc<str>,
        /// What they said.
        text: Arc<str>,
    },
    /// A notice or a command's reply (`MSG:ARENA`).
    Notice(Arc<str>),
    /// An alert to staff (`MSG:SYSOP`).
    Alert(Arc<str>),
}
