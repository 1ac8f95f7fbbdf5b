//! The HTTP server under the router: at most so many connections, a deadline for every request
//! head and for every idle keep-alive connection, and a shutdown that lets the requests in flight
//! finish for a bounded time.
//!
//! `axum::serve` has none of these, and hyper's own `header_read_timeout` cannot give two of them
//! at once: hyper 1.x starts that timer when a connection becomes ready for a request head (when
//! it opens, and again after every answer), so one duration would bound both a slow head and an
//! idle keep-alive connection. A load balancer wants the idle timeout long (longer than its own,
//! or it races a closing connection and answers 502) and a slow head cut short, so each connection
//! here keeps track of where it is and its task enforces the deadline that applies.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::http::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES, unparsed_refusal};

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

/// hyper's limits on a head, a little above Procura's so that Procura's answer the common case.
const HYPER_MAX_HEADERS: usize = MAX_HEADERS + 28;
const HYPER_MAX_HEAD: usize = MAX_URI_BYTES + MAX_HEADER_BYTES + 56 * 1024;

fn http_builder() -> http1::Builder {
    let mut http = http1::Builder::new();
    // Procura enforces its own limits on the head in `http::request_context`, with an answer in
    // the error envelope; hyper's, a little higher, answer only what Procura never sees.
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
        let io = TokioIo::new(Watched {
            stream: self.stream,
            activity: activity.clone(),
            refusal: None,
        });
        // Each request learns both ends of its connection, and the connection learns when a
        // request is taken and when it is answered.
        let service = {
            let router = TowerToHyperService::new(self.router);
            let (peer, activity) = (self.peer, activity.clone());
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(LocalAddr(local));
                activity.request_taken();
                let taken = Taken(Some(activity.clone()));
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

/// Where a connection is between two requests, or within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Just opened, nothing read yet.
    Opened,
    /// A request was answered; waiting for the next one.
    Idle,
    /// Part of a request head has arrived.
    Head,
    /// The router has the request.
    Busy,
    /// The router has answered; the answer is being written.
    Answering,
}

struct State {
    phase: Phase,
    since: Instant,
    /// Bytes of the next request arrived while an answer was still being written.
    next_head: bool,
    /// hyper still holds the answer's body (more of it may come).
    body_open: bool,
}

/// A connection's phase, moved by its socket (bytes read, written, flushed) and by its service
/// (a request taken and answered). Only its own task touches it; the mutex is never contended.
struct Activity(Mutex<State>);

impl Activity {
    fn new() -> Self {
        Self(Mutex::new(State {
            phase: Phase::Opened,
            since: Instant::now(),
            next_head: false,
            body_open: false,
        }))
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn read(&self) {
        self.update(|s| match s.phase {
            Phase::Opened | Phase::Idle => {
                s.phase = Phase::Head;
                s.since = Instant::now();
            }
            Phase::Answering => s.next_head = true,
            Phase::Head | Phase::Busy => {}
        });
    }

    fn wrote(&self) {
        self.update(|s| {
            if s.phase == Phase::Answering {
                s.since = Instant::now();
            }
        });
    }

    fn flushed(&self) {
        self.update(|s| {
            if s.phase == Phase::Answering && !s.body_open {
                s.phase = if s.next_head {
                    Phase::Head
                } else {
                    Phase::Idle
                };
                s.since = Instant::now();
                s.next_head = false;
            }
        });
    }

    fn request_taken(&self) {
        self.update(|s| s.phase = Phase::Busy);
    }

    fn request_answered(&self, body_open: bool) {
        self.update(|s| {
            s.phase = Phase::Answering;
            s.since = Instant::now();
            s.next_head = false;
            s.body_open = body_open;
        });
    }

    fn body_sent(&self) {
        self.update(|s| s.body_open = false);
    }

    /// When the connection is to be closed if nothing moves it on; none while a request runs
    /// (the router's own timeout bounds that).
    fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        let s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match s.phase {
            Phase::Opened | Phase::Head => Some(s.since + limits.header_read_timeout),
            // An answer that stops moving (a client that stops reading) is idle too.
            Phase::Idle | Phase::Answering => Some(s.since + limits.idle_timeout),
            Phase::Busy => None,
        }
    }

    /// No request taken and no answer being written: closing loses nothing.
    fn between_requests(&self) -> bool {
        let s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        matches!(s.phase, Phase::Opened | Phase::Idle | Phase::Head)
    }
}

/// The socket, reporting what passes through it to the connection's [`Activity`].
///
/// It also swaps hyper's bare answer to a head its parser refused (400, 414, 431 with an empty
/// body; hyper 1.x has no hook for it) for the error envelope. Between requests hyper writes
/// nothing else, so a status line written then is that answer.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    /// The envelope answer in place of hyper's, and how much of it is written.
    refusal: Option<(Vec<u8>, usize)>,
}

