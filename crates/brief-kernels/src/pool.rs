//! A fixed team of threads for the forward pass. One decode step is a few hundred small
//! parallel jobs of microseconds each, so handing out work must cost far less than waking a
//! thread: idle workers spin briefly on a generation counter (as ggml's threadpool does), then
//! sleep on a condition variable so that an idle `brief` costs no CPU.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the gap between two jobs of
/// one decode step (sampling, a norm), far shorter than anything a user would notice.
const SPIN: Duration = Duration::from_micros(300);

type Job = dyn Fn(usize, usize) + Sync;

struct Shared {
    generation: AtomicU64,
    job: UnsafeCell<*const Job>,
    pending: AtomicUsize,
    sleepers: AtomicUsize,
    nap: AtomicBool,
    panicked: AtomicBool,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `job` is written only by the thread inside `Pool::run` (which holds the pool's
// mutex) before it publishes a new generation, and read by workers only after they observe that
// generation; `run` does not return until every worker has finished with it.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// A team of `threads` (the calling thread is one of them).
    pub fn new(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            job: UnsafeCell::new(std::ptr::null::<fn(usize, usize)>() as *const Job),
            pending: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            nap: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let n = threads.max(1);
        let workers = (1..n)
            .map(|i| {
                let s = shared.clone();
                std::thread::Builder::new()
                    .name(format!("brief-kernel-{i}"))
                    .spawn(move || worker(&s, i, n))
                    .expect("spawning a kernel thread")
            })
            .collect();
        Self { shared, workers }
    }

    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(thread, threads)` on every thread of the team and returns when all are done.
    pub fn run(&self, f: &(dyn Fn(usize, usize) + Sync)) {
        let n = self.threads();
        if n == 1 {
            f(0, 1);
            return;
        }
        let s = &*self.shared;
        // SAFETY: erasing the lifetime is sound because we wait below until no worker can
        // still be using `f`.
        unsafe {
            let short: *const (dyn Fn(usize, usize) + Sync + '_) = f;
            *s.job.get() =
                std::mem::transmute::<*const (dyn Fn(usize, usize) + Sync + '_), *const Job>(short);
        }
        s.nap.store(false, Ordering::Relaxed);
        s.pending.store(n - 1, Ordering::SeqCst);
        s.generation.fetch_add(1, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        f(0, n);
        while s.pending.load(Ordering::Acquire) != 0 {
            std::hint::spin_loop();
        }
        if s.panicked.swap(false, Ordering::SeqCst) {
            panic!("a kernel thread panicked");
        }
    }

    /// Lets the workers sleep now instead of spinning: for when the caller is about to do a
    /// long stretch of work of its own (or hand the cores to another library's threads).
    pub fn rest(&self) {
        self.shared.nap.store(true, Ordering::Relaxed);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.shutdown.store(true, Ordering::SeqCst);
        s.generation.fetch_add(1, Ordering::SeqCst);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn worker(s: &Shared, index: usize, n: usize) {
    // Generation 0 is the pool's birth: a job published before this thread got going must
    // still be seen as new.
    let mut seen = 0;
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if s.generation.load(Ordering::Acquire) != seen {
                break;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) && (s.nap.load(Ordering::Relaxed) || start.elapsed() > SPIN)
            {
                let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
                s.sleepers.fetch_add(1, Ordering::SeqCst);
                while s.generation.load(Ordering::SeqCst) == seen {
                    g = s.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                }
                s.sleepers.fetch_sub(1, Ordering::SeqCst);
                break;
            }
            std::hint::spin_loop();
        }
        seen = s.generation.load(Ordering::Acquire);
        if s.shutdown.load(Ordering::SeqCst) {
            return;
        }
        // SAFETY: see `Shared`; the job pointer was published before the generation we saw.
        let job = unsafe { &**s.job.get() };
        // A panic must still count the job as done, or `run` would wait forever.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(index, n)));
        if r.is_err() {
            s.panicked.store(true, Ordering::SeqCst);
        }
        s.pending.fetch_sub(1, Ordering::Release);
    }
}

/// One buffer cut into parts for the threads of one [`Pool::run`] job to write into, without
/// `unsafe`: each part is handed out at most once (a second `take` of it panics), so no two
/// threads ever hold the same part. Made from disjoint `&mut` slices (`chunks_exact_mut` and
/// the like), which the borrow checker has already proved apart.
pub struct Parts<'a, T> {
    parts: Vec<Mutex<Option<&'a mut [T]>>>,
}

impl<'a, T> Parts<'a, T> {
    pub fn new(parts: impl IntoIterator<Item = &'a mut [T]>) -> Self {
        Self {
            parts: parts.into_iter().map(|p| Mutex::new(Some(p))).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Part `i`, the caller's alone. Panics if `i` is out of range or was taken already. The
    /// lock is uncontended (one taker per part) and held only for the hand-over.
    pub fn take(&self, i: usize) -> &'a mut [T] {
        self.parts[i]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| panic!("part {i} taken twice"))
    }
}

/// The process-wide team, sized like candle's (`RAYON_NUM_THREADS`, else every core). Callers
/// take turns: a forward pass holds it for one `run` at a time.
pub fn global() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(Pool::new(candle_core::utils::get_num_threads())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_thread_runs_every_job_once() {
        let pool = Pool::new(3);
        for round in 0..2000 {
            let hits = AtomicUsize::new(0);
            let mask = AtomicUsize::new(0);
            pool.run(&|t, n| {
                assert_eq!(n, 3);
                hits.fetch_add(1, Ordering::Relaxed);
                mask.fetch_or(1 << t, Ordering::Relaxed);
            });
            assert_eq!(hits.load(Ordering::Relaxed), 3, "round {round}");
            assert_eq!(mask.load(Ordering::Relaxed), 0b111);
            if round % 500 == 0 {
                // Long enough for the workers to fall asleep: they must wake for the next job.
                pool.rest();
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    #[test]
    fn parts_are_written_by_their_threads_and_taken_once() {
        let pool = Pool::new(3);
        let mut buf = [0u32; 4 * 10];
        let parts = Parts::new(buf.chunks_exact_mut(4));
        assert_eq!(parts.len(), 10);
        pool.run(&|t, n| {
            for i in (t..parts.len()).step_by(n) {
                parts.take(i).fill(i as u32 + 1);
            }
        });
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parts.take(3)));
        assert!(again.is_err(), "a part must not be handed out twice");
        drop(parts);
        for (i, c) in buf.chunks_exact(4).enumerate() {
            assert_eq!(c, [i as u32 + 1; 4]);
        }
    }
}
