//! The load generator drives a ChatNet server that is not zone-server: one
//! that answers `LOGIN` and `GO` as the protocol promises (`LOGINOK`,
//! `INARENA`) but says other things besides, never echoes a private message
//! to its sender (as ASSS does not), and drops some replies. The run ends on
//! time, counts the lost replies, and skips lines that are not replies.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A ChatNet server of another dialect on 127.0.0.1: every 10th command gets
/// no answer, every 7th answer comes after a line that is not one.
fn serve(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        std::thread::spawn(move || {
            let _ = talk(stream);
        });
    }
}

fn talk(stream: TcpStream) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut commands = 0u64;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("LOGIN:") {
            let name = rest.split(':').nth(1).unwrap_or("someone");
            write!(out, "LOGINOK:{name}\r\nMSG:ARENA:This server speaks another dialect.\r\n")?;
        } else if let Some(realm) = line.strip_prefix("GO:") {
            write!(out, "MSG:ARENA:Entering...\r\nINARENA:{realm}:8025\r\nPLAYER:somebody:8:8025\r\n")?;
        } else if line.starts_with("SEND:CMD:") {
            commands += 1;
            if commands.is_multiple_of(10) {
                continue;
            }
            if commands.is_multiple_of(7) {
                write!(out, "MSG:PUB:somebody:hello\r\n")?;
            }
            write!(out, "MSG:ARENA:up\r\n")?;
        }
        // SEND:PRIV to oneself and anything else: no answer.
    }
    Ok(())
}

#[test]
fn a_server_of_another_dialect_that_loses_replies_is_measured_not_waited_for() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || serve(listener));

    let mut child = Command::new(env!("CARGO_BIN_EXE_zone-loadgen"))
        .args(["--mode", "chatnet", "--addr", &addr.to_string(), "-n", "4", "-d", "2"])
        .args(["--reply-timeout", "200", "--settle", "100", "--expect", "MSG:ARENA:up"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two seconds of load, plus logins and at most a lost reply's wait: a
    // run still going after a minute hangs, as the generator once did on a
    // server that does not echo private messages.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the load generator hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}\n{}", String::from_utf8_lossy(&output.stderr));
    let number = |prefix: &str| -> u64 {
        let line = report.lines().find(|line| line.starts_with(prefix)).unwrap_or_else(|| panic!("{report}"));
        line[prefix.len()..].split_whitespace().next().unwrap().parse().unwrap()
    };
    let requests = number("requests: ");
    let lost = number("lost replies: ");
    let unsolicited = number("unsolicited lines: ");
    assert!(requests > 0, "{report}");
    // Every 10th command of each connection goes unanswered.
    assert!(lost > 0 && lost <= requests / 5 + 4, "{report}");
    assert!(unsolicited > 0, "{report}");
    assert!(report.lines().last().unwrap().starts_with("result throughput "), "{report}");
    eprintln!("{report}");
}
