//! One connection from accept to close (DESIGN §2). Here, the socket: framing
//! input, answering it in the same turn, draining the outbound queue to the
//! socket, the login deadline, the goodbye line and a lingering
//! close. The session's time and logout are written by the zone
//! ([`Zone::write_sessions`]), so a closed connection waits for no store.
//! The login handshake is in `session`; routing each message to chat or
//! dispatch, the reply sink and flood control in `router`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use cmdman::{Addressee, Player, PlayerId, Recipient, ReplySink, Request, Via};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::sleep;
use tracing::{info, warn};

use crate::chatnet::message::encode_event;
use crate::chatnet::message::parse;
use crate::chatnet::{ClientMessage, Frame, LineCodec, ServerLine};
use crate::network::NetworkEvent;
use crate::outbox::{Disconnect, Outbox, Signal};
use crate::password::PasswordError;
use crate::sanction::{Kind as SanctionKind, Sanction};
use crate::throttle::{Attempt, Kind, PreLoginSlot};
use crate::zone::{Arrival, ChatError, MAX_FREQ, Zone};

/// How long the last lines (a shutdown notice, a kick reason) may take to
/// write: a slow reader who reads again within it still learns why.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long, after the last line, input is read and dropped before the socket
/// closes, so the close is not a reset that makes the client discard it.
const LINGER: Duration = Duration::from_secs(2);
/// Input read and dropped while lingering, at most.
const LINGER_BYTES: usize = 64 * 1024;
/// Lines written to the socket in one batch at most.
const WRITE_BATCH: usize = 64;

/// The logged-in part of a session.
struct Session {
    id: PlayerId,
    name: Arc<str>,
    start: Instant,
    /// Logged in with a one-time password: until the zone says it is
    /// changed, nothing but `?passwd` works. Only a login sets it.
    password_reset: bool,
}

/// What the read loop does next.
enum Next {
    Continue,
    /// Send this line (if any) and close, logging the reason.
    Close(Option<bytes::Bytes>, String),
}

/// Output bytes past which the connection takes no more from its queue
/// until the socket has taken them: the queue's bound then applies.
const OUT_HIGH: usize = 16 * 1024;
/// The room a connection's input buffer starts with: most reads are one
/// short line. It grows (doubling) to hold a longer line: at most about
/// twice `limits.line_length`, as what waits for its end is never more
/// than that ([`LineCodec::next`]).
const INPUT_CAPACITY: usize = 512;
/// An empty output buffer keeps at most this much room for the next reply.
const OUT_KEPT: usize = 1024;