impl Watched {
    /// Writes what is left of the refusal.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((answer, written)) = &mut self.refusal else {
            return Poll::Ready(Ok(()));
        };
        while *written < answer.len() {
            match Pin::new(&mut self.stream).poll_write(cx, &answer[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `bytes` (all hyper is writing) in place of the socket when they are, or follow,
    /// hyper's answer to a head it refused.
    fn swallowed(&mut self, cx: &mut Context<'_>, bytes: &[u8]) -> Option<io::Result<usize>> {
        if self.refusal.is_none() {
            if !self.activity.between_requests() {
                return None;
            }
            self.refusal = Some((enveloped(bytes)?, 0));
        }
        match self.poll_refusal(cx) {
            Poll::Ready(Err(err)) => Some(Err(err)),
            // The rest goes out on the flush that follows.
            Poll::Ready(Ok(())) | Poll::Pending => Some(Ok(bytes.len())),
        }
    }
}

/// hyper's bare answer `head` (`HTTP/1.1 400 Bad Request`, its header fields, no body) with
/// the envelope as its body, or `None` if it is not one.
fn enveloped(head: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(head).ok()?.strip_suffix("\r\n\r\n")?;
    let status = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let (request_id, body) = unparsed_refusal(status, HYPER_MAX_HEADERS, HYPER_MAX_HEAD)?;
    tracing::debug!(%request_id, status, "refused a request head that could not be parsed");
    let mut answer = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("content-length:") {
            answer.push_str(line);
            answer.push_str("\r\n");
        }
    }
    answer.push_str(&format!(
        "content-type: application/json\r\nx-request-id: {request_id}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ));
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(swallowed) = self.swallowed(cx, buf) {
            return Poll::Ready(swallowed);
        }
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.refusal.is_some() || self.activity.between_requests() {
            // Rare (a refused head), so gathering the pieces into one costs nothing that matters.
            let bytes: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            if let Some(swallowed) = self.swallowed(cx, &bytes) {
                return Poll::Ready(swallowed);
            }
        }
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_refusal(cx))?;
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.activity.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_refusal(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request the router has. Dropped before it is answered: hyper gave up on it (the client
/// went away), and there is nothing left to write.
struct Taken(Option<Arc<Activity>>);

impl Taken {
    fn answered(mut self) -> BodySent {
        let activity = self.0.take();
        if let Some(activity) = &activity {
            activity.request_answered(true);
        }
        BodySent(activity)
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(activity) = &self.0 {
            activity.request_answered(false);
        }
    }
}

/// Dropped by hyper once it has taken the answer's last byte.
struct BodySent(Option<Arc<Activity>>);

impl Drop for BodySent {
    fn drop(&mut self) {
        if let Some(activity) = &self.0 {
            activity.body_sent();
        }
    }
}

/// The router's answer body, telling the connection when hyper is done with it: until then the
/// answer is still being written, even if hyper flushed everything it had so far.
struct Answer {
    body: axum::body::Body,
    _sent: BodySent,
}

impl Body for Answer {
    type Data = <axum::body::Body as Body>::Data;
    type Error = <axum::body::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
