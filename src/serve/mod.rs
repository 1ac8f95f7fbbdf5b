//! The HTTP server under the router: at most so many connections, a deadline for every request
//! head and for every idle keep-alive connection, and a shutdown that lets the requests in flight
//! finish for a bounded time.
//!
//! `axum::serve` has none of these, and hyper's own `header_read_timeout` cannot give two of them
//! at once: hyper 1.x starts that timer when a connection becomes ready for a request head (when
//! it opens, and again after every answer), so one duration would bound both a slow head and an
//! idle keep-alive connection. A load balancer wants the idle timeout long (longer than its own,
//! or it races a closing connection and answers 502) and a slow head cut short, so each connection
//! here keeps track of where it is (`activity`) and its task enforces the deadline that applies.
//! Its socket (`socket`) also puts hyper's bare answer to a head it could not parse into the
//! error envelope.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::http::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};
use activity::{Activity, Answer, Taken};
use socket::Watched;

mod activity;
mod socket;

/// The address of this machine that a client connected to, in each request's extensions (next
/// to the peer's, as `axum::extract::ConnectInfo<SocketAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddr(pub SocketAddr);

/// How long clients may take, how many may be connected, and how long a shutdown may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request head must arrive within this long: counted from its first byte, or for a new
    /// connection from its opening.
    pub header_read_timeout: Duration,
    /// A keep-alive connection with no request in progress is closed after this long.
    pub idle_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM, requests in flight get this long to finish before their connections are cut.
    pub shutdown_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `stop` resolves, then drains (see the module comment).
///
/// Past `max_connections` the loop stops accepting, so new connections wait in the kernel's
/// listen backlog until a slot frees, rather than being accepted and answered 503: an answer
/// written before the request is read is often lost to the connection reset that closing with
/// unread input causes, and reading the request first would spend the very resources the limit
/// protects. Waiting in the backlog costs nothing, and a slot frees within the header-read
/// timeout of any connection that is only holding it.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    stop: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (start_draining, draining) = watch::channel(());
    let mut connections = JoinSet::new();
    let http = Arc::new(http_builder());
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut stop => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(err).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let connection = Connection {
            stream,
            peer,
            router: router.clone(),
            http: http.clone(),
            limits,
            draining: draining.clone(),
        };
        connections.spawn(async move {
            connection.run().await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = start_draining.send(());
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_timeout, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "shutdown deadline reached; cutting the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// hyper's limits on a head: a little above Procura's, so that Procura's own checks, with their
/// precise messages, answer all but the grossest heads.
pub(super) const HYPER_MAX_HEADERS: usize = MAX_HEADERS + 28;
pub(super) const HYPER_MAX_HEAD: usize = MAX_URI_BYTES + MAX_HEADER_BYTES + 56 * 1024;

fn http_builder() -> http1::Builder {
    let mut http = http1::Builder::new();
    // Procura enforces its own limits on the head in `http::request_context`; hyper's, a little
    // higher, catch only what Procura never sees, and `socket` puts those answers in the
    // envelope too.
    http.max_headers(HYPER_MAX_HEADERS)
        .max_header_size(HYPER_MAX_HEAD)
        // The connection task enforces it (see the module comment); without a timer hyper
        // would silently drop its own default of 30 s anyway.
        .header_read_timeout(None);
    http
}

/// An error accepting a connection: a client that gave up before it was accepted is nothing to
/// worry about; anything else (out of file descriptors) is logged and waited out.
async fn accept_failed(err: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    http: Arc<http1::Builder>,
    limits: ServerLimits,
    draining: watch::Receiver<()>,
}

enum Ended {
    Closed(hyper::Result<()>),
    TimedOut,
    Draining,
}

impl Connection {
    async fn run(mut self) {
        let local = self
            .stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched::new(self.stream, activity.clone()));
        // Each request learns both ends of its connection, and the connection learns when a
        // request is taken and when it is answered.
        let service = {
            let router = TowerToHyperService::new(self.router);
            let (peer, activity) = (self.peer, activity.clone());
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(LocalAddr(local));
                let taken = Taken::new(activity.clone());
                let answer = router.call(request);
                async move {
                    let answer = answer.await;
                    let sent = taken.answered();
                    answer.map(|response| response.map(|body| Answer { body, _sent: sent }))
                }
            })
        };
        let connection = self.http.serve_connection(io, service);
        tokio::pin!(connection);
        let timer = tokio::time::sleep_until(
            activity
                .deadline(&self.limits)
                .unwrap_or_else(|| Instant::now() + self.limits.idle_timeout),
        );
        tokio::pin!(timer);
        let drain = self.draining.changed();
        tokio::pin!(drain);

        // The deadline is read after every poll of the connection, since only polling it moves
        // the connection from one phase to another. The timer is reset only when the deadline
        // comes earlier; a deadline that moved later is picked up when the timer fires, so a
        // busy keep-alive connection does not touch the timer wheel for every request.
        let ended = poll_fn(|cx| {
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                return Poll::Ready(Ended::Closed(result));
            }
            if drain.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ended::Draining);
            }
            let Some(deadline) = activity.deadline(&self.limits) else {
                return Poll::Pending;
            };
            if deadline < timer.deadline() {
                timer.as_mut().reset(deadline);
            }
            while timer.as_mut().poll(cx).is_ready() {
                if deadline <= Instant::now() {
                    return Poll::Ready(Ended::TimedOut);
                }
                timer.as_mut().reset(deadline);
            }
            Poll::Pending
        })
        .await;

        match ended {
            Ended::Closed(Ok(())) => {}
            Ended::Closed(Err(err)) => tracing::debug!(error = %err, "connection failed"),
            Ended::TimedOut => tracing::debug!(
                peer = %self.peer,
                "closed a connection that was idle, or slow to send a request head or to read an answer"
            ),
            // Between requests there is nothing to finish: dropping the connection closes it.
            Ended::Draining if activity.between_requests() => {}
            Ended::Draining => {
                connection.as_mut().graceful_shutdown();
                if let Err(err) = connection.await {
                    tracing::debug!(error = %err, "connection failed while draining");
                }
            }
        }
    }
}