/// Serves one connection until the peer leaves, it is kicked, or the zone
/// shuts down (`outbox` is closed). `slot` is its place in the pre-login
/// budget, given back at login. Every close is logged at info level with
/// its reason, and the client is told it when the socket can still take a
/// line. Never panics on input.
///
/// A request is read, handled and answered in one turn: its replies (put
/// straight in the output, or queued behind what was there and taken) are
/// written at once (one `write` for a whole read of pipelined lines), not
/// after a wake-up of their own.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    slot: PreLoginSlot,
    zone: Arc<Zone>,
    outbox: Outbox,
) {
    let _ = stream.set_nodelay(true);
    let limits = &zone.config().limits;
    let (mut read, mut write) = stream.into_split();
    // The input as read; lines are handled where they lie in it.
    let mut input = BytesMut::with_capacity(INPUT_CAPACITY);
    let mut lines = LineCodec::new(limits.line_length);
    let mut conn = Connection {
        zone: zone.clone(),
        outbox: outbox.clone(),
        peer,
        slot: Some(slot),
        session: None,
        flood: Flood::new(limits.lines_per_second, limits.flood_disconnect_secs),
    };

    // Boxed, and dropped at login: a logged-in connection keeps no timer
    // for it.
    let mut login_deadline = Some(Box::pin(sleep(limits.login_timeout)));
    // Keepalives come through the outbox (`Connections::keepalive`): no
    // timer of its own, none polled on every turn.
    let mut out = BytesMut::new();

    // A slow reader is also reported to staff, once the session is gone.
    let mut slow_reader = false;
    let (farewell, reason): (Option<bytes::Bytes>, String) = loop {
        tokio::select! {
            biased;
            // Items only while the output has room: past it, the queue's
            // bound applies, and a close still gets through.
            signal = outbox.signalled(out.len() < OUT_HIGH) => match signal {
                Signal::Items => {
                    outbox.take_into(&mut out, WRITE_BATCH, encode_event);
                }
                Signal::Close(reason) => {
                    // Shutting down, the last lines still go out; kicked,
                    // what was queued is dropped (a slow reader is behind
                    // already): what was taken is finished, then the reason.
                    if reason != Disconnect::Shutdown {
                        outbox.discard();
                    }
                    slow_reader = reason == Disconnect::SlowReader;
                    zone.meters().disconnect(&reason);
                    break goodbye(&reason);
                }
            },
            // A reader that stops reading blocks this write: a kick (its
            // queue filled meanwhile) or shutdown must still get through, and
            // what is left of the output is finished before the farewell.
            written = write.write(&out), if !out.is_empty() => match written {
                Ok(0) | Err(_) => break (None, "write failed".to_owned()),
                Ok(n) => {
                    conn.outbox.traffic().wrote(n);
                    out.advance(n);
                    release(&mut out);
                }
            },
            // Room for a read (`read_buf` makes some when there is none).
            got = read.read_buf(&mut input) => {
                let eof = match got {
                    Err(error) => break (None, format!("read failed: {error}")),
                    Ok(n) => n == 0,
                };
                // Every line of the read, handled in order; a last line
                // without a terminator still counts when the client closes.
                // A kick, ban or shutdown is seen before each line, as the
                // select sees it before each read: the rest of the read is
                // not handled then.
                outbox.handling_input();
                let mut closed = None;
                let mut closing = false;
                while let Some(found) = if eof { lines.next_at_eof(&mut input) } else { lines.next(&mut input) } {
                    if outbox.closing() {
                        closing = true;
                        break;
                    }
                    if let Next::Close(line, reason) = conn.frame(found.frame(&input), &mut out).await {
                        closed = Some((line, reason));
                        break;
                    }
                }
                if let Some(closed) = closed {
                    break closed;
                }
                if closing {
                    // The select takes the close (it comes first).
                    continue;
                }
                if eof {
                    break (None, "closed by the client".to_owned());
                }
                if conn.session.is_some() {
                    login_deadline = None;
                }
                // The whole read handled: answer it now, in this turn; past
                // the output's bound nothing more is taken (the queue's
                // bound then applies), but taking none still ends the
                // handling of input.
                let room = if out.len() < OUT_HIGH { WRITE_BATCH } else { 0 };
                outbox.take_into(&mut out, room, encode_event);
                match write.try_write(&out) {
                    Ok(n) => {
                        conn.outbox.traffic().wrote(n);
                        out.advance(n);
                        release(&mut out);
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => break (None, "write failed".to_owned()),
                }
            },
            () = until(&mut login_deadline), if login_deadline.is_some() => {
                break (Some(ServerLine::LoginBad("login timed out").encode()), "login timeout".to_owned());
            }
        }
    };

    let session = conn.session.take();
    match &session {
        Some(session) => {
            zone.leave(session.id);
            info!(%peer, name = %session.name, online = ?session.start.elapsed(), reason, "logged out");
            if slow_reader {
                zone.alert_staff(&format!("{} was disconnected for not reading fast enough.", session.name));
            }
        }
        None => {
            if let Some(left_out) = zone.connection_log().take() {
                info!(%peer, reason, left_out, "closed before login");
            }
        }
    }
    // Goodbye first: a slow store must not hold up the last line. Boxed:
    // its read buffer is needed only while closing, not by every open
    // connection's task.
    Box::pin(finish(&mut write, read, &outbox, out, farewell)).await;
    zone.fold_traffic(conn.outbox.traffic());
}

/// Waits for `deadline`, or forever without one.
async fn until(deadline: &mut Option<std::pin::Pin<Box<tokio::time::Sleep>>>) {
    match deadline {
        Some(deadline) => deadline.await,
        None => std::future::pending().await,
    }
}

/// Gives back the room of an empty output buffer past [`OUT_KEPT`]: after
/// a burst, an idle connection keeps little.
fn release(out: &mut BytesMut) {
    if out.is_empty() && out.capacity() > OUT_KEPT {
        *out = BytesMut::new();
    }
}

/// Writes the rest of the output, what is still queued and the farewell line
/// within [`FAREWELL_TIMEOUT`], closes the sending side, then reads and drops
/// input for up to [`LINGER`], so unread input does not turn the close into a
/// reset that makes the client's system discard the last lines.
async fn finish(
    write: &mut OwnedWriteHalf,
    mut read: OwnedReadHalf,
    outbox: &Outbox,
    mut rest: BytesMut,
    farewell: Option<bytes::Bytes>,
) {
    outbox.take_into(&mut rest, usize::MAX, encode_event);
    outbox.discard();
    if let Some(line) = farewell {
        rest.extend_from_slice(&line);
    }
    let sent = tokio::time::timeout(FAREWELL_TIMEOUT, async {
        write.write_all(&rest).await?;
        write.shutdown().await
    })
    .await;
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let _ = tokio::time::timeout(LINGER, drain(&mut read, LINGER_BYTES)).await;
}

/// The line a player disconnected for `reason` gets
/// (`MSG:ARENA:Disconnected: ….`) and the reason in the log.
fn goodbye(reason: &Disconnect) -> (Option<bytes::Bytes>, String) {
    let line = match reason {
        Disconnect::Shutdown => ServerLine::Arena("The zone is shutting down. Goodbye.").encode(),
        _ => ServerLine::Arena(&format!("Disconnected: {}.", reason.player_text())).encode(),
    };
    (Some(line), reason.log_text())
}

/// Reads and drops what the client still sends, up to `max_bytes` or its
/// close (or an error): the lingering half of a close, so the client reads
/// the last line instead of a reset. The caller bounds the time.
pub(crate) async fn drain(read: &mut (impl tokio::io::AsyncRead + Unpin), max_bytes: usize) {
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < max_bytes {
        match read.read(&mut sink).await {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

struct Connection {
    zone: Arc<Zone>,
    outbox: Outbox,
    peer: SocketAddr,
    /// The place in the pre-login budget, until login.
    slot: Option<PreLoginSlot>,
    session: Option<Session>,
    flood: Flood,
}

impl Connection {
    fn error(&self, text: &str) {
        self.outbox.notice(&format!("error: {text}"));
    }
}

mod router;
mod session;

use router::Flood;
