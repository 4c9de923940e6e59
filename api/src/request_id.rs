//! The id of the request being served: set by `Observe` for the whole of
//! the request, read wherever an answer, an audit event or a log line
//! names it.

tokio::task_local! {
    pub(crate) static REQUEST_ID: String;
}

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
