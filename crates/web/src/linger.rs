//! Lingering reads: a body the handler refused is still read to its end
//! (up to a cap) so that the refusal reaches the client.
//!
//! When a handler answers before it has read the whole request body (413
//! for an upload over the limit, 415, 403), hyper closes the connection
//! with the client's remaining bytes unread. The kernel then resets the
//! connection, and a browser still sending the file shows a network error
//! instead of our page in the user's language. nginx solves this with a
//! "lingering close"; this middleware does the same for large bodies: a
//! task forwards the body to the handler and, once the handler lets go of
//! it, discards the rest for at most [`DRAIN_CAP`] bytes or [`DRAIN_TIME`].
//!
//! Small bodies (the usual form post) arrive with their headers and are
//! left alone, so the common path pays nothing.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};
use tokio_stream::wrappers::ReceiverStream;

/// Bodies up to this size are not wrapped.
const SMALL: u64 = 16 * 1024;
/// At most this much of a refused body is read and thrown away.
const DRAIN_CAP: u64 = 64 * 1024 * 1024;
/// For at most this long after the handler let go of the body.
const DRAIN_TIME: Duration = Duration::from_secs(10);

pub async fn drain_refused_bodies(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let streamed = declared.is_none() && headers.contains_key(TRANSFER_ENCODING);
    if !(streamed || declared.is_some_and(|n| n > SMALL)) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(forward_then_drain(body, tx));
    next.run(Request::from_parts(
        parts,
        Body::from_stream(ReceiverStream::new(rx)),
    ))
    .await
}

async fn forward_then_drain(mut body: Body, tx: mpsc::Sender<Result<Bytes, axum::Error>>) {
    // Forward while the handler reads.
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            () = tx.closed() => break,
        };
        match frame {
            None => return,
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data()
                    && tx.send(Ok(data)).await.is_err()
                {
                    break;
                }
            }
        }
    }
    // The handler has answered without reading everything: discard the
    // rest so the connection closes cleanly (or stays open).
    let deadline = Instant::now() + DRAIN_TIME;
    let mut discarded = 0u64;
    while let Ok(Some(Ok(frame))) = timeout_at(deadline, body.frame()).await {
        if let Ok(data) = frame.into_data() {
            discarded += data.len() as u64;
            if discarded > DRAIN_CAP {
                return;
            }
        }
    }
}
