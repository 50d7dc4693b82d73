//! A fixed team of threads for the forward pass. One decode step is a few hundred small
//! parallel jobs of microseconds each, so handing out work must cost far less than waking a
//! thread: idle workers spin briefly on a generation counter (as ggml's threadpool does), then
//! yield, then sleep on a condition variable so that an idle `brief` costs no CPU.
//!
//! On a shared machine a worker may be descheduled for a whole time slice (milliseconds) while
//! the caller waits for it, which is what made a spinning team collapse under one other busy
//! process. So a job is cut into parts that whoever is free claims: the calling thread claims
//! every part no worker has started, and waits only for parts already running.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the gap between two jobs of
/// one decode step (sampling, a norm), far shorter than anything a user would notice.
const SPIN: Duration = Duration::from_micros(300);
/// How much of that it spins hard before it starts yielding its core between looks.
const HARD_SPIN: Duration = Duration::from_micros(30);

type Job = dyn Fn(usize, usize) + Sync;

struct Shared {
    /// The job's generation (high 32 bits) and the next unclaimed part (low 32): one word, so
    /// that a claim names the job it is for and can never take a part of a later one.
    state: AtomicU64,
    /// Points at the caller's `&Job` while its generation runs.
    job: AtomicPtr<&'static Job>,
    parts: AtomicUsize,
    done: AtomicUsize,
    sleepers: AtomicUsize,
    nap: AtomicBool,
    panicked: AtomicBool,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

const fn generation(state: u64) -> u64 {
    state >> 32
}

impl Shared {
    /// Claims the next part of generation `gen`, if it is still that job and a part is left.
    fn claim(&self, gen: u64) -> Option<usize> {
        let parts = self.parts.load(Ordering::Acquire) as u64;
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let next = cur & 0xFFFF_FFFF;
            if generation(cur) != gen || next >= parts {
                return None;
            }
            match self.state.compare_exchange_weak(
                cur,
                cur + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(next as usize),
                Err(now) => cur = now,
            }
        }
    }

