//! The background-writer plumbing shared by `TableLog` and `PackWriter`: a bounded
//! command queue to one writer thread, flush-and-wait, close, and the first failure
//! of the thread kept and reported on every later call.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::{StoreError, StoreResult};

/// The first error of a background writer, kept to be reported on every later call.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    errno: Option<i32>,
    message: String,
}

pub(crate) type SharedFailure = Arc<Mutex<Option<Failure>>>;

pub(crate) fn record_failure(shared: &SharedFailure, err: &StoreError) {
    let errno = match err {
        StoreError::Io { source, .. } => source.raw_os_error(),
        _ => None,
    };
    let mut slot = shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slot.get_or_insert(Failure {
        errno,
        message: err.to_string(),
    });
}

pub(crate) fn check_failure(shared: &SharedFailure, path: &Path) -> StoreResult<()> {
    let slot = shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match slot.as_ref() {
        None => Ok(()),
        Some(failure) => Err(StoreError::WriterFailed {
            path: path.to_path_buf(),
            errno: failure.errno,
            message: failure.message.clone(),
        }),
    }
}

/// A writer command queue that knows how to ask for a flush.
pub(crate) trait FlushCommand: Send + 'static {
    /// The command that writes (and fsyncs when `durable`) everything queued, then
    /// signals `done`.
    fn flush(durable: bool, done: mpsc::Sender<()>) -> Self;
}

/// The caller's side of one background writer thread.
pub(crate) struct WriterHandle<C: FlushCommand> {
    what: &'static str,
    path: PathBuf,
    sender: Option<SyncSender<C>>,
    failure: SharedFailure,
    worker: Option<JoinHandle<()>>,
}

impl<C: FlushCommand> WriterHandle<C> {
    /// Runs `run` on a thread named `thread`, fed by a queue of at most `depth` commands;
    /// `failure` is the slot the thread records its first error in.
    pub(crate) fn spawn(
        what: &'static str,
        thread: &str,
        path: &Path,
        depth: usize,
        failure: SharedFailure,
        run: impl FnOnce(Receiver<C>) + Send + 'static,
    ) -> StoreResult<Self> {
        let (sender, receiver) = mpsc::sync_channel(depth);
        let worker = std::thread::Builder::new()
            .name(thread.into())
            .spawn(move || run(receiver))
            .map_err(|e| StoreError::io("start writer thread for", path, e))?;
        Ok(Self {
            what,
            path: path.to_path_buf(),
            sender: Some(sender),
            failure,
            worker: Some(worker),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The writer thread's earlier failure, if any.
    pub(crate) fn check(&self) -> StoreResult<()> {
        check_failure(&self.failure, &self.path)
    }

    /// Queues `command`; waits while the queue is full.
    pub(crate) fn send(&self, command: C) -> StoreResult<()> {
        let closed = || StoreError::Closed {
            what: self.what,
            path: self.path.clone(),
        };
        let sender = self.sender.as_ref().ok_or_else(closed)?;
        sender.send(command).map_err(|_| self.stopped())
    }

    /// Blocks until everything queued so far is written (and fsynced when `durable`).
    pub(crate) fn flush(&self, durable: bool) -> StoreResult<()> {
        self.check()?;
        let (done, wait) = mpsc::channel();
        self.send(C::flush(durable, done))?;
        if wait.recv().is_err() {
            return Err(self.stopped());
        }
        self.check()
    }

    /// Writes and fsyncs everything, then stops the writer. Later calls fail.
    pub(crate) fn close(&mut self) -> StoreResult<()> {
        if self.sender.is_none() {
            return Ok(());
        }
        let flushed = self.flush(true);
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join(); // a panic there shows up as the flush error above
        }
        flushed
    }

    fn stopped(&self) -> StoreError {
        self.check()
            .err()
            .unwrap_or_else(|| StoreError::WriterFailed {
                path: self.path.clone(),
                errno: None,
                message: "the writer thread stopped".into(),
            })
    }
}

impl<C: FlushCommand> Drop for WriterHandle<C> {
    fn drop(&mut self) {
        let _ = self.close(); // errors were reported by the owner's calls, or are lost with it
    }
}
