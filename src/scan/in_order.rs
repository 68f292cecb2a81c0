//! Parallel work consumed in order, without barriers.
//!
//! A memory-mapped input is cut into chunks that are scanned and folded on
//! every thread, but whose parts must be consumed in input order. Scanning
//! a window of chunks at a time and consuming it once all were done left a
//! thread idle at every window's end, waiting for the slowest chunk: on two
//! threads a 1 GB scan lost about a seventh of its time that way. Here
//! every thread takes the next chunk as soon as it is free, and the calling
//! thread consumes each part as soon as the ones before it are consumed,
//! taking chunks itself while it waits. At most `ahead` items are taken and
//! not yet consumed, which bounds memory as the window did.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Condvar, Mutex, MutexGuard};

/// What the threads share: which items are taken, done and consumed.
struct Progress<R> {
    /// The next item to take.
    next: usize,
    /// Items consumed (all those before this one).
    consumed: usize,
    /// Items done and not yet consumed, by index.
    done: BTreeMap<usize, R>,
    /// A thread's work panicked: nothing more is taken or waited for.
    failed: bool,
}

struct Shared<R> {
    progress: Mutex<Progress<R>>,
    /// Signalled whenever an item is done or consumed, or work failed.
    changed: Condvar,
    items: usize,
    ahead: usize,
}

impl<R> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, Progress<R>> {
        // A panic never happens with the lock held (work runs without it),
        // so a poisoned lock still holds consistent progress.
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Progress<R>>) -> MutexGuard<'a, Progress<R>> {
        self.changed
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether another item may be taken now.
    fn may_take(&self, progress: &Progress<R>) -> bool {
        progress.next < self.items && progress.next < progress.consumed + self.ahead
    }

    /// Runs `f`; should it panic, marks the work failed (so that nobody
    /// waits for what it would have done) and goes on unwinding.
    fn failing_on_panic<T>(&self, f: impl FnOnce() -> T) -> T {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => value,
            Err(panic) => {
                self.lock().failed = true;
                self.changed.notify_all();
                resume_unwind(panic);
            }
        }
    }

    /// Runs item `index` (taken with the lock, released here) and files its
    /// result.
    fn run(&self, index: usize, work: &(dyn Fn(usize) -> R + Sync)) {
        let result = self.failing_on_panic(|| work(index));
        self.lock().done.insert(index, result);
        self.changed.notify_all();
    }

    /// A helper thread: takes items while there are any.
    fn help(&self, work: &(dyn Fn(usize) -> R + Sync)) {
        loop {
            let mut progress = self.lock();
            while !progress.failed && progress.next < self.items && !self.may_take(&progress) {
                progress = self.wait(progress);
            }
            if progress.failed || progress.next >= self.items {
                return;
            }
            let index = progress.next;
            progress.next += 1;
            drop(progress);
            self.run(index, work);
        }
    }

    /// The calling thread: consumes items in order, and takes items itself
    /// while the next one to consume is not done.
    fn consume(&self, work: &(dyn Fn(usize) -> R + Sync), consume: &mut dyn FnMut(usize, R)) {
        loop {
            let mut progress = self.lock();
            if progress.failed || progress.consumed == self.items {
                return;
            }
            let index = progress.consumed;
            if let Some(result) = progress.done.remove(&index) {
                progress.consumed += 1;
                drop(progress);
                self.changed.notify_all();
                self.failing_on_panic(|| consume(index, result));
            } else if self.may_take(&progress) {
                let index = progress.next;
                progress.next += 1;
                drop(progress);
                self.run(index, work);
            } else {
                drop(self.wait(progress));
            }
        }
    }
}

