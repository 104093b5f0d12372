//! Operations (DESIGN §13): the Prometheus metrics endpoint and the admin
//! web page, each on a listener of its own, both off unless `zone.ron`
//! names an address (`metrics_listen`, `admin_listen`).
//!
//! Both are served by one small HTTP/1.1 loop (`serve_http`) that bounds
//! what a client can make it spend, within `zone.ron`'s `http` limits
//! ([`config::HttpLimits`]): so many connections at once per listener
//! (past it a connection is closed at once, unanswered), one request per
//! connection, a time to send the request's head and a time for the whole
//! exchange; the admin page also caps a request body and its sessions (see
//! [`admin`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use config::HttpLimits;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;
use tracing::{debug, warn};

use crate::throttle::PreLogin;
use crate::zone::Zone;

pub mod admin;
pub mod metrics;

/// The router of the metrics listener: `GET /metrics`.
pub(crate) fn metrics_router(zone: Arc<Zone>, pre_login: Arc<PreLogin>) -> Router {
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::get;
    let scrape = move || {
        let (zone, pre_login) = (zone.clone(), pre_login.clone());
        async move { ([(CONTENT_TYPE, metrics::CONTENT_TYPE)], metrics::render(&zone, pre_login.held())) }
    };
    Router::new().route("/metrics", get(scrape))
}

/// Serves `router` on `listener` until `stop`, within the bounds in the
/// module doc. Each request carries its peer as [`ConnectInfo`].
pub(crate) async fn serve_http(
    what: &'static str,
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    stop: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.connections_per_listener));
    let tasks = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    warn!("{what}: accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            debug!(%peer, "{what}: {} connections open already; closed", limits.connections_per_listener);
            continue;
        };
        let (router, stop) = (router.clone(), stop.clone());
        let times = (limits.header_timeout, limits.connection_time);
        tasks.spawn(async move {
            serve_connection(stream, peer, router, times, stop).await;
            drop(permit);
        });
    }
    tasks.close();
    tasks.wait().await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    (header_timeout, connection_time): (Duration, Duration),
    stop: CancellationToken,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(false);
    let connection = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = &mut connection => {}
        () = tokio::time::sleep(connection_time) => {}
        () = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), connection).await;
        }
    }
}
