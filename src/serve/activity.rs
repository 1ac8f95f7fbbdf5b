//! Where a connection is, between requests or within one, as its socket and its service see it.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Instant;

use super::ServerLimits;

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
pub(super) struct Activity(Mutex<State>);

impl Activity {
    pub(super) fn new() -> Self {
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

    pub(super) fn read(&self) {
        self.update(|s| match s.phase {
            Phase::Opened | Phase::Idle => {
                s.phase = Phase::Head;
                s.since = Instant::now();
            }
            Phase::Answering => s.next_head = true,
            Phase::Head | Phase::Busy => {}
        });
    }

    pub(super) fn wrote(&self) {
        self.update(|s| {
            if s.phase == Phase::Answering {
                s.since = Instant::now();
            }
        });
    }

    pub(super) fn flushed(&self) {
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

    pub(super) fn request_taken(&self) {
        self.update(|s| s.phase = Phase::Busy);
    }

    pub(super) fn request_answered(&self, body_open: bool) {
        self.update(|s| {
            s.phase = Phase::Answering;
            s.since = Instant::now();
            s.next_head = false;
            s.body_open = body_open;
        });
    }

    pub(super) fn body_sent(&self) {
        self.update(|s| s.body_open = false);
    }

    /// When the connection is to be closed if nothing moves it on; none while a request runs
    /// (the router's own timeout bounds that).
    pub(super) fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        let s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match s.phase {
            Phase::Opened | Phase::Head => Some(s.since + limits.header_read_timeout),
            // An answer that stops moving (a client that stops reading) is idle too.
            Phase::Idle | Phase::Answering => Some(s.since + limits.idle_timeout),
            Phase::Busy => None,
        }
    }

    /// No request taken and no answer being written: closing loses nothing.
    pub(super) fn between_requests(&self) -> bool {
        let s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        matches!(s.phase, Phase::Opened | Phase::Idle | Phase::Head)
    }
}

/// A request the router has. Dropped before it is answered: hyper gave up on it (the client
/// went away), and there is nothing left to write.
pub(super) struct Taken(Option<Arc<Activity>>);

impl Taken {
    pub(super) fn new(activity: Arc<Activity>) -> Self {
        activity.request_taken();
        Self(Some(activity))
    }

    pub(super) fn answered(mut self) -> BodySent {
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
pub(super) struct BodySent(Option<Arc<Activity>>);

impl Drop for BodySent {
    fn drop(&mut self) {
        if let Some(activity) = &self.0 {
            activity.body_sent();
        }
    }
}

/// The router's answer body, telling the connection when hyper is done with it: until then the
/// answer is still being written, even if hyper flushed everything it had so far.
pub(super) struct Answer {
    pub(super) body: axum::body::Body,
    pub(super) _sent: BodySent,
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
