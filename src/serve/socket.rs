//! The socket under hyper: it reports what passes through it, and puts hyper's bare answer to a
//! head it could not parse into the error envelope.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::activity::Activity;
use super::{HYPER_MAX_HEAD, HYPER_MAX_HEADERS};
use crate::http::unparsed_refusal;

/// The socket, reporting what passes through it to the connection's [`Activity`].
///
/// It also swaps hyper's bare answer to a head its parser refused (400, 414, 431 with an empty
/// body; hyper 1.x has no hook for it) for the error envelope. Between requests hyper writes
/// nothing else, so a status line written then is that answer.
pub(super) struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    /// The envelope answer in place of hyper's, and how much of it is written.
    refusal: Option<(Vec<u8>, usize)>,
}

impl Watched {
    pub(super) fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Self {
            stream,
            activity,
            refusal: None,
        }
    }

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