/// Runs `work(i)` for every `i` in `0..items` on the calling thread and all
/// but one of the rayon pool's threads, and hands each result to `consume`
/// on the calling thread, in order of `i`, as soon as the results before it
/// were handed over. At most `ahead` (at least 1) items are taken and not
/// yet consumed. A panic in `work` or `consume` stops what was not yet
/// taken and is passed on.
pub(crate) fn run_in_order<R: Send>(
    items: usize,
    ahead: usize,
    work: &(dyn Fn(usize) -> R + Sync),
    consume: &mut dyn FnMut(usize, R),
) {
    let shared = Shared {
        progress: Mutex::new(Progress {
            next: 0,
            consumed: 0,
            done: BTreeMap::new(),
            failed: false,
        }),
        changed: Condvar::new(),
        items,
        ahead: ahead.max(1),
    };
    // The calling thread is one of the threads asked for, whether it is one
    // of the pool's (a file of several scanned in parallel) or not (a
    // single input is driven from the caller's thread): the work then runs
    // on as many threads as the pool has, never one more.
    let helpers = rayon::current_num_threads()
        .saturating_sub(1)
        .min(items.saturating_sub(1));
    let shared = &shared;
    rayon::in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(move |_| shared.help(work));
        }
        shared.consume(work, consume);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a test pool")
    }

    #[test]
    fn results_are_consumed_in_order_whatever_order_they_finish_in() {
        for threads in [1, 2, 4] {
            let mut seen = Vec::new();
            pool(threads).install(|| {
                run_in_order(
                    40,
                    3,
                    &|i| {
                        // Early items take longest, so later ones finish first.
                        std::thread::sleep(std::time::Duration::from_micros(
                            ((40 - i) * 50) as u64,
                        ));
                        i * 10
                    },
                    &mut |i, result| seen.push((i, result)),
                );
            });
            let want: Vec<(usize, usize)> = (0..40).map(|i| (i, i * 10)).collect();
            assert_eq!(seen, want, "{threads} threads");
        }
    }

    #[test]
    fn no_more_than_ahead_items_are_taken_and_not_consumed() {
        let taken = AtomicUsize::new(0);
        let consumed = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        pool(4).install(|| {
            run_in_order(
                60,
                5,
                &|_| {
                    let now = taken.fetch_add(1, Ordering::SeqCst) + 1;
                    let pending = now - consumed.load(Ordering::SeqCst);
                    most.fetch_max(pending, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_micros(200));
                },
                &mut |_, ()| {
                    consumed.fetch_add(1, Ordering::SeqCst);
                },
            );
        });
        assert_eq!(consumed.load(Ordering::SeqCst), 60);
        // One more than `ahead`: the count of consumed items moves on just
        // before `consume` runs.
        assert!(
            most.load(Ordering::SeqCst) <= 6,
            "{}",
            most.load(Ordering::SeqCst)
        );
    }

    /// The most items worked on at once, with `ahead` room for all.
    fn most_at_once() -> usize {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        run_in_order(
            24,
            24,
            &|_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(2));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            &mut |_, ()| {},
        );
        most.load(Ordering::SeqCst)
    }

    #[test]
    fn as_many_threads_work_as_the_pool_has_and_no_more() {
        for threads in [1, 2, 3] {
            let most = pool(threads).install(most_at_once);
            assert_eq!(most, threads, "inside a pool of {threads}");
        }
        // Outside any pool the caller counts as one of the global pool's.
        assert!(most_at_once() <= rayon::current_num_threads());
    }

    #[test]
    fn works_outside_the_pool_and_with_nothing_to_do() {
        let mut seen = Vec::new();
        run_in_order(5, 2, &|i| i, &mut |i, _| seen.push(i));
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        run_in_order(0, 2, &|i| i, &mut |_, _| panic!("nothing to consume"));
    }

    #[test]
    fn a_panic_is_passed_on_without_hanging() {
        for failing_item in [0, 7, 29] {
            let in_work = std::panic::catch_unwind(AssertUnwindSafe(|| {
                pool(2).install(|| {
                    run_in_order(
                        30,
                        4,
                        &|i| {
                            assert!(i != failing_item, "the item fails");
                            std::thread::sleep(std::time::Duration::from_micros(100));
                        },
                        &mut |_, ()| {},
                    );
                });
            }));
            assert!(in_work.is_err(), "work failing at {failing_item}");
            let in_consume = std::panic::catch_unwind(AssertUnwindSafe(|| {
                pool(2).install(|| {
                    run_in_order(30, 2, &|i| i, &mut |i, _| {
                        assert!(i != failing_item, "consuming the item fails");
                    });
                });
            }));
            assert!(in_consume.is_err(), "consume failing at {failing_item}");
        }
    }
}