    /// Runs every part of generation `gen` this thread can claim.
    fn work(&self, gen: u64, job: &Job) {
        let parts = self.parts.load(Ordering::Acquire);
        while let Some(part) = self.claim(gen) {
            // A panic must still count the part as done, or `run` would wait forever.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(part, parts)));
            if r.is_err() {
                self.panicked.store(true, Ordering::SeqCst);
            }
            self.done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl Pool {
    /// A team of `threads` (the calling thread is one of them).
    pub fn new(threads: usize) -> Self {
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            parts: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            nap: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let n = threads.max(1);
        let workers = (1..n)
            .map(|_| {
                let s = shared.clone();
                std::thread::Builder::new()
                    .name("brief-kernel".into())
                    .spawn(move || worker(&s))
                    .expect("spawning a kernel thread")
            })
            .collect();
        Self { shared, workers }
    }

    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(part, parts)` once for every part in `0..parts` (as many parts as the team has
    /// threads), each on whichever thread claims it first, and returns when all are done. A
    /// part must therefore not assume which thread runs it, nor that parts run at once.
    pub fn run(&self, f: &(dyn Fn(usize, usize) + Sync)) {
        let n = self.threads();
        if n == 1 {
            f(0, 1);
            return;
        }
        let s = &*self.shared;
        // SAFETY: erasing the lifetime is sound because a worker calls the job only after
        // claiming a part of this generation, and we return only once every part is done; a
        // worker that reads the pointer later fails its claim (the generation moved on) and
        // never calls it.
        let short: &(dyn Fn(usize, usize) + Sync + '_) = f;
        let erased: &'static Job = unsafe {
            std::mem::transmute::<&(dyn Fn(usize, usize) + Sync + '_), &'static Job>(short)
        };
        let slot = erased;
        s.job.store(
            &slot as *const &'static Job as *mut &'static Job,
            Ordering::Release,
        );
        s.nap.store(false, Ordering::Relaxed);
        s.parts.store(n, Ordering::Release);
        s.done.store(0, Ordering::Release);
        let gen = generation(s.state.load(Ordering::Acquire)) + 1;
        s.state.store(gen << 32, Ordering::Release);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        s.work(gen, erased);
        // Only parts a worker has started remain; give it our core if it shares it.
        let start = Instant::now();
        let (mut spins, mut patient) = (0u32, true);
        while s.done.load(Ordering::Acquire) != n {
            spins = spins.wrapping_add(1);
            // The clock is read every 64 looks: reading it every time was 1% of a 1.5B
            // model's decode (perf).
            if patient && spins.is_multiple_of(64) {
                patient = start.elapsed() < HARD_SPIN;
            }
            if patient {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        s.job.store(std::ptr::null_mut(), Ordering::Release);
        if s.panicked.swap(false, Ordering::SeqCst) {
            panic!("a kernel thread panicked");
        }
    }

    /// Runs `work(i, scratch)` once for every item `i` in `0..items`, each claimed in order by
    /// whichever thread is free (so put the longest first), `scratch` being that thread's own
    /// vector for the whole call; returns when all are done. Where [`Pool::run`] gives each
    /// thread one fixed part, here a thread that another process slows takes fewer items
    /// instead of holding the others up.
    pub fn claim(&self, items: usize, work: &(dyn Fn(usize, &mut Vec<f32>) + Sync)) {
        let next = AtomicUsize::new(0);
        self.run(&|_, _| {
            let mut scratch = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items {
                    break;
                }
                work(i, &mut scratch);
            }
        });
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
        s.state.fetch_add(1 << 32, Ordering::SeqCst);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn worker(s: &Shared) {
    // Generation 0 is the pool's birth: a job published before this thread got going must
    // still be seen as new.
    let mut seen = 0;
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if generation(s.state.load(Ordering::Acquire)) != seen {
                break;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                let idle = start.elapsed();
                if s.nap.load(Ordering::Relaxed) || idle > SPIN {
                    let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
                    s.sleepers.fetch_add(1, Ordering::SeqCst);
                    while generation(s.state.load(Ordering::SeqCst)) == seen {
                        g = s.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                    }
                    s.sleepers.fetch_sub(1, Ordering::SeqCst);
                    break;
                }
                if idle > HARD_SPIN {
                    // Another process may want this core more than we do.
                    std::thread::yield_now();
                }
            }
            std::hint::spin_loop();
        }
        seen = generation(s.state.load(Ordering::Acquire));
        if s.shutdown.load(Ordering::SeqCst) {
            return;
        }
        let p = s.job.load(Ordering::Acquire);
        if p.is_null() {
            continue;
        }
        let Some(part) = s.claim(seen) else {
            continue;
        };
        // SAFETY: the pointer was published before the generation we saw, and our claim of a
        // part of that generation succeeded, so its `run` is still waiting for that part: the
        // slot `p` points at (in `run`'s frame) and the job are alive until we count it done.
        let job: &Job = unsafe { *p };
        let parts = s.parts.load(Ordering::Acquire);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(part, parts)));
        if r.is_err() {
            s.panicked.store(true, Ordering::SeqCst);
        }
        s.done.fetch_add(1, Ordering::AcqRel);
        // Each further part is again claimed before the job is called.
        s.work(seen, job);
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

/// The process-wide team: `RAYON_NUM_THREADS` threads when it is set (what `--threads`
/// sets), else as many as there are cores free now (see [`free_cores`]). Callers take turns: a
/// forward pass holds it for one `run` at a time.
pub fn global() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let all = candle_core::utils::get_num_threads();
        let n = if std::env::var_os("RAYON_NUM_THREADS").is_some() {
            all
        } else {
            free_cores(all)
        };
        Mutex::new(Pool::new(n))
    })
}

/// The cores of `all` that other processes leave idle, from the kernel's idle counters over a
/// twentieth of a second (at least one; all of them where /proc/stat cannot be read). A team
/// larger than the free cores waits on descheduled threads; smaller leaves cores unused.
pub fn free_cores(all: usize) -> usize {
    fn idle_total() -> Option<(u64, u64)> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu = text.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = cpu
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal: idle + iowait is idle.
        let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
        Some((idle, v.iter().take(8).sum()))
    }
    let Some((i0, t0)) = idle_total() else {
        return all;
    };
    std::thread::sleep(Duration::from_millis(50));
    let Some((i1, t1)) = idle_total() else {
        return all;
    };
    if t1 <= t0 {
        return all;
    }
    let cores = std::thread::available_parallelism().map_or(all, |n| n.get());
    let free = (i1 - i0) as f64 / (t1 - t0) as f64 * cores as f64;
    // Half a core free counts: the claimed parts keep a partly busy core from stalling us.
    (free + 0.5).floor().clamp(1.0, all as f64) as usize
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
    fn claimed_items_run_once_each() {
        let pool = Pool::new(3);
        for items in [0usize, 1, 2, 7, 500] {
            let hits: Vec<AtomicUsize> = (0..items).map(|_| AtomicUsize::new(0)).collect();
            pool.claim(items, &|i, scratch| {
                scratch.push(i as f32);
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                "{items} items"
            );
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
